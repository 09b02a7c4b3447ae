/*
 * linux_sys.c — libc's OS interface (lib/libc/internal/sys.h) on raw
 * Linux x86-64 system calls, compiled freestanding like libc itself. With
 * it, the very libc.a and crt0.o built for Aerie run on the build machine
 * as static executables: the real start-up path, TLS set-up, clone-based
 * threads and futexes, without glibc anywhere. linux_sys_x86_64.S holds
 * the two entry points that must not use the stack.
 */
#include <aerie/errors.h>
#include <stddef.h>
#include <stdint.h>
#include "sys.h"

enum {
    NR_read = 0, NR_write = 1, NR_mmap = 9, NR_munmap = 11, NR_sched_yield = 24,
    NR_nanosleep = 35, NR_arch_prctl = 158, NR_futex = 202,
    NR_clock_gettime = 228, NR_exit_group = 231,
};
#define ARCH_SET_FS        0x1002
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define LINUX_EAGAIN       11
#define LINUX_EINTR        4
#define LINUX_ETIMEDOUT    110
#define LINUX_ENOMEM       12
#define CLONE_THREAD_FLAGS 0x000d0f00  /* VM FS FILES SIGHAND THREAD SYSVSEM SETTLS */

struct linux_timespec { long sec, nsec; };

static long syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
    return syscall6(nr, a, b, c, 0, 0, 0);
}

/* linux_sys_x86_64.S */
long __linux_clone(unsigned long flags, void *stack, void *tls, void (*entry)(void *), void *arg);

_Noreturn void __sys_exit(int status)
{
    for (;;)
        syscall3(NR_exit_group, status, 0, 0);
}

long __sys_log_write(const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        long r = syscall3(NR_write, 1, (long)(buf + done), (long)(n - done));
        if (r == -LINUX_EINTR)
            continue;
        if (r <= 0)
            return AE_EBADF;
        done += (size_t)r;
    }
    return (long)n;
}

/* The console's input: the process's own stdin. */
long __sys_log_read(char *buf, size_t n)
{
    for (;;) {
        long r = syscall3(NR_read, 0, (long)buf, (long)n);
        if (r == -LINUX_EINTR)
            continue;
        return r < 0 ? AE_EBADF : r;
    }
}

void *__sys_pages_alloc(size_t bytes)
{
    long r = syscall6(NR_mmap, 0, (long)bytes, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
    return (unsigned long)r > -4096ul ? NULL : (void *)r;
}

void __sys_pages_free(void *p, size_t bytes)
{
    syscall3(NR_munmap, (long)p, (long)bytes, 0);
}

static uint64_t clock_ns(long clk)
{
    struct linux_timespec ts;
    syscall3(NR_clock_gettime, clk, (long)&ts, 0);
    return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
}

uint64_t __sys_clock_monotonic_ns(void) { return clock_ns(1); }
uint64_t __sys_clock_realtime_ns(void) { return clock_ns(0); }

int __sys_sleep_ns(uint64_t ns)
{
    struct linux_timespec ts = { (long)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (syscall3(NR_nanosleep, (long)&ts, (long)&ts, 0) == -LINUX_EINTR)
        ;
    return 0;
}

void __sys_yield(void)
{
    syscall3(NR_sched_yield, 0, 0, 0);
}

int __sys_thread_create(void (*entry)(void *), void *arg, void *stack_top, void *tls,
                        uint64_t *handle)
{
    long r = __linux_clone(CLONE_THREAD_FLAGS, stack_top, tls, entry, arg);
    if (r < 0)
        return r == -LINUX_ENOMEM ? AE_ENOMEM : AE_ELIMIT;
    *handle = (uint64_t)r;
    return 0;
}

int __sys_set_tls(void *tp)
{
    return syscall3(NR_arch_prctl, ARCH_SET_FS, (long)tp, 0) ? AE_EINVAL : 0;
}

int __sys_futex_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
    struct linux_timespec ts = { (long)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
    long r = syscall6(NR_futex, (long)addr, FUTEX_WAIT_PRIVATE, expected,
                      timeout_ns == ~0ull ? 0 : (long)&ts, 0, 0);
    if (r == -LINUX_EAGAIN)
        return AE_EAGAIN;
    if (r == -LINUX_ETIMEDOUT)
        return AE_ETIMEOUT;
    return 0;
}

int __sys_futex_wake(volatile uint32_t *addr, unsigned count)
{
    long r = syscall6(NR_futex, (long)addr, FUTEX_WAKE_PRIVATE,
                      count > 0x7fffffffu ? 0x7fffffff : (long)count, 0, 0, 0);
    return r < 0 ? AE_EINVAL : (int)r;
}

/* Files by name: nofiles_sys.c. */
