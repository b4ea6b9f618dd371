/* s46 binding: edits the bindings of a running lwAFTR (s46-br with an
 * "lwaftr" config) over its control socket: add, replace, remove one
 * binding, or reload them all from the config. Prints the daemon's JSON
 * answer; exit status 1 when it refused. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "io/ctl.h"

static const char binding_usage[] =
    "usage: s46 binding [--ctl PATH] add|replace B4 IPV4 PSID PSID_LENGTH [PSID_OFFSET [LWAFTR]]\n"
    "       s46 binding [--ctl PATH] remove IPV4 PSID\n"
    "       s46 binding [--ctl PATH] reload\n"
    "  default PATH: /run/s46/s46-br.sock. A change applies to the next packet;\n"
    "  reload re-reads the daemon's config and its bindings_file (as SIGHUP).\n";

int cmd_binding(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ctl", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = "/run/s46/s46-br.sock";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 's': path = optarg; break;
        case 'h': fputs(binding_usage, stdout); return 0;
        default:
            fprintf(stderr, "s46 binding: bad option '%s'\n%s", argv[optind - 1], binding_usage);
            return 2;
        }
    }
    if (optind >= argc) {
        fputs(binding_usage, stderr);
        return 2;
    }
    char cmd[512] = "binding";
    for (int i = optind; i < argc; i++) {
        size_t n = strlen(cmd);
        if (strchr(argv[i], ' ') || n + 1 + strlen(argv[i]) >= sizeof cmd) {
            fprintf(stderr, "s46 binding: bad argument '%s'\n", argv[i]);
            return 2;
        }
        snprintf(cmd + n, sizeof cmd - n, " %s", argv[i]);
    }
    char e[256];
    char *ans = s46_ctl_query(path, cmd, e, sizeof e);
    if (!ans) {
        fprintf(stderr, "s46 binding: %s\n", e);
        return 1;
    }
    fputs(ans, stdout);
    putchar('\n');
    json_t *j = json_loads(ans, 0, NULL);
    int rc = json_is_true(json_object_get(j, "ok")) ? 0 : 1;
    json_decref(j);
    free(ans);
    return rc;
}
