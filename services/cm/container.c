/*
 * container.c — a container's life: create (quota, grants, program loaded
 * and suspended), start, end (exit, fault or kill: its quota destroyed,
 * every page and object returned), and removal from the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/console.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/spawn.h>
#include <libaerie/fs.h>
#include <libaerie/net.h>
#include "elf.h"
#include "cm.h"
#include "images.h"

struct cm cm;

uint64_t cm_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the table ---- */

static unsigned shard_of(uint64_t id) { return (unsigned)(id % CM_SHARDS); }

void container_insert(struct container *c)
{
    unsigned s = shard_of(c->id);
    pthread_mutex_lock(&cm.shards[s].lock);
    c->next = cm.shards[s].head;
    cm.shards[s].head = c;
    pthread_mutex_unlock(&cm.shards[s].lock);
}

struct container *container_find(uint64_t id)
{
    unsigned s = shard_of(id);
    pthread_mutex_lock(&cm.shards[s].lock);
    struct container *c = cm.shards[s].head;
    while (c && c->id != id)
        c = c->next;
    if (c)
        pthread_mutex_lock(&c->lock);     /* shard, then container: the only order */
    pthread_mutex_unlock(&cm.shards[s].lock);
    return c;
}

void container_put(struct container *c)
{
    pthread_mutex_unlock(&c->lock);
}

uint64_t container_next_id(uint64_t from, int *state)
{
    uint64_t best = 0;
    for (unsigned s = 0; s < CM_SHARDS; s++) {
        pthread_mutex_lock(&cm.shards[s].lock);
        for (struct container *c = cm.shards[s].head; c; c = c->next) {
            if (c->id >= from && (!best || c->id < best)) {
                best = c->id;
                *state = c->state;
            }
        }
        pthread_mutex_unlock(&cm.shards[s].lock);
    }
    return best;
}

/* Names are unique among containers not yet removed (running or ended),
 * as docker's are: `aerie rm NAME` and friends must mean one container.
 * A named creation checks before its work (a clear message at once) and
 * again under names_lock as it enters the table, so two made at once
 * cannot both take a name. (Clones of a fork keep their original's
 * name: fork.c; a name given to several says so where it is used.) */
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t named(const char *name)
{
    uint64_t id = 0;
    for (unsigned s = 0; s < CM_SHARDS && !id; s++) {
        pthread_mutex_lock(&cm.shards[s].lock);
        for (struct container *c = cm.shards[s].head; c && !id; c = c->next)
            if (!strcmp(c->name, name))    /* fixed at creation: no container lock needed */
                id = c->id;
        pthread_mutex_unlock(&cm.shards[s].lock);
    }
    return id;
}

static int name_taken(const char *name, char *err, size_t errlen)
{
    uint64_t id = name[0] ? named(name) : 0;
    if (id)
        snprintf(err, errlen, "name: %s is already in use by container %lu; remove it (aerie rm %lu) or choose "
                 "another", name, id, id);
    return id ? AE_EEXIST : 0;
}

/* ---- granting ---- */

void cm_free_slot(uint64_t *slot)
{
    if (*slot) {
        ae_cap_delete(*slot);
        ae_slot_free(*slot);
        *slot = 0;
    }
}

