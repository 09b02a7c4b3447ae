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
        for (uint64_t label = 0; label < 12; label++) {
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

/* ---- fuzz: random and malformed system calls ---- */

#define FUZZ_PROGRESS_VA 0x30000000ull   /* the parent maps a counter here */

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Slots 1-3 are its own task, thread and quota: hitting them at random
 * mostly ends the run (it unmaps its code or destroys itself), so they are
 * picked rarely, to let each run go deep. */
static uint64_t rnd_slot(void)
{
    switch (rnd() % 8) {
    case 0: return rnd();                        /* anything */
    case 1: return rnd() % 70000;
    default:
        if (rnd() % 256 == 0)
            return 1 + rnd() % 3;
        return 4 + rnd() % 20;                   /* the ones it holds, and what it makes */
    }
}

static uint64_t rnd_word(void)
{
    switch (rnd() % 8) {
    case 0: return rnd();
    case 1: return rnd() % 4096;
    case 2: return 0x200000 + rnd() % 0x200000;          /* its own image and stack */
    case 3: return 0xFFFF800000000000ull + (rnd() % (1ull << 30));   /* kernel space */
    case 4: return (rnd() % 0x1000) * 4096;               /* page-aligned low */
    case 5: return 0x40000000ull + rnd() % (1 << 24);    /* its heap range */
    default: return rnd() % 24;                            /* small: slots, types, flags */
    }
}

static uint64_t rnd_info(void)
{
    uint64_t label = rnd() % 4 ? rnd() % 16 : rnd();
    return AERIE_INFO(label & AERIE_LABEL_MAX, rnd() % 70, rnd() % 5) | (rnd() % 16 == 0 ? rnd() << 16 : 0);
}

static uint64_t rnd_timeout(void)
{
    return rnd() % 4 ? AERIE_TIMEOUT_POLL : rnd() % 100000;   /* never block for long */
}

static void fuzz_one(void)
{
    struct aerie_utcb *u = ae_utcb();
    for (int i = 0; i < 8; i++)
        u->mr[rnd() % AERIE_MSG_WORDS] = rnd_word();
    u->caps[rnd() % 3] = (uint32_t)rnd_slot();
    u->recv_slots[rnd() % 3] = (uint32_t)rnd_slot();
    uint64_t badge;
    switch (rnd() % 12) {
    case 0: case 1: case 2:
        ae_call(rnd_slot(), rnd_info(), rnd_timeout());
        break;
    case 3: ae_send(rnd_slot(), rnd_info(), rnd_timeout()); break;
    case 4: ae_recv(rnd_slot(), rnd_timeout(), &badge); break;
    case 5: ae_reply(rnd_info()); break;
    case 6: ae_reply_recv(rnd_slot(), rnd_info(), rnd_timeout(), &badge); break;
    case 7: ae_signal(rnd_slot(), rnd_word()); break;
    case 8: ae_syscall(AERIE_SYS_CAP, rnd() % 7, rnd_slot(), rnd_slot(), rnd_word(), rnd_word(), &badge); break;
    case 9: ae_syscall(AERIE_SYS_FUTEX, rnd() % 4, rnd_word(), rnd_word(), rnd_timeout(), 0, 0); break;
    case 10: ae_reply_save(rnd_slot()); break;
    default: {
        /* any number near Aerie's range (unknown ones go to the handler,
         * which answers them) except EXIT, with wild arguments */
        uint64_t nr = AERIE_SYS_BASE - 2 + rnd() % 20;
        if (nr == AERIE_SYS_EXIT)
            nr = AERIE_SYS_YIELD;
        ae_syscall(nr, rnd_slot(), rnd_info(), rnd_timeout(), rnd_word(), rnd_word(), &badge);
        break;
    }
    }
}

static int fuzz(uint64_t seed, uint64_t count)
{
    volatile uint64_t *progress = (volatile uint64_t *)FUZZ_PROGRESS_VA;
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint64_t i = 0; i < count; i++) {
        fuzz_one();
        *progress = i + 1;
    }
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
    if (str_eq(role, "fuzz"))
        return fuzz(parse_u64(argc > 2 ? argv[2] : "1"), 1000000000);
    return 0;                              /* warmup and unknown roles */
}
