/* Subcommands of the `s46` tool. Each returns the process exit status:
 * 0 success, 1 a valid question with a negative answer, 2 bad input. */
#ifndef S46_CMDS_H
#define S46_CMDS_H
int cmd_calc(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_binding(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_trace(int argc, char **argv);
#endif
