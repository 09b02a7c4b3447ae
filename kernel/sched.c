/*
 * sched.c — per-CPU run queues, the context switch around them, the idle
 * thread, and timeouts (see sched.h and the rules in thread.h).
 *
 * A runnable thread is either on its home CPU's queue or that CPU's
 * current thread. Wakers take the thread lock, set RUNNABLE, then queue
 * it under the run-queue lock unless it is still current there; schedule()
 * reads the current thread's state under the same run-queue lock, so a
 * wake-up racing with a thread that is about to block is never lost.
 *
 * Moving a thread (SET_AFFINITY). t->cpu names the queue wakers use, so
 * it changes only once t is off its old CPU for good: not current there
 * and not on_cpu (switched out, but still on its stack until
 * sched_finish_switch). Such a thread is only marked (migrate), and
 * sched_finish_switch moves it, taking it off the old queue first if a
 * wake-up queued it there meanwhile. schedule() checks that what it takes
 * from its queue is its own and on no other CPU.
 *
 * Address spaces. The idle thread touches no user memory, so a CPU that
 * goes idle keeps the last task's page tables loaded (its bit stays in
 * that vspace's cpus_active) and a thread woken there again runs without
 * a CR3 write — under emulation every CR3 write empties the software TLB.
 * Any TLB request that reaches an idle CPU drops the borrowed tables
 * (sched_tlb_flush_local), so does an idle CPU before it halts. Released
 * tables are freed by whichever of vspace_release and the last CPU to
 * leave them (vspace_left, from here) comes last, so no CPU keeps freed
 * tables and none waits for another to let go (vspace.c, "Freeing an
 * address space's tables"). An unmap's shootdown does not wait for such
 * a lazy CPU (whose vCPU the host may not even be running): it marks it
 * stale (sched_tlb_defer), and the CPU drops the tables at its next look,
 * or reloads CR3 if it switches back to them first — the two sides in
 * Dekker's pattern on rq->lazy and rq->tlb_stale.
 *
 * A lender's thread on a borrower's tables (TASK_BORROW, vspace.c "Lent
 * ranges"): switching to a thread of task P marked run_borrowed while CR3
 * holds a borrower of P keeps CR3 and loaded_vs (the borrower's: its
 * cpus_active names this CPU, and a shootdown of P's reaches it through
 * vspace_cpus). Such a thread that faults outside the lent ranges, and any
 * TLB request while it runs there (its borrower may be on its way to
 * release), load its own task's tables (sched_load_own_vspace).
 *
 * Back from a call onto its caller's tables (reply_borrower). Such a
 * thread that comes back from a call of its own (the Linux personality's
 * to fs) finds CR3 holding another task's tables; loading its own would
 * cost a CR3 write now and another when it answers the borrower's thread
 * it owes a reply (reply_to). So it loads that borrower's tables instead
 * when it may: its reference on reply_to (taken under its lock) keeps
 * that thread, its task and the vspace struct; this CPU's bit goes into
 * the borrower's cpus_active only while VS_RETIRED is not there (one
 * compare-and-swap), so tables being freed are never loaded and tables
 * loaded are freed only after this CPU leaves them (vspace_left); and
 * the lender is looked at again after the bit is in (Dekker's pattern
 * with detach_borrowers, which clears it, fences, then reads
 * cpus_active): either we see it gone and back off, or its shootdown
 * reaches us and sends us to our own tables.
 *
 * Waking an idle CPU. While the idle loop watches its queue it says so
 * (rq->polling); a waker that finds it watching only sets need_resched
 * and sends no IPI. The two sides follow Dekker's pattern (the waker
 * publishes need_resched, then reads polling; the idle loop clears
 * polling, then reads need_resched, both sequentially consistent), so
 * one of them always sees the other.
 */
#include "sched.h"
#include "thread.h"
#include "task.h"
#include "quota.h"
#include "percpu.h"
#include "pagetable.h"
#include "apic.h"
#include "trap.h"
#include "cpu.h"
#include "printk.h"
#include "kmain.h"
#include "hot.h"
#include <aerie/errors.h>

