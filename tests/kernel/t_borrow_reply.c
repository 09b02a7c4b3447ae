/*
 * t_borrow_reply.c — attacks on a RUN_BORROWED thread coming back from a
 * call onto the tables of the borrower whose thread it owes a reply
 * (kernel/sched.c, "Back from a call onto its caller's tables"; attack12,
 * docs/SECURITY.md 21zf): the Linux personality's shape — a borrower's
 * thread makes a foreign system call (a fault call to the lender's marked
 * thread), which calls a server in another task before it answers — while
 * the borrower, its thread, the lender or everything is destroyed from the
 * other CPU, and while the mark is taken off. The harness counts free
 * pages and objects: both must come back exact.
 *
 * The two user threads run code assembled below, copied into the lender's
 * lent memory; it reads and writes only fixed addresses.
 */
#include "kt.h"
#include <string.h>
#include <aerie/fault.h>

/* Literal numbers, as the code below uses them (objects.h's lent ranges:
 * 520 GiB is lent, 1 GiB nobody's). */
#define CODE_VA   0x8200000000ull
#define DATA_VA   0x8200001000ull
#define LOW_VA    0x40000000ull
#define EPF_SLOT  8                          /* in the lender: the borrower's fault endpoint */
#define EPS_SLOT  9                          /* in the lender: the server's endpoint */
#define B_SLOT    (DATA_VA + 0x90)           /* the borrower's thread: [+8] counts its calls */
#define T_SLOT    (DATA_VA + 0xA0)           /* the marked thread: LOW_VA read after each call, count */

/* The borrower's thread: a foreign system call (number 0) for ever. The
 * lender's marked thread: receive it, call the server, read LOW_VA,
 * answer (REPLY_RECV), and again. */
__asm__(".pushsection .rodata\n"
        ".globl br_code_b, br_code_b_end, br_code_t, br_code_t_end\n"
        "br_code_b:\n"
        "  movabs $0x8200001090, %r12\n"
        "1: xor %eax, %eax\n"             /* number 0: the stale words a RESUME without words leaves are 0 flags */
        "  syscall\n"
        "  incq 8(%r12)\n"
        "  jmp 1b\n"
        "br_code_b_end:\n"
        "br_code_t:\n"
        "  movabs $0x82000010a0, %r12\n"
        "  movabs $0x40000000, %r13\n"
        "  mov $0x1002, %eax\n"              /* RECV(EPF, forever) */
        "  mov $8, %edi\n"
        "  mov $-1, %rsi\n"
        "  syscall\n"
        "2: mov $0x1000, %eax\n"             /* CALL(EPS, info 0, forever) */
        "  mov $9, %edi\n"
        "  xor %esi, %esi\n"
        "  mov $-1, %rdx\n"
        "  syscall\n"
        "  mov (%r13), %rbx\n"
        "  mov %rbx, (%r12)\n"
        "  incq 8(%r12)\n"
        "  mov $0x1004, %eax\n"              /* REPLY_RECV(EPF, RESUME, forever) */
        "  mov $8, %edi\n"
        "  xor %esi, %esi\n"
        "  mov $-1, %rdx\n"
        "  syscall\n"
        "  jmp 2b\n"
        "br_code_t_end:\n"
        ".popsection");
extern const uint8_t br_code_b[], br_code_b_end[], br_code_t[], br_code_t_end[];
#define OFF_B 0x000
#define OFF_T 0x100

struct bworld {
    uint64_t q, p, c, code, data, low, secret, utcb, epf, b, t;
};

static uint64_t code_window;

/* The lender p (code, data, its own LOW_VA page holding own_mark), the
 * borrower c (its own LOW_VA page holding 0x5ec7e7), the borrower's
 * thread b and the lender's marked thread t on cpu, t calling eps. */
