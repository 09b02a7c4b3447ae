/*
 * libc_sys.c — the operating-system interface libc needs (lib/libc/
 * internal/sys.h), on Aerie: memory from the program's own quota mapped
 * into its own task, threads with a UTCB page each, clocks from the TSC
 * and the kernel info page, futexes, and the program's console stream.
 *
 * A program that was granted no quota or task gets AE_ECAP (ENOMEM for
 * memory) from the calls that need them: it has only what it was given.
 */
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include <libaerie/console.h>
#include <aerie/errors.h>
#include <aerie/kip.h>
#include "sys.h"

/* libc's thread control block keeps two words for us (pthread_impl.h):
 * 0x08, the thread's UTCB (what ae_utcb() reads), and 0x18, unused. */
#define TCB_UTCB 1

void __libaerie_init(uint64_t *auxv);
void __libaerie_init(uint64_t *auxv)
{
    extern char **environ;                     /* set by libc before it calls us */
    ae_start.envp = environ;                   /* libaerie's readers of $AERIE_* see it too */
    ae_runtime_start_auxv(auxv);
}

_Noreturn void __sys_exit(int status)
{
    ae_syscall(AERIE_SYS_EXIT, (uint64_t)(unsigned)status, 0, 0, 0, 0, 0);
    for (;;)                                   /* no handler: nobody ends the task for us */
        ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
}

long __sys_log_write(const char *buf, size_t n)
{
    if (n == 0)
        return 0;
    int64_t r = ae_console_write(buf, n);
    return r < 0 ? r : (long)n;
}

long __sys_log_read(char *buf, size_t n)
{
    return ae_console_read(buf, n, true);
}

void *__sys_pages_alloc(size_t bytes)
{
    uint64_t slot;
    void *p = ae_mem_map_new(bytes, &slot);
    if (!p)
        return 0;
    /* The mapping keeps the memory alive; the capability is not needed. */
    ae_cap_delete(slot);
    ae_slot_free(slot);
    return p;
}

void __sys_pages_free(void *p, size_t bytes)
{
    ae_task_unmap(ae_self.task, (uint64_t)p, bytes);
    ae_vm_release((uint64_t)p, bytes);
}

static uint64_t tsc_ns(uint64_t ticks)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    return ticks / k->tsc_hz * 1000000000ull + ticks % k->tsc_hz * 1000000000ull / k->tsc_hz;
}

uint64_t __sys_clock_monotonic_ns(void)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    return tsc_ns(__builtin_ia32_rdtsc() - k->boot_tsc);
}

uint64_t __sys_clock_realtime_ns(void)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    return k->boot_unix_ns + __sys_clock_monotonic_ns();
}

int __sys_sleep_ns(uint64_t ns)
{
    if (ns == 0) {
        ae_yield();
        return 0;
    }
    return (int)ae_sleep_ns(ns);
}

void __sys_yield(void)
{
    ae_yield();
}

int __sys_set_tls(void *tp)
{
    /* The new thread control block inherits the UTCB pointer. */
    ((uint64_t *)tp)[TCB_UTCB] = (uint64_t)ae_utcb();
    return (int)ae_set_tls((uint64_t)tp);
}

int __sys_futex_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
    int64_t r = ae_futex_wait(addr, expected, timeout_ns);
    return r == AE_ECANCELED ? 0 : (int)r;
}

int __sys_futex_wake(volatile uint32_t *addr, unsigned count)
{
    return (int)ae_futex_wake(addr, count);
}

/* ---- threads ----
 * Each thread gets a page holding its UTCB. Threads end with a quiet
 * exit (the kernel stops them without telling the fault handler); their
 * capability and UTCB page are collected the next time one is created. */

#define MAX_THREADS 256

static struct { uint64_t slot; void *utcb_page; } threads[MAX_THREADS];
static volatile uint32_t threads_lock;

static void lock(void) { while (__atomic_exchange_n(&threads_lock, 1, __ATOMIC_ACQUIRE)) ae_yield(); }
static void unlock(void) { __atomic_store_n(&threads_lock, 0, __ATOMIC_RELEASE); }

/* Frees what dead threads left behind; lock held. */
static void collect_dead(void)
{
    for (unsigned i = 0; i < MAX_THREADS; i++) {
        uint64_t info[1];
        if (!threads[i].slot || ae_invoke(threads[i].slot, AERIE_THREAD_INFO, 0, 0, info, 1) < 0 ||
            info[0] != AERIE_TS_DEAD)
            continue;
        ae_cap_delete(threads[i].slot);
        ae_slot_free(threads[i].slot);
        __sys_pages_free(threads[i].utcb_page, 4096);
        threads[i].slot = 0;
    }
}

static int record(uint64_t slot, void *page)
{
    for (unsigned i = 0; i < MAX_THREADS; i++) {
        if (!threads[i].slot) {
            threads[i].slot = slot;
            threads[i].utcb_page = page;
            return 0;
        }
    }
    return AE_ELIMIT;
}

static int64_t configure(uint64_t t, uint64_t mem, void (*entry)(void *), void *arg, void *stack_top, void *tls)
{
    int64_t r = ae_invokev(t, AERIE_THREAD_SET_UTCB, mem, 0);
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = (uint64_t)entry;
    regs[AERIE_REG_RSP] = (uint64_t)stack_top - 8;
    regs[AERIE_REG_RDI] = (uint64_t)arg;
    regs[AERIE_REG_FS_BASE] = (uint64_t)tls;
    *(uint64_t *)((uint64_t)stack_top - 8) = 0;       /* the zero return address */
    uint64_t mask = (1u << AERIE_REG_RIP) | (1u << AERIE_REG_RSP) | (1u << AERIE_REG_RDI) |
                    (1u << AERIE_REG_FS_BASE);
    if (r >= 0)
        r = ae_thread_set_regs(t, mask, regs);
    uint64_t info[4];
    if (r >= 0 && ae_self.thread && ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4) >= 0)
        r = ae_invokev(t, AERIE_THREAD_SET_PRIORITY, info[2]);   /* as its creator */
    if (r >= 0 && ae_self.fault)
        r = ae_invokev(t, AERIE_THREAD_SET_HANDLER, ae_self.fault);
    return r;
}

int __sys_thread_create(void (*entry)(void *), void *arg, void *stack_top, void *tls, uint64_t *handle)
{
    if (!ae_self.quota || !ae_self.task)
        return AE_ECAP;
    lock();
    collect_dead();
    uint64_t mem, t = ae_slot_alloc();
    void *page = ae_mem_map_new(4096, &mem);
    int64_t r = !t ? AE_ELIMIT : !page ? AE_ENOMEM : 0;
    if (!r)
        r = ae_quota_create(ae_self.quota, AERIE_OBJ_THREAD, t, ae_self.task, 0, 0);
    if (!r) {
        ((uint64_t *)tls)[TCB_UTCB] = (uint64_t)page;
        ((struct aerie_utcb *)page)->user[0] = t;      /* ae_thread_slot() */
        r = configure(t, mem, entry, arg, stack_top, tls);
        if (!r)
            r = record(t, page);
        if (!r)
            r = ae_invoke0(t, AERIE_THREAD_RESUME);
        if (r)
            ae_cap_delete(t);
    }
    if (page) {
        ae_cap_delete(mem);                       /* mapped: it stays until unmapped */
        ae_slot_free(mem);
    }
    if (r) {
        if (page)
            __sys_pages_free(page, 4096);
        ae_slot_free(t);
    } else {
        *handle = t;
    }
    unlock();
    return (int)r;
}
