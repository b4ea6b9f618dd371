/* s46 show: asks a running daemon (s46-br, s46-ce, s46-provd) for its state over its
 * control socket and prints it: JSON with --json, else one line per value,
 * non-zero counters first. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "io/ctl.h"

static void print_value(const char *prefix, json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    char name[256];
    if (json_is_object(v)) {
        json_object_foreach(v, k, x) {
            snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
            print_value(name, x);
        }
    } else if (json_is_array(v)) {
        char *s = json_dumps(v, JSON_COMPACT);
        if (json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
            json_array_foreach(v, i, x) {
                snprintf(name, sizeof name, "%s[%zu]", prefix, i);
                print_value(name, x);
            }
        } else {
            printf("%-40s %s\n", prefix, s ? s : "");
        }
        free(s);
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        printf("%-40s %s\n", prefix, s ? s : "");
        free(s);
    }
}

int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ctl", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    bool json = false;
    int c;
    char e[256];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 's': path = optarg; break;
        case 'j': json = true; break;
        case 'h':
            printf("usage: s46 show [--ctl PATH] [--json]\n"
                   "  default PATH: /run/s46/s46-ce.sock, else /run/s46/s46-br.sock\n");
            return 0;
        default: fprintf(stderr, "s46 show: bad option '%s'\n", argv[optind - 1]); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "s46 show: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char *ans = NULL;
    if (path) {
        ans = s46_ctl_query(path, "show", e, sizeof e);
    } else {
        ans = s46_ctl_query("/run/s46/s46-ce.sock", "show", e, sizeof e);
        if (!ans)
            ans = s46_ctl_query("/run/s46/s46-br.sock", "show", e, sizeof e);
    }
    if (!ans) {
        fprintf(stderr, "s46 show: %s\n", e);
        return 1;
    }
    json_error_t je;
    json_t *j = json_loads(ans, 0, &je);
    free(ans);
    if (!j) {
        fprintf(stderr, "s46 show: bad answer from the daemon: %s\n", je.text);
        return 1;
    }
    if (json) {
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        json_t *cnt = json_object_get(j, "counters");
        json_incref(cnt);
        json_object_del(j, "counters");
        print_value("", j);
        if (cnt) {
            const char *k;
            json_t *x;
            for (int pass = 0; pass < 2; pass++)
                json_object_foreach(cnt, k, x) if ((json_integer_value(x) != 0) == (pass == 0))
                    printf("counters.%-31s %lld\n", k, (long long)json_integer_value(x));
        }
        json_decref(cnt);
    }
    json_decref(j);
    return 0;
}
