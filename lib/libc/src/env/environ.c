/* environ.c — the environment (POSIX environ), set by __libc_start. */
#include <stddef.h>
#include <unistd.h>

static char *empty_environ[1];
char **environ = empty_environ;
