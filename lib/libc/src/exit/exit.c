/*
 * exit.c — C11 7.22.4.4 exit: functions registered with atexit in reverse
 * order, then destructors (.fini_array, also reversed), then every open
 * stream flushed, and the file writes libaerie still queues (write-behind);
 * then the program ends with status.
 */
#include <stdlib.h>
#include "libc.h"
#include "sys.h"

typedef void (*fini_fn)(void);
extern fini_fn __fini_array_start[] __attribute__((weak, visibility("hidden")));
extern fini_fn __fini_array_end[] __attribute__((weak, visibility("hidden")));

static void run_finis(void)
{
    if (!__fini_array_start)
        return;
    for (fini_fn *f = __fini_array_end; f-- > __fini_array_start;)
        (*f)();
}

_Noreturn void exit(int status)
{
    __run_atexit();
    run_finis();
    __stdio_exit();
    __sys_fs_flush();
    __sys_exit(status);
}
