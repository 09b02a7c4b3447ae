/*
 * libaerie/cm.h — the container manager's client stubs
 * (aerie/proto/cm.h). Each returns 0 or a negative AE_* error; err (may
 * be NULL) receives cm's message on failure.
 */
#ifndef LIBAERIE_CM_H
#define LIBAERIE_CM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <aerie/proto/cm.h>

struct ae_cm_status {
    int state;                 /* enum cm_state */
    uint64_t exit_status;
    uint64_t fault_label;      /* low 32 bits: AERIE_FAULT_*; page faults: error code above */
    uint64_t fault_addr, fault_rip;
};

struct ae_cm_stats {
    uint64_t mem_used, mem_limit, threads_used, threads_limit, objects_used, objects_limit;
    uint64_t uptime_ns;
    int state, cpu;
    uint64_t mem_run, mem_log, mem_rest, mem_cm;   /* where mem_used is (mem_cm: cm's own) */
    uint64_t cpu_ns, ipc_calls;                    /* since it started: the kernel's counts */
    uint64_t fs_read, fs_written, net_rx, net_tx;  /* file bytes, packets */
    uint64_t threads_live;
    uint64_t debug_stop;                           /* enum cm_debug_stop */
    uint64_t fs_meta, fs_meta_limit;               /* its fs session's metadata (fs's heap) and cap */
};

/* CM_DEBUG: op (CM_DBG_*) with n words from w; up to nres result words
 * (after the status) into res. */
int ae_cm_debug(uint64_t cm, uint64_t id, unsigned op, const uint64_t *w, unsigned n,
                uint64_t *res, unsigned nres);
/* CM_TRACE, the same way. */
int ae_cm_trace(uint64_t cm, uint64_t id, unsigned op, const uint64_t *w, unsigned n,
                uint64_t *res, unsigned nres);

int ae_cm_create(uint64_t cm, const char *spec, int start, uint64_t *id, char *err, size_t errlen);
int ae_cm_start(uint64_t cm, uint64_t id);
int ae_cm_wait(uint64_t cm, uint64_t id, struct ae_cm_status *st);
int ae_cm_status(uint64_t cm, uint64_t id, struct ae_cm_status *st);
int ae_cm_kill(uint64_t cm, uint64_t id);
int ae_cm_remove(uint64_t cm, uint64_t id);
/* A Linux signal (1..64) to a running Linux program (SIGINT: to its process
 * group); AE_ENOTSUP for an Aerie program. */
int ae_cm_signal(uint64_t cm, uint64_t id, int sig);
int ae_cm_stats(uint64_t cm, uint64_t id, struct ae_cm_stats *st);
/* Reads log bytes from position *from on; *from advances. Returns the
 * byte count (0 when nothing new) or an error. */
int64_t ae_cm_logs(uint64_t cm, uint64_t id, uint64_t *from, char *buf, size_t cap);
/* Up to CM_INPUT_CHUNK of the n bytes at p (and with eof, the end after
 * them) for container id's standard input (CM_INPUT, needs cm.admin): the
 * bytes taken (fewer when its ring is full), or a negative AE_* error. */
int64_t ae_cm_input(uint64_t cm, uint64_t id, bool eof, const void *p, size_t n);
/* `aerie exec` (CM_EXEC): argc words (the program, its arguments) then
 * NAME=VALUE words, each NUL-terminated, len bytes in all at text, for a
 * new process in running Linux container id: 0 and *n, its exec number,
 * or an error with a message in err. ae_cm_exec_status: its state
 * (enum cm_exec_state), value (pid, errno or wait status) and the input
 * it took. ae_cm_exec_input: up to CM_EXEC_IN_CHUNK bytes for its fd 0
 * from offset off of its input (eof: the end after them). */
int ae_cm_exec(uint64_t cm, uint64_t id, unsigned argc, unsigned flags, const char *text, size_t len,
               uint64_t *n, char *err, size_t errlen);
int ae_cm_exec_status(uint64_t cm, uint64_t id, uint64_t n, uint64_t *state, uint64_t *value, uint64_t *in_pos);
int ae_cm_exec_input(uint64_t cm, uint64_t id, uint64_t n, uint64_t off, bool eof, const void *p, size_t len);
/* The end of the input of every container a client was feeding (ctl,
 * when it starts: a previous ctl's clients are gone): how many, or a
 * negative AE_* error (CM_INPUT_ORPHANS, needs cm.admin). */