struct runqueue {
    spinlock_t lock;
    struct list queue[SCHED_PRIOS];
    uint32_t bitmap;                 /* bit p: queue[p] not empty */
    struct thread *current;
    struct thread *prev;             /* switched out, finished by sched_finish_switch */
    bool need_resched;
    spinlock_t timer_lock;
    struct list timers;              /* blocked threads with deadlines, soonest first */
    uint64_t acct_tsc;               /* when the current thread's CPU time was last counted */
    bool polling;                    /* the idle loop watches the queue: no IPI needed */
    struct vspace *loaded_vs;        /* whose tables CR3 holds; NULL: the kernel's (this CPU only) */
    struct thread *last_user;        /* whose FPU registers and FS base this CPU holds */
    bool lazy;                       /* idle with loaded_vs borrowed: nothing uses it (atomic) */
    bool tlb_stale;                  /* a shootdown skipped us while lazy: flush before reuse (atomic) */
    bool finishing;                  /* between prev's on_cpu = false and its last put (atomic) */
};

/* Each CPU's run queue sits in its per-CPU block (percpu.h: the page the
 * switch touches anyway). */
_Static_assert(sizeof(struct runqueue) <= CPU_SCHED_BYTES, "struct runqueue outgrew CPU_SCHED_BYTES");
#define rqs_of(c) ((struct runqueue *)cpus[c].sched)
static struct thread idle_threads[MAX_CPUS];

HOT_INLINE struct runqueue *this_rq(void) { return (struct runqueue *)this_cpu()->sched; }

uint64_t time_now_ns(void) { return tsc_to_ns(rdtsc()); }


void sched_init_cpu(void)
{
    unsigned c = cpu_index();
    struct runqueue *rq = rqs_of(c);
    spin_init(&rq->lock);
    spin_init(&rq->timer_lock);
    for (int p = 0; p < SCHED_PRIOS; p++)
        list_init(&rq->queue[p]);
    list_init(&rq->timers);
    struct thread *idle = &idle_threads[c];
    idle->idle = true;
    idle->state = TS_RUNNABLE;
    idle->cpu = (uint16_t)c;
    idle->on_cpu = true;
    list_init(&idle->rq_link);
    rq->current = idle;
    rq->acct_tsc = rdtsc();
    this_cpu()->current = idle;
}

/* ---- queue operations, rq->lock held ---- */

HOT_INLINE void rq_push(struct runqueue *rq, struct thread *t)
{
    list_push_back(&rq->queue[t->prio], &t->rq_link);
    rq->bitmap |= 1u << t->prio;
    t->in_rq = true;
}

HOT_INLINE void rq_remove(struct runqueue *rq, struct thread *t)
{
    list_remove(&t->rq_link);
    if (list_empty(&rq->queue[t->prio]))
        rq->bitmap &= ~(1u << t->prio);
    t->in_rq = false;
}

HOT_INLINE struct thread *rq_pop(struct runqueue *rq)
{
    if (!rq->bitmap)
        return NULL;
    int p = 31 - __builtin_clz(rq->bitmap);
    struct thread *t = list_entry(rq->queue[p].next, struct thread, rq_link);
    rq_remove(rq, t);
    return t;
}

/* Asks cpu to reschedule if t should run before what runs there now;
 * rq->lock held. Returns the CPU to send the reschedule IPI to, -1 for
 * none: the caller sends it after unlocking (ipi_resched). Under
 * emulation an IPI costs 10 µs on a quiet host and up to a millisecond on
 * a busy one (QEMU takes its global lock for it), and every CPU that
 * wants this run queue meanwhile — the target itself, to schedule —
 * would spin for that long. need_resched, set here under the lock, is
 * what the target acts on; the IPI only makes it look sooner. */
