/*
 * cmtest.c — the container manager's tests, run in QEMU as a service
 * granted "cm" (and the kernel debug console, for its report and the
 * free-page count). Each test prints TEST PASS/FAIL; the soak runs
 * CM_SOAK create→run→exit→remove cycles (2,000 by default; cm.soak=N on
 * the kernel command line reaches it as an environment variable? no: it
 * is argv[1] from boot.conf) and checks the free page count comes back
 * exactly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <aerie/errors.h>
#include <aerie/proto/console.h>
#include <aerie/fault.h>
#include <aerie/kip.h>
#include <aerie/proto/fs.h>
#include <aerie/trace.h>
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ktest_host.h"
#include "cmtest.h"

/* Runs spec to its end; returns the status and (optionally) the log. */
int run(const char *spec, struct ae_cm_status *st, char *log, size_t cap, uint64_t *idp)
{
    uint64_t id;
    char err[200] = "";
    int r = ae_cm_create(cmcap, spec, 1, &id, err, sizeof err);
    if (r) {
        printf("  run '%s': %d %s\n", spec, r, err);
        return r;
    }
    r = ae_cm_wait(cmcap, id, st);
    if (log)
        read_log(id, log, cap);
    if (idp)
        *idp = id;
    else
        ae_cm_remove(cmcap, id);
    return r;
}

static void cm_runs_hello(void)
{
    struct ae_cm_status st;
    char log[600];
    CHECK_EQ(run("image=hello", &st, log, sizeof log, 0), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "Hello from hello") != NULL);
}

static void cm_passes_args_and_env(void)
{
    struct ae_cm_status st;
    char log[600];
    CHECK_EQ(run("image=ticker args=\"3 1\"", &st, log, sizeof log, 0), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "tick 3\n") != NULL && strstr(log, "tick 4") == NULL);
}

static void cm_reports_crash(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=crasher", &st, 0, 0, 0), 0);
    CHECK_EQ(st.state, CM_FAULTED);
    CHECK_EQ(st.fault_label & 0xFFFFFFFF, AERIE_FAULT_PAGE);
    CHECK_EQ(st.fault_addr, 0);
    char d[120];
    ae_cm_describe(&st, d, sizeof d);
    CHECK(strstr(d, "page fault at 0x0 (read, not mapped)") != NULL);
}

static void expect_spec_error(const char *spec, const char *needle)
{
    uint64_t id;
    char err[200] = "";
    int r = ae_cm_create(cmcap, spec, 1, &id, err, sizeof err);
    if (r == 0 || !strstr(err, needle))
        printf("  spec '%s' gave %d '%s', expected '%s'\n", spec, r, err, needle);
    CHECK(r != 0 && strstr(err, needle));
}

static void cm_refuses_bad_specs(void)
{
    expect_spec_error("args=x", "image: '' is required");
    expect_spec_error("image=hello mem=lots", "spec: mem: 'lots' must be a size");
    expect_spec_error("image=hello colour=red", "spec: colour: 'red' is not a spec field");
    expect_spec_error("image=hello grant=console,keys", "spec: grant: 'keys' is not");
    expect_spec_error("image=hello prio=31", "spec: prio: '31' must be a number from 1 to 15");
    expect_spec_error("image=nosuch", "image: no image 'nosuch'");
    expect_spec_error("image=hello mem=60G", "is more than the container manager has in all");
    expect_spec_error("image=hello cpus=9", "cpus: none of them exists");
    expect_spec_error("image=hello grant=net", "spec: ports: '' must name at least one port");
    expect_spec_error("image=hello ports=0", "spec: ports: '0' must be a port or range");
    expect_spec_error("image=hello ports=sctp:9", "spec: ports: 'sctp:9' must be a port or range");
    expect_spec_error("image=hello net.conns=9999", "spec: net.conns: '9999'");
}

static void cm_hostile_reaches_nothing(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=hostile grant=none", &st, 0, 0, 0), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    /* with a console (and nothing else beyond its own objects) the same */
    char log[600];
    CHECK_EQ(run("image=hostile grant=console args=report", &st, log, sizeof log, 0), 0);
    if (st.exit_status)
        printf("  %s", log);
    CHECK_EQ(st.exit_status, 0);
}

/* A container that ends itself without an exit message — destroying its
 * own quota, task or thread, faulting with no handler, or exiting its last
 * thread quietly — is still reported, and its waiters are answered. */
static void selfend(const char *how, int state, uint64_t status, uint64_t label, uint64_t addr)
{
    char spec[80];
    snprintf(spec, sizeof spec, "image=selfend args=%s", how);
    struct ae_cm_status st;
    CHECK_EQ(run(spec, &st, 0, 0, 0), 0);
    if (st.state != state || st.exit_status != status || (st.fault_label & 0xFFFFFFFF) != label ||
        st.fault_addr != addr)
        printf("  selfend %s: state %d status %lu fault %lx at %lx\n", how, st.state, st.exit_status,
               st.fault_label, st.fault_addr);
    CHECK_EQ(st.state, state);
    CHECK_EQ(st.exit_status, status);
    CHECK_EQ(st.fault_label & 0xFFFFFFFF, label);
    CHECK_EQ(st.fault_addr, addr);
}

