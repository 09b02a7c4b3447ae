/*
 * t_kip.c — the kernel info page as the Linux personality's vDSO reads it
 * (aerie/kip.h, services/linux/vdso/): version 2, a clock that is not
 * being changed (clock_seq even), a TSC rate, and — where the CPU has
 * RDTSCP — IA32_TSC_AUX holding the index of the CPU a thread runs on,
 * on every CPU. The page is read-only to its task: mapping over it is
 * refused (mem_map_errors) and a write faults here.
 */
#include "kt.h"
#include <aerie/fault.h>
#include <aerie/kip.h>

static const volatile struct aerie_kip *kip(void) { return (const volatile struct aerie_kip *)AERIE_KIP_ADDR; }

KTEST(kip_clock_fields, "the KIP is version 2 with a TSC rate, the boot time and an even clock_seq")
{
    CHECK_EQ(kip()->magic, AERIE_KIP_MAGIC);
    CHECK(kip()->version >= 2);
    CHECK(kip()->tsc_hz > 1000000);
    CHECK_EQ(kip()->clock_seq & 1, 0);
    CHECK(kip()->boot_unix_ns > 1600000000ull * 1000000000ull);
    CHECK_EQ(kip()->cpu_flags & ~(AERIE_KIP_CPU_TSC_AUX | AERIE_KIP_CPU_RDPID), 0);
    if (kip()->cpu_flags & AERIE_KIP_CPU_RDPID)
        CHECK(kip()->cpu_flags & AERIE_KIP_CPU_TSC_AUX);
}

static unsigned tsc_aux(void)
{
    uint32_t lo, hi, c;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
    return c;
}

KTEST(kip_tsc_aux_names_the_cpu, "RDTSCP (and RDPID) give the index of the CPU a thread is pinned to, on each CPU")
{
    if (!(kip()->cpu_flags & AERIE_KIP_CPU_TSC_AUX)) {
        ae_kprintf("  (no RDTSCP on this CPU model: getcpu takes the system call)\n");
        return;
    }
    for (unsigned cpu = 0; cpu < kip()->ncpus; cpu++) {
        CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, cpu));
        for (int i = 0; i < 1000 && tsc_aux() != cpu; i++)
            ae_yield();                           /* the move happens once off the old CPU */
        for (int i = 0; i < 100; i++) {
            CHECK_EQ(tsc_aux(), cpu);
            if (kip()->cpu_flags & AERIE_KIP_CPU_RDPID) {
                uint64_t v;
                __asm__ volatile("rdpid %0" : "=r"(v));
                CHECK_EQ(v, cpu);
            }
        }
    }
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
}