HOT_INLINE int preempt_if_better(unsigned cpu, struct runqueue *rq, struct thread *t)
{
    if (!rq->current->idle && rq->current->prio >= t->prio)
        return -1;
    if (cpu == cpu_index()) {
        rq->need_resched = true;
    } else if (!__atomic_exchange_n(&rq->need_resched, true, __ATOMIC_SEQ_CST)) {
        if (!__atomic_load_n(&rq->polling, __ATOMIC_SEQ_CST))
            return (int)cpu;
    }
    return -1;
}

HOT_INLINE void ipi_resched(int cpu)
{
    if (cpu >= 0)
        lapic_send_ipi(cpus[cpu].apic_id, VEC_RESCHEDULE);
}

HOT_INLINE void sched_enqueue_inline(struct thread *t, uint8_t boost)
{
    unsigned cpu = t->cpu;
    struct runqueue *rq = rqs_of(cpu);
    int ipi = -1;
    spin_lock(&rq->lock);
    if (!t->in_rq && rq->current != t) {
        if (boost > t->base_prio)
            t->prio = boost;                  /* schedule() ends it when t leaves its CPU */
        rq_push(rq, t);
        ipi = preempt_if_better(cpu, rq, t);
    }
    spin_unlock(&rq->lock);
    ipi_resched(ipi);
}

void sched_enqueue_boosted(struct thread *t, uint8_t boost)
{
    sched_enqueue_inline(t, boost);
}

void sched_dequeue(struct thread *t)
{
    struct runqueue *rq = rqs_of(t->cpu);
    spin_lock(&rq->lock);
    if (t->in_rq) {
        rq_remove(rq, t);
        t->prio = t->base_prio;               /* a start boost not yet used ends here: a later
                                                 resume must not inherit it (review I1) */
    }
    spin_unlock(&rq->lock);
}

void sched_set_prio(struct thread *t, uint8_t prio)
{
    struct runqueue *rq = rqs_of(t->cpu);
    int ipi = -1;
    spin_lock(&rq->lock);
    bool queued = t->in_rq;
    if (queued)
        rq_remove(rq, t);
    t->prio = t->base_prio = prio;           /* a start boost ends here too */
    if (queued) {
        rq_push(rq, t);
        ipi = preempt_if_better(t->cpu, rq, t);
    }
    spin_unlock(&rq->lock);
    ipi_resched(ipi);
}

/* t->cpu changes only while t is off every CPU: a thread that is its
 * CPU's current one, or was just switched out there and is still on its
 * stack (on_cpu until sched_finish_switch), is only marked, and
 * sched_finish_switch moves it. Changing t->cpu in that window let
 * another CPU run t on a stack its old CPU had not finished leaving. */
void sched_set_cpu(struct thread *t, unsigned cpu)
{
    struct runqueue *rq = rqs_of(t->cpu);
    spin_lock(&rq->lock);
    bool current = rq->current == t;
    if (current || __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
        t->next_cpu = (uint16_t)cpu;
        t->migrate = true;              /* moved by sched_finish_switch */
        int ipi = -1;
        if (current) {
            rq->need_resched = true;
            if (t->cpu != cpu_index())
                ipi = t->cpu;
        }
        spin_unlock(&rq->lock);
        ipi_resched(ipi);                /* after the unlock: preempt_if_better */
        return;
    }
    /* Off its CPU for good: sched_finish_switch has run for it (it
     * clears on_cpu last), so no move is pending from an earlier call. */
    bool queued = t->in_rq;
    if (queued)
        rq_remove(rq, t);
    t->migrate = false;
    t->cpu = (uint16_t)cpu;
    spin_unlock(&rq->lock);
    if (queued)
        sched_enqueue(t);
}

/* ---- accounting ---- */

/* Counts the CPU time since the last count (and the IPC calls not yet
 * counted) to t, the thread leaving or still on this CPU, and to the
 * quota it is charged to: a plain add to fields only this CPU writes,
 * one atomic add per counter to the quota. Idle time is nobody's. */