static void cm_container_ending_itself_is_reported(void)
{
    selfend("quota", CM_FAULTED, 0, AERIE_FAULT_GONE, 0);
    selfend("task", CM_FAULTED, 0, AERIE_FAULT_GONE, 0);
    selfend("thread", CM_FAULTED, 0, AERIE_FAULT_GONE, 0);
    selfend("nohandler", CM_FAULTED, 0, AERIE_FAULT_PAGE, 0x2);   /* it writes to address argc */
    selfend("quiet", CM_EXITED, 5, 0, 0);
    uint64_t before = free_pages();
    selfend("quota", CM_FAULTED, 0, AERIE_FAULT_GONE, 0);
    selfend("task", CM_FAULTED, 0, AERIE_FAULT_GONE, 0);
    CHECK_EQ(free_pages(), before);
}

/* The hostile container again, now holding every grant there is: what
 * it holds must give exactly what its name says. A neighbour keeps
 * running with its log intact, no container appears, and its ports are
 * free again once it is gone. */
static void cm_hostile_with_every_grant_reaches_nothing(void)
{
    uint64_t tick, hid, ids[64], after[64];
    int states[64];
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"100000 20\"", 1, &tick, err, sizeof err), 0);
    int before = ae_cm_list(cmcap, 0, ids, states, 64);
    struct ae_cm_status st;
    static char log[8000];
    CHECK_EQ(run("image=hostile grant=console,fs,net,self ports=4000-4001 args=report", &st, log, sizeof log, &hid), 0);
    if (st.state != CM_EXITED || st.exit_status)
        printf("%s", log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "hostile: 7 held capabilities attacked, 0 surprises") != NULL);
    int n = ae_cm_list(cmcap, 0, after, states, 64);
    CHECK_EQ(n, before + 1);                        /* itself, and nothing it made */
    for (int i = 0, j = 0; i < n; i++)
        if (after[i] != hid)
            CHECK_EQ(after[i], ids[j++]);
    CHECK_EQ(ae_cm_status(cmcap, tick, &st), 0);
    CHECK_EQ(st.state, CM_RUNNING);
    CHECK(read_log(tick, log, sizeof log) > 0 && strstr(log, "tick 1\n") != NULL);
    CHECK_EQ(ae_cm_remove(cmcap, hid), 0);
    CHECK_EQ(run("image=grantprobe grant=console,net ports=4000 args=\"bind 4000\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK_EQ(ae_cm_kill(cmcap, tick), 0);
    CHECK_EQ(ae_cm_remove(cmcap, tick), 0);
}

/* cpus=1 binds the container's own threads, not only where cm starts
 * it (SECURITY.md 78f): holding `self`, hostile tries CPU 0 every way it
 * has (apps/hostile/cpus.c) and is refused each time, and it still runs
 * on CPU 1 at the end. A neighbour on any CPU runs on. */
static void cm_cpus_bind_the_containers_own_threads(void)
{
    if (((const struct aerie_kip *)AERIE_KIP_ADDR)->ncpus < 2)
        return;                                     /* one CPU: no other to escape to */
    uint64_t tick, hid;
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"100000 20\"", 1, &tick, err, sizeof err), 0);
    struct ae_cm_status st;
    static char log[8000];
    CHECK_EQ(run("image=hostile grant=console,self cpus=1 args=report", &st, log, sizeof log, &hid), 0);
    if (st.state != CM_EXITED || st.exit_status || !strstr(log, "runs on CPU 1\n"))
        printf("%s", log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "hostile: cpus 0x2: ") != NULL);
    CHECK(strstr(log, "ways elsewhere tried, runs on CPU 1\n") != NULL);
    CHECK(strstr(log, " 0 surprises") != NULL);
    CHECK_EQ(ae_cm_remove(cmcap, hid), 0);
    CHECK_EQ(ae_cm_status(cmcap, tick, &st), 0);
    CHECK_EQ(st.state, CM_RUNNING);
    CHECK_EQ(ae_cm_kill(cmcap, tick), 0);
    CHECK_EQ(ae_cm_remove(cmcap, tick), 0);
}

/* A log longer than one reply comes back whole, in order, however the
 * reader's buffer splits it. */
static void cm_logs_longer_than_a_reply_come_whole(void)
{
    struct ae_cm_status st;
    uint64_t id;
    static char log[4000], want[4000];
    CHECK_EQ(run("image=ticker args=\"300 0\"", &st, 0, 0, &id), 0);
    CHECK_EQ(st.exit_status, 0);
    want[0] = 0;
    for (int i = 1; i <= 300; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "tick %d\n", i);
    CHECK_EQ(read_log(id, log, sizeof log), (int64_t)strlen(want));
    CHECK(strcmp(log, want) == 0);
    uint64_t from = 0;                              /* a small buffer: many calls, same bytes */
    size_t have = 0;
    int64_t n;
    while ((n = ae_cm_logs(cmcap, id, &from, log + have, 7)) > 0)
        have += (size_t)n;
    log[have] = 0;
    CHECK_EQ(n, 0);
    CHECK(strcmp(log, want) == 0);
    ae_cm_remove(cmcap, id);
}

