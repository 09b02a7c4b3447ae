/*
 * abort.c — C11 7.22.4.1 abort and _Exit, POSIX _exit. There are no
 * signals, so abort ends the program at once with the status a shell
 * shows for SIGABRT (128 + 6), without flushing streams or running
 * atexit functions (C leaves flushing to the implementation).
 */
#include <stdlib.h>
#include <unistd.h>
#include "sys.h"

#define ABORT_STATUS 134

_Noreturn void abort(void)
{
    __sys_exit(ABORT_STATUS);
}

/* No atexit functions and no stdio, but what write() took is written
 * (libaerie's write-behind queue), as it is on Linux. */
_Noreturn void _Exit(int status)
{
    __sys_fs_flush();
    __sys_exit(status);
}

_Noreturn void _exit(int status)
{
    __sys_fs_flush();
    __sys_exit(status);
}