const char *cm_stream_name(const struct container *c, char *buf, size_t len)
{
    char name[CON_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s#%lu", c->name[0] ? c->name : c->image, c->id);
    snprintf(buf, len, "%s", name);
    return buf;
}

/* The distinct slot-name strings seen so far: few (one per combination of
 * grants in use), never freed; past INTERN_MAX each caller gets its own
 * copy, kept for good too (a bounded leak per unusual spec, not per
 * container of a common one). */
#define INTERN_MAX 64
static struct { pthread_mutex_t lock; unsigned n; const char *s[INTERN_MAX]; } interned = {
    PTHREAD_MUTEX_INITIALIZER, 0, { 0 } };

const char *cm_intern(const char *s)
{
    pthread_mutex_lock(&interned.lock);
    for (unsigned i = 0; i < interned.n; i++)
        if (!strcmp(interned.s[i], s)) {
            pthread_mutex_unlock(&interned.lock);
            return interned.s[i];
        }
    char *copy = strdup(s);
    if (copy && interned.n < INTERN_MAX)
        interned.s[interned.n++] = copy;
    pthread_mutex_unlock(&interned.lock);
    return copy ? copy : "";
}

/* Asks the console to open a stream named name, its log in Memory made
 * from the container's keep quota (the container pays for its log, and
 * the log outlives its run until removal); *cap receives the client
 * capability to grant, *badge its stream. */
/* The log is lazy Memory from keep: a page is charged when the console
 * first writes there, so a container that never prints pays nothing, and
 * keep's room for it is held back from everything else (make_quotas:
 * use), so a program that fills its memory can still say so. We keep a
 * capability to it (*logp) to say in CM_STATS what it holds. */
int cm_open_console(uint64_t keep, const char *name, uint64_t *cap, uint64_t *badge, uint64_t *logp)
{
    if (!cm.console_admin)
        return AE_ECAP;
    uint64_t log = ae_slot_alloc();
    int r = (int)ae_quota_create(keep, AERIE_OBJ_MEMORY, log, CM_LOG_BYTES, AERIE_MEM_LAZY, 0);
    if (r) {
        ae_slot_free(log);
        return r;
    }
    struct aerie_utcb *u = ae_utcb();
    size_t len = strlen(name);
    if (len > CON_NAME_MAX)
        len = CON_NAME_MAX;
    *cap = ae_slot_alloc();
    u->recv_slots[0] = (uint32_t)*cap;
    u->recv_slots[1] = u->recv_slots[2] = 0;
    u->mr[0] = len;
    memcpy(&u->mr[1], name, len);
    u->caps[0] = (uint32_t)log;
    int64_t rr = ae_call(cm.console_admin, AERIE_INFO(CON_OPEN, 1 + (len + 7) / 8, 1), AERIE_TIMEOUT_FOREVER);
    u->recv_slots[0] = 0;
    *logp = log;                               /* the console holds its own copy */
    if (rr < 0 || AERIE_INFO_LABEL((uint64_t)rr) || AERIE_INFO_NCAPS((uint64_t)rr) != 1) {
        cm_free_slot(logp);
        ae_slot_free(*cap);
        *cap = 0;
        if (rr < 0)
            return (int)rr;
        return AERIE_INFO_LABEL((uint64_t)rr) ? proto_status_of(AERIE_INFO_LABEL((uint64_t)rr)) : AE_EPROTO;
    }
    *badge = u->mr[0];
    return 0;
}

uint64_t cm_cpus_of(const struct spec *s)
{
    uint64_t all = cm.ncpus >= 64 ? ~0ull : (1ull << cm.ncpus) - 1;
    return s->cpus ? s->cpus & all : all;
}

/* The CPU its first thread starts on: its CPUs in turn. */
static int pick_cpu(const struct spec *s)
{
    uint64_t mask = cm_cpus_of(s);
    if (!mask)
        return -1;
    unsigned n = (unsigned)__builtin_popcountll(mask);
    unsigned k = (unsigned)(__atomic_fetch_add(&cm.next_cpu, 1, __ATOMIC_RELAXED) % n);
    for (int cpu = 0; cpu < 64; cpu++)
        if ((mask >> cpu) & 1 && k-- == 0)
            return cpu;
    return -1;
}

/* Everything a create needs, released in one place. */
struct creation {
    struct container *c;
    uint64_t console_cap, fault_cap, fs_cap, net_cap, stdin_cap;
    struct ae_grant grants[9];
    unsigned ngrants;
    struct image_use use;                 /* the image it runs (images.c) */
    struct image_args args;               /* its program's argv and environment */
};

/* The quota the container's files are made from: a child of keep (so
 * they count in the container's limit and outlive its run until removal),
 * up to fs.bytes and what the kernel keeps for them. Made from cm's line,
 * it carries AERIE_R_CLONE, and the fs service gets it so: a fork has fs
 * Memory-CLONE the original's file chunks into the clone's files quota
 * (docs/FORK.md, "Files"). Only objects charged to this quota can be
 * cloned with it — fs's chunks of this container — and the container
 * itself never holds it. */
int cm_files_quota(const struct container *c, uint64_t bytes, uint64_t *q)
{
    *q = ae_slot_alloc();
    int r = (int)ae_quota_create(CM_RUN_PARENT(c), AERIE_OBJ_QUOTA, *q, bytes + bytes / 64 + (64u << 10), 0,
                                 CM_FS_OBJECTS(bytes) - 1);
    if (r) {
        ae_slot_free(*q);
        *q = 0;
    }
    return r;
}

/* "fs": a session of the fs service whose root is the image's files/,
 * copy-on-write, with the spec's data and inode limits, its pages made
 * from the container's own quota (files_quota: the service holds the
 * only capability to it once the session is open). */
static int open_fs(struct creation *k, char *err, size_t errlen)
{
    struct container *c = k->c;
    if (!cm.fs_admin) {
        snprintf(err, errlen, "grant fs: no file-system service is running");
        return AE_ENOTSUP;
    }
    uint64_t files;
    int r = cm_files_quota(c, c->spec->fs_bytes, &files);
    if (r) {
        snprintf(err, errlen, "grant fs: no room for its files' quota (error %d)", r);
        return r;
    }
    struct ae_fs_session_spec fs = {
        .image = k->use.fs_root, .data_bytes = c->spec->fs_bytes, .inodes = c->spec->fs_inodes, .quota = files,
    };
    uint32_t id;
    r = ae_fs_admin_open_session(cm.fs_admin, &fs, &k->fs_cap, &id);
    if (r)
        ae_invoke0(files, AERIE_QUOTA_DESTROY);
    ae_cap_delete(files);                 /* the service has its own copy */
    ae_slot_free(files);
    if (r) {
        snprintf(err, errlen, "grant fs: the fs service refused a session (error %d)", r);
        k->fs_cap = 0;
        return r;
    }
    c->fs_session = id;
    k->grants[k->ngrants++] = (struct ae_grant){ "fs", k->fs_cap, AERIE_R_WRITE | AERIE_R_GRANT, 0 };
    return 0;
}

/* Ports granted to live containers: a port belongs to one container at a
 * time, so none can take a port a neighbour was promised (the net
 * service itself lets grants overlap; docs/NET.md). Only creations with
 * ports take this lock. */
#define CM_PORT_RANGES 256
static struct { uint16_t lo, hi; uint8_t kind; uint64_t id; } port_table[CM_PORT_RANGES];
_Static_assert(SPEC_MAX_PORTS <= NET_MAX_RANGES && SPEC_PORTS_TCP == NET_PORTS_TCP &&
               SPEC_PORTS_OUT == NET_PORTS_TCP_OUT, "a spec's ports are the net service's ranges");
static pthread_mutex_t port_lock = PTHREAD_MUTEX_INITIALIZER;

static int claim_ports(const struct container *c, char *err, size_t errlen)
{
    const struct spec *s = c->spec;
    int r = 0;
    pthread_mutex_lock(&port_lock);
    unsigned nfree = 0, nclaim = 0;
    for (unsigned i = 0; i < s->nports; i++)
        nclaim += s->ports[i].kind != SPEC_PORTS_OUT;   /* destinations are nobody's to hold */
    for (unsigned t = 0; t < CM_PORT_RANGES; t++) {
        nfree += port_table[t].id == 0;
        for (unsigned i = 0; i < s->nports && port_table[t].id && !r; i++)
            if (s->ports[i].kind == port_table[t].kind && s->ports[i].kind != SPEC_PORTS_OUT &&
                s->ports[i].first <= port_table[t].hi && port_table[t].lo <= s->ports[i].last) {
                snprintf(err, errlen, "ports: %s%u-%u overlaps ports %u-%u of container %lu",
                         s->ports[i].kind == SPEC_PORTS_TCP ? "tcp:" : "", s->ports[i].first, s->ports[i].last,
                         port_table[t].lo, port_table[t].hi, port_table[t].id);
                r = AE_EADDRINUSE;
            }
    }
    if (!r && nfree < nclaim) {
        snprintf(err, errlen, "ports: the manager holds %u port ranges already", CM_PORT_RANGES);
        r = AE_ENOMEM;
    }
    for (unsigned t = 0, i = 0; !r && t < CM_PORT_RANGES && i < s->nports; t++) {
        while (i < s->nports && s->ports[i].kind == SPEC_PORTS_OUT)
            i++;
        if (i < s->nports && !port_table[t].id) {
            port_table[t].lo = s->ports[i].first;
            port_table[t].hi = s->ports[i].last;
            port_table[t].kind = s->ports[i].kind;
            port_table[t].id = c->id;
            i++;
        }
    }
    pthread_mutex_unlock(&port_lock);
    return r;
}

static void release_ports(const struct container *c)
{
    pthread_mutex_lock(&port_lock);
    for (unsigned t = 0; t < CM_PORT_RANGES; t++)
        if (port_table[t].id == c->id)
            port_table[t].id = 0;
    pthread_mutex_unlock(&port_lock);
}

int cm_port_of(const struct container *c, char *buf, size_t cap)
{
    return cm_port_nth(c, 0, buf, cap);
}

int cm_port_nth(const struct container *c, unsigned nth, char *buf, size_t cap)
{
    int found = 0;
    pthread_mutex_lock(&port_lock);
    for (unsigned t = 0; t < CM_PORT_RANGES && !found; t++)
        if (port_table[t].id == c->id && nth-- == 0) {
            snprintf(buf, cap, "%s%u-%u", port_table[t].kind == SPEC_PORTS_TCP ? "tcp:" : "udp:",
                     port_table[t].lo, port_table[t].hi);
            found = 1;
        }
    pthread_mutex_unlock(&port_lock);
    return found;
}

/* "net": a client of the net service that may bind the spec's ports. */
static int open_net(struct creation *k, char *err, size_t errlen)
{
    struct container *c = k->c;
    if (!cm.net_admin) {
        snprintf(err, errlen, "grant net: no network service is running");
        return AE_ENOTSUP;
    }
    struct ae_net_range ranges[SPEC_MAX_PORTS];
    uint8_t kinds[SPEC_MAX_PORTS];
    for (unsigned i = 0; i < c->spec->nports; i++) {
        ranges[i] = (struct ae_net_range){ c->spec->ports[i].first, c->spec->ports[i].last };
        kinds[i] = c->spec->ports[i].kind;
    }
    uint64_t id;
    int r = claim_ports(c, err, errlen);
    if (r)
        return r;
    r = ae_net_admin_client_add_k(cm.net_admin, ranges, kinds, c->spec->nports, c->spec->net_conns, &id,
                                  &k->net_cap);
    if (r) {
        release_ports(c);
        snprintf(err, errlen, "ports: the net service refused them (error %d): in use, or not its to give", r);
        k->net_cap = 0;
        return r;
    }
    c->net_client = id;
    k->grants[k->ngrants++] = (struct ae_grant){ "net", k->net_cap, AERIE_R_WRITE | AERIE_R_GRANT, 0 };
    return 0;
}

/* The console drops c's stream and its log. */
void cm_forget_console(struct container *c)
{
    if (c->console_badge && cm.console_admin) {
        ae_utcb()->mr[0] = c->console_badge;
        ae_call(cm.console_admin, AERIE_INFO(CON_FORGET, 1, 0), AERIE_TIMEOUT_FOREVER);
        c->console_badge = 0;
    }
    cm_free_slot(&c->log_mem);
}

/* The fs session outlives the container's end, so its files can still be
 * copied out (`aerie cp`); removal closes it. */
void cm_close_fs(struct container *c)
{
    cm_free_slot(&c->fs_cap);
    if (c->fs_session) {
        ae_fs_admin_close_session(cm.fs_admin, (uint32_t)c->fs_session);
        c->fs_session = 0;
    }
}

/* The net client goes with the end: its ports are free for others. */
void cm_close_net(struct container *c)
{
    if (c->net_client) {
        ae_net_admin_client_remove(cm.net_admin, c->net_client);
        c->net_client = 0;
        release_ports(c);
    }
}

static int add_grants(struct creation *k, char *err, size_t errlen)
{
    struct container *c = k->c;
    const struct spec *s = c->spec;
    if (s->grants & SPEC_GRANT_SELF) {
        k->grants[k->ngrants++] = (struct ae_grant){ "self.task", 0, AERIE_R_ALL, 0 };
        k->grants[k->ngrants++] = (struct ae_grant){ "self.thread", 0, AERIE_R_ALL, 0 };
        k->grants[k->ngrants++] = (struct ae_grant){ "self.quota", 0, AERIE_R_ALL, 0 };
        k->grants[k->ngrants++] = (struct ae_grant){ "self.fault", k->fault_cap, AERIE_R_WRITE, 0 };
    }
    if (s->grants & SPEC_GRANT_CONSOLE) {
        char name[CON_NAME_MAX + 1];
        cm_stream_name(c, name, sizeof name);
        int r = cm_open_console(c->keep, name, &k->console_cap, &c->console_badge, &c->log_mem);
        if (r) {
            snprintf(err, errlen, "grant console: the console did not open a stream (error %d)", r);
            return r;
        }
        k->grants[k->ngrants++] = (struct ae_grant){ "console", k->console_cap, AERIE_R_WRITE, 0 };
    }
    if (s->grants & SPEC_GRANT_STDIN) {      /* the spec parser made sure of console */
        int r = cm_attach_input(c, &k->stdin_cap);
        if (r) {
            snprintf(err, errlen, "grant stdin: the console did not attach input (error %d)", r);
            return r;
        }
        k->grants[k->ngrants++] = (struct ae_grant){ "stdin", k->stdin_cap, AERIE_R_READ, 0 };
    }
    if (s->grants & SPEC_GRANT_FS) {
        int r = open_fs(k, err, errlen);
        if (r)
            return r;
    }
    if (s->grants & SPEC_GRANT_NET) {
        int r = open_net(k, err, errlen);
        if (r)
            return r;
    }
    return 0;
}

uint64_t cm_stack_for(uint64_t stack, const char *const *argv, const char *const *envp)
{
    uint64_t n = 0;
    for (unsigned i = 0; argv && argv[i]; i++)
        n += strlen(argv[i]) + 1 + 8;
    for (unsigned i = 0; envp && envp[i]; i++)
        n += strlen(envp[i]) + 1 + 8;
    /* a few KiB fit the stack as asked for (a small spec's container is
     * made as before); more get room of their own on top, so the program
     * still has the stack its spec names. The stack is lazy: its pages
     * are charged to the container as they are touched. */
    return n <= stack / 4 ? stack : stack + ((n + 4095) & ~4095ull);
}

static int load(struct creation *k, char *err, size_t errlen)
{
    struct container *c = k->c;
    const struct spec *s = c->spec;
    int r = images_program(s, &k->use, &k->args, err, errlen);
    if (r)
        return r;
    /* an imported image's program may be a link (Alpine's /bin/sh): it is
     * resolved inside the image; argv[0] stays the name it was called by */
    struct img_file f;
    char why[200];
    r = images_find_program(k->use.archive, k->use.cfg != NULL,
                            k->use.cfg ? k->use.prog + 5 : k->use.prog, &f, why, sizeof why);
    if (r) {
        snprintf(err, errlen, "entrypoint: %s (image '%s')", why, s->image);
        return r;
    }
    c->cpu = pick_cpu(s);
    if (c->cpu < 0) {
        snprintf(err, errlen, "cpus: none of them exists (this machine has CPUs 0..%u)", cm.ncpus - 1);
        return AE_EINVAL;
    }
    struct ae_spawn_args a = {
        .quota = c->run, .image = f.data, .image_len = f.size, .image_mem = k->use.mem,
        .image_off = f.data_offset, .argv = k->args.argv, .envp = k->args.envp, .grants = k->grants,
        .ngrants = k->ngrants, .stack_bytes = cm_stack_for(s->stack, k->args.argv, k->args.envp), .fault_ep = k->fault_cap, .cpu = c->cpu,
        .prio = s->prio, .suspended = true, .lazy = true, .debuggable = s->debug != SPEC_DEBUG_NO,
    };
    cm_about_keep(c, a.argv, a.envp);      /* as its program gets them, before a personality's own (CM_INSPECT) */
    struct cm_linux lx = { 0 };
    if (!elf_is_aerie(f.data, f.size)) {
        if (s->debug) {
            snprintf(err, errlen, "debug: a Linux program is debugged inside its personality, not by cm");
            return AE_ENOTSUP;
        }
        r = cm_linux_prepare(c, &f, &a, &lx, err, errlen);
        if (r) {
            cm_linux_release(&lx);
            return r;
        }
    }
    char names[160] = "";
    for (unsigned i = 0, n = 0; i < a.ngrants; i++)   /* grants go to slots 1..n (aerie trace names them) */
        n += (unsigned)snprintf(names + n, n < sizeof names ? sizeof names - n : 0,
                                "%s%u=%s", i ? " " : "", i + 1, a.grants[i].name);
    c->slot_names = cm_intern(names);
    struct ae_child child;
    r = ae_spawn(&a, &child, err, errlen);
    cm_linux_release(&lx);                 /* the container has its copy */
    if (r)
        return r;
    c->debug = s->debug;
    c->task = child.task;                  /* a debugger's memory access; TASK_CLONE (fork.c) */
    c->thread = child.thread;
    c->clone_at = child.clone_at;
    return 0;
}

/* The container's quotas: keep (its whole limit; what must outlive its
 * run — its log, its files — until removal) and run, below it, that its
 * program, threads and objects come from. Quotas reserve nothing up
 * front: every charge to run also counts in keep, so keep's limit bounds
 * everything the container costs. With a console, keep's room for the
 * log (charged a page at a time as it is written) is held back from the
 * rest: with files too, run and the files sit under use, a child of keep
 * whose limit is keep's less the log; with a console alone, run's own
 * limit is keep's less the log, and no use quota is made (its 384 bytes
 * would be a tenth of what an idle container's objects cost). Either
 * way, however full the rest gets, keep has room for the log. (A trace
 * buffer, made later from CM_RUN_PARENT, counts in that room when there
 * is no use: trace.c.) */
static int make_quotas(struct container *c, const struct spec *s, char *err, size_t errlen)
{
    /* keep carries the spec's CPUs, and every quota below it (use, run,
     * a fork's, the files') inherits them: the kernel keeps each of its
     * threads on them, whoever places it (kernel/quota.h, "CPUs"). */
    uint64_t cpus = cm_cpus_of(s);
    if (!cpus) {
        snprintf(err, errlen, "cpus: none of them exists (this machine has CPUs 0..%u)", cm.ncpus - 1);
        return AE_EINVAL;
    }
    c->keep = ae_slot_alloc();
    uint64_t files = (s->grants & SPEC_GRANT_FS) ? CM_FS_OBJECTS(s->fs_bytes) : 0;
    uint64_t run_bytes = s->mem;
    int r = (int)ae_quota_create_cpus(cm.quota, c->keep, s->mem, s->threads,
                                      s->objects + CM_KEEP_OBJECTS + files, cpus);
    if (!r && (s->grants & SPEC_GRANT_CONSOLE) && !(s->grants & SPEC_GRANT_FS))
        run_bytes = s->mem - CM_LOG_BYTES - CM_KEEP_OWN;
    else if (!r && (s->grants & SPEC_GRANT_CONSOLE)) {
        c->use = ae_slot_alloc();
        r = (int)ae_quota_create(c->keep, AERIE_OBJ_QUOTA, c->use, s->mem - CM_LOG_BYTES - CM_KEEP_OWN,
                                 s->threads,
                                 s->objects + CM_KEEP_OBJECTS + files);
        if (r) {
            ae_slot_free(c->use);
            c->use = 0;
        }
    }
    if (!r) {
        c->run = ae_slot_alloc();
        r = (int)ae_quota_create(CM_RUN_PARENT(c), AERIE_OBJ_QUOTA, c->run, run_bytes, s->threads, s->objects);
    }
    if (r == AE_ENOMEM)      /* only the quota objects are charged now: the manager is full */
        snprintf(err, errlen, "the container manager's memory is used up (error %d)", r);
    else if (r)
        snprintf(err, errlen, "threads/objects: the manager's own limits are reached (error %d)", r);
    return r;
}

/* Gives back everything a quota holds; c locked or not yet shared. */
void cm_destroy_quota(uint64_t *q)
{
    if (*q) {
        ae_invoke0(*q, AERIE_QUOTA_DESTROY);   /* every page and object comes back */
        __atomic_store_n(&cm.last_end_ns, cm_now_ns(), __ATOMIC_RELAXED);   /* some of it soon (ops.c) */
        ae_slot_free(*q);
        *q = 0;
    }
}

int container_create(const struct spec *s, uint64_t *id, char *err, size_t errlen)
{
    /* mem= is a limit the container's objects are charged against (and
     * the manager's quota with them), not a reservation: containers may
     * promise more than the manager has in total, but no one container
     * more than the whole. */
    uint64_t mine[6] = { 0 };
    ae_quota_info(cm.quota, mine);
    if (s->mem > mine[0]) {
        snprintf(err, errlen, "mem: %lu bytes is more than the container manager has in all (%lu)", s->mem, mine[0]);
        return AE_ENOMEM;
    }
    if (name_taken(s->name, err, errlen))
        return AE_EEXIST;
    struct creation k = { 0 };
    struct container *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "the container manager is out of memory");
        return AE_ENOMEM;
    }
    k.c = c;
    pthread_mutex_init(&c->lock, 0);
    c->spec = s;                           /* the caller's, until this returns */
    c->slot_names = "";
    snprintf(c->image, sizeof c->image, "%s", s->image);
    snprintf(c->name, sizeof c->name, "%s", s->name);
    c->id = __atomic_add_fetch(&cm.next_id, 1, __ATOMIC_RELAXED);
    c->created_ns = cm_now_ns();
    int r = make_quotas(c, s, err, errlen);
    if (!r) {
        k.fault_cap = ae_slot_alloc();
        r = (int)ae_cap_copy(cm.ep, k.fault_cap, AERIE_R_WRITE, CM_FAULT_BADGE | c->id);
    }
    if (!r) {
        r = images_acquire(s->image, &k.use, err, errlen);
        c->image_held = r == 0;
    }
    if (!r)          /* however its last thread ends, cm hears of it (on_gone) */
        r = (int)ae_invokev(CM_RUN_PARENT(c), AERIE_QUOTA_WATCH, c->run, k.fault_cap);
    if (!r)
        r = add_grants(&k, err, errlen);
    if (!r)
        r = load(&k, err, errlen);
    if (!r) {
        c->fs_cap = k.fs_cap;              /* kept for ctl's transfers (CM_FS_SESSION) */
        k.fs_cap = 0;
    }
    if (!r && c->name[0]) {                /* held until it is in the table: see names_lock */
        pthread_mutex_lock(&names_lock);
        r = name_taken(c->name, err, errlen);
        if (r)
            pthread_mutex_unlock(&names_lock);
    }
    cm_free_slot(&k.console_cap);             /* the container has its copies */
    cm_free_slot(&k.stdin_cap);
    cm_free_slot(&k.fs_cap);
    cm_free_slot(&k.net_cap);
    cm_free_slot(&k.fault_cap);
    if (r) {
        cm_free_slot(&c->lx_sig);
        cm_free_input_ntfn(c);
        cm_close_net(c);
        cm_close_fs(c);
        cm_forget_console(c);
        cm_destroy_quota(&c->run);
        cm_destroy_quota(&c->keep);
        cm_free_slot(&c->use);                /* destroyed with keep */
        if (c->thread)
            ae_slot_free(c->thread);
        if (c->image_held)
            images_release(s->image);
        cm_about_free(c);
        free(c);
        return r;
    }
    c->fs_bytes = s->fs_bytes;             /* what a fork re-issues (fork.c) */
    c->fs_inodes = s->fs_inodes;
    c->net_conns = s->net_conns;
    c->nports = (uint8_t)s->nports;
    c->spec = NULL;
    c->state = CM_CREATED;
    *id = c->id;
    container_insert(c);
    if (c->name[0])
        pthread_mutex_unlock(&names_lock);
    return 0;
}

