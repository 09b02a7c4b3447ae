/*
 * task.h — the Task object: an address space plus a capability space, and
 * the threads that run in it. A new task holds nothing: no capabilities,
 * no mappings but the kernel info page.
 *
 * Locking: obj.lock guards the thread list.
 */
#ifndef AERIE_TASK_H
#define AERIE_TASK_H

#include "object.h"
#include "cap.h"
#include "vspace.h"

/* Task SUSPEND's progress (task_stop.c), under obj.lock. */
enum task_stop { TASK_RUNS, TASK_STOPPING, TASK_STOPPED };

struct task {
    struct kobject obj;
    struct cspace cspace;
    struct vspace vs;
    struct list threads;
    uint32_t nthreads;
    uint8_t stop;                      /* enum task_stop: SUSPEND, RESUME, CLONE_ALL_THREADS */
    uint64_t uid;                      /* a number no other task has had */
    uint64_t stopper;                  /* stopped: the uid of the task whose SUSPEND (or
                                        * CLONE_ALL_THREADS) did it, the only one that may
                                        * RESUME it (task_stop.c); under obj.lock */
};

int task_create(struct quota *q, struct invocation *inv, struct kobject **out);
struct task *task_new(struct quota *q, int *err);
/* TASK_CLONE on t (task_clone.c). */
int task_clone(struct task *t, struct invocation *inv);
/* SUSPEND and RESUME on t (task_stop.c). */
int task_suspend(struct task *t, struct invocation *inv);
int task_resume(struct task *t, struct invocation *inv);
int task_invoke(struct task *t, const struct capref *cap, uint64_t label, struct invocation *inv);

extern const struct obj_ops task_ops;

#endif