int64_t ae_cm_input_orphans(uint64_t cm);
/* Up to max (id, state) pairs with ids >= first; returns the count. */
int ae_cm_list(uint64_t cm, uint64_t first, uint64_t *ids, int *states, unsigned max);
/* The index-th image name; AE_ENOENT past the last. */
int ae_cm_image(uint64_t cm, unsigned index, char *name, size_t cap);
int ae_cm_info(uint64_t cm, uint64_t id, char *text, size_t cap);
/* CM_INSPECT (needs cm.admin): times[0..3] created, started, ended, now
 * (cm's clock, ns); up to cap bytes of its text from offset off into text
 * (*got of them; *total the whole text's length). */
int ae_cm_inspect(uint64_t cm, uint64_t id, uint64_t off, uint64_t times[4], char *text, size_t cap,
                  uint64_t *total, size_t *got);

/* A container's files (CM_FS_*; it must have been granted fs). Reads and
 * writes move at most CM_FS_CHUNK bytes (less the path, for writes) and
 * return how many; flags of writes are CM_FS_W_*. Listing fills recs with
 * records (type byte, name length byte, name) and returns their bytes. */
int ae_cm_fs_stat(uint64_t cm, uint64_t id, const char *path, uint32_t *type, uint64_t *size,
                  uint32_t *mode);
int64_t ae_cm_fs_read(uint64_t cm, uint64_t id, const char *path, uint64_t off, void *buf,
                      size_t len, uint64_t *size);
int64_t ae_cm_fs_write(uint64_t cm, uint64_t id, const char *path, uint64_t off, const void *buf,
                       size_t len, unsigned flags, uint32_t mode);
int ae_cm_fs_mkdir(uint64_t cm, uint64_t id, const char *path, uint32_t mode);
int ae_cm_fs_list(uint64_t cm, uint64_t id, const char *path, uint64_t *cookie, int *eof,
                  void *recs, size_t cap, unsigned *count);

/* Imported images (CM_IMAGE_*; all but ae_cm_image_info need "cm.admin"). */
struct ae_cm_image {
    char name[CM_NAME_MAX + 1];
    char prog[128];            /* its program: a path in its files, or "prog" for a boot image */
    uint64_t bytes;            /* its archive's size */
    uint64_t imported;         /* Unix seconds; 0 for a boot image */
};
int ae_cm_image_info(uint64_t cm, unsigned index, struct ae_cm_image *out);
/* Begins importing name, an archive of bytes bytes; *stage gets a new
 * slot holding the staging memory (CM_IMAGE_STAGE bytes, read-write). */
int ae_cm_image_begin(uint64_t cm, const char *name, uint64_t bytes, uint64_t *stage, char *err,
                      size_t errlen);
/* Copies the staging memory's first len bytes to offset off of the image. */
int ae_cm_image_write(uint64_t cm, const char *name, uint64_t off, uint64_t len);
int ae_cm_image_commit(uint64_t cm, const char *name, char *err, size_t errlen);
int ae_cm_image_abort(uint64_t cm, const char *name);
int ae_cm_image_remove(uint64_t cm, const char *name, char *err, size_t errlen);
/* CM_RENAME (admin): container id is called name from now on (1..31 bytes). */
int ae_cm_rename(uint64_t cm, uint64_t id, const char *name, char *err, size_t errlen);
/* *cap gets a new slot with a copy of container id's fs session capability. */
int ae_cm_fs_session(uint64_t cm, uint64_t id, uint64_t *cap, char *err, size_t errlen);
/* Fault injection (cm.admin; docs/RESTART.md): root kills boot service name
 * and starts it again. started_ns: kill to the new instance started;
 * answered_ns: kill to its first answered request (0: not measured);
 * kills: how many times it was killed so far. Any pointer may be NULL. */
int ae_cm_debug_kill_service(uint64_t cm, const char *name, uint64_t *started_ns, uint64_t *answered_ns,
                             uint64_t *kills);

/* `aerie fork`: n (1..CM_FORK_MAX) clones of running container id, each
 * started (docs/FORK.md); ids[0..*made) their ids, *ns what it took. An
 * error's message goes to err (clones made before it run on). Needs
 * cm.admin. */
int ae_cm_fork(uint64_t cm, uint64_t id, unsigned n, uint64_t *ids, unsigned *made, uint64_t *ns,
               char *err, size_t errlen);

/* "page fault at 0x0 (read) rip 0x2012a4" and the like. */
/* "page fault at 0x0 (read) rip 0x2012a4" and the like; a Linux program
 * ended by a signal: "killed by signal 11 (SIGSEGV) at address ...". */
void ae_cm_describe(const struct ae_cm_status *st, char *buf, size_t cap);
/* "SIGSEGV" for 11, and so on (Linux's numbers). */
const char *ae_cm_signal_name(unsigned sig);

#endif
