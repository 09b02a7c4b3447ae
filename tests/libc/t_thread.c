/*
 * t_thread.c — libc's POSIX threads, run twice: as a static executable
 * (libc.a's own clone threads and futexes) and on the host under ASan and
 * UBSan (host_sys.c). Mutual exclusion is checked by counting, waking by
 * queues of work, timeouts by the clock, and thread lifetimes by many
 * create/join and detached cycles.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ktest_host.h"

#define NTHREADS 4

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
    }
    return arg;
}

static void mutex_loses_no_increments(void)
{
    pthread_t t[NTHREADS];
    counter = 0;
    for (int i = 0; i < NTHREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, count_up, (void *)(intptr_t)20000), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        CHECK_EQ(pthread_join(t[i], &r), 0);
        CHECK_EQ((intptr_t)r, 20000);
    }
    CHECK_EQ(counter, NTHREADS * 20000);
}

static void recursive_and_errorcheck_mutexes_follow_posix(void)
{
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    pthread_mutexattr_init(&a);
    CHECK_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE), 0);
    pthread_mutex_init(&m, &a);
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_trylock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutex_destroy(&m), EBUSY);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), EPERM);
    CHECK_EQ(pthread_mutex_destroy(&m), 0);

    CHECK_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
    pthread_mutex_init(&m, &a);
    CHECK_EQ(pthread_mutex_unlock(&m), EPERM);
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_lock(&m), EDEADLK);
    CHECK_EQ(pthread_mutex_trylock(&m), EBUSY);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutexattr_settype(&a, 99), EINVAL);
    int type;
    pthread_mutexattr_gettype(&a, &type);
    CHECK_EQ(type, PTHREAD_MUTEX_ERRORCHECK);
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *try_held(void *arg)
{
    (void)arg;
    intptr_t r = pthread_mutex_trylock(&held);
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 20 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    intptr_t t = pthread_mutex_timedlock(&held, &abs);
    struct timespec bad = { 0, 1000000000 };
    intptr_t b = pthread_mutex_timedlock(&held, &bad);
    return (void *)(r | t << 8 | b << 16);
}

static void trylock_and_timedlock_fail_on_held_mutex(void)
{
    pthread_mutex_lock(&held);
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, try_held, NULL);
    pthread_join(t, &r);
    pthread_mutex_unlock(&held);
    CHECK_EQ((intptr_t)r & 0xff, EBUSY);
    CHECK_EQ((intptr_t)r >> 8 & 0xff, ETIMEDOUT);
    CHECK_EQ((intptr_t)r >> 16 & 0xff, EINVAL);
    struct timespec past = { 0, 0 };
    CHECK_EQ(pthread_mutex_timedlock(&held, &past), 0);  /* free: no waiting, no check */
    pthread_mutex_unlock(&held);
}

/* A bounded queue: producers and consumers meet through two conditions. */
#define QSIZE 8
static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    int items[QSIZE];
    int head, count;
    long consumed_sum;
} q = { .lock = PTHREAD_MUTEX_INITIALIZER, .not_empty = PTHREAD_COND_INITIALIZER,
        .not_full = PTHREAD_COND_INITIALIZER };

static void *producer(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 1; i <= 5000; i++) {
        pthread_mutex_lock(&q.lock);
        while (q.count == QSIZE)
            pthread_cond_wait(&q.not_full, &q.lock);
        q.items[(q.head + q.count++) % QSIZE] = base + i;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&q.lock);
        while (q.count == 0)
            pthread_cond_wait(&q.not_empty, &q.lock);
        q.consumed_sum += q.items[q.head];
        q.head = (q.head + 1) % QSIZE;
        q.count--;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.lock);
    }
    return arg;
}

static void condvars_pass_every_item_once(void)
{
    pthread_t p[2], c[2];
    q.consumed_sum = 0;
    for (int i = 0; i < 2; i++) {
        pthread_create(&c[i], NULL, consumer, NULL);
        pthread_create(&p[i], NULL, producer, (void *)(intptr_t)(i * 100000));
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(p[i], NULL);
        pthread_join(c[i], NULL);
    }
    long expected = 2 * (5000L * 5001 / 2) + 100000L * 5000;
    CHECK_EQ(q.consumed_sum, expected);
    CHECK_EQ(q.count, 0);
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int gate_open, waiting, passed;

static void *wait_at_gate(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    waiting++;
    while (!gate_open)
        pthread_cond_wait(&gate, &gate_lock);
    passed++;
    pthread_mutex_unlock(&gate_lock);
    return arg;
}

static void broadcast_wakes_every_waiter(void)
{
    pthread_t t[NTHREADS];
    gate_open = waiting = passed = 0;
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, wait_at_gate, NULL);
    for (;;) {
        pthread_mutex_lock(&gate_lock);
        int w = waiting;
        pthread_mutex_unlock(&gate_lock);
        if (w == NTHREADS)
            break;
        sched_yield();
    }
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(passed, NTHREADS);
}

