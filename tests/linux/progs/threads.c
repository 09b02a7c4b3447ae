/*
 * threads.c — threads as a Linux program sees them: pthread_create/join,
 * a mutex and a condition variable between many threads, malloc from
 * all of them at once, thread-local storage, detached threads; checks
 * itself.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"

#define THREADS 6
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread int mine;

static void *count(void *arg)
{
    mine = (int)(long)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        if (i % 100 == 0) {
            void *p = malloc(1 + (size_t)(i % 4096));
            memset(p, mine, 1 + (size_t)(i % 4096));
            free(p);
        }
    }
    return (void *)(long)(mine * 10);
}

static void *ping(void *arg)
{
    int me = (int)(long)arg;
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&lock);
        while (turn != me)
            pthread_cond_wait(&cond, &lock);
        turn = 1 - me;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void *detached(void *arg)
{
    *(volatile int *)arg = 1;
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, count, (void *)(i + 1)) == 0);
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        CHECK(pthread_join(t[i], &r) == 0);
        sum += (long)r;
    }
    CHECK(counter == (long)THREADS * ROUNDS);
    CHECK(sum == 10L * THREADS * (THREADS + 1) / 2);
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, ping, (void *)0L) == 0 && pthread_create(&b, NULL, ping, (void *)1L) == 0);
    CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
    volatile int flag = 0;
    pthread_t d;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    CHECK(pthread_create(&d, &at, detached, (void *)&flag) == 0);
    for (int i = 0; i < 200 && !flag; i++)
        usleep(5000);
    CHECK(flag == 1);
    CHECK(mine == 0);
    return done("threads");
}