/* One container fills every limit it has — memory, files, its log — while
 * a neighbour with files and a socket goes on: each of the neighbour's
 * rounds reads its file back and echoes a datagram through its socket. */
static void cm_filling_limits_leaves_a_neighbour_working(void)
{
    uint64_t steady, hogs[3];
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=grantprobe grant=console,fs,net ports=4100 args=\"steady 4100 60\"",
                          1, &steady, err, sizeof err), 0);
    static const char *hog_specs[3] = {
        "image=memhog mem=4M",
        "image=grantprobe grant=console,fs mem=2M fs.bytes=64M args=\"fill /big\"",
        "image=ticker args=\"4000 0\"",
    };
    for (int i = 0; i < 3; i++)
        CHECK_EQ(ae_cm_create(cmcap, hog_specs[i], 1, &hogs[i], err, sizeof err), 0);
    struct ae_cm_status st;
    for (int i = 0; i < 3; i++)
        CHECK_EQ(ae_cm_wait(cmcap, hogs[i], &st), 0);
    CHECK_EQ(ae_cm_wait(cmcap, steady, &st), 0);
    static char log[4096];
    CHECK(read_log(steady, log, sizeof log) > 0);
    if (st.state != CM_EXITED || st.exit_status)
        printf("  neighbour: state %d status %lu\n%s", st.state, st.exit_status, log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "round 60 ok\n") != NULL);
    ae_cm_remove(cmcap, steady);
    for (int i = 0; i < 3; i++)
        ae_cm_remove(cmcap, hogs[i]);
}

/* A neighbour ticking while the hog does its worst prints the same. */
static void with_neighbour(const char *hog, const char *expect_in_log)
{
    uint64_t tick;
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"20 5\"", 1, &tick, err, sizeof err), 0);
    struct ae_cm_status st;
    char log[2000];
    CHECK_EQ(run(hog, &st, log, sizeof log, 0), 0);
    if (st.state != CM_EXITED || st.exit_status != 0) {
        char what[160];
        ae_cm_describe(&st, what, sizeof what);
        printf("  %s: %s: %s\n", hog, what, log);
    }
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, expect_in_log) != NULL);
    CHECK_EQ(ae_cm_wait(cmcap, tick, &st), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK(read_log(tick, log, sizeof log) > 0);
    char want[400] = "";
    for (int i = 1; i <= 20; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "tick %d\n", i);
    CHECK(strcmp(log, want) == 0);
    ae_cm_remove(cmcap, tick);
}

static void cm_memory_limit_is_its_own(void) { with_neighbour("image=memhog mem=4M", "ENOMEM"); }
static void cm_thread_limit_is_its_own(void) { with_neighbour("image=threadhog threads=6", "EAGAIN"); }
static void cm_object_limit_is_its_own(void) { with_neighbour("image=objhog objects=64", "objects, then -12"); }

/* Stack and .bss pages are lazy: charged when touched. A container whose
 * limit is used up and that then touches a new stack page is stopped and
 * reported out of memory, not as a bad address, and its neighbour ticks on. */
static void cm_touch_over_limit_is_out_of_memory(void)
{
    uint64_t tick;
    char err[200], log[2000], d[160];
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"10 5\"", 1, &tick, err, sizeof err), 0);
    struct ae_cm_status st;
    CHECK_EQ(run("image=memhog args=stack mem=1M stack=64K", &st, log, sizeof log, 0), 0);
    ae_cm_describe(&st, d, sizeof d);
    if (st.state != CM_FAULTED || !strstr(d, "out of memory"))
        printf("  memhog stack: %s / %s\n", d, log);
    CHECK_EQ(st.state, CM_FAULTED);
    CHECK(strstr(d, "out of memory: its mem= limit is used up") != NULL);
    CHECK(strstr(log, "now deeper into the stack") != NULL);
    CHECK(strstr(log, "went deeper anyway") == NULL);
    CHECK_EQ(ae_cm_wait(cmcap, tick, &st), 0);
    CHECK_EQ(st.exit_status, 0);
    ae_cm_remove(cmcap, tick);
}

static void cm_kill_and_stats(void)
{
    uint64_t id;
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=cpuworker args=500000000 mem=2M", 1, &id, err, sizeof err), 0);
    struct ae_cm_stats s;
    CHECK_EQ(ae_cm_stats(cmcap, id, &s), 0);
    CHECK_EQ(s.state, CM_RUNNING);
    CHECK(s.mem_used > 0 && s.mem_used <= s.mem_limit);
    CHECK_EQ(s.mem_limit, 2 << 20);
    CHECK(s.threads_used >= 1);
    CHECK_EQ(ae_cm_kill(cmcap, id), 0);
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_status(cmcap, id, &st), 0);
    CHECK_EQ(st.state, CM_KILLED);
    CHECK_EQ(ae_cm_kill(cmcap, id), AE_EBUSY);
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    CHECK_EQ(ae_cm_status(cmcap, id, &st), AE_ESRCH);
}

enum { MANY = 600 };
static uint64_t many_ids[MANY];

