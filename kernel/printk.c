/*
 * printk.c — kprintf, panic and backtraces. The console lock keeps lines
 * whole across CPUs; panic breaks it, because the CPU holding it may be the
 * one that died, and stops every other CPU with an NMI first so the report
 * is the last thing printed.
 */
#include "printk.h"
#include "ksyms.h"
#include "fmt.h"
#include "serial.h"
#include "trap.h"
#include "percpu.h"
#include "arch_hooks.h"
#include "lib/spinlock.h"
#include "kconfig.h"

static spinlock_t console_lock = SPINLOCK_INIT;
static volatile int panicking;

static void console_sink(void *ctx, const char *s, size_t n)
{
    serial_write(s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
    bool locked = !panicking;
    if (locked)
        spin_lock(&console_lock);
    int n = fmt_vformat(console_sink, NULL, fmt, ap);
    if (locked)
        spin_unlock(&console_lock);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    uint64_t lo = 0, hi = ksyms_count;
    if (hi == 0 || addr < ksyms_table[0].addr)
        return NULL;
    while (hi - lo > 1) {                 /* last symbol with addr <= target */
        uint64_t mid = (lo + hi) / 2;
        if (ksyms_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - ksyms_table[lo].addr;
    return ksyms_names + ksyms_table[lo].name;
}

static void print_location(uint64_t addr)
{
    uint64_t off = 0;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        kprintf("  %016lx  %s+0x%lx\n", addr, name, off);
    else
        kprintf("  %016lx\n", addr);
}

static bool kernel_address(uint64_t a)
{
    return a >= KERNEL_VMA;
}

void backtrace_from(uint64_t rip, uint64_t rbp)
{
    kprintf("Backtrace:\n");
    print_location(rip);
    /* Frames are [saved rbp][return address]; stop at anything odd rather
     * than fault inside the panic. */
    for (int depth = 0; depth < 32 && kernel_address(rbp) && !(rbp & 7); depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (!kernel_address(ret))
            break;
        print_location(ret);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}

/* Claims the panic; a second CPU panicking at the same time just stops. */
static void panic_begin(void)
{
    irq_disable();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        arch_halt_forever();
    arch_stop_other_cpus();
}

static _Noreturn void panic_end(void)
{
    kprintf("System halted.\n");
    if (kconfig.exit_on_halt)
        arch_qemu_exit(3);
    arch_halt_forever();
}

_Noreturn void panic(const char *fmt, ...)
{
    panic_begin();
    va_list ap;
    va_start(ap, fmt);
    kprintf("\nPANIC on cpu%u: ", cpus[0].self ? cpu_index() : 0);
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
    uint64_t rbp;
    __asm__ volatile("movq %%rbp, %0" : "=r"(rbp));
    backtrace_from((uint64_t)__builtin_return_address(0), ((uint64_t *)rbp)[0]);
    panic_end();
}

static void dump_registers(const struct trap_frame *tf)
{
    kprintf("  RIP=%016lx  RSP=%016lx  RFLAGS=%016lx\n", tf->rip, tf->rsp, tf->rflags);
    kprintf("  RAX=%016lx  RBX=%016lx  RCX=%016lx  RDX=%016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
    kprintf("  RSI=%016lx  RDI=%016lx  RBP=%016lx  R8 =%016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->r8);
    kprintf("  R9 =%016lx  R10=%016lx  R11=%016lx  R12=%016lx\n", tf->r9, tf->r10, tf->r11, tf->r12);
    kprintf("  R13=%016lx  R14=%016lx  R15=%016lx\n", tf->r13, tf->r14, tf->r15);
    kprintf("  CS=%04lx SS=%04lx CR2=%016lx CR3=%016lx\n", tf->cs, tf->ss, read_cr2(), read_cr3());
}

_Noreturn void panic_trap(const struct trap_frame *tf, const char *fmt, ...)
{
    panic_begin();
    va_list ap;
    va_start(ap, fmt);
    kprintf("\nPANIC on cpu%u: ", cpu_index());
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n  vector %lu (%s), error code 0x%lx", tf->vector, trap_name(tf->vector), tf->error);
    if (tf->vector == VEC_PAGE_FAULT) {
        uint64_t e = tf->error;
        kprintf(", faulting address 0x%lx (%s, %s, %s)", read_cr2(),
                (e & 1) ? "protection violation" : "page not present",
                (e & 16) ? "instruction fetch" : (e & 2) ? "write" : "read",
                (e & 4) ? "user" : "kernel");
    }
    kprintf("\n");
    dump_registers(tf);
    backtrace_from(tf->rip, tf->rbp);
    panic_end();
}
