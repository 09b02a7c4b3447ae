#define _GNU_SOURCE
/*
 * ptimers.c — POSIX timers through the C library and the raw calls:
 * a one-shot timer's signal with SI_TIMER, its id and value; an interval
 * timer whose signal stays blocked counts overruns (si_overrun and
 * timer_getoverrun); TIMER_ABSTIME on CLOCK_REALTIME, a time already
 * passed; timer_gettime and the old value; SIGEV_NONE; SIGEV_THREAD_ID to
 * one thread; the C library's SIGEV_THREAD; no timers in a fork's child
 * or after exec. Attacks: ids never made or deleted, huge ids, signal
 * numbers out of range, another process's thread, bad clocks, bad times
 * and pointers, and the bound on timers a process. Checks itself;
 * passes on Linux too (Aerie's own bounds checked only there).
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#ifndef sigev_notify_thread_id                        /* glibc before 2.35 */
#define sigev_notify_thread_id _sigev_un._tid
#endif

static bool aerie;
static volatile int got, got_code, got_val, got_tid, got_overrun, got_timerid, got_getov;
static volatile int first_overrun, first_getov;     /* of the first signal since got was 0 */
static timer_t ov_timer;
static volatile bool ov_ask;

/* Counts the signal last, after its fields: another thread polls `got`. */
static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_code = si->si_code;
    got_val = si->si_value.sival_int;
    got_overrun = si->si_overrun;
    got_timerid = si->si_timerid;
    got_tid = (int)syscall(SYS_gettid);
    if (ov_ask)                                          /* async-signal-safe: of this signal */
        got_getov = timer_getoverrun(ov_timer);
    if (got == 0) {                                      /* an interval timer's later ones may follow at once */
        first_overrun = got_overrun;
        first_getov = got_getov;
    }
    __atomic_fetch_add(&got, 1, __ATOMIC_RELEASE);
}

static int raw_create(int clock, struct sigevent *ev, int *id)
{
    return (int)syscall(SYS_timer_create, clock, ev, id);
}