int container_start(struct container *c)
{
    if (c->state != CM_CREATED)
        return AE_EBUSY;
    c->started_ns = cm_now_ns();
    c->state = CM_RUNNING;
    /* The container runs at the manager's priority until it first leaves
     * its CPU (a time slice at most); the caller then steps aside for it
     * (ops.c): a container started in a burst reaches main now, not
     * after the manager has made the whole burst at its higher priority.
     * The thread capability is kept: debug, fork. */
    return (int)ae_invokev(c->thread, AERIE_THREAD_RESUME, AERIE_RESUME_BOOST);
}

/* Tells everyone waiting for c; c locked. */
static void wake_waiters(struct container *c)
{
    struct aerie_utcb *u = ae_utcb();
    for (unsigned i = 0; i < c->nwaiters; i++) {
        u->mr[0] = 0;
        u->mr[1] = (uint64_t)c->state;
        u->mr[2] = c->exit_status;
        u->mr[3] = c->fault[0];
        u->mr[4] = c->fault[1];
        u->mr[5] = c->fault[2];
        ae_send(c->waiters[i], AERIE_INFO(0, 6, 0), AERIE_TIMEOUT_POLL);
        ae_slot_free(c->waiters[i]);       /* the reply capability is gone once used */
    }
    c->nwaiters = 0;
}

