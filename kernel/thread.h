/*
 * thread.h — the Thread object and the blocking/waking rules every kind of
 * wait follows.
 *
 * A thread's structure and its kernel stack share one page: the structure
 * at the bottom (with the FXSAVE area of its user FPU state, so a thread
 * costs one page and no 512-byte object beside it), the stack above it
 * (about 3 KiB; the deepest kernel path uses well under 2), the user
 * register frame at the top. The canary ends the structure, between the
 * FPU area and the stack, so an overflow is caught before it reaches
 * the saved user state.
 *
 * States: INACTIVE (never started), RUNNABLE (on a run queue or running),
 * BLOCKED (waiting: wait_kind says on what), SUSPENDED, DEAD.
 *
 * Locking. obj.lock (the "thread lock") guards state, the wait fields,
 * the IPC fields and reply_to. To block on or wake from an object (an
 * endpoint, a notification, a futex bucket, a server thread for reply
 * waits) you hold that object's lock first, then the thread lock. Two
 * thread locks are taken in address order (thread_lock_pair). The run
 * queue and timer locks nest inside thread locks. A thread runs only on
 * its home CPU (t->cpu), which changes only while it is off that CPU
 * (sched.c, "Moving a thread").
 *
 * A thread is marked DEAD only under its lock while it is not BLOCKED
 * (thread_teardown aborts a wait it finds, and looks again): a wait is
 * ended only by finish_wait, which drops the wait object's reference.
 *
 * A thread about to block drops every reference it holds on its kernel
 * stack (the wait object's reference lives in the structure), so a
 * blocked thread can be destroyed without ever running again.
 */
#ifndef AERIE_THREAD_H
#define AERIE_THREAD_H

#include <aerie/utcb.h>
#include "object.h"
#include "cap.h"
#include "trap.h"
#include "percpu.h"

struct task;
struct memobj;

enum thread_state { TS_INACTIVE, TS_RUNNABLE, TS_BLOCKED, TS_SUSPENDED, TS_DEAD };

enum wait_kind {
    WAIT_NONE,
    WAIT_SEND,        /* on an endpoint's send queue (wait_obj = endpoint) */
    WAIT_RECV,        /* on an endpoint's receive queue */
    WAIT_REPLY,       /* for a reply from the server thread wait_obj */
    WAIT_REPLY_SAVED, /* for a reply through a saved reply cap (no object) */
    WAIT_NTFN,        /* on a notification */
    WAIT_FUTEX,       /* on a futex bucket (wait_lock) */
    WAIT_SLEEP,       /* only for the timer */
};

#define FAULT_WORDS 10
#define THREAD_FPU_BYTES 512           /* FXSAVE64's area */

struct thread {
    struct kobject obj;
    struct task *task;                 /* reference held */
    uint32_t trace_id;                 /* what traces call it: a count, never an address */
    struct list task_link;             /* under task->obj.lock */

    /* scheduling: state under the thread lock; the rest under the home
     * CPU's run-queue lock */
    uint8_t state;
    uint8_t prio;                      /* what the scheduler uses: base_prio, or a start boost */
    uint8_t base_prio;                 /* its own priority: INFO, SET_PRIORITY's limit */
    uint8_t wait_kind;
    bool in_rq, on_cpu, migrate, idle, fault_msg;
    bool self_held;                    /* started and not dead: it holds itself */
    bool in_syscall;                   /* inside an Aerie system call: its frame's RAX
                                        * is the number, the result not yet in it */
    bool task_held;                    /* stopped by its task's SUSPEND: the task's RESUME
                                        * restarts it (task_stop.c); under the thread lock.
                                        * BLOCKED and held: waiting for the reply to its own
                                        * call, which then leaves it SUSPENDED (finish_wait) */
    bool stop_cancelled;               /* its last wait was ended, or refused, by a SUSPEND
                                        * (not by its partner): a fault call is then made
                                        * again once it is resumed (thread_fault) */
    bool fault_pending;                /* a copy of a thread stopped in a fault call: it makes
                                        * that call (fault_label, fault_words) when it first runs */
    bool send_taken_back;              /* a SUSPEND took its SEND or CALL off the endpoint's
                                        * queue, unreceived: the system call is made again
                                        * (ipc_send, thread_clone); under the thread lock */
    uint8_t fault_nwords;              /* the fault message's length */
    uint16_t cpu;                      /* home CPU: always one its quota allows (quota.h) */
    uint16_t next_cpu;                 /* affinity to apply when it is off its CPU */
    uint32_t slice;                    /* ticks left */
    struct list rq_link;

