/*
 * host_sys.c — libc's OS interface (lib/libc/internal/sys.h) on glibc, for
 * the host tests: libc's sources are compiled for the host with ASan and
 * UBSan and renamed aerie_* (libc_tests.mk), and run against this.
 * Memory is mmap, clocks are clock_gettime, threads are real pthreads
 * and futexes real futexes, so libc's locking runs under the sanitizers.
 *
 * Threads run on glibc's stacks (the stack libc offers is left unused),
 * and the thread pointer libc reads through __get_tp is kept in a glibc
 * TLS variable (FS belongs to glibc here); this file replaces
 * src/thread/x86_64/get_tp.c.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <aerie/errors.h>
#include "sys.h"

void aerie___init_tls(uint64_t *auxv);
void aerie___stdio_exit(void);

static __thread void *host_tp;
static __thread jmp_buf *thread_exit_jump;

void *__get_tp(void);
void *__get_tp(void)
{
    return host_tp;
}

/* Gives the main thread libc's TLS and TCB before any test runs, with an
 * auxv that names no TLS segment (glibc owns the real one). */
__attribute__((constructor)) static void host_libc_init(void)
{
    static uint64_t no_phdrs[1];
    uint64_t auxv[] = { 3 /* AT_PHDR */, (uint64_t)(uintptr_t)no_phdrs, 5 /* AT_PHNUM */, 0, 0, 0 };
    aerie___init_tls(auxv);
    atexit(aerie___stdio_exit);
}

_Noreturn void __sys_exit(int status)
{
    exit(status);
}

/* The console's input: the process's own stdin. */
long __sys_log_read(char *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(0, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? AE_EBADF : (long)r;
    }
}

long __sys_log_write(const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(1, buf + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return AE_EBADF;
        done += (size_t)r;
    }
    return (long)n;
}

void *__sys_pages_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void __sys_pages_free(void *p, size_t bytes)
{
    munmap(p, bytes);
}

static uint64_t clock_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t __sys_clock_monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t __sys_clock_realtime_ns(void) { return clock_ns(CLOCK_REALTIME); }

int __sys_sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}

void __sys_yield(void)
{
    sched_yield();
}

struct thread_start {
    void (*entry)(void *);
    void *arg;
    void *tls;
};

static void *thread_trampoline(void *p)
{
    struct thread_start s = *(struct thread_start *)p;
    free(p);
    host_tp = s.tls;
    jmp_buf jump;
    thread_exit_jump = &jump;
    if (!setjmp(jump))
        s.entry(s.arg);
    return NULL;
}

int __sys_thread_create(void (*entry)(void *), void *arg, void *stack_top, void *tls,
                        uint64_t *handle)
{
    (void)stack_top;
    struct thread_start *s = malloc(sizeof *s);
    if (!s)
        return AE_ENOMEM;
    *s = (struct thread_start){ entry, arg, tls };
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int r = pthread_create(&t, &attr, thread_trampoline, s);
    pthread_attr_destroy(&attr);
    if (r) {
        free(s);
        return AE_ELIMIT;
    }
    *handle = (uint64_t)t;
    return 0;
}

_Noreturn void __sys_thread_exit(void)
{
    longjmp(*thread_exit_jump, 1);
}

int __sys_set_tls(void *tp)
{
    host_tp = tp;
    return 0;
}

int __sys_futex_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
    struct timespec ts = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
    long r = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected,
                     timeout_ns == ~0ull ? NULL : &ts, NULL, 0);
    if (r < 0 && errno == EAGAIN)
        return AE_EAGAIN;
    if (r < 0 && errno == ETIMEDOUT)
        return AE_ETIMEOUT;
    return 0;
}

int __sys_futex_wake(volatile uint32_t *addr, unsigned count)
{
    long r = syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, count > 0x7fffffffu ? 0x7fffffff : count,
                     NULL, NULL, 0);
    return r < 0 ? AE_EINVAL : (int)r;
}

/* Files by name: nofiles_sys.c. */

/* No network on the host side: socket() fails with EACCES, as in an
 * Aerie program without the net grant. */
int __sys_net_available(void) { return AE_EACCES; }
int __sys_net_addr(uint32_t *ip) { (void)ip; return AE_EACCES; }
int __sys_net_bind(uint16_t port, uint16_t *bound) { (void)port, (void)bound; return AE_EACCES; }
int __sys_net_unbind(uint16_t port) { (void)port; return AE_EACCES; }
int __sys_net_send(uint16_t lport, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
    (void)lport, (void)ip, (void)port, (void)buf, (void)len;
    return AE_EACCES;
}
unsigned __sys_net_tx_room(void) { return 0; }
int __sys_net_peek(struct __sys_dgram *d) { (void)d; return AE_EAGAIN; }
void __sys_net_consume(void) {}
int __sys_net_arm(int rx, int tx) { (void)rx, (void)tx; return 1; }
int __sys_net_wait(uint64_t timeout_ns) { return __sys_sleep_ns(timeout_ns == ~0ull ? 1000000000ull : timeout_ns) ? AE_ETIMEOUT : AE_ETIMEOUT; }
void __sys_net_disarm(void) {}

/* TCP, likewise: a test program has no network, so it has no TCP. */
int __sys_tcp_available(void) { return AE_EACCES; }
int __sys_tcp_bind(uint16_t port, unsigned opts, uint32_t *sock, uint16_t *bound)
{
    (void)port, (void)opts, (void)sock, (void)bound;
    return AE_EACCES;
}
int __sys_tcp_listen(uint32_t sock, unsigned backlog, uint32_t rcvbuf, uint32_t sndbuf, unsigned opts)
{
    (void)sock, (void)backlog, (void)rcvbuf, (void)sndbuf, (void)opts;
    return AE_EACCES;
}
int __sys_tcp_connect(uint32_t sock, uint32_t ip, uint16_t port, uint32_t rcvbuf, uint32_t sndbuf,
                      unsigned opts, uint32_t *sock_out, uint16_t *lport)
{
    (void)sock, (void)ip, (void)port, (void)rcvbuf, (void)sndbuf, (void)opts, (void)sock_out, (void)lport;
    return AE_EACCES;
}
int __sys_tcp_setopt(uint32_t sock, unsigned opt, uint32_t value)
{
    (void)sock, (void)opt, (void)value;
    return AE_EACCES;
}
int __sys_tcp_info(uint32_t sock, struct __sys_tcp_info *info) { (void)sock, (void)info; return AE_EBADF; }
int __sys_tcp_accept(uint32_t listener, uint32_t *sock) { (void)listener, (void)sock; return AE_EBADF; }
long __sys_tcp_recv(uint32_t sock, void *buf, size_t len, int peek)
{
    (void)sock, (void)buf, (void)len, (void)peek;
    return AE_EBADF;
}
long __sys_tcp_send(uint32_t sock, const void *buf, size_t len) { (void)sock, (void)buf, (void)len; return AE_EBADF; }
int __sys_tcp_shutdown(uint32_t sock) { (void)sock; return AE_EBADF; }
int __sys_tcp_close(uint32_t sock) { (void)sock; return AE_EBADF; }
