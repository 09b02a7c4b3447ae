/*
 * fuzz.c — the kernel fuzzer's hostile side (the "fuzz" role of a spawned
 * copy of this program). The task runs two fuzz threads on every CPU (its
 * first thread answers their faults); each issues random and malformed
 * system calls and invocations on the task's own objects — every object
 * type and method, words with huge sizes and forged slots — while the
 * others delete, revoke, suspend, re-aim (SET_UTCB, SET_REGS), map, unmap
 * and destroy the same objects. What each thread does follows from the
 * instance's seed and the thread's index, so a seed names a run (the
 * interleaving across CPUs is the machine's). Every call adds one to the
 * counter the parent reads (FUZZ_PROGRESS_VA).
 */
#include "kt.h"
#include <aerie/kip.h>
#include <aerie/fault.h>

#define POOL 48                    /* slots the fuzzer fills, empties and refills */
#define MAX_THREADS 16
#define SPINNERS 2                 /* started threads that only spin: targets */
#define FUZZ_STACK 16384
/* The fault endpoint and the fuzz threads' handler capabilities live at
 * the top of the space, which the slot allocator never reaches and forged
 * slots seldom do: the fuzzer can still hit them, but rarely enough that a
 * run lasts. */
#define FAULT_SLOT (AERIE_CSPACE_MAX - 1)
#define HANDLER_SLOT(i) (AERIE_CSPACE_MAX - 2 - (i))

struct fz {
    uint64_t rng;
    unsigned idx;
};

enum { H_TASK, H_THREAD, H_QUOTA, H_EP, H_EP_BADGED, H_NTFN, H_MEM, H_PROGRESS, NHELD };
static const char *const held_names[NHELD] = {
    AE_GRANT_SELF_TASK, AE_GRANT_SELF_THREAD, AE_GRANT_SELF_QUOTA, "ep", "ep.badged", "ntfn", "mem", "progress",
};

static uint64_t held[NHELD];
static uint32_t pool[POOL];
static uint64_t sibling[MAX_THREADS];
static unsigned nthreads, ncpus;
static volatile uint64_t *progress;
static struct fz states[MAX_THREADS];
static struct ae_thread threads[MAX_THREADS], spinners[SPINNERS];

static uint64_t rnd(struct fz *z)
{
    z->rng ^= z->rng << 13;
    z->rng ^= z->rng >> 7;
    z->rng ^= z->rng << 17;
    return z->rng;
}

static uint64_t pick(struct fz *z, uint64_t n) { return rnd(z) % n; }

/* A slot: mostly the fuzzer's own, sometimes one it holds for its life
 * (its task, thread and quota rarely: hitting them mostly ends the run),
 * a sibling, or forged. */
static uint64_t rnd_slot(struct fz *z)
{
    switch (pick(z, 16)) {
    case 0: return rnd(z);
    case 1: return pick(z, 70000);
    case 2: return pick(z, 64);
    case 3: return sibling[pick(z, nthreads)];
    case 4: case 5:
        if (pick(z, 64) == 0)
            return held[pick(z, NHELD)];
        return held[H_EP + pick(z, H_PROGRESS - H_EP)];    /* its counter only when forged */
    default: return pool[pick(z, POOL)];
    }
}

/* A size: page multiples, off by one, and the absurd. */
static uint64_t rnd_size(struct fz *z)
{
    static const uint64_t odd[] = { 0, 1, 4095, 4097, 1ull << 20, 1ull << 32, (1ull << 32) + 4096,
                                    1ull << 40, 1ull << 63, ~0ull, ~0ull - 4095, 0x7FFFFFFFF000ull };
    if (pick(z, 4) == 0)
        return odd[pick(z, sizeof odd / sizeof odd[0])];
    return 4096 * (1 + pick(z, 16));
}

static uint64_t rnd_word(struct fz *z)
{
    switch (pick(z, 12)) {
    case 0: return rnd(z);
    case 1: return pick(z, 4096);
    case 2: return 0x200000 + pick(z, 0x200000);                       /* its image and stack */
    case 3: return 0xFFFF800000000000ull + pick(z, 1ull << 30);         /* kernel space */
    case 4: return FUZZ_SCRATCH_VA + pick(z, FUZZ_SCRATCH_BYTES / 4096) * 4096;
    case 5: return 0x40000000ull + pick(z, 1 << 24);                   /* its heap */
    case 6: case 7: return rnd_slot(z);
    case 8: return rnd_size(z);
    default: return pick(z, 24);                                        /* types, flags, labels */
    }
}

