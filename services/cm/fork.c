/*
 * fork.c — CM_FORK (`aerie fork ID [N]`): N clones of a running container
 * (docs/FORK.md). The original's threads are stopped once; for each clone
 * cm makes quotas with the original's limits, the grants its spec had
 * (a new console stream, a new fs session with a copy of the private
 * files made inside the fs service, a net client without ports), has the kernel copy the task
 * (TASK_CLONE: its memory shared copy-on-write, its capability slots,
 * every thread with its registers), puts the new grants into the slots
 * the old ones had, writes the clone block (aerie/capenv.h) that tells
 * the program it is a clone and gives it fresh randomness, and starts it.
 * Then the original runs on. The original is stopped with Task SUSPEND,
 * every thread of it at once, so a container of several threads is
 * copied as one consistent image; what its fs client still queued is
 * run first (FS_ADMIN_RUN_QUEUED), so its files are as its program saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <aerie/errors.h>
#include <aerie/capenv.h>
#include <aerie/proto/console.h>
#include <aerie/proto/linux.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/fs.h>
#include <libaerie/net.h>
#include "cm.h"
#include "images.h"

/* A grant the clone gets anew, in the slot the original's had. */
struct regrant {
    unsigned slot;
    uint64_t cap;                 /* ours, deleted once copied */
    uint8_t rights;
};

struct forking {
    struct container *src, *c;
    struct regrant g[8];
    unsigned ng;
    uint64_t fault_cap, task, thread;
    struct image_use use;
};

/* The slot "name" had in the original (its slot_names: "1=console 2=fs"). */
static unsigned grant_slot(const struct container *c, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = c->slot_names; *p; ) {
        unsigned slot = (unsigned)strtoul(p, (char **)&p, 10);
        if (*p++ != '=')
            return 0;
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return slot;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}

/* Quota q's limits (bytes, threads, objects) and its CPUs. */
static void limits_of(uint64_t q, uint64_t lim[4])
{
    uint64_t info[9] = { 0 };
    ae_invoke(q, AERIE_QUOTA_INFO, 0, 0, info, 9);
    lim[0] = info[0], lim[1] = info[2], lim[2] = info[4], lim[3] = info[8];
}

/* A quota like `like` under parent: its limits, and its CPUs, so a fork
 * of a cpus= container keeps to them (SECURITY.md 78f). */
static int quota_like(uint64_t parent, uint64_t like, uint64_t *q)
{
    uint64_t lim[4];
    limits_of(like, lim);
    *q = ae_slot_alloc();
    int r = (int)ae_quota_create_cpus(parent, *q, lim[0], lim[1], lim[2], lim[3]);
    if (r) {
        ae_slot_free(*q);
        *q = 0;
    }
    return r;
}

/* keep, use and run with the original's limits (container.c: make_quotas). */
static int clone_quotas(const struct container *s, struct container *c)
{
    int r = quota_like(cm.quota, s->keep, &c->keep);
    if (!r && s->use)
        r = quota_like(c->keep, s->use, &c->use);
    if (!r)
        r = quota_like(CM_RUN_PARENT(c), s->run, &c->run);
    return r;
}

