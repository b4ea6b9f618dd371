#ifndef S46_PROVD_H
#define S46_PROVD_H
/* Runs the server until SIGTERM/SIGINT; argv[0] is "serve". Exit status. */
int provd_serve(int argc, char **argv);
#endif
