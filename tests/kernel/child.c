/*
 * child.c — what this program does when a test spawns it into a child
 * task (argv[1] names the role). The exit status is the result the
 * parent checks; these roles print nothing (they hold no console).
 */
#include "kt.h"
#include <aerie/fault.h>

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    while (s && *s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

/* hostile: holds nothing, tries everything; exits with the number of
 * calls that did not fail with "no capability" (must be 0). */
static int hostile(void)
{
    int wrong = 0;
    uint64_t badge;
    struct aerie_utcb *u = ae_utcb();
    for (uint64_t slot = 0; slot < AERIE_CSPACE_MAX + 16; slot++) {
        if (ae_cap_info(slot, &badge) != AE_ECAP)
            wrong++;
        if (slot % 97)
            continue;                      /* the rest on a sample of slots */
        for (uint64_t label = 0; label < 16; label++) {   /* every THREAD op, SET_ANSWERS (12) too */
            u->mr[0] = slot;
            if (ae_call(slot, AERIE_INFO(label, 4, 0), AERIE_TIMEOUT_POLL) != AE_ECAP)
                wrong++;
        }
        if (ae_send(slot, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL) != AE_ECAP)
            wrong++;
        int64_t r = ae_recv(slot, AERIE_TIMEOUT_POLL, &badge);
        if (slot && r != AE_ECAP)
            wrong++;
        if (ae_signal(slot, 1) != AE_ECAP)
            wrong++;
        if (ae_cap_copy(slot, slot + 1, AERIE_R_ALL, 5) != AE_ECAP && ae_cap_copy(slot, slot + 1, AERIE_R_ALL, 5) != AE_EINVAL)
            wrong++;
        if (ae_cap_move(slot, slot + 1) != AE_ECAP)
            wrong++;
        if (ae_cap_delete(slot) != AE_ECAP && slot < AERIE_CSPACE_MAX)
            wrong++;
        if (ae_cap_revoke(slot) != AE_ECAP)
            wrong++;
        if (ae_reply_save(slot) == 0)
            wrong++;
    }
    if (ae_reply(AERIE_INFO(0, 0, 0)) != AE_EINVAL)
        wrong++;
    return wrong;
}

/* idle: sleeps until destroyed. */
static int idle(void)
{
    for (;;)
        ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
    return 0;
}

/* spin (t_spaceend.c): writes its own pages in a loop until its task
 * is ended from the other CPU. */
static volatile uint64_t spin_rows[4096];

static int spin(void)
{
    for (uint64_t n = 0;; n++)
        spin_rows[(n * 64) % 4096] = n + spin_rows[(n * 64 + 8) % 4096];
    return 0;
}

/* ---- ways for a container to end (t_watch.c watches each) ---- */

static void exit_quiet(uint64_t status)
{
    ae_syscall(AERIE_SYS_EXIT, status, AERIE_EXIT_QUIET, 0, 0, 0, 0);
    for (;;)
        ;
}

static void second_thread(void *arg)
{
    ae_sleep_ns(20000000);
    exit_quiet(2);
}

/* The last of two threads to end is the one the watch reports. */
static int two_threads(void)
{
    static struct ae_thread th;
    if (ae_thread_start(&th, second_thread, 0, -1, 16384) < 0)
        exit_quiet(99);
    exit_quiet(1);
    return 0;
}

/* A container cannot touch the watch on its own quota: it is not its own
 * parent. Exits quietly with the number of calls that were not refused. */
static int unwatch(void)
{
    int wrong = 0;
    if (ae_invokev(ae_self.quota, AERIE_QUOTA_WATCH, ae_self.quota, 0) != AE_EINVAL)
        wrong++;
    if (ae_invokev(ae_self.quota, AERIE_QUOTA_WATCH, ae_self.quota, ae_self.quota) != AE_EINVAL)
        wrong++;
    if (ae_invokev(ae_self.quota, AERIE_QUOTA_WATCH, ae_self.task, 0) != AE_ETYPE)
        wrong++;
    exit_quiet((uint64_t)wrong);
    return 0;
}

/* The ending roles; -1 for any other role. */
static int ending(const char *how, const char *arg)
{
    if (str_eq(how, "exitquiet"))
        exit_quiet(parse_u64(arg));
    if (str_eq(how, "unhandled")) {
        ae_invokev(ae_self.thread, AERIE_THREAD_SET_HANDLER, 0);
        *(volatile int *)0xdead0000ull = 1;
    }
    if (str_eq(how, "killquota"))
        ae_invoke0(ae_self.quota, AERIE_QUOTA_DESTROY);
    if (str_eq(how, "killtask"))
        ae_invoke0(ae_self.task, AERIE_TASK_DESTROY);
    if (str_eq(how, "killthread"))
        ae_invoke0(ae_self.thread, AERIE_THREAD_DESTROY);
    if (str_eq(how, "twothreads"))
        return two_threads();
    if (str_eq(how, "unwatch"))
        return unwatch();
    if (!str_eq(how, "killquota") && !str_eq(how, "killtask") && !str_eq(how, "killthread"))
        return -1;                                  /* not an ending role */
    for (;;)
        ae_sleep_ns(AERIE_TIMEOUT_FOREVER);        /* the kill* roles never get here */
    return 0;
}

/* cow (t_cow.c): fills 8 rows over two pages, says so in cow_ready and spins until
 * the parent (which has cloned it meanwhile) sets cow_go; then rewrites
 * row cow_who and checks that every other row is as it filled it and its
 * own as it rewrote it: exit status 0, or 10 + the first row that is not. */
volatile uint64_t cow_ready, cow_go, cow_who;
uint64_t cow_rows[8][128] __attribute__((aligned(4096)));   /* small: every test task carries it */

static int cow(void)
{
    for (unsigned i = 0; i < 8; i++)
        for (unsigned j = 0; j < 128; j++)
            cow_rows[i][j] = i * 1000 + j;
    cow_ready = 1;
    while (!cow_go)
        ae_yield();
    uint64_t who = cow_who;
    for (unsigned j = 0; j < 128; j++)
        cow_rows[who][j] = 0xC0DE0000 + who * 1000 + j;
    for (unsigned i = 0; i < 8; i++)
        for (unsigned j = 0; j < 128; j++)
            if (cow_rows[i][j] != (i == who ? 0xC0DE0000 + who * 1000 + j : i * 1000 + j))
                return 10 + (int)i;
    return 0;
}

/* lazycow (t_maplazy.c): the cow role through a writable lazy mapping
 * (AERIE_MAP_LAZY) of a 32-page object of its own at LAZYCOW_VA: it
 * writes every page before cow_ready, so each group's entries exist and
 * are writable when the parent clones it; after cow_go it rewrites the
 * pages i with i % 3 == cow_who and checks every page: exit status 0, or
 * 10 + the first page that is not as it should be. */
#define LAZYCOW_VA 0x5B000000ull

static int lazycow(void)
{
    uint64_t m = ae_slot_alloc();
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, m, 32 * 4096, 0, 0) < 0 ||
        ae_task_map(ae_self.task, m, 0, LAZYCOW_VA, 32 * 4096, AERIE_MAP_R | AERIE_MAP_W | AERIE_MAP_LAZY) < 0)
        return 2;
    volatile uint64_t *p = (volatile uint64_t *)LAZYCOW_VA;
    for (uint64_t i = 0; i < 32; i++)
        p[i * 512] = i * 1000 + 7;
    cow_ready = 1;
    while (!cow_go)
        ae_yield();
    uint64_t who = cow_who;
    for (uint64_t i = 0; i < 32; i++)
        if (i % 3 == who)
            p[i * 512] = 0xC0DE0000 + who * 1000 + i;
    for (uint64_t i = 0; i < 32; i++)
        if (p[i * 512] != (i % 3 == who ? 0xC0DE0000 + who * 1000 + i : i * 1000 + 7))
            return 10 + (int)i;
    return 0;
}