    /* waiting */
    struct kobject *wait_obj;          /* reference held while waiting */
    spinlock_t *wait_lock;             /* futex bucket lock */
    struct vspace *futex_vs;           /* futex key while WAIT_FUTEX */
    uint64_t futex_addr;
    struct list wait_link;
    uint64_t wait_seq;                 /* bumped on every block */
    struct list timer_link;            /* under the timer lock of timer_cpu */
    int32_t timer_cpu;
    uint64_t deadline, timer_seq;

    /* IPC */
    int64_t result;                    /* what the blocked system call returns */
    uint64_t result_badge;
    uint64_t send_info, send_badge;    /* while queued as a sender */
    bool send_call, send_grant;
    uint64_t fault_label;
    uint64_t fault_words[FAULT_WORDS]; /* kernel-built fault message / reply */
    struct thread *reply_to;           /* caller waiting for our reply; reference held */
    uint64_t reply_seq;

    /* configuration */
    struct memobj *utcb_mem;           /* reference held */
    struct aerie_utcb *utcb;           /* through the direct map, or NULL */
    uint64_t utcb_off;                 /* its offset in utcb_mem */
    struct kobject *handler;           /* fault endpoint, reference held */
    uint64_t handler_badge;
    uint64_t fs_base;
    bool run_borrowed;                 /* THREAD_RUN_BORROWED: may run on a borrower's tables */
    bool fs_reload;                    /* fs_base set by another thread: load it before user code */
    bool fpu_dead;                     /* left its CPU in an Aerie call: fpu holds only the control
                                        * words, its data registers come back zeroed (sched.c) */
    int32_t loaded_cpu;                /* CPU its FPU state and FS base were last loaded on, or -1 (sched.c) */
    uint64_t faults;
    /* SET_ANSWERS: ((number + 1) << 32) | result, packed from slot 0, 0
     * after the last; one word each so a reader on another CPU never
     * sees half an answer (syscall.c) */
    uint64_t answers[AERIE_ANSWERS_MAX];
    /* accounting: only its own CPU touches these (sched.c) */
    uint64_t cpu_tsc;                  /* TSC ticks it has run in user and kernel mode */
    uint64_t ipc_calls, ipc_flushed;   /* endpoint CALLs it made; how many its quota has counted */
    uint64_t kstack_rsp;               /* saved by context_switch */
    uint8_t fpu[THREAD_FPU_BYTES] __attribute__((aligned(16)));   /* FXSAVE area */
    uint64_t canary;                   /* last: the stack's floor */
};

#define THREAD_CANARY 0xC0FFEE5AFEC0FFEEull
_Static_assert(sizeof(struct thread) <= 1088, "a thread leaves about 3 KiB of its page to the stack");

static inline struct trap_frame *thread_frame(struct thread *t)
{
    return (struct trap_frame *)((char *)t + 4096) - 1;
}

struct cspace *thread_cspace(struct thread *t);
/* The thread running on this CPU: the per-CPU block's copy of the run
 * queue's (switch_to sets it, with interrupts off, right after schedule()
 * set the queue's). Inline: a call on the IPC path is one more jump-cache
 * look-up after a CR3 write under QEMU TCG (hot.h). */
static inline struct thread *current_thread(void)
{
    return this_cpu()->current;
}

int thread_create(struct quota *q, struct invocation *inv, struct kobject **out);
/* A thread in task, inactive, with priority prio (boot task). */
struct thread *thread_new(struct quota *q, struct task *task, uint8_t prio, int *err);
int thread_set_utcb(struct thread *t, struct memobj *m, uint64_t offset);
/* A new inactive thread of task, made from q, with src's registers, FPU
 * state, FS base, priority and CPU (TASK_CLONE), and, if held, src's
 * task_held mark (the clone of a suspended task). src must be stopped
 * (inactive or suspended, or waiting for a reply under its task's
 * SUSPEND: AE_EBUSY otherwise); if it was stopped inside a system call,
 * the copy returns from it with AE_ECANCELED (a wait the SUSPEND ended, or
 * the reply src alone gets), except a SEND or CALL the SUSPEND took back
 * unreceived, which the copy makes again when it first runs. If it was stopped inside a fault
 * call, the copy takes the handler's answer if src had one (not yet
 * applied), else it makes the same fault call to its own handler when it
 * first runs, as src does again when resumed. No UTCB and no handler yet. */
