/*
 * apic.h — local APIC (per-CPU interrupts, IPIs, timer) and I/O APIC
 * (routing device interrupts to vectors).
 */
#ifndef AERIE_APIC_H
#define AERIE_APIC_H

#include <stdint.h>
#include <stdbool.h>

#define TIMER_HZ 1000

void lapic_init_cpu(void);          /* enable this CPU's LAPIC */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi_all_others(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/* Measures the LAPIC timer and TSC rates against the PIT (boot CPU). */
void lapic_calibrate(void);
/* Starts this CPU's periodic tick at TIMER_HZ. */
void lapic_timer_start(void);

extern uint64_t tsc_hz;             /* TSC ticks per second */
extern uint32_t lapic_timer_hz;     /* LAPIC timer counts per second (divide by 16) */

void ioapic_init(void);
/* Routes a GSI to vector on the CPU with dest_apic; masked until unmasked. */
bool ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest_apic, bool level, bool active_low);
void ioapic_mask(uint32_t gsi, bool masked);

/* Busy-waits using the TSC (after calibration). */
void udelay(uint64_t us);
uint64_t tsc_to_ns(uint64_t ticks);

#endif