static uint64_t rnd_timeout(struct fz *z)
{
    return pick(z, 4) ? AERIE_TIMEOUT_POLL : pick(z, 100000);           /* never block for long */
}

/* A method call that never waits: if cap turns out to be an endpoint,
 * the send polls (ae_invoke would wait for a receiver for ever). */
static int64_t inv(uint64_t cap, uint64_t label, unsigned n, const uint64_t *args)
{
    struct aerie_utcb *u = ae_utcb();
    for (unsigned i = 0; i < n; i++)
        u->mr[i] = args[i];
    return ae_call(cap, AERIE_INFO(label, n, 0), AERIE_TIMEOUT_POLL);
}

#define INV0(cap, label) inv((cap), (label), 0, 0)
#define INVV(cap, label, ...) inv((cap), (label), (unsigned)AE_NARGS(__VA_ARGS__), AE_ARGS(__VA_ARGS__))

static void fill_words(struct fz *z, unsigned n)
{
    struct aerie_utcb *u = ae_utcb();
    for (unsigned i = 0; i < n && i < AERIE_MSG_WORDS; i++)
        u->mr[i] = rnd_word(z);
}

/* Any system call, wild arguments (unknown numbers go to the handler). */
static void raw_syscall(struct fz *z)
{
    struct aerie_utcb *u = ae_utcb();
    for (int i = 0; i < 8; i++)
        u->mr[pick(z, AERIE_MSG_WORDS)] = rnd_word(z);
    u->caps[pick(z, 3)] = (uint32_t)rnd_slot(z);
    u->recv_slots[pick(z, 3)] = (uint32_t)rnd_slot(z);
    uint64_t nr = AERIE_SYS_BASE - 2 + pick(z, 20), badge;
    if (nr == AERIE_SYS_EXIT)
        nr = AERIE_SYS_YIELD;
    uint64_t label = pick(z, 4) ? pick(z, 16) : rnd(z) & AERIE_LABEL_MAX;
    uint64_t info = AERIE_INFO(label, pick(z, 70), pick(z, 5)) | (pick(z, 16) == 0 ? rnd(z) << 16 : 0);
    uint64_t a[5] = { rnd_slot(z), info, rnd_word(z), rnd_word(z), rnd_word(z) };
    /* wild everywhere but where a call may wait: never for long */
    if (nr == AERIE_SYS_CALL || nr == AERIE_SYS_SEND || nr == AERIE_SYS_REPLY_RECV)
        a[2] = rnd_timeout(z);
    else if (nr == AERIE_SYS_RECV)
        a[1] = rnd_timeout(z);
    else if (nr == AERIE_SYS_FUTEX)
        a[3] = rnd_timeout(z);
    ae_syscall(nr, a[0], a[1], a[2], a[3], a[4], &badge);
}

/* A method of an object it holds (or a forged slot), random words. */
static void invoke_any(struct fz *z)
{
    unsigned n = pick(z, 4) ? (unsigned)pick(z, 8) : (unsigned)pick(z, 30);
    fill_words(z, n);
    uint64_t label = pick(z, 16) ? pick(z, 12) : rnd(z) & AERIE_LABEL_MAX;
    ae_call(rnd_slot(z), AERIE_INFO(label, n, 0), AERIE_TIMEOUT_POLL);
}

/* QUOTA_CREATE of any type into a pool slot, sizes from tiny to absurd. */
static void create_any(struct fz *z)
{
    uint64_t from = pick(z, 3) ? held[H_QUOTA] : rnd_slot(z);
    uint64_t type = pick(z, 8) ? 1 + pick(z, 6) : rnd_word(z);
    uint64_t a0 = rnd_size(z), a1 = pick(z, 4) ? pick(z, 8) : rnd_word(z), a2 = pick(z, 64);
    if (type == AERIE_OBJ_THREAD && pick(z, 2))
        a0 = pick(z, 2) ? held[H_TASK] : pool[pick(z, POOL)];
    if (type == AERIE_OBJ_MEMORY && pick(z, 2))
        a1 = pick(z, 4) ? (pick(z, 2) ? 0 : AERIE_MEM_LAZY) : AERIE_MEM_CONTIG;
    INVV(from, AERIE_QUOTA_CREATE, type, pool[pick(z, POOL)], a0, a1, a2);
}

