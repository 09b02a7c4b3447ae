/* errno.c — the thread-local errno (C11 7.5p2: thread storage duration). */
#include <errno.h>

__thread int errno;