/* A new fs session on the image, with the original's private files. */
static int fork_fs(struct forking *f, char *err, size_t errlen)
{
    struct container *c = f->c;
    uint64_t files;
    int r = cm_files_quota(c, f->src->fs_bytes, &files);
    if (r) {
        snprintf(err, errlen, "fork: no room for the clone's files' quota (error %d)", r);
        return r;
    }
    struct ae_fs_session_spec fs = {
        .image = f->use.fs_root, .data_bytes = f->src->fs_bytes, .inodes = f->src->fs_inodes, .quota = files,
    };
    uint32_t id;
    uint64_t cap;
    r = ae_fs_admin_open_session(cm.fs_admin, &fs, &cap, &id);
    if (r)
        ae_invoke0(files, AERIE_QUOTA_DESTROY);
    cm_free_slot(&files);                 /* the service has its own copy */
    if (r) {
        snprintf(err, errlen, "fork: the fs service refused the clone a session (error %d)", r);
        return r;
    }
    c->fs_session = id;
    /* Inside the service: every file, directory, deletion of an image
     * file, symbolic and hard link of the original's private layer. */
    if ((r = ae_fs_admin_fork_session(cm.fs_admin, (uint32_t)f->src->fs_session, id))) {
        snprintf(err, errlen, "fork: copying the container's files failed (error %d)", r);
        cm_free_slot(&cap);
        return r;
    }
    c->fs_cap = ae_slot_alloc();            /* ours, for ctl's transfers (CM_FS_SESSION) */
    ae_cap_copy(cap, c->fs_cap, AERIE_R_ALL, 0);
    f->g[f->ng++] = (struct regrant){ grant_slot(f->src, "fs"), cap, AERIE_R_WRITE | AERIE_R_GRANT };
    return 0;
}

/* The grants the original's spec gave, anew: each in the slot it had. */
static int fork_grants(struct forking *f, char *err, size_t errlen)
{
    struct container *s = f->src, *c = f->c;
    unsigned slot;
    if ((slot = grant_slot(s, "self.fault")))
        f->g[f->ng++] = (struct regrant){ slot, f->fault_cap, AERIE_R_WRITE };
    if ((slot = grant_slot(s, "console"))) {
        char name[CON_NAME_MAX + 1];
        uint64_t cap;
        cm_stream_name(c, name, sizeof name);      /* c has s's name and image */
        int r = cm_open_console(c->keep, name, &cap, &c->console_badge, &c->log_mem);
        if (r) {
            snprintf(err, errlen, "fork: the console did not open the clone a stream (error %d)", r);
            return r;
        }
        f->g[f->ng++] = (struct regrant){ slot, cap, AERIE_R_WRITE };
    }
    if (grant_slot(s, "fs")) {
        int r = fork_fs(f, err, errlen);
        if (r)
            return r;
    }
    if ((slot = grant_slot(s, "net"))) {
        uint64_t cap, id;
        int r = ae_net_admin_client_add_k(cm.net_admin, 0, 0, 0, s->net_conns, &id, &cap);
        if (r) {
            snprintf(err, errlen, "fork: the net service refused the clone a client (error %d)", r);
            return r;
        }
        c->net_client = id;
        f->g[f->ng++] = (struct regrant){ slot, cap, AERIE_R_WRITE | AERIE_R_GRANT };
    }
    return 0;
}

/* Tells the clone it is one: the original's generation + 1, its index,
 * fresh random bytes (the clone block, aerie/capenv.h). */
static int write_clone_block(struct forking *f, unsigned index)
{
    uint64_t gen = 0;
    int r = (int)ae_invoke(f->src->task, AERIE_TASK_READ, 2, AE_ARGS(f->src->clone_at, 8), &gen, 1);
    if (r)
        return r;
    uint64_t w[2 + 4] = { f->src->clone_at, sizeof(struct aerie_clone_block), gen + 1, index };
    getrandom(&w[4], 16, 0);
    return (int)ae_invoke(f->task, AERIE_TASK_WRITE, 6, w, 0, 0);
}

/* A Linux program's clone: TASK_CLONE gave it its own copy of the
 * personality's endpoint (an endpoint the container owns, in the slot the
 * original's had; the Linux threads' copies fault to it), and cm keeps a
 * way to send it signals, as for the original (linux.c). */
static int linux_signal_cap(struct forking *f)
{
    unsigned slot = grant_slot(f->src, LX_GRANT_EP);
    if (!slot)
        return AE_ENOENT;
    f->c->lx_sig = ae_slot_alloc();
    int r = (int)ae_invokev(f->task, AERIE_TASK_CAP_GET, slot, f->c->lx_sig, AERIE_R_WRITE, LX_SIG_BADGE);
    if (r)
        cm_free_slot(&f->c->lx_sig);
    return r;
}

