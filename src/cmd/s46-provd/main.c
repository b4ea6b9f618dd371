/* s46-provd: HB46PP provisioning server (issue 5). First cut: profiles
 * from files given on the command line, tokens in memory. */
#include "provd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: s46-provd passwd PASSWORD   (prints an argon2id hash)\n"
            "       s46-provd txt URL --t a|b   (prints the 4over6.info TXT zone line)\n"
            "       s46-provd serve [--port N] [--path /config] [--tls-cert F --tls-key F]\n"
            "                       [--unknown-status 403|404] --profile PREFIX=FILE ...\n");
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "s46-provd: libsodium init failed\n");
        return 1;
    }
    if (argc == 3 && !strcmp(argv[1], "passwd")) {
        /* argon2id, libsodium "interactive" limits (64 MiB, ops 2). */
        char h[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(h, argv[2], strlen(argv[2]), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) < 0) {
            fprintf(stderr, "s46-provd: out of memory hashing the password\n");
            return 1;
        }
        printf("%s\n", h);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "txt") && !strcmp(argv[3], "--t")) {
        /* argv: txt URL --t a|b  (zone-file line, D1/D2) */
        const char *url = argv[2], *t = argv[4];
        if ((strcmp(t, "a") && strcmp(t, "b")) || (!strncmp(url, "http:", 5) && strcmp(t, "a")) ||
            (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) ||
            strpbrk(url, " \"\\;\t\r\n")) {
            fprintf(stderr, "s46-provd: txt: need an http(s) URL without spaces or quotes, "
                            "and t=a for http\n");
            return 2;
        }
        printf("4over6.info. 300 IN TXT \"v=v6mig-1 url=%s t=%s\"\n", url, t);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "serve")) {
        usage();
        return 2;
    }
    return provd_serve(argc - 1, argv + 1);
}
