/*
 * stdinprobe — an Aerie program that reads its standard input through
 * libc (read(0): the console stream's input, `aerie run -i`) and, asked
 * to, first misuses the input protocol (aerie/proto/console.h, CON_IN_*)
 * with everything it holds. tests/cli/test_stdin.sh runs it.
 *
 *   stdinprobe cat [MS]   sleeps MS ms, then prints each line of stdin as
 *                         "got: LINE" and at the end "stdinprobe: N bytes, end"
 *   stdinprobe attack     the attacks below, "stdinprobe: attack: N surprises"
 *                         (0: every one failed cleanly), then as cat
 *   stdinprobe threads N  N threads read stdin at once until each sees the
 *                         end: "stdinprobe: N readers, B bytes, all ended"
 *                         (a wakeup that reaches only one of them hangs it)
 *
 * Exit status: the number of surprises (0 when isolated).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/cm.h>
#include <aerie/proto/console.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>

#define PROBE_TIMEOUT 200000000ull       /* 200 ms: no call may hang us */

static int surprises;

static void surprise(const char *what, int64_t r)
{
    surprises++;
    printf("stdinprobe: SURPRISE: %s succeeded (%ld)\n", what, r);
}

/* A call that must be refused: an error, or a non-zero reply label. */
static void must_fail(const char *what, uint64_t cap, uint64_t info)
{
    int64_t r = ae_call(cap, info, PROBE_TIMEOUT);
    if (r >= 0 && !AERIE_INFO_LABEL((uint64_t)r))
        surprise(what, r);
}

/* The admin half of the protocol through its own console capability,
 * with its own badge and with guessed ones (other containers' streams). */
static void attack_admin_ops(uint64_t con, uint64_t ntfn)
{
    struct aerie_utcb *u = ae_utcb();
    for (uint64_t k = 0; k < 64; k++) {
        uint64_t badge = CON_OPENED_BADGE | k;
        u->mr[0] = badge, u->mr[1] = 0, u->mr[2] = 8, u->mr[3] = 0x5445524345530a;
        must_fail("CON_IN_PUSH to a guessed stream", con, AERIE_INFO(CON_IN_PUSH, 4, 0));
        u->mr[0] = badge, u->mr[1] = CON_IN_EOF | CON_IN_DROP, u->mr[2] = 0;
        must_fail("CON_IN_PUSH drop of a guessed stream", con, AERIE_INFO(CON_IN_PUSH, 3, 0));
        u->mr[0] = badge, u->mr[1] = 0;
        must_fail("CON_READ of a guessed stream's log", con, AERIE_INFO(CON_READ, 2, 0));
    }
    u->mr[0] = CON_OPENED_BADGE | 1;
    u->caps[0] = (uint32_t)ntfn;
    must_fail("CON_IN_ATTACH", con, AERIE_INFO(CON_IN_ATTACH, 1, ntfn ? 1 : 0));
    for (uint64_t k = 0; k < 4; k++) {   /* a second ring, its Memory "ours" (the caps we hold) */
        u->mr[0] = k ? CON_OPENED_BADGE | k : ~0ull;
        u->caps[0] = (uint32_t)ntfn;
        u->caps[1] = (uint32_t)con;
        must_fail("CON_IN_ATTACH with a notification and a second capability", con,
                  AERIE_INFO(CON_IN_ATTACH, 1, ntfn ? 2 : 0));
    }
    u->mr[0] = CON_OPENED_BADGE | 1;
    must_fail("CON_FORGET", con, AERIE_INFO(CON_FORGET, 1, 0));
    u->mr[0] = ~0ull, u->mr[1] = ~0ull, u->mr[2] = ~0ull;
    must_fail("CON_IN_PUSH with huge words", con, AERIE_INFO(CON_IN_PUSH, 3, 0));
    for (uint64_t label = CON_OP_COUNT; label < CON_OP_COUNT + 4; label++)
        must_fail("an unknown console op", con, AERIE_INFO(label, 1, 0));
    must_fail("CON_IN_READ with no words", con, AERIE_INFO(CON_IN_READ, 0, 0));
}

/* CON_IN_READ asking for far more than a message holds: at most
 * CON_IN_READ_MAX bytes come, and never more words than the length says. */
