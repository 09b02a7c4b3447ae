/*
 * t_startup.c — what crt0 and __libc_start promise a program, checked
 * from inside a static executable built exactly like a container program
 * (crt0.o + libc.a, with linux_sys.c standing in for libaerie): argv and
 * environ from the System V stack, the ABI's stack alignment, TLS copied
 * from PT_TLS (also over-aligned blocks), the TCB's self-pointers and
 * canary, constructors before main, atexit order, and stdout flushed at
 * exit. Run with arguments "one two" (tests/tests.list).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ktest_host.h"

static int saved_argc;
static char **saved_argv;
static int constructor_ran;

__thread int tls_initialised = 42;
__thread long tls_zeroed[16];
_Alignas(64) __thread char tls_aligned64[3] = { 1, 2, 3 };

__attribute__((constructor)) static void mark_constructor(void)
{
    constructor_ran = 1;
}

static uintptr_t fs_word(unsigned offset)
{
    uintptr_t v;
    __asm__("mov %%fs:(%1), %0" : "=r"(v) : "r"((uintptr_t)offset));
    return v;
}

static void startup_passes_argv(void)
{
    CHECK_EQ(saved_argc, 3);
    CHECK(saved_argv[saved_argc] == NULL);
    CHECK(strcmp(saved_argv[1], "one") == 0);
    CHECK(strcmp(saved_argv[2], "two") == 0);
}

static void startup_sets_environ(void)
{
    CHECK(environ != NULL);
    int n = 0;
    while (environ[n])
        n++;
    CHECK(n > 0);                   /* testrun passes its environment on */
    char *eq = strchr(environ[0], '=');
    CHECK(eq != NULL);
    if (eq) {
        char name[256] = { 0 };
        memcpy(name, environ[0], (size_t)(eq - environ[0]) < 255 ? (size_t)(eq - environ[0]) : 255);
        CHECK(getenv(name) == eq + 1);
    }
}

static void startup_runs_constructors(void)
{
    CHECK_EQ(constructor_ran, 1);
}

static void main_stack_is_abi_aligned(void)
{
    /* With frame pointers, rbp = entry rsp - 8, and entry rsp is 8 mod 16. */
    CHECK_EQ((uintptr_t)__builtin_frame_address(0) % 16, 0);
}

static void tls_image_is_copied(void)
{
    CHECK_EQ(tls_initialised, 42);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(tls_zeroed[i], 0);
    CHECK_EQ((uintptr_t)tls_aligned64 % 64, 0);
    CHECK_EQ(tls_aligned64[0], 1);
    CHECK_EQ(tls_aligned64[2], 3);
}

static void tcb_points_to_itself(void)
{
    uintptr_t tp = fs_word(0);
    CHECK_EQ(fs_word(0x10), tp);
    CHECK_EQ((uintptr_t)pthread_self(), tp);
    CHECK((uintptr_t)&tls_initialised < tp);    /* variant II: TLS below the TCB */
}

static void canary_is_random_with_zero_low_byte(void)
{
    uintptr_t c = fs_word(0x28);
    CHECK(c != 0);
    CHECK_EQ(c & 0xff, 0);
}

struct thread_view {
    int initialised;
    long zeroed;
    uintptr_t aligned_mod;
    uintptr_t frame_mod;
    int errno_seen;
};

static void *look_at_tls(void *arg)
{
    struct thread_view *v = arg;
    v->initialised = tls_initialised;
    v->zeroed = tls_zeroed[5];
    v->aligned_mod = (uintptr_t)tls_aligned64 % 64;
    v->frame_mod = (uintptr_t)__builtin_frame_address(0) % 16;
    v->errno_seen = errno;
    errno = 77;
    tls_initialised = 7;
    return NULL;
}

static void threads_get_fresh_tls_copies(void)
{
    tls_initialised = 1000;
    tls_zeroed[5] = 9;
    errno = 55;
    struct thread_view v;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, look_at_tls, &v), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(v.initialised, 42);
    CHECK_EQ(v.zeroed, 0);
    CHECK_EQ(v.aligned_mod, 0);
    CHECK_EQ(v.frame_mod, 0);
    CHECK_EQ(v.errno_seen, 0);
    CHECK_EQ(errno, 55);
    CHECK_EQ(tls_initialised, 1000);
    tls_initialised = 42;
}

static int atexit_order;

static void atexit_first_registered(void)
{
    /* Runs last; prints the verdict, unflushed: exit must flush it. */
    if (atexit_order == 1)
        printf("TEST PASS atexit_runs_in_reverse_order_and_exit_flushes\n");
    else
        printf("TEST FAIL atexit_runs_in_reverse_order_and_exit_flushes: order %d, expected 1\n",
               atexit_order);
    setvbuf(stdout, NULL, _IOFBF, 0);
    printf("TESTS DONE %d", host_tests_run + 1);
}

static void atexit_second_registered(void)
{
    atexit_order = atexit_order == 0 ? 1 : -1;
}

int main(int argc, char **argv)
{
    saved_argc = argc;
    saved_argv = argv;
    RUN(startup_passes_argv);
    RUN(startup_sets_environ);
    RUN(startup_runs_constructors);
    RUN(main_stack_is_abi_aligned);
    RUN(tls_image_is_copied);
    RUN(tcb_points_to_itself);
    RUN(canary_is_random_with_zero_low_byte);
    RUN(threads_get_fresh_tls_copies);
    atexit(atexit_first_registered);
    atexit(atexit_second_registered);
    return 0;
}