static int make(struct kt_env *env, struct bworld *w, uint64_t eps, uint64_t own_mark, unsigned cpu)
{
    memset(w, 0, sizeof *w);
    int64_t r = kt_create(env->quota, AERIE_OBJ_QUOTA, &w->q, 3 << 20, 12, 64);
    if (r || (r = kt_create(w->q, AERIE_OBJ_TASK, &w->p, 0, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_TASK, &w->c, 0, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_MEMORY, &w->code, 4096, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_MEMORY, &w->data, 4096, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_MEMORY, &w->low, 4096, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_MEMORY, &w->secret, 4096, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_MEMORY, &w->utcb, 4096, 0, 0)) ||
        (r = kt_create(w->q, AERIE_OBJ_ENDPOINT, &w->epf, 0, 0, 0)))
        return (int)r;
    if (!code_window && !(code_window = ae_vm_reserve(4096)))
        return AE_ENOMEM;
    if ((r = ae_task_map(ae_self.task, w->code, 0, code_window, 4096, AERIE_MAP_R | AERIE_MAP_W)))
        return (int)r;
    memcpy((uint8_t *)code_window + OFF_B, br_code_b, (size_t)(br_code_b_end - br_code_b));
    memcpy((uint8_t *)code_window + OFF_T, br_code_t, (size_t)(br_code_t_end - br_code_t));
    ae_task_unmap(ae_self.task, code_window, 4096);
    if ((r = ae_task_map(w->p, w->code, 0, CODE_VA, 4096, AERIE_MAP_R | AERIE_MAP_X)) ||
        (r = ae_task_map(w->p, w->data, 0, DATA_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)) ||
        (r = ae_task_map(w->p, w->low, 0, LOW_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)) ||
        (r = ae_task_map(w->c, w->secret, 0, LOW_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)) ||
        (r = kt_poke(w->p, (void *)LOW_VA, own_mark)) || (r = kt_poke(w->c, (void *)LOW_VA, 0x5ec7e7)) ||
        (r = ae_invokev(w->c, AERIE_TASK_BORROW, w->p)) ||
        (r = ae_invokev(w->p, AERIE_TASK_CAP_COPY, w->epf, EPF_SLOT, AERIE_R_ALL, 0)) ||
        (r = ae_invokev(w->p, AERIE_TASK_CAP_COPY, eps, EPS_SLOT, AERIE_R_ALL, 0)))
        return (int)r;
    /* t: marked, a UTCB (it receives), started first so it waits on epf. */
    r = kt_create(w->q, AERIE_OBJ_THREAD, &w->t, w->p, 0, 0);
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = CODE_VA + OFF_T;
    if (r || (r = ae_thread_set_regs(w->t, 1u << AERIE_REG_RIP, regs)) ||
        (r = ae_invokev(w->t, AERIE_THREAD_SET_UTCB, w->utcb, 0)) ||
        (r = ae_invokev(w->t, AERIE_THREAD_RUN_BORROWED, 1)) ||
        (r = ae_invokev(w->t, AERIE_THREAD_SET_AFFINITY, cpu)) || (r = ae_invoke0(w->t, AERIE_THREAD_RESUME)))
        return (int)r;
    return kt_start_at(w->q, w->c, CODE_VA + OFF_B, cpu, w->epf, false, &w->b);
}

static void unmake(struct bworld *w)
{
    ae_invoke0(w->q, AERIE_QUOTA_DESTROY);
    uint64_t s[] = { w->q, w->p, w->c, w->code, w->data, w->low, w->secret, w->utcb, w->epf, w->b, w->t };
    for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i]) {
            ae_cap_delete(s[i]);
            ae_slot_free(s[i]);
        }
}

static uint64_t t_word(struct bworld *w) { return kt_peek(w->p, (void *)T_SLOT); }
static uint64_t t_count(struct bworld *w) { return kt_peek(w->p, (void *)(T_SLOT + 8)); }
static uint64_t b_count(struct bworld *w) { return kt_peek(w->p, (void *)(B_SLOT + 8)); }

static bool wait_more(uint64_t (*count)(struct bworld *), struct bworld *w, uint64_t n, unsigned ms)
{
    uint64_t end = kt_now_ns() + ms * 1000000ull;
    for (;;) {
        uint64_t c = count(w);
        if (c != ~0ull && c != ~1ull && c > n)
            return true;
        if (kt_now_ns() > end)
            return false;
        ae_sleep_ns(200000);
    }
}

/* The server: answers every call on its endpoint after a delay that moves
 * with each call, so a destruction lands at every point of the round. */
struct server {
    uint64_t ep;
    volatile int stop, done;
    volatile uint64_t served;
};

static void server_main(void *arg)
{
    struct server *s = arg;
    uint64_t badge, n = 0;
    int64_t r = ae_recv(s->ep, 10000000, &badge);
    while (!s->stop) {
        if (r >= 0) {
            for (volatile uint64_t i = 0, k = (n * 7919) % 3000; i < k; i++)
                ;
            n++;
            s->served = n;
            r = ae_reply_recv(s->ep, 0, 10000000, &badge);
        } else {
            r = ae_recv(s->ep, 10000000, &badge);
        }
    }
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
}

static void spin_us(uint64_t us)
{
    uint64_t end = kt_now_ns() + us * 1000;
    while (kt_now_ns() < end)
        ;
}

