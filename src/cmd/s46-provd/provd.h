#ifndef S46_PROVD_H
#define S46_PROVD_H
/* Runs the server until SIGTERM/SIGINT; argv[0] is "serve". Exit status. */
int provd_serve(int argc, char **argv);
/* Admin subcommands on --db FILE; argv[0] is "profile", "user", "token",
 * "import" or "log". Exit status 0 ok, 1 not found, 2 bad input. */
int provd_admin(int argc, char **argv);
#endif