HOT_INLINE void account(struct runqueue *rq, struct thread *t)
{
    uint64_t now = rdtsc(), d = now - rq->acct_tsc;
    rq->acct_tsc = now;
    if (t->idle)
        return;
    __atomic_store_n(&t->cpu_tsc, t->cpu_tsc + d, __ATOMIC_RELAXED);
    struct quota *q = t->obj.quota;
    if (!q)
        return;
    __atomic_add_fetch(&q->cpu_tsc, d, __ATOMIC_RELAXED);
    if (t->ipc_calls != t->ipc_flushed) {
        __atomic_add_fetch(&q->ipc_calls, t->ipc_calls - t->ipc_flushed, __ATOMIC_RELAXED);
        t->ipc_flushed = t->ipc_calls;
    }
}

/* ---- switching ---- */

extern void context_switch(uint64_t *save_rsp, uint64_t load_rsp);

/* A thread leaving its CPU inside an Aerie system call keeps only its
 * FPU control words: the call's ABI leaves the x87, MMX and SSE data
 * registers undefined (docs/ABI.md, "FPU state across a call"), so they
 * are neither saved nor loaded, and the thread gets them zeroed back, never
 * another thread's. Every other leave (preemption, a fault, a foreign
 * system call, whose ABI keeps them) saves the whole state. Under TCG an
 * FXSAVE or FXRSTOR is some fifty emulated memory accesses; a server's
 * switches (the Linux personality's, fs's) then cost none. */
HOT_INLINE void fpu_save(struct thread *t)
{
    if (t->in_syscall) {
        __asm__ volatile("fnstcw (%0)\n\tstmxcsr 24(%0)" :: "r"(t->fpu) : "memory");
        t->fpu_dead = true;
    } else {
        __asm__ volatile("fxsave64 (%0)" :: "r"(t->fpu) : "memory");
        t->fpu_dead = false;
    }
}

HOT_INLINE void fpu_load(struct thread *t)
{
    if (!t->fpu_dead) {
        __asm__ volatile("fxrstor64 (%0)" :: "r"(t->fpu) : "memory");
        return;
    }
    /* Eight zeros pushed fill every x87 (and MMX) data register, FNINIT
     * marks them empty again; then the SSE registers, then the thread's
     * own control words. */
    __asm__ volatile("fninit\n\t"
                     "fldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\t"
                     "fninit\n\t"
                     "xorps %%xmm0, %%xmm0\n\txorps %%xmm1, %%xmm1\n\txorps %%xmm2, %%xmm2\n\t"
                     "xorps %%xmm3, %%xmm3\n\txorps %%xmm4, %%xmm4\n\txorps %%xmm5, %%xmm5\n\t"
                     "xorps %%xmm6, %%xmm6\n\txorps %%xmm7, %%xmm7\n\txorps %%xmm8, %%xmm8\n\t"
                     "xorps %%xmm9, %%xmm9\n\txorps %%xmm10, %%xmm10\n\txorps %%xmm11, %%xmm11\n\t"
                     "xorps %%xmm12, %%xmm12\n\txorps %%xmm13, %%xmm13\n\txorps %%xmm14, %%xmm14\n\t"
                     "xorps %%xmm15, %%xmm15\n\t"
                     "fldcw (%0)\n\tldmxcsr 24(%0)" :: "r"(t->fpu) : "memory");
}

/* Loads nvs's page tables unless CR3 holds them already (and no
 * shootdown was deferred meanwhile: stale); this CPU's bit moves from the
 * space it leaves to nvs (see "Address spaces" above). */
HOT_INLINE void switch_vspace(struct runqueue *rq, struct vspace *nvs, uint64_t bit, bool stale,
                                     bool borrowed_ok)
{
    struct vspace *old = rq->loaded_vs;
    if (old == nvs || (borrowed_ok && old && __atomic_load_n(&old->lender, __ATOMIC_ACQUIRE) == nvs)) {
        if (stale)
            write_cr3(old->root);             /* the same tables, without what they no longer map */
        return;
    }
    __atomic_or_fetch(&nvs->cpus_active, bit, __ATOMIC_SEQ_CST);
    pt_activate(nvs->root);
    rq->loaded_vs = nvs;
    if (old)
        vspace_left(old, bit);               /* may be the last on released tables */
}