static void cap_any(struct fz *z)
{
    uint64_t a = pick(z, 8) ? pool[pick(z, POOL)] : rnd_slot(z), b = pool[pick(z, POOL)];
    uint64_t badge = pick(z, 2) ? 0 : rnd_word(z);
    switch (pick(z, 5)) {
    case 0: ae_cap_copy(a, b, pick(z, 4) ? AERIE_R_ALL : rnd(z), badge); break;
    case 1: ae_cap_move(a, b); break;
    case 2: ae_cap_delete(a); break;
    case 3: ae_cap_revoke(pick(z, 4) ? a : held[H_EP + pick(z, 4)]); break;
    default: INVV(pick(z, 2) ? held[H_TASK] : rnd_slot(z), AERIE_TASK_CAP_COPY, a, b, rnd(z), badge); break;
    }
}

/* Threads: mostly the pool's and the spinners (running on every CPU), now
 * and then a sibling fuzz thread — stopped, re-aimed or resumed, but not
 * destroyed or cut off from its fault handler, so a run lasts. */
static void thread_any(struct fz *z)
{
    bool sib = pick(z, 64) == 0;
    uint64_t t = sib ? sibling[pick(z, nthreads)]
                     : pick(z, 2) ? spinners[pick(z, SPINNERS)].thread_slot : pool[pick(z, POOL)];
    uint64_t regs[1 + AERIE_REG_COUNT], op = pick(z, 11);
    if (sib && (op == 7 || op == 9))
        op = 1;
    switch (op) {
    case 0: INV0(t, AERIE_THREAD_SUSPEND); break;
    case 1: case 2: INV0(t, AERIE_THREAD_RESUME); break;
    case 3:
        INVV(t, AERIE_THREAD_SET_UTCB, pick(z, 2) ? held[H_MEM] : pool[pick(z, POOL)],
                   pick(z, 4) ? pick(z, 16) * AERIE_UTCB_SIZE : rnd_word(z));
        break;
    case 4:
        regs[0] = rnd(z) & ((1u << AERIE_REG_COUNT) - 1);
        for (unsigned r = 1; r <= AERIE_REG_COUNT; r++)
            regs[r] = rnd_word(z);
        inv(t, AERIE_THREAD_SET_REGS, 1 + AERIE_REG_COUNT, regs);
        break;
    case 5: INV0(t, AERIE_THREAD_GET_REGS); break;
    case 6:                                   /* with a mask too: within the quota's CPUs or refused */
        if (pick(z, 2))
            INVV(t, AERIE_THREAD_SET_AFFINITY, pick(z, ncpus + 1));
        else
            INVV(t, AERIE_THREAD_SET_AFFINITY, pick(z, ncpus + 1), pick(z, 2) ? pick(z, 1u << ncpus) : rnd_word(z));
        break;
    case 7: INVV(t, AERIE_THREAD_SET_HANDLER, pick(z, 2) ? 0 : rnd_slot(z)); break;
    case 8: INVV(t, AERIE_THREAD_SET_PRIORITY, pick(z, 12)); break;
    case 10:                                  /* marked or not: it may run on a borrower's tables (attack9) */
        INVV(t, AERIE_THREAD_RUN_BORROWED, pick(z, 4) ? pick(z, 2) : rnd_word(z));
        break;
    default: INV0(t, AERIE_THREAD_DESTROY); break;
    }
}