/* Starts MANY idle containers with a console each; returns how many. */
static int start_many_idle(void)
{
    char err[200];
    for (int i = 0; i < MANY; i++) {
        if (ae_cm_create(cmcap, "image=idle grant=console mem=256K", 1, &many_ids[i], err, sizeof err)) {
            printf("  container %d refused: %s\n", i + 1, err);
            return i;
        }
    }
    return MANY;
}

static void remove_many(int n)
{
    for (int i = 0; i < n; i++)
        ae_cm_remove(cmcap, many_ids[i]);
}

/* Each console log is the container's: it shows in its stats, it is
 * charged to its limit when written (a container that never prints pays
 * nothing for it), and there is no system-wide cap on how many containers
 * have one (the console used to refuse the ~295th). */
static void cm_console_logs_are_charged_to_their_containers(void)
{
    remove_many(start_many_idle());                 /* the services' heaps grow once */
    uint64_t before = free_pages();
    int made = start_many_idle();
    CHECK_EQ(made, MANY);
    struct ae_cm_stats s;
    CHECK_EQ(ae_cm_stats(cmcap, many_ids[made - 1], &s), 0);
    CHECK_EQ(s.mem_log, 0);                         /* idle never printed */
    CHECK(s.mem_used >= s.mem_run && s.mem_used <= s.mem_limit);
    remove_many(made);
    CHECK_EQ(free_pages_settled(before), before);
    struct ae_cm_status st;
    uint64_t id;
    CHECK_EQ(run("image=hello", &st, 0, 0, &id), 0);
    CHECK_EQ(ae_cm_stats(cmcap, id, &s), 0);
    CHECK_EQ(s.mem_log, 4096);                      /* it printed: one page, its own */
    CHECK(s.mem_used >= s.mem_log && s.mem_used <= s.mem_limit);
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
}

/* A container flooding its log keeps its own last 4 KiB and changes
 * nothing in a neighbour's. */
static void cm_console_flood_leaves_a_neighbours_log(void)
{
    uint64_t flood, quiet;
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"3 1\"", 1, &quiet, err, sizeof err), 0);
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"3000 0\"", 1, &flood, err, sizeof err), 0);
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_wait(cmcap, flood, &st), 0);
    CHECK_EQ(ae_cm_wait(cmcap, quiet, &st), 0);
    char log[200];
    CHECK(read_log(quiet, log, sizeof log) > 0);
    CHECK(strcmp(log, "tick 1\ntick 2\ntick 3\n") == 0);
    static char big[8192];                          /* the flood kept its last 4 KiB, no more */
    CHECK_EQ(read_log(flood, big, sizeof big), 4096 - CON_LOG_HDR);   /* less the position header */
    CHECK(strstr(big, "tick 3000\n") != NULL);
    ae_cm_remove(cmcap, flood);
    ae_cm_remove(cmcap, quiet);
}

static void cm_kill_during_ipc_leaves_console_serving(void)
{
    uint64_t id;
    char err[200];
    for (int round = 0; round < 10; round++) {
        CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"100000 0\"", 1, &id, err, sizeof err), 0);
        uint64_t from = 0;
        char buf[64];
        int64_t n = 0;
        for (int i = 0; i < 3000 && (n = ae_cm_logs(cmcap, id, &from, buf, sizeof buf)) == 0; i++)
            ae_sleep_ns(1000000);                     /* until it is writing (up to 3 s on a busy host) */
        CHECK(n > 0);                                 /* a log read succeeded */
        CHECK_EQ(ae_cm_kill(cmcap, id), 0);
        CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    }
    struct ae_cm_status st;
    char log[600];
    CHECK_EQ(run("image=hello", &st, log, sizeof log, 0), 0);
    CHECK(strstr(log, "Hello from hello") != NULL);
}

/* What the start-up benchmark relies on (bench/aerie/startbench.c): a
 * container granted nothing runs, and its thread's whole 64-bit exit word
 * reaches the waiter — nop exits with CLOCK_MONOTONIC read in its main. */
static void cm_nop_reports_main_time_in_exit_status(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t before = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    struct ae_cm_status st;
    CHECK_EQ(run("image=nop grant=none mem=128K", &st, 0, 0, 0), 0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t after = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    CHECK_EQ(st.state, CM_EXITED);
    CHECK(st.exit_status > before && st.exit_status < after);
}

static void cm_list_images_and_containers(void)
{
    char name[64];
    int found = 0;
    for (unsigned i = 0; ae_cm_image(cmcap, i, name, sizeof name) == 0; i++)
        found += !strcmp(name, "hello") + !strcmp(name, "crasher");
    CHECK_EQ(found, 2);
    uint64_t a, b, ids[64];
    int states[64];
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, "image=hello name=first", 0, &a, err, sizeof err), 0);
    CHECK_EQ(ae_cm_create(cmcap, "image=hello", 0, &b, err, sizeof err), 0);
    uint64_t dup = 0;                                   /* names are unique until removed */
    CHECK_EQ(ae_cm_create(cmcap, "image=hello name=first", 0, &dup, err, sizeof err), AE_EEXIST);
    CHECK(strstr(err, "name: first is already in use by container") != NULL && dup == 0);
    int n = ae_cm_list(cmcap, a, ids, states, 64);
    CHECK(n >= 2 && ids[0] == a && ids[1] == b && states[0] == CM_CREATED);
    CHECK_EQ(ae_cm_info(cmcap, a, name, sizeof name), 0);
    CHECK(!strcmp(name, "hello first"));
    CHECK_EQ(ae_cm_start(cmcap, a), 0);
    CHECK_EQ(ae_cm_start(cmcap, a), AE_EBUSY);
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_wait(cmcap, a, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(ae_cm_remove(cmcap, a), 0);
    CHECK_EQ(ae_cm_remove(cmcap, b), 0);                /* never started: removed all the same */
    CHECK_EQ(ae_cm_remove(cmcap, b), AE_ESRCH);
    CHECK_EQ(ae_cm_create(cmcap, "image=hello name=first", 0, &a, err, sizeof err), 0);   /* free again */
    CHECK_EQ(ae_cm_remove(cmcap, a), 0);
}

