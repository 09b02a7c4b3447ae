/*
 * ipcbench.c — IPC round-trip microbenchmark: a client calls a server
 * that replies at once, on the same CPU and across CPUs. It runs as the
 * boot task (no root, no services), in two forms:
 *   ipc_rtt          the server is a second task — this very program,
 *                    spawned from the boot module with only the endpoint
 *                    granted — so every round trip switches address
 *                    spaces, as the Linux side's ping-pong between two
 *                    processes does (bench/linux/guest/ipc.c);
 *   ipc_rtt_threads  the server is a thread of the client's own task.
 * One sample is the mean of a batch of round trips timed with the TSC, as
 * on the Linux side. After a warm-up it prints one
 * "SAMPLE <experiment> aerie call_reply <where> <ns> ns" line per sample,
 * then the median, 90th and 99th percentile. The kernel command line's
 * bench.plan=quick takes make bench's quick plan (fewer samples).
 *
 * ipc_flush_model then prices the address-space switch apart from the
 * path: samples of the same-CPU round trip between two tasks and between
 * two threads, taken in turn with samples of the kernel's flush bench
 * (KDEBUG_FLUSH_BENCH: two CR3 writes, each followed by reads from N
 * pages), so that all see the same host load (docs/EVALUATION.md, IPC).
 */
#include <stdint.h>
#include <stdbool.h>
#include <aerie/kip.h>
#include <aerie/errors.h>
#include <aerie/trace.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/kdebug.h>
#include <libaerie/spawn.h>

#define WARMUP       1000
#define MAX_SAMPLES  1000
#define SERVER_QUOTA (1u << 20)       /* bytes for the server task: stack, data, page tables */

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

/* Answers every call on ep at once, until ep is gone. */
static void serve(uint64_t ep)
{
    uint64_t badge;
    int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    while (r >= 0)
        r = ae_reply_recv(ep, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_FOREVER, &badge);
}

static void server_thread(void *arg)
{
    __atomic_store_n(&server_ready, 1, __ATOMIC_RELEASE);
    serve((uint64_t)arg);
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

static uint64_t own_priority(void)
{
    uint64_t info[4];
    ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4);
    return info[2];
}

/* A second task running this program (boot module 0) as the server on
 * cpu, granted ep and nothing else; *quota receives its quota, which
 * destroying ends it. Returns 0 or an error. */
static int start_server_task(uint64_t ep, int cpu, uint64_t *quota)
{
    static uint64_t va, bytes;
    uint64_t info[2];
    if (!va) {
        if (ae_invoke(AERIE_BOOT_MODULE0, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
            return AE_EINVAL;
        bytes = (info[0] + 4095) & ~4095ull;
        va = ae_vm_reserve(bytes);
        if (!va || ae_task_map(ae_self.task, AERIE_BOOT_MODULE0, 0, va, bytes, AERIE_MAP_R) < 0)
            return AE_ENOMEM;
    }
    *quota = ae_slot_alloc();
    int64_t r = ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, *quota, SERVER_QUOTA, 2, 64);
    if (r < 0)
        return (int)r;
    const char *argv[] = { "ipcbench-server", 0 };
    struct ae_grant g = { "ep", ep, AERIE_R_ALL, 0 };
    struct ae_spawn_args a = {
        .quota = *quota, .image = (const void *)va, .image_len = ae_start.bootinfo->modules[0].bytes,
        .image_mem = AERIE_BOOT_MODULE0,
        .argv = argv, .grants = &g, .ngrants = 1, .stack_bytes = 16384, .cpu = cpu,
        .prio = (unsigned)own_priority(),
    };
    struct ae_child child;
    char err[120];
    r = ae_spawn(&a, &child, err, sizeof err);
    if (r < 0) {
        ae_kprintf("ipcbench: cannot start the server task: %s\n", err);
        ae_invoke0(*quota, AERIE_QUOTA_DESTROY);
        return (int)r;
    }
    return 0;
}

/* Messages the kernel has handed to a receiver on the sender's CPU
 * (out[0]) and on another CPU (out[1]): KDEBUG_STATS words 4 and 5. */
static void ipc_counts(uint64_t out[2])
{
    uint64_t s[6] = { 0 };
    ae_invoke(ae_self.kdebug, AERIE_KDEBUG_STATS, 0, 0, s, 6);
    out[0] = s[4];
    out[1] = s[5];
}

static void run(const char *exp, const char *where, int server_cpu, bool task)
{
    uint64_t ep = ae_slot_alloc(), quota = 0;
    ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
    struct ae_thread th = { 0 };
    if (task) {
        if (start_server_task(ep, server_cpu, &quota))
            return;
    } else {
        server_ready = 0;
        if (ae_thread_start(&th, server_thread, (void *)ep, server_cpu, 16384)) {
            ae_kprintf("ipcbench: cannot start the server thread\n");
            return;
        }
        /* The same priority as ours: a lower one would never run while we
         * spin here on its CPU. */
        ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, own_priority());
        while (!__atomic_load_n(&server_ready, __ATOMIC_ACQUIRE))
            ae_yield();
    }
    ae_utcb()->mr[0] = 1;
    for (int i = 0; i < WARMUP; i++)                 /* the first call waits for the server */
        ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
    uint64_t before[2], after[2];
    ipc_counts(before);
    for (unsigned i = 0; i < nsamples; i++) {
        uint64_t t0 = tsc();
        for (unsigned j = 0; j < batch; j++)
            ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
        samples[i] = (tsc() - t0) / batch;
    }
    ipc_counts(after);
    if (task)
        ae_invoke0(quota, AERIE_QUOTA_DESTROY);
    else
        ae_thread_destroy(&th);
    ae_cap_delete(ep);
    for (unsigned i = 0; i < nsamples; i++)
        ae_kprintf("SAMPLE %s aerie call_reply %s %lu ns\n", exp, where, to_ns(samples[i]));
    sort(samples, nsamples);
    uint64_t p50 = samples[nsamples / 2], p90 = samples[nsamples * 9 / 10], p99 = samples[nsamples * 99 / 100];
    ae_kprintf("ipc round trip, %s, %s: median %lu cycles (%lu ns), p90 %lu cycles (%lu ns), p99 %lu cycles "
               "(%lu ns), %u samples of %u; messages in the kernel meanwhile: %lu on the sender's CPU, "
               "%lu across CPUs\n", task ? "two tasks" : "two threads", where, p50, to_ns(p50), p90,
               to_ns(p90), p99, to_ns(p99), nsamples, batch, after[0] - before[0], after[1] - before[1]);
}

