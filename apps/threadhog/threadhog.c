/*
 * threadhog.c — starts threads that sleep until pthread_create fails, then
 * reports how many it got. Exit 0: the thread limit was met cleanly.
 */
#include <stdio.h>
#include <pthread.h>
#include <unistd.h>
#include <errno.h>

static void *sleeper(void *arg)
{
    for (;;)
        sleep(1000);
    return arg;
}

int main(void)
{
    int n = 0, err = 0;
    for (;;) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 16 * 1024);
        if ((err = pthread_create(&t, &a, sleeper, 0)) != 0)
            break;
        if (++n > 10000) {
            printf("threadhog: 10000 threads and no limit\n");
            return 2;
        }
    }
    printf("threadhog: %d threads, then pthread_create said %d (%s)\n", n, err, err == EAGAIN ? "EAGAIN" : "?");
    return err == EAGAIN ? 0 : 1;
}