struct thread *thread_clone(struct thread *src, struct quota *q, struct task *task, bool held, int *err);
int thread_invoke(struct thread *t, const struct capref *cap, uint64_t label, struct invocation *inv);
/* Task SUSPEND and RESUME (task_stop.c). thread_suspend_for_task stops t
 * as THREAD SUSPEND does (a wait ends with ECANCELED, a SEND or CALL still
 * queued is taken back, and it returns once t is off its CPU) and marks it
 * held by its task, with one difference: a thread waiting for the reply to
 * a CALL of its own (not a fault call) is left waiting, held, and a reply
 * that comes leaves it stopped until RESUME. False if t did not stay
 * stopped. thread_resume_for_task restarts t if it is still so held
 * (boosted as thread_start says), or lets a held wait for a reply go on
 * as an ordinary one. */
bool thread_suspend_for_task(struct thread *t);
void thread_resume_for_task(struct thread *t, uint8_t boost);
/* Makes an inactive or suspended thread runnable; with boost above its
 * own priority it runs at boost until it first leaves its CPU (one time
 * slice at most: sched.c). */
void thread_start(struct thread *t, uint8_t boost);

/* Locks two distinct threads in address order (inline: the IPC path
 * takes a pair at every step). */
static inline __attribute__((always_inline)) void thread_lock_pair(struct thread *a, struct thread *b)
{
    if (a < b) {
        spin_lock(&a->obj.lock);
        spin_lock(&b->obj.lock);
    } else {
        spin_lock(&b->obj.lock);
        spin_lock(&a->obj.lock);
    }
}

static inline __attribute__((always_inline)) void thread_unlock_pair(struct thread *a, struct thread *b)
{
    spin_unlock(&a->obj.lock);
    spin_unlock(&b->obj.lock);
}

/* Blocks the current thread on wait_obj (its lock held by the caller)
 * with the current thread's lock also held. Returns false if it must not
 * block (it is being stopped). Takes a reference on wait_obj. */
bool thread_block(struct thread *t, enum wait_kind kind, struct kobject *wait_obj,
                  spinlock_t *wait_lock, uint64_t timeout_ns);
/* Makes a blocked thread runnable with result; its lock and its wait
 * object's lock held, and it is already off the object's queue. */
void thread_wake(struct thread *t, int64_t result);
/* Ends whatever t is waiting for with err (timeouts, destroy, suspend);
 * seq = 0 means any wait. No locks held. */
void thread_abort_wait(struct thread *t, int64_t err, uint64_t seq);
/* Its task is being destroyed: t stops (a wait aborted, off its CPU unless
 * it is the caller) before the task's capabilities and memory are cleared,
 * so no thread runs user code against a half-cleared task; its own
 * teardown follows in the reap. No lock held. */
void thread_stop_for_task_end(struct thread *t);
/* A saved reply cap for t was deleted unused. */
void thread_reply_dropped(struct thread *t, uint64_t seq);

/* Faults and exits: build the message and call the handler. A SUSPEND
 * that ends the call (or comes before it) does not fail it: the call is
 * made again once the thread is resumed. */
void thread_fault(struct thread *t, uint64_t label, const uint64_t *words, unsigned n);
/* A new thread's first step in the kernel (thread_first_entry): the fault
 * call a copy inherited (fault_pending), if any. */
void thread_first_run(void);
/* Ends the current thread; unless quiet, its handler gets FAULT_EXIT. */
_Noreturn void thread_exit_current(uint64_t status, bool quiet);
/* Blocks the current thread and switches away; returns when woken
 * (inline: one call and return less on the IPC path, kernel/hot.h). */
void schedule(void);
static inline void thread_wait_switch(void)
{
    schedule();
}

extern const struct obj_ops thread_ops;

#endif