static void map_any(struct fz *z)
{
    uint64_t task = pick(z, 4) ? held[H_TASK] : pool[pick(z, POOL)];
    uint64_t va = FUZZ_SCRATCH_VA + pick(z, FUZZ_SCRATCH_BYTES / 4096) * 4096;
    if (pick(z, 3)) {
        uint64_t mem = pick(z, 2) ? pool[pick(z, POOL)] : held[H_MEM];
        /* lazy or not, and now and then any mix of the known bits and one more */
        uint64_t flags = pick(z, 4) ? AERIE_MAP_R | AERIE_MAP_W | (pick(z, 2) ? AERIE_MAP_LAZY : 0) : pick(z, 64);
        INVV(task, AERIE_TASK_MAP, mem, pick(z, 4) ? 0 : rnd_size(z), pick(z, 16) ? va : rnd_word(z), rnd_size(z),
             flags);
    } else {
        uint64_t bytes = pick(z, 8) ? rnd_size(z) : FUZZ_SCRATCH_BYTES;
        INVV(task, AERIE_TASK_UNMAP, pick(z, 8) ? va : FUZZ_SCRATCH_VA, bytes);
    }
    if (pick(z, 8) == 0)                      /* touch it: maybe mapped, maybe not */
        (void)*(volatile uint8_t *)va;
}

/* TASK_CLONE of a task it made (or its own, or a forged slot), with its
 * quota or a wild one, into pool slots: pool tasks with one inactive
 * thread really are copied, and their clones torn down with the rest.
 * Also Task SUSPEND, RESUME and CAP_GET (attack7), clones of every thread (of a task
 * suspended or not) with a fault endpoint or a wild word, and Memory
 * CLONE of its memory; Task BORROW between them (attack9). */
static void clone_any(struct fz *z)
{
    uint64_t task = pick(z, 4) ? pool[pick(z, POOL)] : pick(z, 2) ? held[H_TASK] : rnd_slot(z);
    if (pick(z, 4) == 0) {
        unsigned k = pick(z, 4);
        if (k == 0)                           /* Task CAP_GET: any slot of it into a pool slot */
            INVV(task, AERIE_TASK_CAP_GET, pick(z, 2) ? pool[pick(z, POOL)] : rnd_slot(z),
                 pick(z, 8) ? pool[pick(z, POOL)] : rnd_word(z), pick(z, 2) ? 0xFF : rnd(z),
                 pick(z, 2) ? 0 : rnd_word(z));
        else if (k == 1)                      /* Task BORROW from itself, a pool task or anything (attack9) */
            INVV(task, AERIE_TASK_BORROW,
                 pick(z, 2) ? held[H_TASK] : pick(z, 4) ? pool[pick(z, POOL)] : rnd_slot(z));
        else
            INV0(task, pick(z, 2) ? AERIE_TASK_SUSPEND : AERIE_TASK_RESUME);
        return;
    }
    uint64_t q = pick(z, 4) ? held[H_QUOTA] : pick(z, 2) ? pool[pick(z, POOL)] : rnd_slot(z);
    uint64_t sq = pick(z, 4) ? held[H_QUOTA] : pool[pick(z, POOL)];
    if (pick(z, 4) == 0) {                    /* Memory CLONE of its memory (mapped or not) or any slot */
        uint64_t mem = pick(z, 2) ? held[H_MEM] : pool[pick(z, POOL)];
        INVV(mem, AERIE_MEM_CLONE, q, sq, pick(z, 8) ? pool[pick(z, POOL)] : rnd_word(z));
        return;
    }
    uint64_t th = pick(z, 8) ? pool[pick(z, POOL)] : rnd_word(z);
    if (pick(z, 2))
        INVV(task, AERIE_TASK_CLONE, q, sq, pool[pick(z, POOL)], th);
    else
        INVV(task, AERIE_TASK_CLONE, q, sq, pool[pick(z, POOL)], th, pick(z, 4) ? AERIE_CLONE_ALL_THREADS : pick(z, 8),
             pick(z, 2) ? held[H_EP] : rnd_slot(z));
}

static void destroy_any(struct fz *z)
{
    static const uint64_t labels[] = { AERIE_QUOTA_DESTROY, AERIE_TASK_DESTROY, AERIE_THREAD_DESTROY };
    INV0(pool[pick(z, POOL)], labels[pick(z, 3)]);
}

/* IPC on its endpoints and notification: calls, sends with capabilities,
 * receives, replies, signals, saved replies, watches and their notices. */