/* Everything of a clone that failed, in reverse (container.c: create). */
static void undo(struct forking *f)
{
    struct container *c = f->c;
    cm_free_slot(&c->lx_sig);
    for (unsigned i = 0; i < f->ng; i++)
        if (f->g[i].cap != f->fault_cap)
            cm_free_slot(&f->g[i].cap);
    cm_free_slot(&f->fault_cap);
    cm_free_slot(&f->task);
    cm_free_slot(&f->thread);
    cm_close_net(c);
    cm_close_fs(c);
    cm_forget_console(c);
    cm_destroy_quota(&c->run);
    cm_destroy_quota(&c->keep);
    cm_free_slot(&c->use);
    if (c->image_held)
        images_release(c->image);
    cm_about_free(c);
    free(c);
}

/* One clone of s (stopped), ready to start, in *out. */
static int fork_one(struct container *s, unsigned index, struct container **out, char *err, size_t errlen)
{
    struct forking f = { .src = s };
    struct container *c = f.c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "fork: the container manager is out of memory");
        return AE_ENOMEM;
    }
    pthread_mutex_init(&c->lock, 0);
    memcpy(c->image, s->image, sizeof c->image);
    memcpy(c->name, s->name, sizeof c->name);
    c->slot_names = s->slot_names;                 /* interned: lives as long as cm */
    cm_about_copy(c, s);                           /* what it was started with: its original's */
    c->fs_bytes = s->fs_bytes, c->fs_inodes = s->fs_inodes, c->net_conns = s->net_conns;
    c->clone_at = s->clone_at, c->cpu = s->cpu;
    c->id = __atomic_add_fetch(&cm.next_id, 1, __ATOMIC_RELAXED);
    c->created_ns = cm_now_ns();
    int r = clone_quotas(s, c);
    if (r)
        snprintf(err, errlen, "fork: the manager has no room for the clone's quotas (error %d)", r);
    if (!r) {
        f.fault_cap = ae_slot_alloc();
        r = (int)ae_cap_copy(cm.ep, f.fault_cap, AERIE_R_WRITE, CM_FAULT_BADGE | c->id);
    }
    if (!r && (r = images_acquire(s->image, &f.use, err, errlen)) == 0)
        c->image_held = true;
    if (!r)
        r = (int)ae_invokev(CM_RUN_PARENT(c), AERIE_QUOTA_WATCH, c->run, f.fault_cap);
    if (!r)
        r = fork_grants(&f, err, errlen);
    if (!r) {
        f.task = ae_slot_alloc();
        f.thread = ae_slot_alloc();
        /* Only the original's own objects are copied: every grant it may
         * keep is re-issued below; a copy of its fault, console, fs or net
         * capability in another slot would reach the original's (review3 F3).
         * Every thread is copied, each with the clone's fault capability. */
        r = (int)ae_invokev(s->task, AERIE_TASK_CLONE, c->run, s->run, f.task, f.thread,
                            AERIE_CLONE_OWN_CAPS | AERIE_CLONE_ALL_THREADS, f.fault_cap);
        if (r == AE_ELIMIT)
            snprintf(err, errlen, "fork: it runs more than %d threads, or the clone's limits cannot hold "
                     "them (error %d)", AERIE_CLONE_MAX_THREADS, r);
        else if (r == AE_ETYPE && s->lx_sig)
            snprintf(err, errlen, "fork: a Linux program is forked only while it runs one process (the "
                     "tasks of its child processes are not copied)");
        else if (r == AE_ETYPE)
            snprintf(err, errlen, "fork: it holds objects a clone cannot copy (its own quotas, tasks, DMA "
                     "memory, or memory a device or the kernel writes directly)");
        else if (r == AE_EBUSY)
            snprintf(err, errlen, "fork: it holds memory another thread's UTCB is in, or that another task maps");
        else if (r == AE_ENOMEM)
            snprintf(err, errlen, "fork: no room for the clone's kernel objects and the pages it shares "
                     "(a clone pays for every page it shares)");
        else if (r)
            snprintf(err, errlen, "fork: the kernel refused the clone (error %d)", r);
    }
    if (!r && s->lx_sig && (r = linux_signal_cap(&f)))
        snprintf(err, errlen, "fork: the clone's Linux personality cannot be reached for signals (error %d)", r);
    for (unsigned i = 0; !r && i < f.ng; i++) {
        if (!f.g[i].slot)
            continue;
        ae_invokev(f.task, AERIE_TASK_CAP_DELETE, f.g[i].slot);   /* the original's, shared by the copy */
        r = (int)ae_task_cap_copy(f.task, f.g[i].cap, f.g[i].slot, f.g[i].rights, 0);
    }
    if (!r && (r = write_clone_block(&f, index)))
        snprintf(err, errlen, "fork: writing the clone block failed (error %d)", r);
    if (r) {
        if (!err[0])
            snprintf(err, errlen, "fork: setting up the clone failed (error %d)", r);
        undo(&f);
        return r;
    }
    for (unsigned i = 0; i < f.ng; i++)
        if (f.g[i].cap != f.fault_cap)
            cm_free_slot(&f.g[i].cap);       /* the clone has its copies */
    cm_free_slot(&f.fault_cap);
    c->task = f.task;
    c->thread = f.thread;
    c->state = CM_CREATED;
    *out = c;
    return 0;
}