static volatile int par_failures;

static void *creator(void *arg)
{
    for (int i = 0; i < 25; i++) {
        struct ae_cm_status st;
        if (run("image=hello grant=none", &st, 0, 0, 0) || st.state != CM_EXITED)
            __atomic_add_fetch(&par_failures, 1, __ATOMIC_RELAXED);
    }
    return arg;
}

static void cm_parallel_creation(void)
{
    pthread_t t[4];
    int started = 0;
    par_failures = 0;
    for (int i = 0; i < 4; i++) {
        int rc = pthread_create(&t[started], 0, creator, 0);
        CHECK_EQ(rc, 0);
        started += rc == 0;
    }
    for (int i = 0; i < started; i++)
        pthread_join(t[i], 0);
    CHECK_EQ(par_failures, 0);
}


/* grant=fs: the image's files/ is the container's root; what it writes
 * stays its own; without the grant there are no files at all. */
static void cm_fs_grant_is_the_image_and_private(void)
{
    struct ae_cm_status st;
    char log[600];
    CHECK_EQ(run("image=grantprobe grant=console,fs args=\"read /motd\"", &st, log, sizeof log, 0), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "motd of the grantprobe image") != NULL);
    CHECK_EQ(run("image=grantprobe grant=console,fs args=\"write /note mine\"", &st, log, sizeof log, 0), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "read /note: mine") != NULL);
    CHECK_EQ(run("image=grantprobe grant=console,fs args=\"read /note\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, ENOENT);                /* the last one's file went with it */
    CHECK_EQ(run("image=grantprobe grant=console,fs args=\"write /motd replaced\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, 0);                     /* copied up, privately */
    /* a one-page file is one page (fs/data.c): 4K holds the copy-up, not more */
    CHECK_EQ(run("image=grantprobe grant=console,fs fs.bytes=4K args=\"fill /motd\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, ENOSPC);                /* its own fs.bytes limit */
    CHECK_EQ(run("image=grantprobe grant=console,fs args=\"read /motd\"", &st, log, sizeof log, 0), 0);
    CHECK(strstr(log, "motd of the grantprobe image") != NULL);
    CHECK_EQ(run("image=grantprobe grant=console args=\"read /motd\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, EACCES);
}

/* grant=fs: a container's files are made from its own quota (a child of
 * its keep quota), so its mem= is their limit too — a container with a
 * small mem= and a large fs.bytes runs out at its own limit, with ENOSPC —
 * and its stats count them until it is removed. */
static void cm_fs_files_are_the_containers_memory(void)
{
    struct ae_cm_status st;
    char log[600];
    uint64_t id;
    CHECK_EQ(run("image=grantprobe grant=console,fs mem=3M fs.bytes=64M args=\"fill /big\"", &st, log,
                 sizeof log, &id), 0);
    CHECK_EQ(st.exit_status, ENOSPC);
    const char *at = strstr(log, "filled ");
    unsigned long filled = at ? strtoul(at + 7, NULL, 10) : 0;
    CHECK(filled > (512ul << 10) && filled < (3ul << 20));   /* what its own 3 MiB left room for */
    struct ae_cm_stats s;
    CHECK_EQ(ae_cm_stats(cmcap, id, &s), 0);
    CHECK(s.mem_rest >= filled && s.mem_used <= s.mem_limit);   /* its files, in its memory */
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    CHECK_EQ(run("image=grantprobe grant=console,fs mem=3M args=\"write /small note\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, 0);                     /* the next one starts with a clean slate */
}

/* grant=net ports=P: it may bind P and nothing else; without the grant
 * not even a socket. */
static void cm_net_grant_is_its_ports_only(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=grantprobe grant=console,net ports=7100 args=\"bind 7100\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK_EQ(run("image=grantprobe grant=console,net ports=7100 args=\"bind 7101\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, EACCES);
    CHECK_EQ(run("image=grantprobe grant=console args=\"bind 7100\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, EACCES);
    /* Two containers cannot hold one port: the second is refused at create. */
    uint64_t id;
    char err[200] = "";
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker grant=console,net ports=7200 args=\"1000 100\"", 1, &id, err, sizeof err), 0);
    uint64_t id2;
    int r = ae_cm_create(cmcap, "image=ticker grant=console,net ports=7200", 1, &id2, err, sizeof err);
    CHECK(r != 0);
    CHECK(strstr(err, "ports") != NULL);
    if (!r)
        ae_cm_remove(cmcap, id2);
    ae_cm_remove(cmcap, id);
    /* Once the holder is gone the port is free again. */
    CHECK_EQ(run("image=grantprobe grant=console,net ports=7200 args=\"bind 7200\"", &st, 0, 0, 0), 0);
    CHECK_EQ(st.exit_status, 0);
}

/* Sessions with fs and net are given back with the container: many
 * cycles leave every page where it was. */
static void cm_grants_soak_returns_every_page(void)
{
    struct ae_cm_status st;
    const char *spec = "image=grantprobe grant=console,fs,net ports=7300 args=\"write /f x\"";
    run(spec, &st, 0, 0, 0);
    run(spec, &st, 0, 0, 0);
    uint64_t before = free_pages();
    for (unsigned i = 0; i < 200; i++) {
        if (run(spec, &st, 0, 0, 0) || st.state != CM_EXITED || st.exit_status) {
            printf("  cycle %u ended with state %d status %lu\n", i, st.state, st.exit_status);
            CHECK(0);
            return;
        }
    }
    uint64_t after = free_pages();
    printf("  grants soak: 200 cycles, free pages %lu before, %lu after\n", before, after);
    CHECK_EQ(after, before);
}

/* What fs holds for a container's session — nodes, names, tables — is
 * paid from the container's own memory (a deposit in its files quota,
 * docs/FS.md "Metadata: paid by the container"): one making names until
 * refused stops at its own mem= with ENOMEM while a neighbour still
 * creates files, and its removal gives every page back. */
static void cm_fs_metadata_is_the_containers_memory(void)
{
    const char *hog = "image=grantprobe grant=console,fs mem=2M fs.inodes=20000 args=\"names /n\"";
    struct ae_cm_status st;
    static char log[4096];
    uint64_t id;
    CHECK_EQ(run(hog, &st, 0, 0, &id), 0);          /* the service's heap at its high water */
    ae_cm_remove(cmcap, id);
    uint64_t before = free_pages();
    CHECK_EQ(run(hog, &st, log, sizeof log, &id), 0);
    unsigned long made = 0;
    const char *m = strstr(log, "made ");
    if (m)
        made = strtoul(m + 5, NULL, 10);
    printf("  hog: state %d status %lu, %lu names\n", st.state, st.exit_status, made);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, ENOMEM);               /* its memory, not a pool, said no */
    CHECK(made > 100);
    struct ae_cm_stats cs;
    CHECK_EQ(ae_cm_stats(cmcap, id, &cs), 0);
    CHECK(cs.mem_used <= cs.mem_limit);
    CHECK(cs.mem_used > (1u << 20));                /* the names are in its memory */
    for (int i = 0; i < 3; i++) {                   /* the hog still holds all it made */
        struct ae_cm_status nst;
        CHECK_EQ(run("image=grantprobe grant=console,fs args=\"write /f x\"", &nst, 0, 0, 0), 0);
        CHECK_EQ(nst.exit_status, 0);
    }
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    CHECK_EQ(free_pages_settled(before), before);
}

/* Containers each holding an fs session, at once, until one is refused:
 * the bound is memory now (before: about 564 sessions, the heap's 64
 * promises and about five hundred late ones from its pool). */
static unsigned fs_burst(unsigned max, uint64_t *ids)
{
    unsigned n = 0;
    char err[200] = "";
    while (n < max && ae_cm_create(cmcap, "image=idle grant=fs mem=512K", 1, &ids[n], err, sizeof err) == 0)
        n++;
    printf("  %u containers each with an fs session%s%s\n", n, n < max ? "; then: " : "", n < max ? err : "");
    for (unsigned i = 0; i < n; i++)
        ae_cm_remove(cmcap, ids[i]);
    return n;
}

static void cm_fs_sessions_bounded_by_memory(void)
{
    enum { MAX = 800 };
    static uint64_t ids[MAX];
    /* The first burst takes the services' tables (fs's capability space:
     * three slots per session) to their high water; the second must give
     * back every page it took. */
    CHECK(fs_burst(MAX, ids) > 600);
    uint64_t before = free_pages_steady();
    CHECK(fs_burst(MAX, ids) > 600);
    CHECK_EQ(free_pages_settled(before), before);
}

/* A container's files from outside (aerie cp): after it ended, through
 * cm; a container without fs has none; removal ends access. */
static void cm_files_outlive_the_container(void)
{
    struct ae_cm_status st;
    uint64_t id;
    CHECK_EQ(run("image=grantprobe grant=console,fs args=\"write /note hello-from-inside\"", &st, 0, 0, &id), 0);
    CHECK_EQ(st.exit_status, 0);
    uint32_t type, mode;
    uint64_t size;
    CHECK_EQ(ae_cm_fs_stat(cmcap, id, "/note", &type, &size, &mode), 0);
    CHECK_EQ(type, FS_TYPE_FILE);
    CHECK_EQ(size, 17);
    char buf[CM_FS_CHUNK + 1];
    CHECK_EQ(ae_cm_fs_read(cmcap, id, "/note", 0, buf, sizeof buf - 1, &size), 17);
    CHECK(!memcmp(buf, "hello-from-inside", 17));
    /* in: 5000 bytes over several messages, into a new directory */
    static char big[5000], back[5000];
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7 + 3);
    CHECK_EQ(ae_cm_fs_mkdir(cmcap, id, "/d", 0755), 0);
    uint64_t done = 0;
    while (done < sizeof big) {
        int64_t n = ae_cm_fs_write(cmcap, id, "/d/big", done, big + done, sizeof big - done,
                                   CM_FS_W_CREATE | (done ? 0 : CM_FS_W_TRUNC), 0644);
        if (n <= 0) { CHECK(n > 0); break; }
        done += (uint64_t)n;
    }
    done = 0;
    while (done < sizeof back) {
        int64_t n = ae_cm_fs_read(cmcap, id, "/d/big", done, back + done, sizeof back - done, &size);
        if (n <= 0) { CHECK(n > 0); break; }
        done += (uint64_t)n;
    }
    CHECK(!memcmp(big, back, sizeof big));
    /* the listing of / has the image's file, the container's and ours */
    uint64_t cookie = 0;
    int eof = 0, seen = 0;
    while (!eof) {
        unsigned char recs[512];
        unsigned count;
        int n = ae_cm_fs_list(cmcap, id, "/", &cookie, &eof, recs, sizeof recs, &count);
        if (n < 0) { CHECK(n >= 0); break; }
        for (int at = 0; at < n; at += 2 + recs[at + 1]) {
            int len = recs[at + 1];
            const char *name = (const char *)recs + at + 2;
            seen |= (len == 4 && !memcmp(name, "motd", 4)) ? 1 : 0;
            seen |= (len == 4 && !memcmp(name, "note", 4)) ? 2 : 0;
            seen |= (len == 1 && !memcmp(name, "d", 1) && recs[at] == FS_TYPE_DIR) ? 4 : 0;
        }
    }
    CHECK_EQ(seen, 7);
    CHECK_EQ(ae_cm_fs_stat(cmcap, id, "/nothing", &type, &size, &mode), AE_ENOENT);
    CHECK_EQ(ae_cm_fs_stat(cmcap, id, "/../../etc", &type, &size, &mode), AE_ENOENT);
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    CHECK_EQ(ae_cm_fs_stat(cmcap, id, "/note", &type, &size, &mode), AE_ESRCH);
    /* without the grant there is nothing to read */
    CHECK_EQ(run("image=hello grant=console", &st, 0, 0, &id), 0);
    CHECK_EQ(ae_cm_fs_stat(cmcap, id, "/", &type, &size, &mode), AE_EACCES);
    ae_cm_remove(cmcap, id);
}

static unsigned soak_cycles = 2000;

static void cm_soak_returns_every_page(void)
{
    struct ae_cm_status st;
    run("image=hello grant=none", &st, 0, 0, 0);      /* warm the caches first */
    uint64_t before = free_pages();
    for (unsigned i = 0; i < soak_cycles; i++) {
        if (run("image=hello grant=none", &st, 0, 0, 0) || st.state != CM_EXITED || st.exit_status) {
            printf("  cycle %u ended with state %d\n", i, st.state);
            CHECK(0);
            return;
        }
    }
    uint64_t after = free_pages();
    printf("  soak: %u cycles, free pages %lu before, %lu after\n", soak_cycles, before, after);
    CHECK_EQ(after, before);
}

/* Waits up to 10 s for a debuggable container to stop as want (CM_DBG_*). */
static bool wait_stop(uint64_t id, uint64_t want, uint64_t res[7])
{
    for (int i = 0; i < 10000; i++) {
        if (ae_cm_debug(cmcap, id, CM_DBG_STATUS, 0, 0, res, 7) == 0 && res[0] == want)
            return true;
        ae_sleep_ns(1000000);
    }
    return false;
}

/* What `aerie debug` and `aerie trace` do through cm, over and over: a
 * crash held for its debugger, then killed; a loop attached to, stepped,
 * read, traced, detached and killed. Nothing a debugger or a tracer
 * makes outlives the container: every page comes back. A container made
 * without debug= cannot be debugged at all. */
static void cm_debug_and_trace_return_every_page(void)
{
    uint64_t id, res[AERIE_REG_COUNT], before = 0;
    char err[160];
    CHECK_EQ(ae_cm_create(cmcap, "image=dbgloop grant=none args=60", 1, &id, err, sizeof err), 0);
    CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_ATTACH, 0, 0, res, 7), AE_EPERM);
    CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_REGS, 0, 0, res, AERIE_REG_COUNT), AE_EPERM);
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    for (unsigned i = 0; i < 11; i++) {
        if (i == 1)
            before = free_pages();               /* after one cycle to warm cm's caches */
        CHECK_EQ(ae_cm_create(cmcap, "image=crasher grant=none debug=hold", 1, &id, err, sizeof err), 0);
        CHECK(wait_stop(id, CM_DBG_TRAPPED, res));
        CHECK_EQ(res[1], AERIE_FAULT_PAGE);
        CHECK_EQ(res[2], 0);                     /* it read address 0 */
        CHECK_EQ(ae_cm_kill(cmcap, id), 0);
        CHECK_EQ(ae_cm_remove(cmcap, id), 0);

        CHECK_EQ(ae_cm_create(cmcap, "image=dbgloop grant=none debug=yes args=60", 1, &id, err, sizeof err), 0);
        uint64_t t[2] = { 8192, (1ull << AERIE_TRACE_KINDS) - 2 };
        CHECK_EQ(ae_cm_trace(cmcap, id, CM_TRACE_START, t, 2, 0, 0), 0);
        CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_ATTACH, 0, 0, res, 7), 0);
        CHECK_EQ(res[0], CM_DBG_STOPPED);
        CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_STEP, 0, 0, 0, 0), 0);
        CHECK(wait_stop(id, CM_DBG_TRAPPED, res));
        CHECK_EQ(res[1], AERIE_FAULT_EXCEPTION);
        CHECK_EQ(res[2], 1);                     /* the debug trap of a single step */
        CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_REGS, 0, 0, res, AERIE_REG_COUNT), 0);
        uint64_t rd[2] = { res[AERIE_REG_RIP], 16 }, bytes[2];
        CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_READ, rd, 2, bytes, 2), 0);
        uint64_t wr[3] = { 0x1000, 1, 0xcc };        /* nothing mapped there */
        CHECK(ae_cm_debug(cmcap, id, CM_DBG_WRITE, wr, 3, 0, 0) < 0);
        CHECK_EQ(ae_cm_trace(cmcap, id, CM_TRACE_READ, 0, 0, res, 3), 0);
        CHECK_EQ(ae_cm_debug(cmcap, id, CM_DBG_DETACH, 0, 0, 0, 0), 0);
        CHECK_EQ(ae_cm_kill(cmcap, id), 0);
        CHECK_EQ(ae_cm_trace(cmcap, id, CM_TRACE_READ, 0, 0, res, 3), 0);   /* readable after its end */
        CHECK_EQ(ae_cm_remove(cmcap, id), 0);
    }
    uint64_t after = free_pages();
    printf("  debug and trace: 10 cycles, free pages %lu before, %lu after\n", before, after);
    CHECK_EQ(after, before);
}