static void ipc_any(struct fz *z)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge, ep = held[H_EP + pick(z, 2)];
    u->caps[0] = (uint32_t)rnd_slot(z);
    u->recv_slots[0] = pool[pick(z, POOL)];
    fill_words(z, 4);
    switch (pick(z, 8)) {
    case 0: ae_call(ep, AERIE_INFO(pick(z, 8), pick(z, 5), pick(z, 2)), AERIE_TIMEOUT_POLL); break;
    case 1: ae_send(ep, AERIE_INFO(pick(z, 8), pick(z, 5), pick(z, 2)), rnd_timeout(z)); break;
    case 2: ae_recv(held[H_EP], rnd_timeout(z), &badge); break;
    case 3: ae_reply_recv(held[H_EP], AERIE_INFO(0, pick(z, 3), pick(z, 2)), rnd_timeout(z), &badge); break;
    case 4: ae_signal(pick(z, 2) ? held[H_NTFN] : rnd_slot(z), rnd(z)); break;
    case 5: ae_recv(held[H_NTFN], rnd_timeout(z), &badge); break;
    case 6: ae_reply_save(pool[pick(z, POOL)]); break;
    default:
        if (pick(z, 2))
            INVV(held[H_QUOTA], AERIE_QUOTA_WATCH, pool[pick(z, POOL)], pick(z, 4) ? ep : 0);
        else        /* a trace of a pool quota into a pool memory, or off (the pool mixes kinds) */
            INVV(held[H_QUOTA], AERIE_QUOTA_TRACE, pool[pick(z, POOL)], pick(z, 4) ? pool[pick(z, POOL)] : 0,
                 pick(z, 2) ? ~0ull : rnd(z));
        break;
    }
}

static void futex_any(struct fz *z)
{
    uint64_t addr = pick(z, 2) ? FUZZ_PROGRESS_VA + 8 * pick(z, 8) : rnd_word(z) & ~3ull;
    if (pick(z, 2))
        ae_syscall(AERIE_SYS_FUTEX, AERIE_FUTEX_WAIT, addr, pick(z, 3), pick(z, 100000), 0, 0);
    else
        ae_syscall(AERIE_SYS_FUTEX, AERIE_FUTEX_WAKE, addr, pick(z, 4), 0, 0, 0);
}

static void step(struct fz *z)
{
    uint64_t kind = pick(z, 20);
    progress[16 + z->idx] = kind;                 /* what each thread is at, for a stall report */
    switch (kind) {
    case 0: case 1: case 2: case 3: raw_syscall(z); break;
    case 4: case 5: case 6: case 7: case 8: invoke_any(z); break;
    case 9: case 10: create_any(z); break;
    case 11: case 12: cap_any(z); break;
    case 13: case 14: thread_any(z); break;
    case 15: map_any(z); break;
    case 16: pick(z, 4) ? destroy_any(z) : clone_any(z); break;
    case 17: case 18: ipc_any(z); break;
    default: futex_any(z); break;
    }
    __atomic_add_fetch(progress, 1, __ATOMIC_RELAXED);
    progress[1 + z->idx]++;
}

static void fuzz_thread(void *arg)
{
    struct fz *z = arg;
    for (;;)
        step(z);
}

static void spin(void *arg)
{
    for (volatile uint64_t i = 0;; i++)
        ;
}

/* ---- faults: the task's first thread answers its fuzz threads' ----
 * A fuzz thread that faults (its own wild access, or a sibling's SET_REGS)
 * is sent back to the start of its loop on a fresh stack, with its TLS
 * put back; an unknown system call is answered "no such call". */

static uint64_t stack_top[MAX_THREADS], tcb_of[MAX_THREADS];

/* Where a recovered thread lands: RAX holds its index (RESUME sets RIP,
 * RSP and RAX only). */
void fuzz_recover(void);
__asm__(".global fuzz_recover\n"
        "fuzz_recover:\n"
        "    movq %rax, %rdi\n"
        "    call fuzz_restart\n"
        "    ud2\n");

__attribute__((used, noreturn)) void fuzz_restart(uint64_t idx);
__attribute__((used, noreturn)) void fuzz_restart(uint64_t idx)
{
    if (idx >= MAX_THREADS || !tcb_of[idx])
        for (;;)
            ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
    ae_syscall(AERIE_SYS_SET_TLS, tcb_of[idx], 0, 0, 0, 0, 0);
    for (;;)
        step(&states[idx]);
}

