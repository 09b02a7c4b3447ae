/*
 * task_stop.c — Task SUSPEND and RESUME: every thread of a task stopped
 * at a safe point, and restarted, as one. What `aerie fork` needs to copy
 * a container with several threads consistently (docs/FORK.md): no thread
 * of it runs while the kernel copies its memory and its threads
 * (TASK_CLONE with AERIE_CLONE_ALL_THREADS).
 *
 * Each thread is stopped as THREAD SUSPEND stops one — a wait in progress
 * ends with ECANCELED, a SEND or CALL still queued is taken back and made
 * again on RESUME, and the call returns only once the thread is off its
 * CPU, so its registers are all in its frame — and marked as held by its
 * task (thread.h: task_held). A thread waiting for the reply to a CALL a
 * service already received is the exception: it stays in that wait, held,
 * so the reply still reaches it; one that comes before RESUME leaves it
 * stopped with the reply in hand (docs/FORK.md, "A fork during a call").
 * RESUME restarts the marked ones and no other (and lets a wait for a
 * reply go on as an ordinary one): a thread that was inactive, or stopped
 * by its fault handler or a debugger, stays so. A thread another thread of the task starts while
 * the task is being stopped is caught too: the starter is stopped only
 * once its system call is over, and the walk goes on until it finds no
 * thread running.
 */
#include "task.h"
#include "thread.h"
#include <aerie/errors.h>

/* A thread of t that runs or waits, with a reference, or NULL; not one
 * this SUSPEND holds already in its wait for a reply. The state is read
 * without the thread's lock: a hint, which thread_suspend_for_task
 * settles under it. */
static struct thread *running_thread(struct task *t)
{
    struct thread *th = NULL;
    spin_lock(&t->obj.lock);
    list_for_each(n, &t->threads) {
        struct thread *x = list_entry(n, struct thread, task_link);
        uint8_t st = __atomic_load_n(&x->state, __ATOMIC_RELAXED);
        if ((st == TS_RUNNABLE || st == TS_BLOCKED) && !__atomic_load_n(&x->task_held, __ATOMIC_RELAXED)) {
            th = x;
            obj_get(&th->obj);
            break;
        }
    }
    spin_unlock(&t->obj.lock);
    return th;
}

/* A thread of t its SUSPEND holds, with a reference, or NULL. */
static struct thread *held_thread(struct task *t)
{
    struct thread *th = NULL;
    spin_lock(&t->obj.lock);
    list_for_each(n, &t->threads) {
        struct thread *x = list_entry(n, struct thread, task_link);
        if (__atomic_load_n(&x->task_held, __ATOMIC_RELAXED)) {
            th = x;
            obj_get(&th->obj);
            break;
        }
    }
    spin_unlock(&t->obj.lock);
    return th;
}

/* Restarts every thread t's SUSPEND holds (boosted to boost, as Thread
 * RESUME's AERIE_RESUME_BOOST does, if that is above its own priority);
 * each restart clears a mark, and no new one is made while t is
 * TASK_STOPPING, so this ends. */
static void restart_held(struct task *t, uint8_t boost)
{
    struct thread *th;
    while ((th = held_thread(t))) {
        thread_resume_for_task(th, boost);
        spin_lock(&th->obj.lock);
        th->task_held = false;           /* started elsewhere, or dead: no mark left */
        spin_unlock(&th->obj.lock);
        obj_put(&th->obj);
    }
}

static void set_stop(struct task *t, uint8_t v, uint64_t stopper)
{
    spin_lock(&t->obj.lock);
    t->stop = v;
    t->stopper = stopper;
    spin_unlock(&t->obj.lock);
}

/* Moves t from state from to TASK_STOPPING; false if it was not in from. */
static bool begin(struct task *t, uint8_t from)
{
    spin_lock(&t->obj.lock);
    bool ok = t->stop == from;
    if (ok)
        t->stop = TASK_STOPPING;
    spin_unlock(&t->obj.lock);
    return ok;
}

/* SUSPEND: (). EINVAL on the caller's own task (its RESUME would have to
 * come from outside; THREAD SUSPEND stops one's own thread), EBUSY if t
 * is already suspended or being suspended or resumed, or if threads keep
 * being restarted from outside under the walk (then nothing stays
 * stopped), ECANCELED if the caller is stopped itself meanwhile. */
int task_suspend(struct task *t, struct invocation *inv)
{
    struct thread *me = inv->caller;
    if (t == me->task)
        return inv_fail(inv, ~0u, AE_EINVAL);
    if (!begin(t, TASK_RUNS))
        return inv_fail(inv, ~0u, AE_EBUSY);
    int err = 0;
    unsigned rounds = 0;
    struct thread *th;
    while (!err && (th = running_thread(t))) {
        /* Each round stops one thread; a task's threads starting others
         * can only add as many as they are, so a walk far longer than
         * that means someone outside restarts them. */
        if (++rounds > 4 * __atomic_load_n(&t->nthreads, __ATOMIC_RELAXED) + 64)
            err = AE_EBUSY;
        else
            thread_suspend_for_task(th);
        obj_put(&th->obj);
        /* Waiting for a thread to leave its CPU gives up when we are
         * being stopped ourselves: then so does the walk. */
        if (!err && (__atomic_load_n(&me->state, __ATOMIC_ACQUIRE) != TS_RUNNABLE ||
                     __atomic_load_n(&me->obj.dead, __ATOMIC_ACQUIRE)))
            err = AE_ECANCELED;
    }
    if (err) {
        restart_held(t, 0);              /* nothing half done */
        set_stop(t, TASK_RUNS, 0);
        return inv_fail(inv, ~0u, err);
    }
    set_stop(t, TASK_STOPPED, me->task->uid);
    return 0;
}

/* RESUME: ([flags]): AERIE_RESUME_BOOST as for Thread RESUME (each
 * thread restarted runs at the caller's priority until it first leaves
 * its CPU); other flags EINVAL. EBUSY unless t is suspended; EPERM unless
 * the caller's task is the one whose SUSPEND stopped it (or whose
 * CLONE_ALL_THREADS made it stopped): a container's second task holding
 * its first task's capability restarted it in the middle of cm's fork,
 * so it ran while TASK_CLONE copied it (attack8). */
int task_resume(struct task *t, struct invocation *inv)
{
    uint64_t flags = inv->nargs ? inv->args[0] : 0;
    if (flags & ~(uint64_t)AERIE_RESUME_BOOST)
        return inv_fail(inv, 0, AE_EINVAL);
    spin_lock(&t->obj.lock);
    bool stopped = t->stop == TASK_STOPPED, mine = t->stopper == inv->caller->task->uid;
    if (stopped && mine)
        t->stop = TASK_STOPPING;
    spin_unlock(&t->obj.lock);
    if (!stopped)
        return inv_fail(inv, ~0u, AE_EBUSY);
    if (!mine)
        return inv_fail(inv, ~0u, AE_EPERM);
    restart_held(t, (flags & AERIE_RESUME_BOOST) ? inv->caller->base_prio : 0);
    set_stop(t, TASK_RUNS, 0);
    return 0;
}
