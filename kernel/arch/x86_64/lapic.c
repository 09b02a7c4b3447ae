/*
 * lapic.c — the local APIC in xAPIC (MMIO) mode: enabling it, end of
 * interrupt, inter-processor interrupts, and the timer, whose rate (and
 * the TSC's) we measure against the PIT at boot.
 */
#include "apic.h"
#include "acpi.h"
#include "cpu.h"
#include "layout.h"
#include "printk.h"
#include "trap.h"

#define LAPIC_ID       0x020
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0B0
#define LAPIC_SVR      0x0F0
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3E0

#define ICR_PENDING   (1u << 12)
#define ICR_ASSERT    (1u << 14)
#define ICR_LEVEL     (1u << 15)

uint64_t tsc_hz;
uint32_t lapic_timer_hz;

static volatile uint32_t *lapic_reg(uint32_t off)
{
    /* The direct map covers the LAPIC page with caching disabled. */
    return (volatile uint32_t *)(DIRECT_MAP_BASE + acpi.lapic_phys + off);
}

static uint32_t lapic_read(uint32_t off) { return *lapic_reg(off); }
static void lapic_write(uint32_t off, uint32_t v) { *lapic_reg(off) = v; (void)lapic_read(LAPIC_ID); }
/* A write with no read after it, for the hot paths (EOI, the ICR): the
 * LAPIC's registers are strongly ordered uncached memory, so the write is
 * not posted and needs no read to push it out. Under QEMU's TCG every
 * LAPIC access is a trip through the device model under its global lock,
 * and EOIs and IPIs showed in profiles of a busy two-CPU shell. */
static void lapic_write_now(uint32_t off, uint32_t v) { *lapic_reg(off) = v; }

void lapic_init_cpu(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));   /* global enable */
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, 1u << 16);                     /* masked */
    lapic_write(LAPIC_LVT_LINT1, 1u << 16);
    lapic_write(LAPIC_LVT_ERROR, 1u << 16);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);               /* software enable */
}

uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
void lapic_eoi(void) { lapic_write_now(LAPIC_EOI, 0); }

static void lapic_icr(uint32_t apic_id, uint32_t lo)
{
    for (int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_PENDING); i++)
        cpu_relax();
    lapic_write_now(LAPIC_ICR_HI, apic_id << 24);
    lapic_write_now(LAPIC_ICR_LO, lo);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector) { lapic_icr(apic_id, vector | ICR_ASSERT); }
void lapic_send_init(uint32_t apic_id) { lapic_icr(apic_id, 0x500 | ICR_ASSERT | ICR_LEVEL); }
void lapic_send_startup(uint32_t apic_id, uint8_t page) { lapic_icr(apic_id, 0x600 | page); }

void lapic_send_nmi_all_others(void)
{
    lapic_icr(0, 0x400 | ICR_ASSERT | (3u << 18));             /* NMI, all excluding self */
}

/* PIT channel 2 counts down 1193182 Hz; its gate is port 0x61 bit 0 and
 * its output appears at bit 5, so we can time an interval without IRQs. */
#define PIT_HZ 1193182u

static void pit_oneshot_start(uint32_t ms)
{
    uint16_t count = (uint16_t)(PIT_HZ * ms / 1000);
    outb(0x61, (inb(0x61) & ~0x02) & ~0x01);   /* speaker off, gate low */
    outb(0x43, 0xB0);                          /* ch2, lo/hi, mode 0 */
    outb(0x42, count & 0xFF);
    outb(0x42, count >> 8);
    outb(0x61, inb(0x61) | 0x01);              /* gate high: start counting */
}

static bool pit_oneshot_done(void) { return inb(0x61) & 0x20; }

void lapic_calibrate(void)
{
    const uint32_t ms = 20;
    lapic_write(LAPIC_TIMER_DIV, 0x3);         /* divide by 16 */
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);    /* masked, one-shot */
    pit_oneshot_start(ms);
    lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
    uint64_t t0 = rdtsc();
    uint64_t spins = 0;
    while (!pit_oneshot_done()) {
        if (++spins > 2000000000ull)
            panic("timer calibration: the PIT never finished counting");
        cpu_relax();
    }
    uint64_t t1 = rdtsc();
    uint32_t counted = 0xFFFFFFFF - lapic_read(LAPIC_TIMER_CUR);
    lapic_write(LAPIC_TIMER_INIT, 0);
    tsc_hz = (t1 - t0) * 1000 / ms;
    lapic_timer_hz = (uint32_t)((uint64_t)counted * 1000 / ms);
    if (tsc_hz == 0 || lapic_timer_hz < TIMER_HZ)
        panic("timer calibration failed: TSC %lu Hz, LAPIC timer %u Hz", tsc_hz, lapic_timer_hz);
}

void lapic_timer_start(void)
{
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 17));      /* periodic */
    lapic_write(LAPIC_TIMER_INIT, lapic_timer_hz / TIMER_HZ);
}

uint64_t tsc_to_ns(uint64_t ticks)
{
    /* Split so the product fits 64 bits without a 128-bit division. */
    return ticks / tsc_hz * 1000000000u + ticks % tsc_hz * 1000000000u / tsc_hz;
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_hz / 1000000 * us;
    while (rdtsc() < end)
        cpu_relax();
}
