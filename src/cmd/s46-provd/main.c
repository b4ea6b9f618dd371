/* s46-provd: HB46PP provisioning server: the server, its admin
 * commands on the database, and two helpers (passwd, txt). */
#include "provd.h"
#include "lib/version.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: s46-provd serve [--db FILE] [--profile PREFIX=FILE ...] [--port N]\n"
            "                       [--path /config] [--threads N] [--max-connections N]\n"
            "                       [--unknown-status 403|404]\n"
            "                       [--tls-cert F --tls-key F [--tls-priority GNUTLS-PRIORITY]]\n"
            "                       [--ctl SOCKET] [--syslog]\n"
            "       s46-provd profile add PREFIX FILE [--name N] --db FILE\n"
            "       s46-provd profile list|remove PREFIX --db FILE\n"
            "       s46-provd import PREFIX FILE [--name N] --db FILE\n"
            "       s46-provd user add NAME [--password P | --hash H] [--prefix PREFIX] --db FILE\n"
            "       s46-provd user list|remove NAME --db FILE\n"
            "       s46-provd token list|revoke ID-OR-HASH-PREFIX --db FILE\n"
            "       s46-provd token prune --unused-since T --db FILE\n"
            "       s46-provd log [--since T] [--source PREFIX] --db FILE\n"
            "       s46-provd log prune --before T --db FILE\n"
            "       s46-provd passwd PASSWORD          (prints an argon2id hash)\n"
            "       s46-provd txt [--url] URL --t a|b  (prints the 4over6.info TXT zone line)\n"
            "       s46-provd --version\n");
}

/* txt URL --t a|b, or txt --url URL --t a|b, options in any order. */
static int txt(int argc, char **argv)
{
    const char *url = NULL, *t = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--t") || !strcmp(argv[i], "--url")) && i + 1 < argc) {
            *(argv[i][2] == 't' ? &t : &url) = argv[i + 1];
            i++;
        } else if (argv[i][0] != '-' && !url)
            url = argv[i];
        else {
            fprintf(stderr, "s46-provd: txt: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    /* docs/hb46pp.md, D1/D2: an http URL only with t=a; nothing that breaks the TXT string. */
    if (!url || !t || (strcmp(t, "a") && strcmp(t, "b")) ||
        (!strncmp(url, "http:", 5) && strcmp(t, "a")) ||
        (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) ||
        strpbrk(url, " \"\\;\t\r\n")) {
        fprintf(stderr, "s46-provd: txt: need an http(s) URL without spaces or quotes and "
                        "--t a|b (a for http)\n");
        return 2;
    }
    printf("4over6.info. 300 IN TXT \"v=v6mig-1 url=%s t=%s\"\n", url, t);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "s46-provd: libsodium init failed\n");
        return 1;
    }
    const char *cmd = argc >= 2 ? argv[1] : "";
    if (argc == 2 && !strcmp(cmd, "--version")) {
        printf("s46-provd %s\n", S46_VERSION);
        return 0;
    }
    if (argc == 3 && !strcmp(cmd, "passwd")) {
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
    if (!strcmp(cmd, "txt"))
        return txt(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return provd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "profile") || !strcmp(cmd, "user") || !strcmp(cmd, "token") ||
        !strcmp(cmd, "import") || !strcmp(cmd, "log"))
        return provd_admin(argc - 1, argv + 1);
    usage();
    return 2;
}
