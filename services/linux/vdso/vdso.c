/*
 * vdso.c — the virtual dynamic shared object the Linux personality maps
 * into every Linux process (AT_SYSINFO_EHDR; docs/LINUX.md "The vDSO"):
 * clock_gettime, gettimeofday, time, clock_getres and getcpu answered in
 * the caller's own thread, with no system call, as Linux's vDSO answers
 * them. glibc, musl and Go look these symbols up by name and version
 * (LINUX_2.6, vdso.ld).
 *
 * The time comes from the kernel info page (aerie/kip.h), which the
 * kernel maps read-only at AERIE_KIP_ADDR in every address space: the
 * TSC's rate, the TSC and the wall clock at boot. The personality's own
 * clock_gettime computes the same thing from the same page with the same
 * formula (clock.h). What this cannot answer — CPU-time clocks, unknown
 * clock ids, a KIP without a usable TSC — goes to the real system call,
 * whose answer (or EINVAL) the caller gets exactly as before.
 *
 * Freestanding and position-independent: no data, no relocations, no
 * libc; only the stack and the read-only pages it is mapped with.
 */
#include <stdint.h>
#include <aerie/kip.h>
#include "../lxabi.h"
#include "clock.h"

#define NS 1000000000ull

struct vdso_timespec { int64_t sec, nsec; };
struct vdso_timeval { int64_t sec, usec; };
struct vdso_timezone { int32_t minuteswest, dsttime; };

#define SYS_gettimeofday  96
#define SYS_time          201
#define SYS_clock_gettime 228
#define SYS_clock_getres  229
#define SYS_getcpu        309

static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static const volatile struct aerie_kip *kip(void)
{
    return (const volatile struct aerie_kip *)AERIE_KIP_ADDR;
}

/* The TSC, not read before the loads before it (as Linux's vDSO orders
 * it): a time taken after another one is never older. */
static uint64_t tsc_ordered(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

/* Monotonic ns since boot and the wall clock at boot, read consistently
 * (clock_seq odd or changed: the kernel was changing them; again). 0 if
 * the page cannot serve: the caller makes the system call. */
static int now(uint64_t *mono, uint64_t *boot_unix)
{
    const volatile struct aerie_kip *k = kip();
    if (k->magic != AERIE_KIP_MAGIC || k->version < 2)
        return 0;
    for (;;) {
        uint32_t seq = __atomic_load_n(&k->clock_seq, __ATOMIC_ACQUIRE);
        if (seq & 1) {
            __builtin_ia32_pause();
            continue;
        }
        uint64_t hz = k->tsc_hz, boot = k->boot_tsc, unix_ns = k->boot_unix_ns;
        uint64_t t = tsc_ordered();
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&k->clock_seq, __ATOMIC_RELAXED) != seq)
            continue;
        if (!hz)
            return 0;
        *mono = lx_tsc_to_ns(t - boot, hz);
        *boot_unix = unix_ns;
        return 1;
    }
}

/* The clocks served here: 1 realtime, 2 monotonic, 0 the system call's. */
static int kind(long clk)
{
    switch (clk) {
    case LX_CLOCK_REALTIME: case LX_CLOCK_REALTIME_COARSE:
        return 1;
    case LX_CLOCK_MONOTONIC: case LX_CLOCK_MONOTONIC_RAW: case LX_CLOCK_MONOTONIC_COARSE: case LX_CLOCK_BOOTTIME:
        return 2;
    default:
        return 0;
    }
}

int __vdso_clock_gettime(long clk, struct vdso_timespec *ts);
int __vdso_clock_gettime(long clk, struct vdso_timespec *ts)
{
    uint64_t mono, boot_unix;
    int k = kind(clk);
    if (!k || !now(&mono, &boot_unix))
        return (int)sys3(SYS_clock_gettime, clk, (long)ts, 0);
    uint64_t ns = k == 1 ? boot_unix + mono : mono;
    ts->sec = (int64_t)(ns / NS);
    ts->nsec = (int64_t)(ns % NS);
    return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz);
int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
    uint64_t mono, boot_unix;
    if (!now(&mono, &boot_unix))
        return (int)sys3(SYS_gettimeofday, (long)tv, (long)tz, 0);
    uint64_t ns = boot_unix + mono;
    if (tv) {
        tv->sec = (int64_t)(ns / NS);
        tv->usec = (int64_t)(ns % NS / 1000);
    }
    if (tz)
        *tz = (struct vdso_timezone){ 0, 0 };       /* as the system call says */
    return 0;
}

long __vdso_time(long *t);
long __vdso_time(long *t)
{
    uint64_t mono, boot_unix;
    if (!now(&mono, &boot_unix))
        return sys3(SYS_time, (long)t, 0, 0);
    long s = (long)((boot_unix + mono) / NS);
    if (t)
        *t = s;
    return s;
}

/* Every clock served here counts in nanoseconds, as the system call says. */
int __vdso_clock_getres(long clk, struct vdso_timespec *res);
int __vdso_clock_getres(long clk, struct vdso_timespec *res)
{
    if (!kind(clk) || kip()->magic != AERIE_KIP_MAGIC)
        return (int)sys3(SYS_clock_getres, clk, (long)res, 0);
    if (res)
        *res = (struct vdso_timespec){ 0, 1 };
    return 0;
}

/* The CPU's index from IA32_TSC_AUX, which the kernel sets on each CPU
 * (AERIE_KIP_CPU_TSC_AUX); the personality pins each thread to one CPU,
 * the one its getcpu names. One NUMA node. */
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache);
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
    const volatile struct aerie_kip *k = kip();
    if (k->magic != AERIE_KIP_MAGIC || k->version < 2 || !(k->cpu_flags & AERIE_KIP_CPU_TSC_AUX))
        return (int)sys3(SYS_getcpu, (long)cpu, (long)node, (long)cache);
    uint64_t aux;
    if (k->cpu_flags & AERIE_KIP_CPU_RDPID) {
        __asm__ volatile("rdpid %0" : "=r"(aux));
    } else {
        uint32_t lo, hi, c;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
        aux = c;
    }
    if (cpu)
        *cpu = (unsigned)(aux & 0xfff);
    if (node)
        *node = 0;
    return 0;
}

/* The names without the prefix, as Linux's vDSO has them too. */
int clock_gettime(long clk, struct vdso_timespec *ts) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *t) __attribute__((weak, alias("__vdso_time")));
int clock_getres(long clk, struct vdso_timespec *res) __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(unsigned *cpu, unsigned *node, void *cache) __attribute__((weak, alias("__vdso_getcpu")));

/* The note Linux's vDSO carries: the kernel's version (6.1.0, what uname
 * says under the personality), which older glibc reads instead of uname. */
__asm__(".pushsection .note.Linux, \"a\", @note\n"
        ".balign 4\n"
        ".long 6, 4, 0\n"                /* name size, desc size, type */
        ".asciz \"Linux\"\n"
        ".balign 4\n"
        ".long 0x060100\n"
        ".popsection");