static void attack_huge_read(uint64_t con)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = ~0ull;
    int64_t r = ae_call(con, AERIE_INFO(CON_IN_READ, 1, 0), PROBE_TIMEOUT);
    if (r < 0 || AERIE_INFO_LABEL((uint64_t)r))
        return;                          /* AE_EAGAIN: nothing there yet */
    if (u->mr[0] > CON_IN_READ_MAX || u->mr[0] > (AERIE_INFO_NWORDS((uint64_t)r) - 2) * 8)
        surprise("CON_IN_READ returned more than a message carries", (int64_t)u->mr[0]);
    else if (u->mr[0])                   /* its own input, taken early: shown, not lost */
        printf("early: %.*s\n", (int)u->mr[0], (const char *)&u->mr[2]);
}

/* The "stdin" notification is its to wait on, not to signal. */
static void attack_notification(uint64_t ntfn)
{
    if (!ntfn)
        return;
    int64_t r = ae_signal(ntfn, ~0ull);
    if (r >= 0)
        surprise("signal on the stdin notification", r);
    uint64_t copy = ae_slot_alloc();
    if (copy && ae_cap_copy(ntfn, copy, AERIE_R_ALL, 0) >= 0 && (r = ae_signal(copy, 1)) >= 0)
        surprise("signal on a copy of the stdin notification with more rights", r);
}

/* Every slot it may hold, called as the container manager's CM_INPUT
 * for guessed container ids, and as CM_INPUT_ORPHANS (which would end
 * every container's input): it holds no cm capability, so none answers. */
static void attack_cm_input(void)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t con = ae_capenv_lookup("console");
    for (uint64_t slot = 1; slot < 64; slot++) {
        if (slot == con)
            continue;                    /* the console answers label 31 as an unknown op above */
        for (uint64_t id = 1; id < 8; id++) {
            u->mr[0] = id, u->mr[1] = CM_INPUT_EOF, u->mr[2] = 0;
            int64_t r = ae_call(slot, AERIE_INFO(CM_INPUT, 3, 0), PROBE_TIMEOUT);
            if (r >= 0 && !AERIE_INFO_LABEL((uint64_t)r) && u->mr[0] == 0) {
                surprise("CM_INPUT through a slot", (int64_t)slot);
                break;
            }
        }
        int64_t r = ae_call(slot, AERIE_INFO(CM_INPUT_ORPHANS, 0, 0), PROBE_TIMEOUT);
        if (r >= 0 && !AERIE_INFO_LABEL((uint64_t)r) && u->mr[0] == 0 && AERIE_INFO_NWORDS((uint64_t)r) == 2)
            surprise("CM_INPUT_ORPHANS through a slot", (int64_t)slot);
    }
}

static int cat(void)
{
    static char buf[65536];
    size_t total = 0, have = 0;
    for (;;) {
        ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
        if (n <= 0) {
            if (have)
                printf("got: %.*s\n", (int)have, buf);
            printf("stdinprobe: %zu bytes, %s\n", total, n == 0 ? "end" : "error");
            return n == 0 ? 0 : 1;
        }
        total += (size_t)n;
        have += (size_t)n;
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            printf("got: %.*s\n", (int)(nl - buf), buf);
            have -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have);
        }
        if (have == sizeof buf - 1)
            have = 0;                    /* a line this long is not printed */
    }
}

static unsigned long threads_bytes;
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;

static void *reader(void *arg)
{
    (void)arg;
    char buf[64];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        pthread_mutex_lock(&threads_lock);
        threads_bytes += (unsigned long)n;
        pthread_mutex_unlock(&threads_lock);
    }
    return NULL;
}

/* N threads in read(0) at once: every one must see the end. */
static int threads(unsigned n)
{
    pthread_t t[8];
    n = n < 1 ? 1 : n > 8 ? 8 : n;
    for (unsigned i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, reader, NULL)) {
            printf("stdinprobe: no thread %u\n", i);
            return 1;
        }
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("stdinprobe: %u readers, %lu bytes, all ended\n", n, threads_bytes);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "threads"))
        return threads((unsigned)strtoul(argv[2], NULL, 10));
    if (argc >= 2 && !strcmp(argv[1], "attack")) {
        uint64_t con = ae_capenv_lookup("console"), ntfn = ae_capenv_lookup("stdin");
        if (con) {
            attack_admin_ops(con, ntfn);
            attack_huge_read(con);
        }
        attack_notification(ntfn);
        attack_cm_input();
        printf("stdinprobe: attack: %d surprises\n", surprises);
        fflush(stdout);
    } else if (argc >= 3 && !strcmp(argv[1], "cat")) {
        ae_sleep_ns(strtoull(argv[2], NULL, 10) * 1000000ull);
    } else if (argc < 2 || strcmp(argv[1], "cat")) {
        printf("usage: stdinprobe cat [MS] | attack\n");
        return 2;
    }
    int r = cat();
    return surprises ? surprises : r;
}
