/*
 * sched.h — per-CPU scheduling: run queues with 32 priorities and
 * round-robin time slices, the idle thread, timeouts, and cross-CPU
 * wake-ups by IPI. Nothing here is shared by all CPUs.
 */
#ifndef AERIE_SCHED_H
#define AERIE_SCHED_H

#include <stdint.h>
#include <stdbool.h>

struct thread;
struct vspace;

#define SCHED_PRIOS   32
#define SCHED_SLICE   10          /* ticks */

void sched_init_cpu(void);                 /* this CPU's run queue and idle thread */
_Noreturn void sched_idle_loop(void);
void schedule(void);
/* Puts a runnable thread on its home CPU's queue (its lock held); with
 * boost above its own priority it runs at boost until it first leaves its
 * CPU, one time slice at most (THREAD RESUME's AERIE_RESUME_BOOST). */
/* how: 0, or why it became runnable, for a thread whose mask lets it
 * move (SET_AFFINITY's): SCHED_NEW (started: the least loaded CPU of its
 * mask), SCHED_WOKEN (its wait ended: an idle CPU if its own runs
 * another; it goes to the head of its queue with what is left of its
 * slice), SCHED_REPLIED (woken by the reply to its call: also to the
 * replier's CPU when nothing waits there). sched.c, "Placing a thread"
 * and "Waking up". */
#define SCHED_NEW     1
#define SCHED_WOKEN   2
#define SCHED_REPLIED 3                 /* woken by the reply to its call */
void sched_enqueue_how(struct thread *t, uint8_t boost, unsigned how);
static inline void sched_enqueue_boosted(struct thread *t, uint8_t boost)
{
    sched_enqueue_how(t, boost, 0);
}
static inline void sched_enqueue(struct thread *t)
{
    sched_enqueue_how(t, 0, 0);
}
/* Takes a runnable, queued thread off its queue (its lock held). */
void sched_dequeue(struct thread *t);
/* Sets t's priority (its lock held), ending a start boost. */
void sched_set_prio(struct thread *t, uint8_t prio);
/* Moves t to cpu (its lock held). */
void sched_set_cpu(struct thread *t, unsigned cpu);
void sched_tick(void);
bool sched_need_resched(void);
void sched_yield(void);
/* Runs after every context switch, on the new thread's stack. */
void sched_finish_switch(void);
/* Makes t's CPU reschedule if t runs there now (it was stopped). */
void sched_kick(struct thread *t);
/* Waits (servicing requests) until t, stopped in state (TS_SUSPENDED,
 * TS_DEAD), is on no CPU; true then. Gives up and returns false if t
 * leaves that state meanwhile (resumed: it will not leave its CPU), or if
 * the current thread is itself stopped (two threads stopping each other
 * on two CPUs must not wait for each other forever). No locks held. */
bool sched_wait_off_cpu(struct thread *t, uint8_t state);
/* False while another CPU is between letting a thread off it and dropping
 * its running reference (which may free the thread, its task and their
 * memory): for the debug statistics (vspace_settle). */
bool sched_settled(void);

/* True while cpu's idle loop watches its queue and TLB requests: a
 * request or a wake-up made visible before this returns true needs no IPI
 * (sched.c, "Waking an idle CPU"). */
bool sched_cpu_polling(unsigned cpu);
/* For a shootdown of an unmap: marks cpu's TLB stale and returns true if
 * cpu is idle holding borrowed tables, which it flushes before it uses
 * them again (no need to wait for it); false: ask it and wait. The end
 * of an address space uses the mark alone: an idle CPU drops stale
 * tables at its next look (vspace.c). */
bool sched_tlb_defer(unsigned cpu);
/* Empties this CPU's TLB for a shootdown: an idle CPU gives back the
 * page tables it kept loaded (sched.c, "Address spaces"), any other
 * reloads CR3. */
void sched_tlb_flush_local(void);

/* Timeouts: arm/disarm with the thread lock held. */
void timer_arm(struct thread *t, uint64_t deadline_ns);
void timer_disarm(struct thread *t);
uint64_t time_now_ns(void);

/* Whose tables this CPU holds: for a thread running here, its task's or
 * a borrower's (TASK_BORROW); the second loads t's own (sched.c). */
struct vspace *sched_loaded_vspace(void);
void sched_load_own_vspace(struct thread *t);

#endif