/* next, a RUN_BORROWED thread, runs on the tables of the borrower whose
 * thread it owes a reply ("Back from a call onto its caller's tables"
 * above); false if it may not (switch_vspace then does as usual). */
static __attribute__((noinline)) bool reply_borrower(struct runqueue *rq, struct thread *next, uint64_t bit)
{
    struct vspace *own = &next->task->vs, *old = rq->loaded_vs, *x = NULL;
    if (old == own || (old && __atomic_load_n(&old->lender, __ATOMIC_ACQUIRE) == own))
        return false;                        /* CR3 is fine as it is */
    spin_lock(&next->obj.lock);
    /* Spinning for the lock serves TLB requests (spin_relax), and one sends
     * this CPU, whose current thread next already is, to next's own tables
     * (sched_tlb_flush_local): CR3 and our bit are then elsewhere, and the
     * old we read before would be left twice while own kept our bit for
     * good — its tables and task never freed (attack12). So look again. */
    old = rq->loaded_vs;
    if (old == own || (old && __atomic_load_n(&old->lender, __ATOMIC_ACQUIRE) == own)) {
        spin_unlock(&next->obj.lock);
        return false;
    }
    struct thread *c = next->reply_to;
    if (c && c->task && c->task != next->task &&
        __atomic_load_n(&c->task->vs.lender, __ATOMIC_ACQUIRE) == own) {
        x = &c->task->vs;
        uint64_t was = __atomic_load_n(&x->cpus_active, __ATOMIC_SEQ_CST);
        do {
            if (was & VS_RETIRED) {
                x = NULL;                    /* its tables are going: never load them */
                break;
            }
        } while (!__atomic_compare_exchange_n(&x->cpus_active, &was, was | bit, false, __ATOMIC_SEQ_CST,
                                              __ATOMIC_SEQ_CST));
    }
    spin_unlock(&next->obj.lock);
    if (!x)
        return false;
    /* The mark is looked at again too, after the bit is in: a RUN_BORROWED 0
     * stores it, then reads the borrowers' cpus_active (thread.c), so either
     * it sees us and its shootdown sends us home, or we see the mark gone
     * (switch_to read it before the bit was in: attack12). */
    if (__atomic_load_n(&x->lender, __ATOMIC_SEQ_CST) != own ||
        !__atomic_load_n(&next->run_borrowed, __ATOMIC_SEQ_CST)) {
        vspace_left(x, bit);                 /* detached or unmarked meanwhile: not ours to run on */
        return false;
    }
    pt_activate(x->root);
    rq->loaded_vs = x;
    if (old)
        vspace_left(old, bit);               /* may be the last on released tables */
    return true;
}

/* The idle thread gives back the tables it kept loaded: CR3 gets the
 * kernel's, and this CPU leaves their cpus_active. */
static void idle_drop_vspace(struct runqueue *rq, unsigned cpu)
{
    struct vspace *vs = rq->loaded_vs;
    __atomic_store_n(&rq->lazy, false, __ATOMIC_SEQ_CST);
    pt_activate(pt_kernel_root());
    rq->loaded_vs = NULL;
    __atomic_store_n(&rq->tlb_stale, false, __ATOMIC_SEQ_CST);   /* the CR3 write flushed */
    vspace_left(vs, 1ull << cpu);            /* after this, vs may be freed: not touched again */
}

bool sched_tlb_defer(unsigned cpu)
{
    struct runqueue *rq = rqs_of(cpu);
    __atomic_store_n(&rq->tlb_stale, true, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&rq->lazy, __ATOMIC_SEQ_CST);
}

void sched_tlb_flush_local(void)
{
    struct cpu *c = this_cpu();
    struct runqueue *rq = rqs_of(c->index);
    struct thread *cur = c->current;
    if (rq->loaded_vs && cur && cur->idle)
        idle_drop_vspace(rq, c->index);
    else if (rq->loaded_vs && cur && cur->task && rq->loaded_vs != &cur->task->vs)
        switch_vspace(rq, &cur->task->vs, 1ull << c->index, false, false);   /* off a borrower's */
    else
        write_cr3(read_cr3());
}