int kt_child_main(int argc, char **argv)
{
    const char *role = argc > 1 ? argv[1] : "";
    int r = ending(role, argc > 2 ? argv[2] : "");
    if (r >= 0)
        return r;
    if (str_eq(role, "hostile"))
        return hostile();
    if (str_eq(role, "idle"))
        return idle();
    if (str_eq(role, "spin"))
        return spin();
    if (str_eq(role, "cow"))
        return cow();
    if (str_eq(role, "lazycow"))
        return lazycow();
    if (str_eq(role, "mt"))
        return kt_child_mt();
    if (str_eq(role, "mtattack"))
        return kt_child_mtattack();
    if (str_eq(role, "mtspawn"))
        return kt_child_mtspawn();
    if (str_eq(role, "stopwait"))
        return kt_child_stopwait();
    if (str_eq(role, "mtfault"))
        return kt_child_mtfault();
    if (str_eq(role, "callq"))
        return kt_child_callq();
    if (str_eq(role, "callmt"))
        return kt_child_callmt();
    if (str_eq(role, "resumer"))
        return kt_child_resumer();
    if (str_eq(role, "fuzz"))
        return kt_fuzz_main(parse_u64(argc > 2 ? argv[2] : "1"));
    return 0;                              /* warmup and unknown roles */
}
