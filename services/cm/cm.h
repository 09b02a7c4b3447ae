/*
 * cm.h — the container manager (the papers' Oak / MettEagle service).
 *
 * A container is a quota, keep (a child of cm's, with the spec's limits),
 * and keep's child run, holding a task whose capability space cm fills
 * with exactly what the spec grants and a thread running the image's
 * program; read-only pages of the program are shared from the boot image.
 * What must outlive the run until removal (its console log, its files)
 * is charged to keep: the fs service makes its file pages from a child
 * quota of keep (open_fs), so they count in the container's limit. cm
 * keeps these two capabilities per container, because running code keeps
 * itself alive: destroying run ends the container, destroying keep
 * returns every page and object it had.
 *
 * Concurrency: one worker thread per CPU serves requests; the container
 * table is split into shards, each with its own lock, and every container
 * has its own lock, so creating containers on several CPUs shares no lock.
 */
#ifndef AERIE_CM_H
#define AERIE_CM_H

#include <stdint.h>
#include <stdbool.h>
#include <pthread.h>
#include <aerie/proto/cm.h>
#include "spec.h"
#include "img.h"
#include "imgconfig.h"

#define CM_FAULT_BADGE   PROTO_FAULT_BADGE   /* badge bit of containers' fault capabilities */
#define CM_SHARDS        64
#define CM_WAITERS_MAX   8
#define CM_LOG_BYTES     4096            /* a container's console log, from its own quota */
/* The quota run and the files come from (and whose holder may watch and
 * trace run): use when the container has a console and files, else keep
 * (make_quotas, container.c). */
#define CM_RUN_PARENT(c) ((c)->use ? (c)->use : (c)->keep)
#define CM_KEEP_OBJECTS  5               /* keep's own objects: use, the run quota, the log */
#define CM_KEEP_OWN      2048            /* what keep's own objects (use, the log's structure) cost */
/* The objects of a container's files quota (a child of keep the fs service
 * makes its file pages from: one Memory object per chunk of up to 1 MiB,
 * smaller ones while they are few), itself included. */
/* A start refused for memory within CM_FULL_RECENT_NS of a container's end
 * is tried again CM_FULL_RETRIES times, CM_FULL_RETRY_NS apart (ops.c). */
#define CM_FULL_RECENT_NS 100000000ull
#define CM_FULL_RETRIES   20
#define CM_FULL_RETRY_NS  1000000ull
#define CM_FS_OBJECTS(bytes) (33 + (bytes) / (512u << 10))

/* Every idle container costs one of these in cm's heap, so it is kept
 * under 512 bytes (malloc's 512-byte class; docs/EVALUATION.md, memory
 * per container): small fields packed together, the console stream's
 * name computed when needed (cm_stream_name), the grants' slot names
 * shared between containers with the same (cm_intern). */
struct cm_about;
struct container {
    uint64_t id;
    pthread_mutex_t lock;
    struct container *next;              /* in its shard */
    const struct spec *spec;             /* while it is being created only */
    char image[SPEC_NAME_MAX], name[SPEC_NAME_MAX];
    int state;                           /* enum cm_state */
    int cpu;
    uint64_t keep;                       /* its whole limit: what outlives its run; 0 once removed */
    uint64_t run;                        /* the quota its program runs from; 0 once ended */
    uint64_t use;                        /* with a console: keep's child that run and its files
                                          * come from, short of keep by the log (0: none) */
    uint64_t log_mem;                    /* our copy of its log's (lazy) Memory, for CM_STATS and to
                                          * re-attach it after a console restart (restart.c) */
    uint64_t thread;                     /* until started */
    uint64_t console_badge;              /* its stream (0: no console grant); named cm_stream_name */
    uint64_t fs_session;                 /* fs session id (0: none) */
    uint64_t fs_cap;                     /* our copy of its capability, for ctl's transfers (CM_FS_SESSION) */
    uint64_t net_client;                 /* net client id (0: none) */
    uint64_t lx_sig;                     /* a Linux program: send-only to its personality (CM_SIGNAL) */
    uint64_t created_ns, started_ns, ended_ns;
    uint64_t exit_status;
    uint64_t fault[3];                   /* label, address, rip */
    uint32_t waiters[CM_WAITERS_MAX];    /* saved reply capabilities (slots, as input_mem) */
    unsigned nwaiters;
    unsigned debug;                      /* SPEC_DEBUG_*: it keeps thread and task for a debugger */
    uint64_t final[8];                   /* its run quota's last INFO (CPU time, calls), once ended */
    uint64_t task;                       /* its task (a debugger's memory access; fork) */
    uint64_t clone_at;                   /* its clone block's address (aerie/capenv.h) */
    uint64_t fs_bytes;                   /* its spec's fs limits, net connections and ports: */
    uint32_t fs_inodes;                  /*   what a fork re-issues to its clones (fork.c) */
    uint16_t net_conns;
    uint8_t nports;
    bool image_held;                     /* counted as a user of its image (images.c) until removed */
    bool has_input;                      /* its console stream has input (grant=stdin) until it ends */
    bool input_lost;                     /* the console restarted: its input ended there (AE_EDEAD) */
    bool input_fed;                      /* a client sends it input (CM_INPUT since the last end):
                                            a restarted ctl ends it (CM_INPUT_ORPHANS) */
    uint32_t input_ntfn;                 /* our copy of its "stdin" notification (a slot): a restarted
                                            console gets an ended ring with it, which wakes a reader */
    uint32_t exec_seq;                   /* the last exec number given (CM_EXEC; linux.c) */
    uint32_t input_mem;                  /* our copy of its input ring's Memory (from run: the
                                            container pays for its input as for its log) */
    uint64_t trace_mem;                  /* its trace buffer (from keep), or 0 */
    const char *slot_names;              /* "1=console 2=self.task ..." its program's grants (cm_intern) */
    struct cm_about *about;              /* its argv and env for CM_INSPECT (inspect.c), or NULL */
    struct {
        bool attached;
        int stop;                        /* enum cm_debug_stop */
        uint64_t reply;                  /* TRAPPED: the fault's saved reply capability */
        uint64_t label, w[4];            /* the fault that stopped it */
    } dbg;
};
_Static_assert(sizeof(struct container) <= 512, "a container's record stays in malloc's 512-byte class");

