/*
 * libaerie/spawn.h — starting a program in a new task: the ELF loader
 * used by the boot task and the container manager.
 *
 * Read-only segments are mapped straight from the Memory object holding
 * the image, so every task running a program shares its text; writable
 * segments and the stack are private Memory charged to the child's quota.
 * The child's capability space is filled with exactly the grants listed,
 * in slots 1..n, and described to it by name (aerie/capenv.h).
 */
#ifndef LIBAERIE_SPAWN_H
#define LIBAERIE_SPAWN_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* Names a spawn gives the child's own objects, if asked for. */
#define AE_GRANT_SELF_TASK   "self.task"
#define AE_GRANT_SELF_THREAD "self.thread"
#define AE_GRANT_SELF_QUOTA  "self.quota"

struct ae_grant {
    const char *name;
    uint64_t slot;            /* in the caller's space; 0 with a self.* name */
    uint64_t rights;          /* mask */
    uint64_t badge;           /* 0: keep */
};

struct ae_spawn_args {
    uint64_t quota;           /* the child's quota (caller's slot); everything is charged to it */
    const void *image;        /* the ELF file as mapped in the caller */
    uint64_t image_len;
    uint64_t image_mem;       /* Memory cap holding the file (0: copy every segment) */
    uint64_t image_off;       /* page-aligned offset of the file in image_mem */
    const char *const *argv;  /* NULL-terminated */
    const char *const *envp;
    const struct ae_grant *grants;
    unsigned ngrants;
    uint64_t stack_bytes;     /* 0: 64 KiB */
    uint64_t fault_ep;        /* endpoint for faults and exit (caller's slot), 0: none */
    int cpu;                  /* -1: the caller's */
    unsigned prio;            /* 0: default */
    bool suspended;           /* load only; the caller resumes the thread */
    uint64_t vm_base;         /* where the child's runtime puts anonymous memory (0: its default) */
    bool debuggable;          /* every segment a private copy mapped writable (breakpoints; docs/CM.md) */
    bool lazy;                /* stack and private segments as lazy Memory (AERIE_MEM_LAZY):
                               * pages charged when touched. For containers, whose touch over
                               * the limit is their own end; never for a service, which must
                               * not fault on its own stack when its children fill its quota */
};

struct ae_child {
    uint64_t task, thread;    /* caller's slots */
    uint64_t clone_at;        /* address of its struct aerie_clone_block (aerie/capenv.h) */
};

/* Loads and starts the program; on failure returns a negative AE_* error
 * and writes why into err, and nothing is left behind (except what the
 * child quota holds, which the caller destroys). */
int ae_spawn(const struct ae_spawn_args *a, struct ae_child *child, char *err, size_t errlen);

#endif
