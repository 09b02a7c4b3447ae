/*
 * selfend.c — a container that ends itself without a proper exit, each
 * way the kernel allows (argv[1]): destroying its own quota, task or
 * thread, clearing its fault handler and then faulting, or a quiet exit
 * of its last thread. None of these sends cm an exit message; cm must
 * hear of the end all the same (its quota watch), or `aerie run` and
 * every wait on it would hang.
 */
#include <stdint.h>
#include <string.h>
#include <aerie/objects.h>
#include <aerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    if (!strcmp(how, "quota"))
        ae_invoke0(ae_self.quota, AERIE_QUOTA_DESTROY);
    else if (!strcmp(how, "task"))
        ae_invoke0(ae_self.task, AERIE_TASK_DESTROY);
    else if (!strcmp(how, "thread"))
        ae_invoke0(ae_self.thread, AERIE_THREAD_DESTROY);
    else if (!strcmp(how, "nohandler")) {
        ae_invokev(ae_self.thread, AERIE_THREAD_SET_HANDLER, 0);
        volatile int *p = (volatile int *)(uintptr_t)argc;   /* 0x2: not mapped */
        *p = 1;
    } else if (!strcmp(how, "quiet")) {
        ae_syscall(AERIE_SYS_EXIT, 5, AERIE_EXIT_QUIET, 0, 0, 0, 0);
    }
    return 99;                               /* none of the above worked */
}