/* ---- tracing off and on (aerie trace): the same round trip, the client
 * a thread charged to a child quota that is, or is not, traced ---- */

static volatile int client_done;

static void client_thread(void *arg)
{
    uint64_t ep = (uint64_t)arg;
    ae_utcb()->mr[0] = 1;
    for (int i = 0; i < WARMUP; i++)
        ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
    for (unsigned i = 0; i < nsamples; i++) {
        uint64_t t0 = tsc();
        for (unsigned j = 0; j < batch; j++)
            ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
        samples[i] = (tsc() - t0) / batch;
    }
    __atomic_store_n(&client_done, 1, __ATOMIC_RELEASE);
    for (;;)
        ae_recv(0, AERIE_TIMEOUT_FOREVER, 0);          /* destroyed by the main thread */
}

static void run_trace(bool on)
{
    uint64_t ep = ae_slot_alloc(), quota = 0, cq = ae_slot_alloc(), mem = 0, info[2];
    ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
    if (start_server_task(ep, 0, &quota))
        return;
    ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, cq, 4u << 20, 4, 64);
    if (on) {                                        /* room for every call: no event dropped */
        mem = ae_slot_alloc();
        ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, mem, 1u << 20, 0, 0);
        if (ae_invokev(ae_self.quota, AERIE_QUOTA_TRACE, cq, mem, 1ull << AERIE_TRACE_CALL) < 0)
            ae_kprintf("ipcbench: cannot trace the client's quota\n");
    }
    struct ae_thread th = { .quota = cq };
    client_done = 0;
    if (ae_thread_start(&th, client_thread, (void *)ep, 0, 16384)) {
        ae_kprintf("ipcbench: cannot start the client thread\n");
        return;
    }
    ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, own_priority());
    while (!__atomic_load_n(&client_done, __ATOMIC_ACQUIRE))
        ae_recv(0, 10000000, 0);                     /* sleep: not runnable between its calls */
    uint64_t head = 0;
    if (on && ae_invoke(mem, AERIE_MEM_READ, 2, AE_ARGS(8, 8), info, 1) == 0)
        head = info[0];                              /* aerie_trace_hdr.head: events recorded */
    ae_thread_destroy(&th);
    ae_invoke0(cq, AERIE_QUOTA_DESTROY);
    ae_invoke0(quota, AERIE_QUOTA_DESTROY);
    if (mem)
        ae_cap_delete(mem);
    ae_cap_delete(ep);
    const char *where = on ? "trace_on" : "trace_off";
    for (unsigned i = 0; i < nsamples; i++)
        ae_kprintf("SAMPLE ipc_rtt_trace aerie call_reply %s %lu ns\n", where, to_ns(samples[i]));
    sort(samples, nsamples);
    uint64_t p50 = samples[nsamples / 2], p90 = samples[nsamples * 9 / 10];
    ae_kprintf("ipc round trip, two tasks, same_cpu, tracing %s: median %lu cycles (%lu ns), p90 %lu ns, "
               "%lu events recorded\n", on ? "on" : "off", p50, to_ns(p50), to_ns(p90), head);
}