void container_end(struct container *c, int state, uint64_t status, const uint64_t fault[3])
{
    if (c->state == CM_EXITED || c->state == CM_FAULTED || c->state == CM_KILLED)
        return;
    c->state = state;
    c->exit_status = status;
    if (fault)
        memcpy(c->fault, fault, sizeof c->fault);
    c->ended_ns = cm_now_ns();
    if (!c->started_ns)
        c->started_ns = c->ended_ns;
    if (c->run)
        ae_invoke(c->run, AERIE_QUOTA_INFO, 0, 0, c->final, 8);   /* its CPU time and calls stay */
    cm_debug_end(c);
    cm_drop_input(c);                               /* input pending is discarded; a reader sees the end */
    cm_free_slot(&c->lx_sig);
    cm_close_net(c);                                /* its ports are free before anyone hears of the end */
    /* The waiters hear now: what is left is cm's own work, done before cm
     * takes another request for c (c is locked), so a remove, a restart
     * or the stats that follow still find every page given back. */
    wake_waiters(c);
    cm_destroy_quota(&c->run);                      /* its program, threads and objects */
    if (c->thread) {
        ae_slot_free(c->thread);                 /* emptied by the destruction */
        c->thread = 0;
    }
}

int container_kill(struct container *c)
{
    if (c->state != CM_RUNNING && c->state != CM_CREATED)
        return AE_EBUSY;
    container_end(c, CM_KILLED, 0, 0);
    return 0;
}

int container_remove(uint64_t id)
{
    unsigned s = shard_of(id);
    pthread_mutex_lock(&cm.shards[s].lock);
    struct container **pp = &cm.shards[s].head;
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    struct container *c = *pp;
    if (c) {
        pthread_mutex_lock(&c->lock);     /* nobody else holds it after this */
        *pp = c->next;
    }
    pthread_mutex_unlock(&cm.shards[s].lock);
    if (!c)
        return AE_ESRCH;
    container_end(c, CM_KILLED, 0, 0);
    cm_forget_console(c);
    cm_close_fs(c);
    cm_free_slot(&c->trace_mem);                    /* its trace buffer */
    if (c->image_held)
        images_release(c->image);             /* rmi may take the image now */
    cm_destroy_quota(&c->keep);                     /* its log and files: the rest */
    cm_free_slot(&c->use);                          /* destroyed with keep */
    cm_about_free(c);
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return 0;
}
