/*
 * aerie/kip.h — the kernel info page, mapped read-only at AERIE_KIP_ADDR in
 * every task: what a program may know about the machine without holding
 * any capability (CPU count, the TSC rate for clocks).
 */
#ifndef AERIE_KIP_H
#define AERIE_KIP_H

#include <stdint.h>

/* User address space. Programs are linked at AERIE_PROGRAM_BASE and the
 * loader puts the stack (with the UTCB in its top KiB) right below the KIP,
 * so a small program lives in one 2 MiB region: one page table. */
#define AERIE_USER_MIN      0x0000000000001000ull   /* lowest mappable address */
#define AERIE_USER_MAX      0x00007FFFFFFFF000ull   /* mappings end below this */
#define AERIE_PROGRAM_BASE  0x0000000000200000ull
#define AERIE_KIP_ADDR      0x00000000003FF000ull   /* reserved: MAP refuses it */
#define AERIE_KIP_MAGIC     0x41455249454B4950ull   /* "AERIEKIP" */

struct aerie_kip {
    uint64_t magic;
    uint32_t version;
    uint32_t ncpus;
    uint64_t tsc_hz;           /* TSC ticks per second */
    uint64_t boot_tsc;         /* TSC at boot */
    uint64_t boot_unix_ns;     /* wall-clock time at boot_tsc (from the RTC) */
    uint64_t timer_hz;         /* scheduler tick rate */
    char version_string[64];
    /* Version 2: what the Linux personality's vDSO (services/linux/vdso/)
     * reads to tell the time and the CPU without a system call. */
    uint32_t clock_seq;        /* odd while tsc_hz/boot_tsc/boot_unix_ns change (never yet): retry */
    uint32_t cpu_flags;        /* AERIE_KIP_CPU_*: what user code may use to know its CPU */
};

/* IA32_TSC_AUX holds the CPU's index (0..ncpus-1) on every CPU: RDTSCP's
 * ECX, and RDPID's result when AERIE_KIP_CPU_RDPID is set too. */
#define AERIE_KIP_CPU_TSC_AUX  0x1u
#define AERIE_KIP_CPU_RDPID    0x2u

#endif