static void cond_timedwait_times_out_on_its_clock(void)
{
    pthread_condattr_t a;
    pthread_cond_t c;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_condattr_init(&a);
    CHECK_EQ(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
    CHECK_EQ(pthread_condattr_setclock(&a, 42), EINVAL);
    pthread_cond_init(&c, &a);
    struct timespec start, abs, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    abs = start;
    abs.tv_nsec += 30 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int r;
    while ((r = pthread_cond_timedwait(&c, &m, &abs)) == 0)
        ;                               /* spurious wake-ups are allowed */
    pthread_mutex_unlock(&m);
    clock_gettime(CLOCK_MONOTONIC, &end);
    CHECK_EQ(r, ETIMEDOUT);
    long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    CHECK(ms >= 29);
    struct timespec bad = { 0, -1 };
    pthread_mutex_lock(&m);
    CHECK_EQ(pthread_cond_timedwait(&c, &m, &bad), EINVAL);
    pthread_mutex_unlock(&m);
    CHECK_EQ(pthread_cond_destroy(&c), 0);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void run_once(void)
{
    once_runs++;
    sched_yield();                      /* let others arrive while it runs */
}

static void *call_once(void *arg)
{
    pthread_once(&once, run_once);
    return arg;
}

static void once_runs_exactly_once(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, call_once, NULL);
    call_once(NULL);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(once_runs, 1);
}

static void *exit_early(void *arg)
{
    pthread_exit((char *)arg + 1);
}

static pthread_t self_id;

static void *self_checks(void *arg)
{
    (void)arg;
    pthread_t me = pthread_self();
    intptr_t ok = pthread_equal(me, self_id) && pthread_join(me, NULL) == EDEADLK;
    return (void *)ok;
}

static void join_detach_and_exit_follow_posix(void)
{
    pthread_t t;
    char buf[4];
    void *r;
    CHECK_EQ(pthread_create(&t, NULL, exit_early, buf), 0);
    CHECK_EQ(pthread_join(t, &r), 0);
    CHECK(r == buf + 1);

    CHECK_EQ(pthread_create(&self_id, NULL, self_checks, NULL), 0);
    CHECK_EQ(pthread_join(self_id, &r), 0);
    CHECK_EQ((intptr_t)r, 1);

    CHECK_EQ(pthread_create(&t, NULL, exit_early, buf), 0);
    CHECK_EQ(pthread_detach(t), 0);
    CHECK(!pthread_equal(pthread_self(), t));

    pthread_attr_t a;
    pthread_attr_init(&a);
    size_t size;
    CHECK_EQ(pthread_attr_setstacksize(&a, 100), EINVAL);
    CHECK_EQ(pthread_attr_setstacksize(&a, 64 * 1024), 0);
    pthread_attr_getstacksize(&a, &size);
    CHECK_EQ(size, 64 * 1024);
    CHECK_EQ(pthread_attr_setdetachstate(&a, 7), EINVAL);
}

static volatile int detached_done;

static void *detached_work(void *arg)
{
    char local[2048];
    memset(local, (int)(intptr_t)arg, sizeof local);
    __atomic_fetch_add(&detached_done, local[100] == (char)(intptr_t)arg, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Hundreds of short lives: joined ones freed by the joiner, detached ones
 * by the reaper; either mistake shows as a crash or ASan report. */
static void many_threads_come_and_go(void)
{
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    detached_done = 0;
    for (int i = 0; i < 150; i++) {
        pthread_t t, d;
        CHECK_EQ(pthread_create(&t, NULL, detached_work, (void *)(intptr_t)(i % 100)), 0);
        CHECK_EQ(pthread_create(&d, &detached, detached_work, (void *)(intptr_t)(i % 100)), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    while (__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST) < 300)
        sched_yield();
    CHECK_EQ(detached_done, 300);
}

static pthread_key_t key;
static int destroyed;

static void destroy_value(void *v)
{
    __atomic_fetch_add(&destroyed, *(int *)v, __ATOMIC_SEQ_CST);
}

static void *use_key(void *arg)
{
    static int values[NTHREADS];
    int i = (int)(intptr_t)arg;
    values[i] = i + 1;
    intptr_t ok = pthread_getspecific(key) == NULL;
    pthread_setspecific(key, &values[i]);
    ok = ok && pthread_getspecific(key) == &values[i];
    return (void *)ok;
}

static void keys_are_per_thread_and_destroyed_at_exit(void)
{
    destroyed = 0;
    CHECK_EQ(pthread_key_create(&key, destroy_value), 0);
    int mine = 100;
    pthread_setspecific(key, &mine);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, use_key, (void *)(intptr_t)i);
    for (int i = 0; i < NTHREADS; i++) {
        void *ok;
        pthread_join(t[i], &ok);
        CHECK_EQ((intptr_t)ok, 1);
    }
    CHECK_EQ(destroyed, 1 + 2 + 3 + 4);
    CHECK(pthread_getspecific(key) == &mine);
    CHECK_EQ(pthread_key_delete(key), 0);
    CHECK_EQ(pthread_key_delete(key), EINVAL);
    pthread_key_t again;
    CHECK_EQ(pthread_key_create(&again, NULL), 0);
    CHECK(pthread_getspecific(again) == NULL);      /* a reused slot starts empty */
    pthread_key_delete(again);
}

int main(void)
{
    RUN(mutex_loses_no_increments);
    RUN(recursive_and_errorcheck_mutexes_follow_posix);
    RUN(trylock_and_timedlock_fail_on_held_mutex);
    RUN(condvars_pass_every_item_once);
    RUN(broadcast_wakes_every_waiter);
    RUN(cond_timedwait_times_out_on_its_clock);
    RUN(once_runs_exactly_once);
    RUN(join_detach_and_exit_follow_posix);
    RUN(many_threads_come_and_go);
    RUN(keys_are_per_thread_and_destroyed_at_exit);
    return TESTS_DONE();
}