static _Noreturn void serve_faults(uint64_t ep)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge;
    for (;;) {
        int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
        if (r < 0) {
            ae_sleep_ns(1000000);                 /* its endpoint is gone: the run is over */
            continue;
        }
        uint64_t label = AERIE_INFO_LABEL((uint64_t)r), idx = badge - 1;
        if (idx < MAX_THREADS)
            progress[32 + idx]++;
        if (label == AERIE_FAULT_SYSCALL) {
            u->mr[0] = AERIE_RESUME_SET_RAX;
            u->mr[3] = (uint64_t)AE_ENOSYS;
        } else if (idx < nthreads && stack_top[idx]) {
            u->mr[0] = AERIE_RESUME_SET_RIP | AERIE_RESUME_SET_RSP | AERIE_RESUME_SET_RAX;
            u->mr[1] = (uint64_t)fuzz_recover;
            u->mr[2] = stack_top[idx];
            u->mr[3] = idx;
        } else {
            ae_reply(AERIE_INFO(1, 0, 0));           /* not one of ours: it stays stopped */
            continue;
        }
        ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0));
    }
}

/* Fills the pool with one object of each kind after another. */
static void fill_pool(void)
{
    static const uint64_t kinds[] = { AERIE_OBJ_QUOTA, AERIE_OBJ_TASK, AERIE_OBJ_ENDPOINT,
                                      AERIE_OBJ_NOTIFICATION, AERIE_OBJ_MEMORY, AERIE_OBJ_THREAD };
    for (unsigned i = 0; i < POOL; i++) {
        pool[i] = (uint32_t)ae_slot_alloc();
        uint64_t k = kinds[i % 6];
        uint64_t a0 = k == AERIE_OBJ_QUOTA ? 1ull << 20 : k == AERIE_OBJ_MEMORY ? 4096ull << (i % 4)
                    : k == AERIE_OBJ_THREAD ? (i % 12 < 6 ? held[H_TASK] : pool[i - 4]) : 0;
        if (k == AERIE_OBJ_QUOTA && ncpus > 1 && (i / 6) % 2)   /* some with CPU 1 only (quota.h "CPUs") */
            ae_quota_create_cpus(held[H_QUOTA], pool[i], a0, 4, 32, 2);
        else
            ae_quota_create(held[H_QUOTA], k, pool[i], a0, k == AERIE_OBJ_QUOTA ? 4 : 0, 32);
    }
}

int kt_fuzz_main(uint64_t seed)
{
    for (unsigned i = 0; i < NHELD; i++)
        held[i] = ae_capenv_lookup(held_names[i]);
    if (ae_task_map(held[H_TASK], held[H_PROGRESS], 0, FUZZ_PROGRESS_VA, 4096, AERIE_MAP_R | AERIE_MAP_W) < 0)
        return 1;
    progress = (volatile uint64_t *)FUZZ_PROGRESS_VA;
    ncpus = ((const struct aerie_kip *)AERIE_KIP_ADDR)->ncpus;
    nthreads = 2 * ncpus < MAX_THREADS ? 2 * ncpus : MAX_THREADS;
    fill_pool();
    for (unsigned i = 0; i < SPINNERS; i++)
        ae_thread_start(&spinners[i], spin, 0, (int)(i % ncpus), 8192);
    /* Its own fault endpoint, badged per thread. */
    uint64_t fault_ep = FAULT_SLOT;
    if (ae_quota_create(held[H_QUOTA], AERIE_OBJ_ENDPOINT, fault_ep, 0, 0, 0) < 0)
        return 2;
    for (unsigned i = 0; i < nthreads; i++) {
        states[i] = (struct fz){ .rng = (seed + 1) * 0x9E3779B97F4A7C15ull ^ (i + 1) * 0xBF58476D1CE4E5B9ull,
                                 .idx = i };
        threads[i].fault_ep = HANDLER_SLOT(i);
        ae_cap_copy(fault_ep, threads[i].fault_ep, AERIE_R_WRITE, i + 1);
        if (ae_thread_start(&threads[i], fuzz_thread, &states[i], (int)(i % ncpus), FUZZ_STACK) < 0)
            continue;
        stack_top[i] = (uint64_t)threads[i].mem + FUZZ_STACK - 64;
        tcb_of[i] = (uint64_t)threads[i].mem + FUZZ_STACK;
        sibling[i] = threads[i].thread_slot;
    }
    serve_faults(fault_ep);
}