static uint64_t now_ms(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits up to ms for got to reach n. */
static bool wait_got(int n, int ms)
{
    uint64_t end = now_ms(CLOCK_MONOTONIC) + (uint64_t)ms;
    while (got < n && now_ms(CLOCK_MONOTONIC) < end)
        usleep(1000);
    return got >= n;
}

static void one_shot(void)
{
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
    ev.sigev_value.sival_int = 42;
    int id = -1;
    got = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0 && id >= 0);
    struct itimerspec its = { .it_value = { 0, 20 * 1000000 } }, cur;
    CHECK(syscall(SYS_timer_settime, id, 0, &its, NULL) == 0);
    CHECK(syscall(SYS_timer_gettime, id, &cur) == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_sec == 0);
    CHECK(wait_got(1, 2000));
    CHECK(got_code == SI_TIMER && got_val == 42 && got_timerid == id && got_overrun == 0);
    CHECK(syscall(SYS_timer_gettime, id, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    usleep(40000);
    CHECK(got == 1);                                    /* once: no interval */
    CHECK(syscall(SYS_timer_delete, id) == 0);
    errno = 0;
    CHECK(syscall(SYS_timer_delete, id) == -1 && errno == EINVAL);
}

static void overruns(void)
{
    timer_t tm;
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
    ev.sigev_value.sival_int = 7;
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, &old);
    got = 0;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0);
    ov_timer = tm;
    got_getov = -1;
    ov_ask = true;
    struct itimerspec its = { .it_value = { 0, 10 * 1000000 }, .it_interval = { 0, 10 * 1000000 } };
    CHECK(timer_settime(tm, 0, &its, NULL) == 0);
    usleep(150 * 1000);                                  /* ~15 expirations, one signal pending */
    CHECK(got == 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(wait_got(1, 1000));
    CHECK(got_code == SI_TIMER && got_val == 7);
    CHECK(first_overrun >= 5);
    if (first_overrun < 5)
        printf("FAILED detail: overrun %d after %d signals\n", first_overrun, got);
    CHECK(first_getov == first_overrun);
    /* it goes on: more signals come */
    CHECK(wait_got(3, 2000));
    struct itimerspec old_v, zero = { 0 };
    CHECK(timer_settime(tm, 0, &zero, &old_v) == 0);
    CHECK(old_v.it_interval.tv_sec == 0 && old_v.it_interval.tv_nsec == 10 * 1000000);
    int n = got;
    usleep(50 * 1000);
    CHECK(got == n);                                     /* disarmed */
    ov_ask = false;
    CHECK(timer_delete(tm) == 0);
}

static void absolute_and_gettime(void)
{
    timer_t tm;
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
    ev.sigev_value.sival_int = 9;
    CHECK(timer_create(CLOCK_REALTIME, &ev, &tm) == 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec its = { .it_value = { now.tv_sec, now.tv_nsec } };
    its.it_value.tv_nsec += 30 * 1000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    got = 0;
    uint64_t t0 = now_ms(CLOCK_MONOTONIC);
    CHECK(timer_settime(tm, TIMER_ABSTIME, &its, NULL) == 0);
    CHECK(wait_got(1, 2000) && got_val == 9);
    CHECK(now_ms(CLOCK_MONOTONIC) - t0 >= 20);
    /* a time already passed: at once */
    its.it_value.tv_sec -= 100;
    got = 0;
    CHECK(timer_settime(tm, TIMER_ABSTIME, &its, NULL) == 0);
    CHECK(wait_got(1, 500));
    /* 10 s ahead with an interval: gettime and the old value */
    struct itimerspec ten = { .it_value = { 10, 0 }, .it_interval = { 3, 500 } }, cur, old;
    CHECK(timer_settime(tm, 0, &ten, NULL) == 0);
    CHECK(timer_gettime(tm, &cur) == 0 && cur.it_value.tv_sec >= 9 && cur.it_value.tv_sec <= 10);
    CHECK(cur.it_interval.tv_sec == 3 && cur.it_interval.tv_nsec == 500);
    struct itimerspec one = { .it_value = { 1, 0 } };
    CHECK(timer_settime(tm, 0, &one, &old) == 0 && old.it_value.tv_sec >= 9 && old.it_interval.tv_sec == 3);
    CHECK(timer_delete(tm) == 0);
}

static void sigev_none(void)
{
    int id;
    struct sigevent ev = { .sigev_notify = SIGEV_NONE };
    got = 0;
    CHECK(raw_create(CLOCK_BOOTTIME, &ev, &id) == 0);
    struct itimerspec its = { .it_value = { 0, 10 * 1000000 } }, cur;
    CHECK(syscall(SYS_timer_settime, id, 0, &its, NULL) == 0);
    usleep(30 * 1000);
    CHECK(got == 0);
    CHECK(syscall(SYS_timer_gettime, id, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    CHECK(syscall(SYS_timer_delete, id) == 0);
}

static volatile int worker_tid;
static volatile bool stop;

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = (int)syscall(SYS_gettid);
    while (!stop)
        usleep(1000);
    return NULL;
}

static void to_a_thread(void)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_t th;
    stop = false;
    worker_tid = 0;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    while (!worker_tid)
        usleep(1000);
    pthread_sigmask(SIG_BLOCK, &s, &old);                /* not this one: only the worker may take it */
    struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
    ev.sigev_notify_thread_id = worker_tid;
    int id;
    got = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec its = { .it_value = { 0, 10 * 1000000 } };
    CHECK(syscall(SYS_timer_settime, id, 0, &its, NULL) == 0);
    CHECK(wait_got(1, 2000));
    CHECK(got_tid == worker_tid);
    if (got_tid != worker_tid)
        printf("FAILED detail: signal taken by %d, worker %d, main %d, got %d, code %d\n", got_tid, worker_tid,
               (int)syscall(SYS_gettid), got, got_code);
    CHECK(syscall(SYS_timer_delete, id) == 0);
    stop = true;
    pthread_join(th, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static volatile int notified;
static void notify_fn(union sigval v)
{
    notified = v.sival_int;
}

/* the C library's SIGEV_THREAD: a thread of its own, woken by SIGEV_THREAD_ID */
static void sigev_thread(void)
{
    timer_t tm;
    struct sigevent ev = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify_fn };
    ev.sigev_value.sival_int = 55;
    notified = 0;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0);
    struct itimerspec its = { .it_value = { 0, 10 * 1000000 } };
    CHECK(timer_settime(tm, 0, &its, NULL) == 0);
    uint64_t end = now_ms(CLOCK_MONOTONIC) + 2000;
    while (!notified && now_ms(CLOCK_MONOTONIC) < end)
        usleep(1000);
    CHECK(notified == 55);
    CHECK(timer_delete(tm) == 0);
}

/* No timers in a fork's child, none after exec. */
static void fork_and_exec(void)
{
    int id;
    struct sigevent ev = { .sigev_notify = SIGEV_NONE };
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec cur;
    pid_t c = fork();
    if (c == 0) {
        if (syscall(SYS_timer_gettime, id, &cur) == 0 || errno != EINVAL)
            _exit(3);
        int mine;
        if (raw_create(CLOCK_MONOTONIC, &ev, &mine))
            _exit(4);
        char arg[16];
        snprintf(arg, sizeof arg, "%d", mine);
        execl("/proc/self/exe", "ptimers", "afterexec", arg, (char *)NULL);
        _exit(5);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(syscall(SYS_timer_gettime, id, &cur) == 0);   /* the parent's is still there */
    CHECK(syscall(SYS_timer_delete, id) == 0);
}

/* No sigevent: SIGALRM, whose default ends the process — two timers
 * due at once, the second deleted by the first's end. */
static void default_alarm(void)
{
    pid_t c = fork();
    if (c == 0) {
        signal(SIGALRM, SIG_DFL);
        int a, b;
        struct itimerspec its = { .it_value = { 0, 10 * 1000000 } };
        if (raw_create(CLOCK_MONOTONIC, NULL, &a) || raw_create(CLOCK_MONOTONIC, NULL, &b))
            _exit(1);
        syscall(SYS_timer_settime, a, 0, &its, NULL);
        syscall(SYS_timer_settime, b, 0, &its, NULL);
        usleep(30 * 1000);                               /* both due while we sleep */
        struct itimerspec cur;
        syscall(SYS_timer_gettime, a, &cur);
        for (;;)
            pause();
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
}

static void attacks(void)
{
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
    struct itimerspec its = { .it_value = { 1, 0 } }, cur;
    int id;
    long bad_ids[] = { -1, 12345, 1L << 40, 0x7fffffff };
    for (unsigned i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        errno = 0;
        CHECK(syscall(SYS_timer_settime, bad_ids[i], 0, &its, NULL) == -1 && errno == EINVAL);
        errno = 0;
        CHECK(syscall(SYS_timer_gettime, bad_ids[i], &cur) == -1 && errno == EINVAL);
        errno = 0;
        CHECK(syscall(SYS_timer_getoverrun, bad_ids[i]) == -1 && errno == EINVAL);
        errno = 0;
        CHECK(syscall(SYS_timer_delete, bad_ids[i]) == -1 && errno == EINVAL);
    }
    int sigs[] = { 0, -1, 65, 1000 };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        ev.sigev_signo = sigs[i];
        errno = 0;
        CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == -1 && errno == EINVAL);
    }
    ev.sigev_signo = SIGUSR1;
    ev.sigev_notify = 99;
    errno = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == -1 && errno == EINVAL);
    /* another process's thread */
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_notify_thread_id = c;
    errno = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == -1 && errno == EINVAL);
    ev.sigev_notify_thread_id = 1 << 30;
    errno = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == -1 && errno == EINVAL);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    ev.sigev_notify = SIGEV_SIGNAL;
    errno = 0;
    CHECK(raw_create(77, &ev, &id) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, (void *)8, &id) == -1 && errno == EFAULT);
    errno = 0;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, (void *)8) == -1 && errno == EFAULT);
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec badns = { .it_value = { 0, 1000000000 } }, negs = { .it_value = { -1, 0 } };
    errno = 0;
    CHECK(syscall(SYS_timer_settime, id, 0, &badns, NULL) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_timer_settime, id, 0, &negs, NULL) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_timer_settime, id, 0, (void *)8, NULL) == -1 && errno == EFAULT);
    errno = 0;
    CHECK(syscall(SYS_timer_gettime, id, (void *)8) == -1 && errno == EFAULT);
    CHECK(syscall(SYS_timer_delete, id) == 0);
    if (aerie) {
        /* 256 timers a process, then EAGAIN; deleting one makes room */
        ev.sigev_notify = SIGEV_NONE;
        int ids[300], n = 0;
        errno = 0;
        while (n < 300 && raw_create(CLOCK_MONOTONIC, &ev, &ids[n]) == 0)
            n++;
        CHECK(n == 256 && errno == EAGAIN);
        CHECK(n > 0 && syscall(SYS_timer_delete, ids[n - 1]) == 0);
        CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
        for (int i = 0; i < n - 1; i++)
            syscall(SYS_timer_delete, ids[i]);
        syscall(SYS_timer_delete, id);
        /* the CPU-time clocks are not here */
        errno = 0;
        CHECK(raw_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &id) == -1 && errno == EINVAL);
    }
}

int main(int argc, char **argv)
{
    struct utsname un;
    size_t n;
    aerie = !uname(&un) && (n = strlen(un.release)) >= 6 && !strcmp(un.release + n - 6, "-aerie");
    if (argc > 2 && !strcmp(argv[1], "afterexec")) {
        struct itimerspec cur;
        return syscall(SYS_timer_gettime, atoi(argv[2]), &cur) == -1 && errno == EINVAL ? 0 : 6;
    }
    struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO | SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    one_shot();
    overruns();
    absolute_and_gettime();
    sigev_none();
    to_a_thread();
    sigev_thread();
    fork_and_exec();
    default_alarm();
    attacks();
    return done("ptimers");
}