struct vspace *sched_loaded_vspace(void)
{
    return this_rq()->loaded_vs;
}

void sched_load_own_vspace(struct thread *t)
{
    struct runqueue *rq = this_rq();
    switch_vspace(rq, &t->task->vs, 1ull << cpu_index(), false, false);
}

HOT_INLINE void finish_switch_inline(void);

HOT_INLINE void switch_to(struct runqueue *rq, struct thread *prev, struct thread *next)
{
    struct cpu *c = this_cpu();
    c->current = next;
    account(rq, prev);
    if (__builtin_expect(!prev->idle, 1))
        fpu_save(prev);
    if (__builtin_expect(next->idle, 0)) {
        if (rq->loaded_vs)
            __atomic_store_n(&rq->lazy, true, __ATOMIC_SEQ_CST);
    } else {
        /* Leaving lazy: say so first, then look for a deferred shootdown
         * (the other half of sched_tlb_defer's Dekker pair). */
        bool stale = false;
        if (__builtin_expect(prev->idle, 0)) {
            __atomic_store_n(&rq->lazy, false, __ATOMIC_SEQ_CST);
            stale = __atomic_exchange_n(&rq->tlb_stale, false, __ATOMIC_SEQ_CST);
        }
        if (__builtin_expect(!next->run_borrowed, 1) || !reply_borrower(rq, next, 1ull << c->index))
            switch_vspace(rq, &next->task->vs, 1ull << c->index, stale, next->run_borrowed);
        /* Back after only the idle thread ran here (it and the kernel use
         * no FPU and leave FS alone): the registers are still next's.
         * loaded_cpu tells a thread made at a freed one's address apart. */
        if (rq->last_user != next || next->loaded_cpu != (int32_t)c->index) {
            fpu_load(next);
            wrmsr(MSR_FS_BASE, next->fs_base);
            rq->last_user = next;
            next->loaded_cpu = (int32_t)c->index;
        }
        c->kernel_rsp = (uint64_t)next + 4096;
        c->tss.rsp[0] = c->kernel_rsp;
        if (__builtin_expect(next->canary != THREAD_CANARY, 0))
            panic("thread %p: kernel stack overflow (canary %lx)", (void *)next, next->canary);
    }
    rq->prev = prev;
    context_switch(&prev->kstack_rsp, next->kstack_rsp);
    finish_switch_inline();
}

HOT_INLINE void finish_switch_inline(void)
{
    struct runqueue *rq = this_rq();
    struct thread *prev = rq->prev;
    rq->prev = NULL;
    if (__builtin_expect(!prev || prev->idle, 0))
        return;
    /* Whoever sees prev off its CPU may have ended it, and then the put
     * below frees it: sched_settled lets the debug statistics wait. */
    __atomic_store_n(&rq->finishing, true, __ATOMIC_RELAXED);
    if (__atomic_load_n(&prev->migrate, __ATOMIC_ACQUIRE)) {
        spin_lock(&prev->obj.lock);
        /* Woken or resumed since schedule() let go of it, it was queued
         * here again (wakers queue on t->cpu, and this is still it): it
         * leaves this queue before its CPU changes, or it would stay
         * here under another CPU's number, and both CPUs could run it
         * at once on its one kernel stack (the run queues, its state and
         * its reference count then go wrong: tests/kernel/t_migrate.c). */
        spin_lock(&rq->lock);
        if (prev->in_rq)
            rq_remove(rq, prev);
        prev->migrate = false;
        prev->cpu = prev->next_cpu;
        spin_unlock(&rq->lock);
        __atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
        if (prev->state == TS_RUNNABLE)
            sched_enqueue(prev);
        spin_unlock(&prev->obj.lock);
    } else {
        __atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
        /* A SET_AFFINITY that saw us still on_cpu may have marked us
         * just now, after the look above: it then left t->cpu alone and
         * the move happens the next time prev leaves this CPU. */
    }
    obj_put(&prev->obj);                      /* the running reference */
    __atomic_store_n(&rq->finishing, false, __ATOMIC_RELEASE);
}

