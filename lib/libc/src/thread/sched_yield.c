/* sched_yield.c — POSIX sched_yield. */
#include <sched.h>
#include "sys.h"

int sched_yield(void)
{
    __sys_yield();
    return 0;
}