/* One of t_images.c's tests, in this file's protocol. */
static const struct cm_image_test *image_test;
static void run_image_test(void)
{
    const char *why = image_test->fn();
    if (why) {
        host_test_ok = false;
        snprintf(host_test_why, sizeof host_test_why, "%s", why);
    }
}

static void cm_density_after_a_burst(void)
{
    const char *why = cm_density_holds_after_a_burst_of_ends();
    if (why) {
        host_test_ok = false;
        snprintf(host_test_why, sizeof host_test_why, "%s", why);
    }
}

int main(int argc, char **argv)
{
    cmcap = ae_capenv_lookup("cm");
    if (argc > 1)
        soak_cycles = (unsigned)atoi(argv[1]);
    RUN(cm_runs_hello);
    RUN(cm_passes_args_and_env);
    RUN(cm_reports_crash);
    RUN(cm_refuses_bad_specs);
    for (image_test = cm_longspec_tests; image_test->name; image_test++)
        run_host_test(image_test->name, run_image_test);
    RUN(cm_hostile_reaches_nothing);
    RUN(cm_hostile_with_every_grant_reaches_nothing);
    RUN(cm_cpus_bind_the_containers_own_threads);
    RUN(cm_container_ending_itself_is_reported);
    RUN(cm_logs_longer_than_a_reply_come_whole);
    RUN(cm_memory_limit_is_its_own);
    RUN(cm_thread_limit_is_its_own);
    RUN(cm_object_limit_is_its_own);
    RUN(cm_filling_limits_leaves_a_neighbour_working);
    RUN(cm_touch_over_limit_is_out_of_memory);
    RUN(cm_kill_and_stats);
    RUN(cm_kill_during_ipc_leaves_console_serving);
    RUN(cm_console_logs_are_charged_to_their_containers);
    RUN(cm_console_flood_leaves_a_neighbours_log);
    RUN(cm_nop_reports_main_time_in_exit_status);
    RUN(cm_list_images_and_containers);
    RUN(cm_fs_grant_is_the_image_and_private);
    RUN(cm_fs_files_are_the_containers_memory);
    RUN(cm_net_grant_is_its_ports_only);
    RUN(cm_files_outlive_the_container);
    RUN(cm_grants_soak_returns_every_page);
    RUN(cm_fs_metadata_is_the_containers_memory);
    RUN(cm_fs_sessions_bounded_by_memory);
    RUN(cm_debug_and_trace_return_every_page);
    for (image_test = cm_image_tests; image_test->name; image_test++)
        run_host_test(image_test->name, run_image_test);
    RUN(cm_parallel_creation);
    RUN(cm_density_after_a_burst);
    RUN(cm_soak_returns_every_page);
    return TESTS_DONE();
}