/* A clone is born suspended, like its original at the fork: Task RESUME
 * starts the copies of every thread that was running (container_start
 * would start its first thread alone), boosted as container_start
 * boosts a new container's. */
void cm_fork_start(struct container *c)
{
    container_insert(c);                 /* no other container locked: shard, then container */
    pthread_mutex_lock(&c->lock);
    c->started_ns = cm_now_ns();
    c->state = CM_RUNNING;
    ae_invokev(c->task, AERIE_TASK_RESUME, AERIE_RESUME_BOOST);
    pthread_mutex_unlock(&c->lock);
}

int cm_fork(struct container *s, unsigned n, struct container **out, unsigned *made, char *err, size_t errlen)
{
    *made = 0;
    char port[40];
    err[0] = 0;
    if (s->state != CM_RUNNING || !s->task || !s->thread) {
        snprintf(err, errlen, "fork: it is not running");
        return AE_EBUSY;
    }
    if (cm_port_of(s, port, sizeof port)) {
        snprintf(err, errlen, "fork: port %s cannot be shared: a port belongs to one container", port);
        return AE_EADDRINUSE;
    }
    if (s->nports) {
        snprintf(err, errlen, "fork: its outgoing port grants are not re-issued to clones");
        return AE_ENOTSUP;
    }
    if (s->debug) {
        snprintf(err, errlen, "fork: a container made for a debugger is not forked");
        return AE_ENOTSUP;
    }
    int r = (int)ae_invoke0(s->task, AERIE_TASK_SUSPEND);
    if (r) {
        snprintf(err, errlen, "fork: it could not be stopped (error %d)", r);
        return r;
    }
    /* Writes its libaerie queued (write-behind) and did not send yet were
     * already a success to its program: the fs service runs them now, so
     * the copy below has them (finding F3). A buffer gone (AE_EDEAD) has
     * nothing to run; the copy goes on either way. */
    if (s->fs_session)
        (void)ae_fs_admin_run_queued(cm.fs_admin, (uint32_t)s->fs_session, NULL);
    for (*made = 0; *made < n && !r; ) {
        r = fork_one(s, *made + 1, &out[*made], err, errlen);
        if (!r)
            ++*made;
    }
    ae_invoke0(s->task, AERIE_TASK_RESUME);
    return r;
}
