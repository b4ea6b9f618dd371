/* s46-provd: HB46PP provisioning server (issue 5). First cut: profiles
 * from files given on the command line, tokens in memory. */
#include "provd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: s46-provd serve [--port N] [--path /config] [--tls-cert F --tls-key F]\n"
            "                       [--unknown-status 403|404] --profile PREFIX=FILE ...\n");
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "s46-provd: libsodium init failed\n");
        return 1;
    }
    if (argc < 2 || strcmp(argv[1], "serve")) {
        usage();
        return 2;
    }
    return provd_serve(argc - 1, argv + 1);
}