KTEST_CPUS(borrow_reply_destroy_races, 2, "a lender's marked thread owing a borrower's thread a reply comes back from a call on CPU 1 (onto that borrower's tables) while CPU 0 destroys the borrower, its thread, the lender or the whole quota at moving offsets: no fault in the kernel, the rounds go on, nothing leaks")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    struct server s = { .ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0) };
    struct ae_thread sth = { 0 };
    CHECK_OK(kt_thread(env, &sth, server_main, &s, 1));
    unsigned on_borrower = 0;
    for (int it = 0; it < 40; it++) {
        struct bworld w;
        CHECK_OK(make(env, &w, s.ep, 0x1000 + (uint64_t)it, 1));
        CHECK(wait_more(t_count, &w, 3, 5000));
        CHECK(wait_more(b_count, &w, 3, 5000));
        if (t_word(&w) == 0x5ec7e7)
            on_borrower++;                       /* came back on the borrower's tables */
        spin_us((uint64_t)(it * 37) % 400);
        uint64_t n;
        switch (it % 5) {
        case 0:
            CHECK_OK(ae_invoke0(w.c, AERIE_TASK_DESTROY));
            break;
        case 1:
            CHECK_OK(ae_invoke0(w.b, AERIE_THREAD_DESTROY));
            break;
        case 2:
            CHECK_OK(ae_invoke0(w.p, AERIE_TASK_DESTROY));
            break;
        case 3:
            break;                               /* the quota, running */
        case 4:                                  /* the borrower, then the lender at once */
            CHECK_OK(ae_invoke0(w.c, AERIE_TASK_DESTROY));
            CHECK_OK(ae_invoke0(w.p, AERIE_TASK_DESTROY));
            break;
        }
        if (it % 5 == 1) {                       /* the marked thread serves on: start another caller */
            uint64_t b2;
            CHECK_OK(kt_start_at(w.q, w.c, CODE_VA + OFF_B, 1, w.epf, false, &b2));
            n = t_count(&w);
            CHECK(wait_more(t_count, &w, n + 3, 5000));
            ae_cap_delete(b2);
            ae_slot_free(b2);
        }
        unmake(&w);
    }
    s.stop = 1;
    CHECK(kt_wait(&s.done, 1, 5000));
    CHECK(on_borrower > 0);                      /* the path under attack was taken */
}

KTEST_CPUS(borrow_reply_unmark_races, 2, "a lender's marked thread coming back from a call onto a borrower's tables reads the borrower's page outside the lent ranges (its promise); once RUN_BORROWED 0 returns on CPU 0 it reads its own at once, never the borrower's again, however the switch on CPU 1 falls")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    struct server s = { .ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0) };
    struct ae_thread sth = { 0 };
    CHECK_OK(kt_thread(env, &sth, server_main, &s, 1));
    struct bworld w;
    CHECK_OK(make(env, &w, s.ep, 0x1001, 1));
    unsigned seen = 0;
    for (int it = 0; it < 300; it++) {
        CHECK_OK(kt_poke(w.c, (void *)LOW_VA, 0x5ec7e7));
        CHECK_OK(ae_invokev(w.t, AERIE_THREAD_RUN_BORROWED, 1));
        uint64_t n = t_count(&w);
        CHECK(wait_more(t_count, &w, n + 2, 5000));
        if (t_word(&w) == 0x5ec7e7)
            seen++;
        spin_us((uint64_t)(it * 13) % 97);
        CHECK_OK(ae_invokev(w.t, AERIE_THREAD_RUN_BORROWED, 0));
        /* Read after this, the borrower's page names the round: the
         * unmarked thread must never show it, not even in the round the
         * unmark fell in. */
        CHECK_OK(kt_poke(w.c, (void *)LOW_VA, 0xbad0000 + (uint64_t)it));
        /* From here every read is the lender's own page: the slot is
         * written after the read, so wait for two more rounds. */
        n = t_count(&w);
        uint64_t end = kt_now_ns() + 5000000000ull;
        while (t_count(&w) < n + 2 && kt_now_ns() < end) {
            uint64_t c = t_count(&w), v = t_word(&w);   /* the word is written before the count */
            if (c != ~0ull && c >= n + 2)
                CHECK_EQ(v, 0x1001);
            CHECK(v != 0xbad0000 + (uint64_t)it);
        }
        CHECK(t_count(&w) >= n + 2);
        CHECK_EQ(t_word(&w), 0x1001);
    }
    CHECK(seen > 0);
    unmake(&w);
    s.stop = 1;
    CHECK(kt_wait(&s.done, 1, 5000));
}

/* Shoots down the test task's CPUs for ever: a map and an unmap of a page
 * of its own (the server's tables, which CPU 1 holds when the marked
 * thread comes back from its call). */
struct shooter {
    uint64_t mem, va;
    volatile int stop, done;
    volatile uint64_t shots;
};

static void shooter_main(void *arg)
{
    struct shooter *s = arg;
    while (!s->stop) {
        if (ae_task_map(ae_self.task, s->mem, 0, s->va, 4096, AERIE_MAP_R) == 0) {
            *(volatile uint8_t *)s->va;
            ae_task_unmap(ae_self.task, s->va, 4096);
        }
        s->shots++;
    }
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
}

