/* s46: the operators' and developers' tool. Dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "lib/version.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmds[] = {
    {"calc", cmd_calc, "MAP rule calculator (forward and reverse)"},
    {"replay", cmd_replay, "run a data-plane pipeline over pcap files"},
    {"lab", cmd_lab, "the emulated access network: up | check | down | run"},
    {"show", cmd_show, "state and counters of a running s46-br / s46-ce / s46-provd"},
    {"binding", cmd_binding, "add, replace, remove the bindings of a running lwAFTR, or reload"},
    {"trace", cmd_trace, "who used an IPv4 address and port at a time (DS-Lite log, MAP-E rules)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: s46 <command> [options]   (s46 <command> --help for more)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "  %-8s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("s46 %s\n", S46_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "s46: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