struct cm {
    uint64_t ep;                         /* "cm.server": requests and container faults */
    uint64_t quota;                      /* our own */
    uint64_t console_admin, fs_admin, net_admin;   /* 0 when not granted */
    uint64_t root_admin;                 /* "root.admin": fault injection (0 when not granted) */
    uint64_t image_mem;                  /* the boot image */
    struct img image;
    unsigned ncpus;
    uint64_t next_id;                    /* atomic */
    uint64_t next_cpu;                   /* atomic round robin */
    uint64_t last_end_ns;                /* atomic: when a container's quota was last destroyed */
    struct { pthread_mutex_t lock; struct container *head; } shards[CM_SHARDS];
};

extern struct cm cm;

/* input.c: its standard input (grant=stdin) */
int cm_attach_input(struct container *c, uint64_t *ntfn);
/* CM_INPUT while it runs: the bytes taken (of n <= CON_IN_CHUNK), or
 * AE_ENOENT (no input granted), AE_ESRCH (it ended: its input is gone). */
int64_t cm_input(struct container *c, bool eof, const void *p, uint64_t n);
void cm_drop_input(struct container *c);
/* CM_INPUT_ORPHANS: the end for every running container a client was
 * feeding input to; returns how many. */
unsigned cm_input_orphans(void);
/* The console restarted (its rings are gone): c's stream gets an input
 * ring that has ended, so a reader waiting on "stdin" is woken and reads
 * the end, and ctl's further input is refused. */
void cm_reattach_input(struct container *c);
/* Deletes our copy of its notification (a create that failed). */
void cm_free_input_ntfn(struct container *c);

/* container.c */
int container_create(const struct spec *s, uint64_t *id, char *err, size_t errlen);
/* The CPUs a spec's container may use: its cpus= that exist, else all;
 * 0 if none of them exists. Its quotas carry them (make_quotas). */
uint64_t cm_cpus_of(const struct spec *s);
/* The stack a program of argv and envp is given for a spec's stack bytes:
 * more when its strings would crowd it (docs/SPEC.md, "Sizes"). */
uint64_t cm_stack_for(uint64_t stack, const char *const *argv, const char *const *envp);
int container_start(struct container *c);
void container_end(struct container *c, int state, uint64_t status, const uint64_t fault[3]);
int container_kill(struct container *c);
int container_remove(uint64_t id);
struct container *container_find(uint64_t id);      /* locked; unlock with container_put */
void container_put(struct container *c);
/* The first container with an id >= from, or NULL (no lock held). */
uint64_t container_next_id(uint64_t from, int *state);

/* container.c: its console stream's name, "NAME#ID" (or "IMAGE#ID"), as
 * the console was given it (at most CON_NAME_MAX bytes); returns buf. */
const char *cm_stream_name(const struct container *c, char *buf, size_t len);
/* A copy of s that lives as long as cm, shared by every caller with the
 * same text (the grants' slot names repeat from container to container);
 * "" when out of memory. */
const char *cm_intern(const char *s);