/* ---- the switch's price apart from the path (ipc_flush_model) ---- */

#define MODEL_KINDS 6
static const unsigned model_pages[MODEL_KINDS - 2] = { 0, 13, 20, 26 };
static uint64_t model[MODEL_KINDS][MAX_SAMPLES];

/* Cycles per round trip of a batch of same-CPU calls on ep. */
static uint64_t rtt_sample(uint64_t ep)
{
    uint64_t t0 = tsc();
    for (unsigned j = 0; j < batch; j++)
        ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
    return (tsc() - t0) / batch;
}

static void run_model(void)
{
    uint64_t ep_task = ae_slot_alloc(), ep_thread = ae_slot_alloc(), quota = 0, r[1];
    ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep_task, 0, 0, 0);
    ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep_thread, 0, 0, 0);
    if (start_server_task(ep_task, 0, &quota))
        return;
    struct ae_thread th = { 0 };
    server_ready = 0;
    if (ae_thread_start(&th, server_thread, (void *)ep_thread, 0, 16384)) {
        ae_kprintf("ipcbench: cannot start the server thread\n");
        return;
    }
    ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, own_priority());
    while (!__atomic_load_n(&server_ready, __ATOMIC_ACQUIRE))
        ae_yield();
    ae_utcb()->mr[0] = 1;
    for (int i = 0; i < WARMUP; i++) {
        ae_call(ep_task, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
        ae_call(ep_thread, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
    }
    for (unsigned i = 0; i < nsamples; i++) {
        model[0][i] = rtt_sample(ep_task);
        model[1][i] = rtt_sample(ep_thread);
        for (unsigned k = 0; k < MODEL_KINDS - 2; k++) {
            r[0] = 0;
            if (ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(batch, model_pages[k]), r, 1) < 0)
                ae_kprintf("ipcbench: KDEBUG_FLUSH_BENCH refused\n");
            model[k + 2][i] = r[0] / batch;
        }
    }
    ae_invoke0(quota, AERIE_QUOTA_DESTROY);
    ae_thread_destroy(&th);
    ae_cap_delete(ep_task);
    ae_cap_delete(ep_thread);
    for (unsigned k = 0; k < MODEL_KINDS; k++) {
        sort(model[k], nsamples);
        if (k < 2)
            ae_kprintf("ipc flush model, same_cpu, round trip, two %s", k ? "threads" : "tasks");
        else
            ae_kprintf("ipc flush model, same_cpu, two CR3 writes + %u pages after each", model_pages[k - 2]);
        ae_kprintf(": min %lu ns, p10 %lu ns, median %lu ns\n", to_ns(model[k][0]),
                   to_ns(model[k][nsamples / 10]), to_ns(model[k][nsamples / 2]));
    }
}

void bench_main(uint64_t *sp);
void bench_main(uint64_t *sp)
{
    ae_runtime_start(sp);
    if (!ae_start.bootinfo) {                       /* the spawned server task */
        uint64_t ep = ae_capenv_lookup("ep");
        if (ep)
            serve(ep);
        ae_thread_exit(0);
    }
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0);
    if (has_word(ae_start.bootinfo->cmdline, "bench.plan=quick")) {
        nsamples = 40;
        batch = 10;
    }
    ae_kprintf("BENCH BEGIN ipc-call_reply\n");
    for (int task = 1; task >= 0; task--) {
        const char *exp = task ? "ipc_rtt" : "ipc_rtt_threads";
        run(exp, "same_cpu", 0, task);
        if (k->ncpus > 1)
            run(exp, "cross_cpu", 1, task);
        else
            ae_kprintf("ipcbench: one CPU only, no cross-CPU figure\n");
    }
    ae_kprintf("BENCH END ipc-call_reply rc=0\n");
    ae_kprintf("BENCH BEGIN ipc-trace\n");
    run_trace(false);
    run_trace(true);
    run_trace(false);
    run_trace(true);
    ae_kprintf("BENCH END ipc-trace rc=0\n");
    ae_kprintf("BENCH BEGIN ipc-flush-model\n");
    run_model();
    ae_kprintf("BENCH END ipc-flush-model rc=0\n");
    ae_kprintf("BENCH DONE ipcbench\n");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
}