/* A new thread's first switch ends here (thread_first_entry). */
void sched_finish_switch(void)
{
    finish_switch_inline();
}

bool sched_settled(void)
{
    for (unsigned c = 0; c < ncpus; c++)
        if (c != cpu_index() && __atomic_load_n(&rqs_of(c)->finishing, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

/* The IPC path's own copy is schedule_inline: a thread blocking in a call
 * or a receive switches without a call or return (kernel/hot.h). */
HOT_INLINE void schedule_inline(void)
{
    struct runqueue *rq = this_rq();
    struct thread *prev = rq->current;
    spin_lock(&rq->lock);
    rq->need_resched = false;
    prev->prio = prev->base_prio;             /* a start boost lasts until it leaves the CPU */
    if (!prev->idle && prev->state == TS_RUNNABLE && !prev->in_rq && !prev->migrate)
        rq_push(rq, prev);
    struct thread *next = rq_pop(rq);
    if (!next)
        next = &idle_threads[cpu_index()];
    if (!next->idle)
        next->slice = SCHED_SLICE;
    if (next == prev) {
        spin_unlock(&rq->lock);
        return;
    }
    if (!next->idle) {
        /* Only this CPU's threads are on its queue, and none still on
         * another CPU's stack: either would be two CPUs on one stack. */
        if (__builtin_expect(next->cpu != cpu_index() || next->on_cpu, 0))
            panic("schedule: thread %p on cpu %u's queue has cpu %u, on_cpu %u", (void *)next, cpu_index(),
                  next->cpu, next->on_cpu);
        obj_get(&next->obj);                  /* the running reference */
    }
    next->on_cpu = true;
    rq->current = next;
    spin_unlock(&rq->lock);
    switch_to(rq, prev, next);
}

void schedule(void)
{
    schedule_inline();
}

bool sched_cpu_polling(unsigned cpu)
{
    return __atomic_load_n(&rqs_of(cpu)->polling, __ATOMIC_SEQ_CST);
}

HOT_INLINE bool need_resched_inline(void)
{
    struct runqueue *rq = this_rq();
    struct thread *cur = rq->current;
    return rq->need_resched || cur->state != TS_RUNNABLE || cur->migrate;
}

bool sched_need_resched(void)
{
    return need_resched_inline();
}

void sched_yield(void)
{
    this_rq()->need_resched = true;
    schedule();
}

void sched_kick(struct thread *t)
{
    unsigned cpu = t->cpu;
    struct runqueue *rq = rqs_of(cpu);
    int ipi = -1;
    spin_lock(&rq->lock);
    if (rq->current == t) {
        rq->need_resched = true;
        if (cpu != cpu_index())
            ipi = (int)cpu;
    }
    spin_unlock(&rq->lock);
    ipi_resched(ipi);                        /* after the unlock: preempt_if_better */
}

bool sched_wait_off_cpu(struct thread *t, uint8_t state)
{
    struct thread *me = current_thread();
    if (t == me)
        return false;
    while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
        if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != state)
            return false;
        if (!me->idle && (__atomic_load_n(&me->state, __ATOMIC_ACQUIRE) != TS_RUNNABLE ||
                          __atomic_load_n(&me->obj.dead, __ATOMIC_ACQUIRE)))
            return false;
        spin_relax();
    }
    return true;
}

/* How long an idle CPU watches its queue before it halts: work handed
 * over by another CPU right after (an IPC reply, say) is then picked up
 * without waiting for the halted CPU to wake. */
#define IDLE_POLL_NS 50000

static bool work_waiting(struct runqueue *rq)
{
    return __atomic_load_n(&rq->bitmap, __ATOMIC_SEQ_CST) ||
           __atomic_load_n(&rq->need_resched, __ATOMIC_SEQ_CST);
}

_Noreturn void sched_idle_loop(void)
{
    struct runqueue *rq = this_rq();
    for (;;) {
        obj_reap();
        uint64_t until = time_now_ns() + IDLE_POLL_NS;
        __atomic_store_n(&rq->polling, true, __ATOMIC_SEQ_CST);
        while (!work_waiting(rq) && time_now_ns() < until) {
            if (rq->loaded_vs && __atomic_load_n(&rq->tlb_stale, __ATOMIC_SEQ_CST)) {
                idle_drop_vspace(rq, cpu_index());   /* unmapped under us: give them back */
                vspace_free_retired();               /* and free them if they were released */
            }
            tlb_service();                   /* a shooter spins for us meanwhile (review I2) */
            spin_relax();
        }
        __atomic_store_n(&rq->polling, false, __ATOMIC_SEQ_CST);
        tlb_service();                       /* a request sent without an IPI while we watched */
        if (work_waiting(rq)) {
            schedule();
        } else {
            /* A halted CPU keeps no task's tables: a shootdown for them
             * would otherwise have to wake it and wait. */
            if (rq->loaded_vs)
                idle_drop_vspace(rq, cpu_index());
            vspace_free_retired();           /* nothing waits on a halted CPU */
            __asm__ volatile("sti; hlt; cli" ::: "memory");
        }
    }
}

/* ---- timeouts ---- */

void timer_arm(struct thread *t, uint64_t deadline)
{
    struct runqueue *rq = this_rq();
    spin_lock(&rq->timer_lock);
    t->deadline = deadline;
    t->timer_seq = t->wait_seq;
    t->timer_cpu = (int32_t)cpu_index();
    struct list *pos = &rq->timers;
    list_for_each(n, &rq->timers) {
        if (list_entry(n, struct thread, timer_link)->deadline > deadline)
            break;
        pos = n;
    }
    list_insert_after(pos, &t->timer_link);
    spin_unlock(&rq->timer_lock);
}

void timer_disarm(struct thread *t)
{
    int32_t c = __atomic_load_n(&t->timer_cpu, __ATOMIC_ACQUIRE);
    if (c < 0)
        return;
    spin_lock(&rqs_of(c)->timer_lock);
    if (t->timer_cpu == c) {
        list_remove(&t->timer_link);
        t->timer_cpu = -1;
    }
    spin_unlock(&rqs_of(c)->timer_lock);
}

/* The IPC path's: most waits it ends had no timer. */
HOT_INLINE void timer_disarm_inline(struct thread *t)
{
    if (__atomic_load_n(&t->timer_cpu, __ATOMIC_ACQUIRE) >= 0)
        timer_disarm(t);
}

#define EXPIRE_BATCH 16

static void expire_timers(struct runqueue *rq)
{
    struct thread *due[EXPIRE_BATCH];
    uint64_t seq[EXPIRE_BATCH];
    int n = 0;
    uint64_t now = time_now_ns();
    spin_lock(&rq->timer_lock);
    while (n < EXPIRE_BATCH && !list_empty(&rq->timers)) {
        struct thread *t = list_entry(rq->timers.next, struct thread, timer_link);
        if (t->deadline > now)
            break;
        list_remove(&t->timer_link);
        t->timer_cpu = -1;
        obj_get(&t->obj);
        seq[n] = t->timer_seq;
        due[n++] = t;
    }
    spin_unlock(&rq->timer_lock);
    for (int i = 0; i < n; i++) {
        thread_abort_wait(due[i], AE_ETIMEOUT, seq[i]);
        obj_put(&due[i]->obj);
    }
}

void sched_tick(void)
{
    struct runqueue *rq = this_rq();
    struct thread *cur = rq->current;
    account(rq, cur);                         /* a thread that runs on is counted every tick */
    if (!cur->idle && cur->slice && --cur->slice == 0)
        rq->need_resched = true;
    if (!list_empty(&rq->timers))
        expire_timers(rq);
}

static void resched_ipi(struct trap_frame *tf, unsigned vec)
{
    lapic_eoi();
    this_rq()->need_resched = true;
}

void sched_init(void);
void sched_init(void)
{
    trap_set_handler(VEC_RESCHEDULE, resched_ipi);
}