KTEST_EXPLICIT(borrow_reply_tlb_while_spinning, 3, "CPU 1 takes the marked thread back from its call (onto a borrower's tables) while CPU 0 holds that thread's lock (GET_REGS over and over) and CPU 2 shoots down the tables CPU 1 leaves: a TLB request served while spinning for the lock sends CPU 1 to the lender's own tables first; the switch then must not leave the lender's tables marked as loaded there (they would never be freed: the harness's page and object counts)")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    struct server s = { .ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0) };
    struct ae_thread sth = { 0 }, shth = { 0 };
    CHECK_OK(kt_thread(env, &sth, server_main, &s, 1));
    struct shooter sh = { .mem = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0), .va = ae_vm_reserve(4096) };
    CHECK(sh.va != 0);
    CHECK_OK(kt_thread(env, &shth, shooter_main, &sh, 2));
    for (int it = 0; it < 8; it++) {
        struct bworld w;
        CHECK_OK(make(env, &w, s.ep, 0x2000 + (uint64_t)it, 1));
        CHECK(wait_more(t_count, &w, 3, 5000));
        uint64_t regs[AERIE_REG_COUNT], end = kt_now_ns() + 300000000ull;
        while (kt_now_ns() < end)
            ae_invoke(w.t, AERIE_THREAD_GET_REGS, 0, 0, regs, AERIE_REG_COUNT);
        uint64_t n = t_count(&w);
        CHECK(wait_more(t_count, &w, n + 3, 5000));
        unmake(&w);
    }
    sh.stop = 1;
    s.stop = 1;
    CHECK(kt_wait(&sh.done, 1, 5000));
    CHECK(kt_wait(&s.done, 1, 5000));
    ae_vm_release(sh.va, 4096);
}

/* Holds the marked thread's lock over and over (GET_REGS locks a blocked
 * thread to read its frame): its switch back spins for the lock. */
struct hammer {
    uint64_t th;
    volatile int stop, done;
};

static void hammer_main(void *arg)
{
    struct hammer *h = arg;
    uint64_t regs[AERIE_REG_COUNT];
    while (!h->stop)
        ae_invoke(h->th, AERIE_THREAD_GET_REGS, 0, 0, regs, AERIE_REG_COUNT);
    __atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
}

KTEST_EXPLICIT(borrow_reply_unmark_while_spinning, 3, "RUN_BORROWED 0 from CPU 2 while CPU 1 brings the marked thread back from its call and spins for its lock (CPU 0 holds it, GET_REGS): once the unmark returns the thread reads its own page, never the borrower's")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 2));
    struct server s = { .ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0) };
    struct ae_thread sth = { 0 }, hth = { 0 };
    CHECK_OK(kt_thread(env, &sth, server_main, &s, 1));
    struct bworld w;
    CHECK_OK(make(env, &w, s.ep, 0x1001, 1));
    struct hammer h = { .th = w.t };
    CHECK_OK(kt_thread(env, &hth, hammer_main, &h, 0));
    unsigned seen = 0;
    for (int it = 0; it < 400; it++) {
        CHECK_OK(kt_poke(w.c, (void *)LOW_VA, 0x5ec7e7));
        CHECK_OK(ae_invokev(w.t, AERIE_THREAD_RUN_BORROWED, 1));
        uint64_t n = t_count(&w);
        CHECK(wait_more(t_count, &w, n + 2, 5000));
        if (t_word(&w) == 0x5ec7e7)
            seen++;
        spin_us((uint64_t)(it * 13) % 97);
        CHECK_OK(ae_invokev(w.t, AERIE_THREAD_RUN_BORROWED, 0));
        /* Read after this, the borrower's page names the round: the
         * unmarked thread must never show it, not even in the round the
         * unmark fell in. */
        CHECK_OK(kt_poke(w.c, (void *)LOW_VA, 0xbad0000 + (uint64_t)it));
        n = t_count(&w);
        uint64_t end = kt_now_ns() + 5000000000ull;
        while (t_count(&w) < n + 6 && kt_now_ns() < end) {
            uint64_t c = t_count(&w), v = t_word(&w);
            if (c != ~0ull && c >= n + 2)
                CHECK_EQ(v, 0x1001);
            CHECK(v != 0xbad0000 + (uint64_t)it);
        }
        CHECK(t_count(&w) >= n + 6);
    }
    CHECK(seen > 0);
    h.stop = 1;
    CHECK(kt_wait(&h.done, 1, 5000));
    unmake(&w);
    s.stop = 1;
    CHECK(kt_wait(&s.done, 1, 5000));
}
