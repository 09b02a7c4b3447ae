/*
 * ipcbench.c — IPC round-trip microbenchmark: a client thread calls a
 * server thread that replies at once, on the same CPU and across CPUs.
 * It runs as the boot task (no root, no services). One sample is the mean
 * of a batch of round trips timed with the TSC, as the Linux side's pipe
 * and socket ping-pong (bench/linux/guest/ipc.c); after a warm-up it
 * prints one "SAMPLE ipc_rtt aerie call_reply <where> <ns> ns" line per
 * sample, then the median, 90th and 99th percentile. The kernel command
 * line's bench.plan=quick takes make bench's quick plan (fewer samples).
 */
#include <stdint.h>
#include <stdbool.h>
#include <aerie/kip.h>
#include <aerie/errors.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/kdebug.h>

#define WARMUP       1000
#define MAX_SAMPLES  1000

static uint64_t samples[MAX_SAMPLES];
static unsigned nsamples = 200, batch = 20;     /* make bench's full plan */
static volatile int server_ready;

static uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t to_ns(uint64_t cycles)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    return cycles / k->tsc_hz * 1000000000ull + cycles % k->tsc_hz * 1000000000ull / k->tsc_hz;
}

static void server(void *arg)
{
    uint64_t ep = (uint64_t)arg, badge;
    __atomic_store_n(&server_ready, 1, __ATOMIC_RELEASE);
    int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    while (r >= 0)
        r = ae_reply_recv(ep, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_FOREVER, &badge);
}

static void sort(uint64_t *a, unsigned n)
{
    for (unsigned gap = n / 2; gap; gap /= 2)          /* Shell sort: no libc here */
        for (unsigned i = gap; i < n; i++)
            for (unsigned j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                uint64_t t = a[j];
                a[j] = a[j - gap];
                a[j - gap] = t;
            }
}

/* True if the space-separated words of s include w. */
static bool has_word(const char *s, const char *w)
{
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            return false;
        const char *a = s, *b = w;
        while (*a && *a != ' ' && *a == *b)
            a++, b++;
        if (!*b && (!*a || *a == ' '))
            return true;
        while (*s && *s != ' ')
            s++;
    }
}

static void run(const char *where, int server_cpu)
{
    uint64_t ep = ae_slot_alloc();
    ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
    struct ae_thread th = { 0 };
    server_ready = 0;
    if (ae_thread_start(&th, server, (void *)ep, server_cpu, 16384)) {
        ae_kprintf("ipcbench: cannot start the server thread\n");
        return;
    }
    /* The same priority as ours: a lower one would never run while we
     * spin here on its CPU. */
    uint64_t info[4];
    ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4);
    ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, info[2]);
    while (!__atomic_load_n(&server_ready, __ATOMIC_ACQUIRE))
        ae_yield();
    ae_utcb()->mr[0] = 1;
    for (int i = 0; i < WARMUP; i++)
        ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
    for (unsigned i = 0; i < nsamples; i++) {
        uint64_t t0 = tsc();
        for (unsigned j = 0; j < batch; j++)
            ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
        samples[i] = (tsc() - t0) / batch;
    }
    ae_thread_destroy(&th);
    ae_cap_delete(ep);
    for (unsigned i = 0; i < nsamples; i++)
        ae_kprintf("SAMPLE ipc_rtt aerie call_reply %s %lu ns\n", where, to_ns(samples[i]));
    sort(samples, nsamples);
    uint64_t p50 = samples[nsamples / 2], p90 = samples[nsamples * 9 / 10], p99 = samples[nsamples * 99 / 100];
    ae_kprintf("ipc round trip, %s: median %lu cycles (%lu ns), p90 %lu cycles (%lu ns), p99 %lu cycles (%lu ns), "
               "%u samples of %u\n", where, p50, to_ns(p50), p90, to_ns(p90), p99, to_ns(p99), nsamples, batch);
}

void bench_main(uint64_t *sp);
void bench_main(uint64_t *sp)
{
    ae_runtime_start(sp);
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0);
    if (ae_start.bootinfo && has_word(ae_start.bootinfo->cmdline, "bench.plan=quick")) {
        nsamples = 40;
        batch = 10;
    }
    ae_kprintf("BENCH BEGIN ipc-call_reply\n");
    run("same_cpu", 0);
    if (k->ncpus > 1)
        run("cross_cpu", 1);
    else
        ae_kprintf("ipcbench: one CPU only, no cross-CPU figure\n");
    ae_kprintf("BENCH END ipc-call_reply rc=0\n");
    ae_kprintf("BENCH DONE ipcbench\n");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
}
