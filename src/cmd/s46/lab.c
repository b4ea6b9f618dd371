/* s46 lab: the emulated access network (lab/lab.sh) — namespaces, the real
 * daemons, and a scenario that checks them. The script is found next to the
 * build (../../lab/lab.sh from the binary) or at $S46_LAB. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"

int cmd_lab(int argc, char **argv)
{
    char exe[PATH_MAX], script[PATH_MAX + 32], bindir[PATH_MAX];
    const char *s = getenv("S46_LAB");
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "s46 lab: cannot find myself\n");
        return 2;
    }
    exe[n] = '\0';
    snprintf(bindir, sizeof bindir, "%s", exe);
    char *slash = strrchr(bindir, '/');
    if (slash)
        *slash = '\0';
    if (!s) {
        snprintf(script, sizeof script, "%s/../../lab/lab.sh", bindir);
        s = script;
    }
    if (access(s, R_OK) != 0) {
        fprintf(stderr, "s46 lab: %s not found (set S46_LAB)\n", s);
        return 2;
    }
    if (!getenv("S46_BIN"))
        setenv("S46_BIN", bindir, 1);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return 2;
    args[0] = "bash";
    args[1] = (char *)s;
    for (int i = 1; i < argc; i++)
        args[i + 1] = argv[i];
    execvp("bash", args);
    perror("s46 lab: bash");
    free(args);
    return 2;
}
