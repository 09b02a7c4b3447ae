/*
 * usermode.c — what happens when user code traps: exceptions become fault
 * messages to the thread's handler, and every return to user mode after
 * an interrupt goes through the same checks as a system call's.
 */
#include "arch_hooks.h"
#include "trap.h"
#include "thread.h"
#include "syscall.h"
#include "sched.h"
#include "cpu.h"
#include "task.h"
#include "vspace.h"
#include <aerie/errors.h>
#include <aerie/fault.h>

void arch_user_exception(struct trap_frame *tf)
{
    struct thread *t = current_thread();
    uint64_t w[4] = { tf->vector, tf->error, tf->rip, tf->rsp };
    uint64_t label = AERIE_FAULT_EXCEPTION;
    if (tf->vector == VEC_PAGE_FAULT) {
        w[0] = read_cr2();
        label = AERIE_FAULT_PAGE;
        /* Borrowed tables (TASK_BORROW): a lender's thread running on a
         * borrower's that strays out of the lent ranges gets its own
         * tables and tries again, and a top-level entry the lender made
         * since the borrow is copied in: neither is the program's fault. */
        struct vspace *own = &t->task->vs, *loaded = sched_loaded_vspace();
        if (loaded != own && !vspace_lent(w[0])) {
            sched_load_own_vspace(t);
            return_to_user_checks(t);
            return;
        }
        if (__atomic_load_n(&loaded->lender, __ATOMIC_ACQUIRE) && vspace_lend_sync(loaded, w[0])) {
            return_to_user_checks(t);
            return;
        }
        /* A first touch of a lazy Memory page is not the program's fault:
         * give it its page and run on. If the quota has no room, the
         * handler hears of it as a page fault marked AERIE_PF_NOMEM. */
        bool present = tf->error & AERIE_PF_PRESENT, write = tf->error & AERIE_PF_WRITE;
        if (!present || write) {
            /* ...and neither is a write to a page it shares copy-on-write
             * with a clone (TASK_CLONE): it gets its own copy. */
            int err = present ? vspace_cow_fault(&t->task->vs, w[0]) : vspace_touch(&t->task->vs, w[0], write);
            if (err == 0) {
                return_to_user_checks(t);
                return;
            }
            if (err != AE_EFAULT)
                w[1] |= AERIE_PF_NOMEM;
        }
    }
    thread_fault(t, label, w, 4);
    return_to_user_checks(t);
}

void arch_return_to_user_hook(struct trap_frame *tf)
{
    return_to_user_checks(current_thread());
}