/* container.c, shared with fork.c */
void container_insert(struct container *c);
void cm_free_slot(uint64_t *slot);
int cm_open_console(uint64_t keep, const char *name, uint64_t *cap, uint64_t *badge, uint64_t *logp);
int cm_files_quota(const struct container *c, uint64_t bytes, uint64_t *q);
void cm_forget_console(struct container *c);
void cm_close_fs(struct container *c);
void cm_close_net(struct container *c);
void cm_destroy_quota(uint64_t *q);
/* The id of the container holding a port range of c, its range: 0 if none. */
int cm_port_of(const struct container *c, char *buf, size_t cap);
/* Its nth port range ("tcp:80-80"): 0 past the last. */
int cm_port_nth(const struct container *c, unsigned nth, char *buf, size_t cap);

/* inspect.c: what CM_INSPECT shows of it beyond its state — the argv and
 * environment its program was started with, kept (at most
 * CM_INSPECT_KEEP bytes, in cm's heap: mem_cm) from its creation; freed
 * with it. cm_about_copy: a clone's copy of its original's. */
void cm_about_keep(struct container *c, const char *const *argv, const char *const *envp);
void cm_about_copy(struct container *to, const struct container *from);
void cm_about_free(struct container *c);
struct ae_request;
int cm_inspect_op(struct container *c, struct ae_request *rq);

/* fork.c: CM_FORK — n clones of running container c (locked), ready to
 * start, in out[0..*made). 0, or an error with a message in err (the
 * clones made before it are still made). cm_fork_start then enters one
 * in the table and starts it, with no container locked. */
int cm_fork(struct container *c, unsigned n, struct container **out, unsigned *made, char *err, size_t errlen);
void cm_fork_start(struct container *c);

/* ops.c */
int cm_serve(void);

/* debug.c: CM_DEBUG (c locked); a debuggable container's fault, held for
 * the debugger when this returns true; its end. */
struct ae_request;
int cm_debug_op(struct container *c, struct ae_request *rq);
bool cm_debug_fault(struct container *c, struct ae_request *rq);
void cm_debug_end(struct container *c);
/* trace.c: CM_TRACE (c locked). */
int cm_trace_op(struct container *c, struct ae_request *rq);

/* image_ops.c: the CM_IMAGE_* and CM_FS_SESSION operations. */
struct ae_request;
int cm_image_begin(struct ae_request *rq);
int cm_image_write(struct ae_request *rq);
int cm_image_commit(struct ae_request *rq);
int cm_image_abort(struct ae_request *rq);
int cm_image_remove(struct ae_request *rq);
int cm_image_info(struct ae_request *rq);
int cm_fs_session(struct ae_request *rq);

/* files.c: the CM_FS_* operations. Each fills rq->reply from word 1 and
 * returns the reply's word count, or a negative AE_* error. */
struct ae_request;
int cm_fs_stat(struct ae_request *rq);
int cm_fs_read(struct ae_request *rq);
int cm_fs_write(struct ae_request *rq);
int cm_fs_mkdir(struct ae_request *rq);
int cm_fs_list(struct ae_request *rq);

uint64_t cm_now_ns(void);

/* restart.c: CM_DEBUG_KILL_SERVICE and CM_SERVICE_RESTARTED. */
int cm_debug_kill_service(struct ae_request *rq);
int cm_service_restarted(struct ae_request *rq);

/* linux.c: an image program without the Aerie note runs under the Linux
 * personality. prepare checks it and turns the spawn arguments into the
 * personality's (grants plus the program file); release frees what
 * prepare made once the spawn is done. */
#include <libaerie/spawn.h>
struct cm_linux {
    uint64_t exe_slot;
    uint64_t ep_slot;                    /* the personality's endpoint (LX_GRANT_EP) */
    struct ae_grant grants[12];
    const char *argv[IMGCFG_WORDS + SPEC_MAX_ARGS + 5];   /* the personality's words, the program's, NULL */
    char cpus[32];
    char tty[24];                        /* LX_OPT_TTY ROWSxCOLS, when the spec asks for a terminal */
};
int cm_linux_prepare(struct container *c, const struct img_file *prog, struct ae_spawn_args *a,
                     struct cm_linux *lx, char *err, size_t errlen);
void cm_linux_release(struct cm_linux *lx);
/* An exit status saying a Linux program died of a signal (aerie/proto/
 * linux.h): true, and the fault record cm keeps for it in f. */
bool cm_linux_signaled(uint64_t status, uint64_t f[3]);
/* CM_SIGNAL: the signal to c's Linux program; c locked. */
int cm_linux_signal(struct container *c, int sig);
/* CM_EXEC: asks c's personality (c locked) for a new process: 0 and its
 * exec number, or an error. CM_EXEC_STATUS: what c's exec board says of
 * exec n (w: state, value, input taken). CM_EXEC_INPUT: bytes for its fd 0. */
int cm_linux_exec(struct container *c, uint64_t argc_flags, const void *text, uint64_t len, uint64_t *n);
int cm_linux_exec_status(struct container *c, uint64_t n, uint64_t w[3]);
int cm_linux_exec_input(struct container *c, uint64_t n, uint64_t off_eof, const void *p, uint64_t len);

#endif
