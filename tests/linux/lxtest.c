/*
 * lxtest.c — the Linux personality's tests (docs/LINUX.md), run in QEMU
 * as a service granted "cm" and the kernel debug console: each runs
 * unmodified static Linux programs (built on the host with musl-gcc and
 * glibc from tests/linux/progs/) as containers and checks their output,
 * exit status and the way cm reports their end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <aerie/errors.h>
#include <aerie/proto/linux.h>
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ktest_host.h"

static uint64_t cmcap, admin;
static char logbuf[8192];

static uint64_t lx_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The whole log of container id (a message's worth at a time) into logbuf. */
static void read_log(uint64_t id)
{
    uint64_t from = 0;
    size_t len = 0;
    for (;;) {
        int64_t n = ae_cm_logs(cmcap, id, &from, logbuf + len, sizeof logbuf - 1 - len);
        if (n < 0)
            printf("  reading the log of %lu: error %ld\n", id, n);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    logbuf[len] = 0;
}

/* Runs spec to its end; the log lands in logbuf. */
static int run(const char *spec, struct ae_cm_status *st)
{
    uint64_t id, t0 = lx_ns();
    char err[200] = "";
    logbuf[0] = 0;
    int r = ae_cm_create(cmcap, spec, 1, &id, err, sizeof err);
    if (r) {
        snprintf(logbuf, sizeof logbuf, "create failed: %d %s", r, err);
        printf("  run '%s': %d %s\n", spec, r, err);
        return r;
    }
    r = ae_cm_wait(cmcap, id, st);
    read_log(id);
    ae_cm_remove(cmcap, id);
    printf("  %s: %lu ms\n", spec, (lx_ns() - t0) / 1000000);
    return r;
}

static bool has(const char *needle)
{
    if (strstr(logbuf, needle))
        return true;
    printf("  expected '%s' in the log:\n%s\n", needle, logbuf);
    return false;
}

static void hello(const char *image)
{
    struct ae_cm_status st;
    char spec[160];
    snprintf(spec, sizeof spec, "image=%s args=\"7 two\" env=WHO=aerie", image);
    CHECK_EQ(run(spec, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 7);
    char want[120];
    snprintf(want, sizeof want, "hello from a static Linux program: argc=3 argv[0]=%s [7] [two] WHO=aerie", image);
    CHECK(has(want));
    CHECK(has("to stderr"));
    CHECK(!strstr(logbuf, "unsupported system call"));
}

/* The longest spec (docs/SPEC.md, "Sizes"): 256 arguments, one of 16000
 * bytes, and 64 environment variables reach the Linux program's argv and
 * envp intact, through the personality's own start. */
static void long_args(const char *image)
{
    static char spec[64 * 1024 + 1];
    size_t n = (size_t)sprintf(spec, "image=%s args=", image);
    unsigned long bytes = 16000, sum = 0;
    for (int i = 0; i < 16000; i++) {
        spec[n++] = (char)('a' + i % 26);
        sum = sum * 31 + (unsigned char)('a' + i % 26);
    }
    for (int i = 1; i < 256; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%d", i);
        n += (size_t)sprintf(spec + n, " args=%s", w);
        bytes += strlen(w);
        for (const char *p = w; *p; p++)
            sum = sum * 31 + (unsigned char)*p;
    }
    for (int i = 0; i < 64; i++)
        n += (size_t)sprintf(spec + n, " env=LONG%d=a-long-environment-variable-number-%d", i, i);
    struct ae_cm_status st;
    CHECK_EQ(run(spec, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    char want[300];
    snprintf(want, sizeof want, "hello: 256 arguments, %lu bytes, sum %lu, last 'w255'; 64 environment strings, "
             "last '%.40s'", bytes, sum, "LONG63=a-long-environment-variable-number-63");
    CHECK(has(want));
}

static void linux_long_args_and_env_arrive(void)
{
    long_args("hello-musl");
    long_args("hello-glibc");
}

static void linux_musl_hello_runs(void) { hello("hello-musl"); }
static void linux_glibc_hello_runs(void) { hello("hello-glibc"); }

static void crash(const char *image, const char *how, unsigned sig)
{
    struct ae_cm_status st;
    char spec[160], d[200];
    snprintf(spec, sizeof spec, "image=%s args=%s", image, how);
    CHECK_EQ(run(spec, &st), 0);
    CHECK_EQ(st.state, CM_FAULTED);
    CHECK_EQ(st.fault_label & 0xFFFFFFFF, CM_FAULT_LINUX_SIGNAL);
    CHECK_EQ(st.fault_label >> 32, sig);
    ae_cm_describe(&st, d, sizeof d);
    if (!strstr(d, ae_cm_signal_name(sig)))
        printf("  described as '%s'\n", d);
    CHECK(strstr(d, ae_cm_signal_name(sig)) != NULL);
}

static void linux_segfault_reported_as_sigsegv(void)
{
    crash("crash-musl", "segv", 11);
    struct ae_cm_status st;
    CHECK_EQ(run("image=crash-glibc args=segv", &st), 0);
    CHECK_EQ(st.fault_label >> 32, 11);
    CHECK_EQ(st.fault_addr, 0x10);
}

static void linux_abort_reported_as_sigabrt(void)
{
    crash("crash-glibc", "abort", 6);
    crash("crash-musl", "abort", 6);
}
/* Past its memory limit a program is killed as Linux's memory cgroup
 * kills (SIGKILL), not blamed with a SIGSEGV, and the log says why. */
static void linux_out_of_memory_killed_and_named(void)
{
    crash("crash-musl", "oom", 9);
    CHECK(strstr(logbuf, "linux: out of memory: pid 1 (") != NULL);
    CHECK(strstr(logbuf, "memory limit") != NULL);
}

static void linux_ud2_reported_as_sigill(void) { crash("crash-musl", "ud2", 4); }
static void linux_divide_reported_as_sigfpe(void) { crash("crash-glibc", "div", 8); }

static void linux_unsupported_call_logged_once(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=unsup-glibc", &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(has("linux: unsupported system call 206 (io_setup)"));
    char *first = strstr(logbuf, "unsupported system call 206");
    CHECK(first && !strstr(first + 1, "unsupported system call 206"));
    CHECK(has("unsup: io_setup returned -1 errno 38"));
}

static void linux_needs_self_grant(void)
{
    uint64_t id;
    char err[200] = "";
    int r = ae_cm_create(cmcap, "image=hello-musl grant=none,console", 0, &id, err, sizeof err);
    CHECK(r != 0);
    CHECK(strstr(err, "a Linux program needs self") != NULL);
}

/* A self-checking program: exit 0 and its "N checks, 0 failed" line. */
static void selfcheck(const char *prog, const char *libc, const char *opts)
{
    struct ae_cm_status st;
    char spec[200], want[64], d[200];
    snprintf(spec, sizeof spec, "image=%s-%s mem=64M threads=24 objects=2048 %s", prog, libc, opts);
    CHECK_EQ(run(spec, &st), 0);
    snprintf(want, sizeof want, "%s: ", prog);
    bool line = has(want) && has(" checks, 0 failed");
    if (st.state != CM_EXITED || st.exit_status || !line) {
        ae_cm_describe(&st, d, sizeof d);
        printf("  %s ended: %s\n", spec, d);
    }
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(line);
}

static void linux_files_musl(void) { selfcheck("files", "musl", "grant=console,self,fs"); }
static void linux_files_glibc(void) { selfcheck("files", "glibc", "grant=console,self,fs"); }
/* attack10: /dev/fd, /dev/std*, /proc/PID/fd/N give only what their
 * descriptor was opened for, only for the container's live processes;
 * links made by the program and the image's own stay in its root (aliases.c). */
static void linux_fd_aliases_and_links_musl(void) { selfcheck("aliases", "musl", "grant=console,self,fs"); }
static void linux_fd_aliases_and_links_glibc(void) { selfcheck("aliases", "glibc", "grant=console,self,fs"); }
static void linux_processes_musl(void) { selfcheck("procs", "musl", ""); }
static void linux_processes_glibc(void) { selfcheck("procs", "glibc", ""); }
/* POSIX timers (ptimer.c): coreutils' timeout, SIGEV_THREAD callbacks */
static void linux_posix_timers_musl(void) { selfcheck("ptimer", "musl", ""); }
static void linux_posix_timers_glibc(void) { selfcheck("ptimer", "glibc", ""); }
/* attack15: getpid & co. answered by the kernel stay Linux's answers */
static void linux_identity_calls_musl(void) { selfcheck("ident", "musl", ""); }
static void linux_identity_calls_glibc(void) { selfcheck("ident", "glibc", ""); }
/* 78f: sched_*affinity inside cpus=1 — CPU 0 refused, CPU 1 pinned (affinity.c) */
static void affinity_inside_cpus(const char *libc)
{
    selfcheck("affinity", libc, "cpus=1");
    CHECK(has("affinity: cpus=1 seen, CPU 0 refused"));
}
static void linux_affinity_inside_cpus_musl(void) { affinity_inside_cpus("musl"); }
static void linux_affinity_inside_cpus_glibc(void) { affinity_inside_cpus("glibc"); }
static void linux_signals_musl(void) { selfcheck("signals", "musl", ""); }
static void linux_signals_glibc(void) { selfcheck("signals", "glibc", ""); }
/* sigqueue's value to a handler, signalfd and sigtimedwait; forged codes EPERM (sigq.c) */
static void linux_sigqueue_musl(void) { selfcheck("sigq", "musl", ""); }
static void linux_sigqueue_glibc(void) { selfcheck("sigq", "glibc", ""); }
static void linux_threads_musl(void) { selfcheck("threads", "musl", ""); }
static void linux_threads_glibc(void) { selfcheck("threads", "glibc", ""); }
/* eventfd, timerfd, signalfd, memfd, mlock, tee (evfds.c) */
static void linux_event_files_musl(void) { selfcheck("evfds", "musl", ""); }
static void linux_event_files_glibc(void) { selfcheck("evfds", "glibc", ""); }
/* O_ASYNC: SIGIO or F_SETSIG's signal to a file's owner (fasync.c; nginx's channels) */
static void linux_sigio_musl(void) { selfcheck("fasync", "musl", ""); }
static void linux_sigio_glibc(void) { selfcheck("fasync", "glibc", ""); }
/* memfd seals: F_ADD_SEALS/F_GET_SEALS enforced on write, truncate and mmap (seals.c) */
static void linux_memfd_seals_musl(void) { selfcheck("seals", "musl", ""); }
static void linux_memfd_seals_glibc(void) { selfcheck("seals", "glibc", ""); }
/* preadv2/pwritev2 and sync_file_range on a memfd and a pipe (iov2.c) */
static void linux_preadv2_musl(void) { selfcheck("iov2", "musl", ""); }
static void linux_preadv2_glibc(void) { selfcheck("iov2", "glibc", ""); }
static void linux_memory_musl(void) { selfcheck("memory", "musl", ""); }
static void linux_memory_glibc(void) { selfcheck("memory", "glibc", ""); }

/* Sockets over the container's net grant: UDP echo between two processes,
 * TCP listening; without the grant socket() is EACCES, and a grant with
 * no tcp: ports gives UDP alone. */
#define NET_GRANT "grant=console,self,net ports=7000-7009,tcp:7100,out:7101"
static void linux_udp_echo_musl(void) { selfcheck("net", "musl", NET_GRANT); }
static void linux_udp_echo_glibc(void) { selfcheck("net", "glibc", NET_GRANT); }
/* recvmmsg's waiting, timeout, per-message lengths and flags, deferred errors (mmsg.c). */
static void linux_recvmmsg_musl(void) { selfcheck("mmsg", "musl", NET_GRANT); }
static void linux_recvmmsg_glibc(void) { selfcheck("mmsg", "glibc", NET_GRANT); }
/* attack20: timeouts of INT64_MAX s and 585 years wait forever, as Linux's
 * (nanosleep, futex, ppoll, select, sigtimedwait, itimer, SO_RCVTIMEO: timeouts.c) */
static void linux_huge_timeouts_musl(void) { selfcheck("timeouts", "musl", NET_GRANT); }
static void linux_huge_timeouts_glibc(void) { selfcheck("timeouts", "glibc", NET_GRANT); }
/* epoll: an event loop over a pipe, a UDP socket and a TCP listener (epoll.c). */
static void linux_epoll_event_loop_musl(void) { selfcheck("epoll", "musl", NET_GRANT); }
static void linux_epoll_event_loop_glibc(void) { selfcheck("epoll", "glibc", NET_GRANT); }
/* socket(AF_UNIX): stream and datagram sockets by name inside the container (unix.c). */
/* TCP over loopback: a client and a server process, 127.0.0.1 and our address (tcplo.c). */
#define LO_GRANT "grant=console,self,net,fs ports=tcp:7110,out:7110-7111"
static void linux_tcp_loopback_musl(void) { selfcheck("tcplo", "musl", LO_GRANT); }
static void linux_tcp_loopback_glibc(void) { selfcheck("tcplo", "glibc", LO_GRANT); }
/* MAP_SHARED file mappings (shmfile.c), and SQLite in WAL mode, whose
 * -shm file every connection maps shared (tests/linux/sqlite). */
static void linux_shared_file_mappings_musl(void) { selfcheck("shmfile", "musl", "grant=console,self,fs"); }
static void linux_shared_file_mappings_glibc(void) { selfcheck("shmfile", "glibc", "grant=console,self,fs"); }
static void linux_sqlite_wal_two_processes(void) { selfcheck("sqlite", "glibc", "grant=console,self,fs"); }
static void linux_unix_sockets_musl(void) { selfcheck("unix", "musl", ""); }
static void linux_unix_sockets_glibc(void) { selfcheck("unix", "glibc", ""); }
/* SCM_RIGHTS over AF_UNIX sockets, the bounds on fds in flight, fds not ours (scm.c) */
static void linux_calls_scm_rights_musl(void) { selfcheck("scm", "musl", ""); }
static void linux_calls_scm_rights_glibc(void) { selfcheck("scm", "glibc", ""); }
/* POSIX timers: signals with SI_TIMER, overruns, threads, bounds, bad ids (ptimers.c) */
static void linux_calls_posix_timers_musl(void) { selfcheck("ptimers", "musl", ""); }
static void linux_calls_posix_timers_glibc(void) { selfcheck("ptimers", "glibc", ""); }
/* pidfd_open, pidfd_send_signal, waitid(P_PIDFD), close_range UNSHARE (pidfds.c) */
static void linux_calls_pidfds_musl(void) { selfcheck("pidfds", "musl", ""); }
static void linux_calls_pidfds_glibc(void) { selfcheck("pidfds", "glibc", ""); }
/* attack21 (SECURITY 78m-78s): SIGEV_NONE timers with wild signal numbers,
 * huge timer times, O_PATH fds refused by every call on a file's bytes,
 * fds in flight to a full table, short controls, reaped pidfds (atk21.c) */
static void linux_calls_attack21_musl(void) { selfcheck("atk21", "musl", "grant=console,self,fs"); }
static void linux_calls_attack21_glibc(void) { selfcheck("atk21", "glibc", "grant=console,self,fs"); }
/* attack22 (SECURITY 78t-78x): madvise/munmap/mprotect at the edges of the
 * address space, mremap of a shared mapping a child shares, MREMAP_FIXED,
 * MREMAP_DONTUNMAP, exec of a FIFO (atk22.c) */
static void linux_calls_attack22_musl(void) { selfcheck("atk22", "musl", "grant=console,self,fs"); }
static void linux_calls_attack22_glibc(void) { selfcheck("atk22", "glibc", "grant=console,self,fs"); }
static uint64_t start_until(const char *spec, const char *ready);

/* The vDSO (docs/LINUX.md "The vDSO", clocks.c): every clock through the
 * C library in order with the system call, the object's symbols, its
 * pages and the KIP read-only, fork and exec. */
static void linux_vdso_clocks_musl(void) { selfcheck("clocks", "musl", ""); }
static void linux_vdso_clocks_glibc(void) { selfcheck("clocks", "glibc", ""); }
/* A container that wrote over its own vDSO (its private copy, after
 * mprotect) changes no other container's clock. */
static void linux_vdso_stays_inside(void)
{
    uint64_t id = start_until("image=clocks-musl args=hold mem=32M", "clocks: holding a scribbled vDSO");
    CHECK(id != 0);
    if (!id)
        return;
    selfcheck("clocks", "glibc", "");
    selfcheck("clocks", "musl", "");
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}

/* A Unix socket's name belongs to its container: another container
 * neither reaches it nor finds the name taken. */
static void linux_unix_names_stay_inside(void)
{
    uint64_t id = start_until("image=unix-musl args=serve mem=32M", "unix: serving ready");
    CHECK(id != 0);
    if (!id)
        return;
    selfcheck("unix", "glibc", "args=probe");
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}
/* /etc/hosts written when the image has none (hosts.c, docs/LINUX.md
 * "/etc/hosts"): localhost and the host name resolve. */
static void linux_etc_hosts_musl(void) { selfcheck("hosts", "musl", "grant=console,self,fs"); }
static void linux_etc_hosts_glibc(void) { selfcheck("hosts", "glibc", "grant=console,self,fs"); }
/* /dev/shm (shmdev.c, docs/LINUX.md "/dev/shm"): shm_open and named
 * semaphores shared with forked children, unlink, the directory itself. */
static void linux_dev_shm_musl(void) { selfcheck("shmdev", "musl", "grant=console,self,fs"); }
static void linux_dev_shm_glibc(void) { selfcheck("shmdev", "glibc", "grant=console,self,fs"); }
/* A shm object belongs to its container: one holding /dev/shm/iso is
 * neither seen nor opened by another container of the same image. */
static void linux_dev_shm_stays_inside(void)
{
    uint64_t id = start_until("image=shmdev-musl args=hold mem=32M grant=console,self,fs", "shmdev: holding /dev/shm/iso");
    CHECK(id != 0);
    if (!id)
        return;
    selfcheck("shmdev", "musl", "grant=console,self,fs args=probe");
    selfcheck("shmdev", "glibc", "grant=console,self,fs args=probe");
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}
/* Named FIFOs (fifo.c, docs/LINUX.md "FIFOs"): blocking and nonblocking
 * opens between forked and exec'd processes, EOF, EPIPE, poll, epoll,
 * unlink while open, the container's bound on FIFO pipes. */
static void linux_fifos_musl(void) { selfcheck("fifo", "musl", "grant=console,self,fs"); }
static void linux_fifos_glibc(void) { selfcheck("fifo", "glibc", "grant=console,self,fs"); }
/* File locks (locks.c, docs/LINUX.md "File locks"): flock and fcntl
 * POSIX locks between forked processes, blocking and EINTR, the
 * container's bound on lock records (ENOLCK; SECURITY.md 78zg). */
static void linux_locks_musl(void) { selfcheck("locks", "musl", "grant=console,self,fs"); }
static void linux_locks_glibc(void) { selfcheck("locks", "glibc", "grant=console,self,fs"); }
/* A lock belongs to its container: one holding /lockiso locked (flock and
 * a POSIX write lock) is not seen by another container of the same image,
 * which takes both locks on its own /lockiso at once. */
static void linux_locks_stay_inside(void)
{
    uint64_t id = start_until("image=locks-musl args=hold mem=32M grant=console,self,fs", "locks: holding /lockiso");
    CHECK(id != 0);
    if (!id)
        return;
    selfcheck("locks", "musl", "grant=console,self,fs args=probe");
    selfcheck("locks", "glibc", "grant=console,self,fs args=probe");
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}
/* A FIFO belongs to its container: one holding /iso open with bytes in it
 * (a fresh session of the same image: likely the same inode number) is
 * neither seen nor joined by another container of the same image. */
static void linux_fifos_stay_inside(void)
{
    uint64_t id = start_until("image=fifo-musl args=hold mem=32M grant=console,self,fs", "fifo: holding /iso");
    CHECK(id != 0);
    if (!id)
        return;
    selfcheck("fifo", "musl", "grant=console,self,fs args=probe");
    selfcheck("fifo", "glibc", "grant=console,self,fs args=probe");
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}
/* A container's shared file pages are its personality's (each container
 * has its own personality and fs session): one holding bytes in a shared
 * mapping of /iso, not written back, shows none of them to another. */
static void linux_shared_file_mappings_stay_inside(void)
{
    uint64_t id = start_until("image=shmfile-musl args=hold mem=32M grant=console,self,fs", "shmfile: holding");
    CHECK(id != 0);
    if (!id)
        return;
    selfcheck("shmfile", "glibc", "grant=console,self,fs args=probe");
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}
static void linux_sockets_need_net_grant(void)
{
    selfcheck("net", "musl", "grant=console,self args=nogrant");
    selfcheck("net", "glibc", "grant=console,self,net ports=7000-7009 args=udponly");
}

/* Hostile programs fail cleanly inside their container (attack.c); the
 * fork bomb meets the container's thread limit, the memory hog its quota. */
static void attack(const char *libc)
{
    struct ae_cm_status st;
    char spec[200];
    snprintf(spec, sizeof spec, "image=attack-%s mem=24M threads=12 objects=600", libc);
    CHECK_EQ(run(spec, &st), 0);
    CHECK(has(" checks, 0 failed") && has("attack: fork bomb stopped after"));
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
}

/* Two containers at once, each a process whose child reads the
 * personality's windows through its borrowed tables (attack.c "lent"):
 * each child finds its own parent's marker and nothing of the other's. */
static void linux_lent_ranges_stay_inside(void)
{
    const char *spec = "image=attack-musl args=lent mem=24M threads=12 objects=600";
    uint64_t id[2];
    char err[200] = "";
    for (int i = 0; i < 2; i++)
        CHECK_EQ(ae_cm_create(cmcap, spec, 1, &id[i], err, sizeof err), 0);
    for (int i = 0; i < 2; i++) {
        struct ae_cm_status st;
        CHECK_EQ(ae_cm_wait(cmcap, id[i], &st), 0);
        read_log(id[i]);
        ae_cm_remove(cmcap, id[i]);
        CHECK(has("attack: lent windows: own ") && has(" foreign 0 ") && has("attack lent: 1 checks, 0 failed"));
        CHECK_EQ(st.state, CM_EXITED);
        CHECK_EQ(st.exit_status, 0);
    }
}

/* A child process writes a wild word over every page of its personality's
 * heap and stacks it reaches through its borrowed tables (attack.c
 * "scribble", attack9): its own container may end or hang — the
 * personality is its own to lose — but a neighbour started beside it
 * finishes as ever, cm takes the wreck down, and a new container runs
 * after it. */
static void linux_lent_scribble_stays_inside(void)
{
    const char *bad = "image=attack-musl args=scribble mem=24M threads=12 objects=600";
    const char *good = "image=attack-musl args=lent mem=24M threads=12 objects=600";
    uint64_t a, b;
    char err[200] = "";
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_create(cmcap, bad, 1, &a, err, sizeof err), 0);
    CHECK_EQ(ae_cm_create(cmcap, good, 1, &b, err, sizeof err), 0);
    CHECK_EQ(ae_cm_wait(cmcap, b, &st), 0);
    read_log(b);
    ae_cm_remove(cmcap, b);
    CHECK(has("attack lent: 1 checks, 0 failed"));
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    uint64_t end = lx_ns() + 20000000000ull;
    do {
        CHECK_EQ(ae_cm_status(cmcap, a, &st), 0);
        if (st.state != CM_RUNNING)
            break;
        ae_sleep_ns(10000000);
    } while (lx_ns() < end);
    read_log(a);
    CHECK(has("attack: scribbling"));
    printf("  the scribbler's container: state %u\n", st.state);
    if (st.state == CM_RUNNING)
        CHECK_EQ(ae_cm_kill(cmcap, a), 0);
    CHECK_EQ(ae_cm_remove(cmcap, a), 0);
    CHECK_EQ(run(good, &st), 0);
    CHECK(has("attack lent: 1 checks, 0 failed"));
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
}

/* Processes dying while the personality is in fs calls for them (attack.c
 * "replystorm", attack12): the container ends well, the file it checks
 * reads back whole, and a neighbour beside it finishes as ever. */
static void linux_reply_storm_stays_inside(void)
{
    const char *storm = "image=attack-musl args=replystorm grant=console,self,fs mem=32M threads=16 objects=800";
    const char *good = "image=attack-musl args=lent mem=24M threads=12 objects=600";
    uint64_t a, b;
    char err[200] = "";
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_create(cmcap, storm, 1, &a, err, sizeof err), 0);
    CHECK_EQ(ae_cm_create(cmcap, good, 1, &b, err, sizeof err), 0);
    CHECK_EQ(ae_cm_wait(cmcap, b, &st), 0);
    read_log(b);
    ae_cm_remove(cmcap, b);
    CHECK(has("attack lent: 1 checks, 0 failed"));
    CHECK_EQ(st.exit_status, 0);
    CHECK_EQ(ae_cm_wait(cmcap, a, &st), 0);
    read_log(a);
    ae_cm_remove(cmcap, a);
    CHECK(has("attack replystorm: 2 checks, 0 failed"));
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
}

static void linux_attacks_stay_inside_musl(void) { attack("musl"); }
static void linux_attacks_stay_inside_glibc(void) { attack("glibc"); }

/* ---- signals from outside: aerie kill (SIGTERM), Ctrl-C (SIGINT) ---- */

/* Starts spec and waits until its log holds `ready`; its id, or 0. */
static uint64_t start_until(const char *spec, const char *ready)
{
    uint64_t id, from = 0;
    char err[200] = "";
    size_t len = 0;
    if (ae_cm_create(cmcap, spec, 1, &id, err, sizeof err)) {
        printf("  %s: %s\n", spec, err);
        return 0;
    }
    uint64_t t0 = lx_ns();
    while (lx_ns() - t0 < 60000000000ull) {
        int64_t n = ae_cm_logs(cmcap, id, &from, logbuf + len, sizeof logbuf - 1 - len);
        if (n > 0)
            len += (size_t)n;
        logbuf[len] = 0;
        if (strstr(logbuf, ready))
            return id;
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    printf("  %s: never printed '%s': %s\n", spec, ready, logbuf);
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
    return 0;
}

/* Signals a started container and waits for its end. */
static void signal_and_wait(uint64_t id, int sig, struct ae_cm_status *st)
{
    CHECK_EQ(ae_cm_signal(cmcap, id, sig), 0);
    CHECK_EQ(ae_cm_wait(cmcap, id, st), 0);
    read_log(id);
}

static void linux_sigterm_from_cm_runs_the_trap(void)
{
    struct ae_cm_status st;
    uint64_t id = start_until("image=busybox args=\"sh -c 'f() { echo got TERM; exit 3; }; trap f TERM; "
                              "echo ready; while :; do sleep 1; done'\" mem=32M threads=8", "ready");
    CHECK(id != 0);
    if (!id)
        return;
    signal_and_wait(id, 15, &st);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 3);
    CHECK(has("got TERM"));
    /* ended: a signal now is refused, and nonsense always */
    CHECK_EQ(ae_cm_signal(cmcap, id, 15), AE_EBUSY);
    CHECK_EQ(ae_cm_signal(cmcap, id, 0), AE_EINVAL);
    CHECK_EQ(ae_cm_signal(cmcap, id, 65), AE_EINVAL);
    ae_cm_remove(cmcap, id);
    CHECK_EQ(ae_cm_signal(cmcap, id, 15), AE_ESRCH);
}

static void linux_sigterm_default_reported_by_name(void)
{
    struct ae_cm_status st;
    char d[200];
    uint64_t id = start_until("image=busybox args=\"sh -c 'echo ready; exec sleep 100'\"", "ready");
    CHECK(id != 0);
    if (!id)
        return;
    signal_and_wait(id, 15, &st);
    ae_cm_describe(&st, d, sizeof d);
    CHECK_EQ(st.state, CM_FAULTED);
    CHECK_EQ(st.fault_label >> 32, 15);
    if (!strstr(d, "killed by signal 15 (SIGTERM)"))
        printf("  described as '%s'\n", d);
    CHECK(strstr(d, "killed by signal 15 (SIGTERM)") != NULL);
    ae_cm_remove(cmcap, id);
}

/* SIGINT goes to pid 1's process group, as a terminal's Ctrl-C: the shell
 * and the sleep it waits for both end. */
static void linux_sigint_reaches_the_process_group(void)
{
    struct ae_cm_status st;
    char d[200];
    uint64_t id = start_until("image=busybox args=\"sh -c 'echo ready; sleep 100; echo after'\" mem=32M threads=8",
                              "ready");
    CHECK(id != 0);
    if (!id)
        return;
    signal_and_wait(id, 2, &st);
    ae_cm_describe(&st, d, sizeof d);
    CHECK_EQ(st.state, CM_FAULTED);
    CHECK(strstr(d, "killed by signal 2 (SIGINT)") != NULL);
    CHECK(strstr(logbuf, "after") == NULL);
    if (st.state != CM_FAULTED)
        printf("  ended: %s; log: %s\n", d, logbuf);
    ae_cm_remove(cmcap, id);
}

/* ---- aerie exec through cm (CM_EXEC*: docs/LINUX.md "Programs run from outside") ---- */

/* CM_EXEC with raw words (malformed on purpose): the status. */
static int exec_raw(uint64_t id, uint64_t argc_flags, uint64_t len, const char *text, size_t n, unsigned words)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = argc_flags;
    u->mr[2] = len;
    memset(&u->mr[3], 0, (AERIE_MSG_WORDS - 3) * 8);
    memcpy(&u->mr[3], text, n);
    int64_t r = ae_call(cmcap, AERIE_INFO(CM_EXEC, words, 0), AERIE_TIMEOUT_FOREVER);
    return r < 0 ? (int)r : (int)(int64_t)u->mr[0];
}

/* Waits for exec n's end (30 s at most): its state, value in *value. */
static uint64_t exec_wait(uint64_t id, uint64_t n, uint64_t *value)
{
    uint64_t state = CM_EXEC_PENDING, in = 0, t0 = lx_ns();
    while (lx_ns() - t0 < 30000000000ull) {
        if (ae_cm_exec_status(cmcap, id, n, &state, value, &in))
            return ~0ull;
        if (state == CM_EXEC_EXITED || state == CM_EXEC_FAILED || state == CM_EXEC_LOST)
            return state;
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    return state;
}

static void linux_exec_through_cm(void)
{
    static const char prog[] = "/bin/sh\0-c\0echo from-exec $E; exit 5\0E=given\0";
    uint64_t id = start_until("image=busybox grant=console,fs,self args=\"sh -c 'echo ready; while :; do sleep 1; done'\" "
                              "threads=8", "ready");
    CHECK(id != 0);
    if (!id)
        return;
    uint64_t n = 0, value = 0, state, in;
    char err[200];
    CHECK_EQ(ae_cm_exec(cmcap, id, 3, 0, prog, sizeof prog, &n, err, sizeof err), 0);
    CHECK_EQ(exec_wait(id, n, &value), CM_EXEC_EXITED);
    CHECK_EQ(value, 5 << 8);
    read_log(id);
    CHECK(has("from-exec given"));
    /* a missing program: failed, its errno ENOENT */
    static const char missing[] = "/no/such\0";
    CHECK_EQ(ae_cm_exec(cmcap, id, 1, 0, missing, sizeof missing, &n, err, sizeof err), 0);
    CHECK_EQ(exec_wait(id, n, &value), CM_EXEC_FAILED);
    CHECK_EQ(value, 2);
    /* wrong numbers, sizes and words: refused, nothing started */
    CHECK_EQ(ae_cm_exec_status(cmcap, id, 0, &state, &value, &in), AE_EINVAL);
    CHECK_EQ(ae_cm_exec_status(cmcap, id, n + 1, &state, &value, &in), AE_EINVAL);
    CHECK_EQ(ae_cm_exec_status(cmcap, id, ~0ull, &state, &value, &in), AE_EINVAL);
    CHECK_EQ(ae_cm_exec_input(cmcap, id, n + 1000, 0, false, "x", 1), AE_EINVAL);
    CHECK_EQ(exec_raw(id, 3, sizeof prog, prog, sizeof prog, 4), AE_EINVAL);             /* words short of len */
    CHECK_EQ(exec_raw(id, 0, sizeof prog, prog, sizeof prog, 64), AE_EINVAL);            /* no program */
    CHECK_EQ(exec_raw(id, 65, sizeof prog, prog, sizeof prog, 64), AE_EINVAL);           /* argc over 64 */
    CHECK_EQ(exec_raw(id, 9, sizeof prog, prog, sizeof prog, 64), AE_EINVAL);            /* more words than sent */
    CHECK_EQ(exec_raw(id, 3 | 0x80ull << 32, sizeof prog, prog, sizeof prog, 64), AE_EINVAL);   /* a flag unknown */
    CHECK_EQ(exec_raw(id, 1, 4, "abcd", 4, 64), AE_EINVAL);                               /* not NUL-ended */
    CHECK_EQ(exec_raw(id, 1, ~0ull, prog, sizeof prog, 64), AE_EINVAL);                   /* 2^64 - 1 bytes */
    CHECK_EQ(exec_raw(id, 1, 1, "", 1, 64), AE_EINVAL);                                   /* an empty name */
    CHECK_EQ(exec_raw(999999, 3, sizeof prog, prog, sizeof prog, 64), AE_ESRCH);
    /* input to an exec not started with -i is taken by nobody */
    static const char sleeper[] = "/bin/busybox\0sleep\0" "100\0";   /* ("\0100" would be octal) */
    CHECK_EQ(ae_cm_exec(cmcap, id, 3, 0, sleeper, sizeof sleeper, &n, err, sizeof err), 0);
    uint64_t t0 = lx_ns();
    for (;;) {                                /* (asking without a pause would starve the container) */
        CHECK_EQ(ae_cm_exec_status(cmcap, id, n, &state, &value, &in), 0);
        if (state != CM_EXEC_PENDING || lx_ns() - t0 > 30000000000ull)
            break;
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    CHECK_EQ(state, CM_EXEC_RUNNING);
    int r = ae_cm_exec_input(cmcap, id, n, 0, false, "abc", 3);
    CHECK(r == 0 || r == AE_ETIMEOUT);                    /* (its personality busy for 20 ms: not taken) */
    CHECK_EQ(ae_cm_exec_status(cmcap, id, n, &state, &value, &in), 0);
    CHECK_EQ(in, LX_EXEC_IN_EOF);                         /* no input: ended from the start */
    /* the container's end ends it; then exec and its status are refused */
    ae_cm_kill(cmcap, id);
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    CHECK_EQ(ae_cm_exec_status(cmcap, id, n, &state, &value, &in), AE_EBUSY);
    CHECK_EQ(ae_cm_exec(cmcap, id, 3, 0, prog, sizeof prog, &n, err, sizeof err), AE_EBUSY);
    ae_cm_remove(cmcap, id);
    CHECK_EQ(ae_cm_exec(cmcap, id, 3, 0, prog, sizeof prog, &n, err, sizeof err), AE_ESRCH);
}

/* ---- busybox: each script's output and status as on the build machine ---- */

/* A file of an ended container (CM_FS_READ), into buf; its length or -1. */
static int64_t container_file(uint64_t id, const char *path, char *buf, size_t cap)
{
    uint64_t size = 0, off = 0;
    for (;;) {
        size_t want = cap - 1 - off < CM_FS_CHUNK ? cap - 1 - off : CM_FS_CHUNK;
        int64_t n = ae_cm_fs_read(cmcap, id, path, off, buf + off, want, &size);
        if (n < 0)
            return -1;
        off += (uint64_t)n;
        if (!n || off >= size || off >= cap - 1)
            break;
    }
    buf[off] = 0;
    return (int64_t)off;
}

/* Runs the script t/NAME.sh of image (busybox-test: by busybox's sh;
 * bash-test: by bash-static) and compares what it printed and its exit
 * status with what the same binary gave on the build machine. */
static void shell_script(const char *image, const char *name)
{
    char spec[240], path[64], err[200] = "";
    static char expect[8192];
    snprintf(spec, sizeof spec, "image=%s args=\"%s/t/%s.sh\" env=WORK=/w env=TZ=UTC "
             "grant=console,self,fs mem=64M threads=24 objects=2048", image,
             strcmp(image, "busybox-test") ? "" : "sh ", name);
    uint64_t id, t0 = lx_ns();
    struct ae_cm_status st;
    int r = ae_cm_create(cmcap, spec, 1, &id, err, sizeof err);
    CHECK_EQ(r, 0);
    if (r) {
        printf("  %s: %s\n", spec, err);
        return;
    }
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    read_log(id);
    snprintf(path, sizeof path, "/expect/%s.out", name);
    int64_t en = container_file(id, path, expect, sizeof expect);
    snprintf(path, sizeof path, "/expect/%s.code", name);
    char code[16] = "";
    container_file(id, path, code, sizeof code);
    ae_cm_remove(cmcap, id);
    printf("  %s %s: %lu ms\n", image, name, (lx_ns() - t0) / 1000000);
    CHECK(en >= 0);
    bool same = en >= 0 && !strcmp(logbuf, expect);
    if (!same)
        printf("  %s %s printed:\n%s\n  and on the build machine:\n%s\n", image, name, logbuf, expect);
    CHECK(same);
    char d[200];
    ae_cm_describe(&st, d, sizeof d);
    if (st.state != CM_EXITED || st.exit_status != (uint64_t)atoi(code))
        printf("  %s %s: %s, expected exit status %d\n", image, name, d, atoi(code));
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, (uint64_t)atoi(code));
}

static void busybox_script(const char *name) { shell_script("busybox-test", name); }
static void bash_language(void) { shell_script("bash-test", "01-language"); }
static void bash_processes(void) { shell_script("bash-test", "02-processes"); }
static void busybox_shell_language(void) { busybox_script("01-shell"); }
static void busybox_text_tools(void) { busybox_script("02-text"); }
static void busybox_file_tools(void) { busybox_script("03-files"); }
static void busybox_tar_and_gzip(void) { busybox_script("04-archive"); }
static void busybox_background_jobs(void) { busybox_script("05-jobs"); }
static void busybox_date_sleep_expr(void) { busybox_script("06-misc"); }
static void busybox_fifos(void) { busybox_script("07-fifo"); }

static void busybox_echo_pipe_wc(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=busybox args=\"sh -c 'echo hi | wc -c'\"", &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(!strcmp(logbuf, "3\n"));
}

/* Without the fs grant the root is empty and read-only, but a directory
 * that lists the two trees the personality answers: ls, cd and find work. */
static void busybox_root_without_fs(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=busybox args=\"sh -c 'ls -a /; cd / && pwd; ls /dev | wc -l; "
                 "touch /x 2>/dev/null || echo read-only; [ -d / ] && echo dir'\"", &st), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK(!strcmp(logbuf, ".\n..\ndev\nproc\n/\n10\nread-only\ndir\n"));   /* /dev: 9 and tty (stat works without one) */
}

/* tty=: fds 0-2 a terminal of that size (docs/LINUX.md "Terminals"):
 * stty reads the size, tty names it, output lines end \r\n (ONLCR); no
 * input was granted, so it reads as ended. */
static void busybox_tty_spec(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=busybox tty=30x90 args=\"sh -c 'stty size; tty; [ -t 0 ] && [ -t 2 ] && echo isatty; "
                 "read x || echo end'\"", &st), 0);
    CHECK_EQ(st.exit_status, 0);
    CHECK(!strcmp(logbuf, "30 90\r\n/dev/pts/0\r\nisatty\r\nend\r\n"));
}

/* The image's own symbolic links (linux_tests.mk: /bin/ls -> sh,
 * /lnk/up -> ../../.., /lnk/loop -> loop) as busybox sees them through
 * the personality: readlink, lstat's type, a program executed through a
 * link, '..' stopping at the root, a loop. */
static void busybox_sees_image_links(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=busybox-test grant=console,self,fs args=\"sh -c 'readlink /bin/ls; "
                 "stat -c %F /bin/ls; /bin/ls -d /lnk/up/lnk/up/bin; [ -e /lnk/loop ] || echo no-loop'\"",
                 &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    if (strcmp(logbuf, "sh\nsymbolic link\n/lnk/up/lnk/up/bin\nno-loop\n"))
        printf("  printed: %s\n", logbuf);
    CHECK(!strcmp(logbuf, "sh\nsymbolic link\n/lnk/up/lnk/up/bin\nno-loop\n"));
}

/* True if no line of logbuf appears twice (a call repeated after the
 * fork's SUSPEND must not be carried out twice: docs/FORK.md). */
static bool no_line_twice(void)
{
    for (const char *p = logbuf; *p; ) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        for (const char *q = p + len; *q; ) {
            const char *qn = strchr(q, '\n');
            size_t ql = qn ? (size_t)(qn - q) + 1 : strlen(q);
            if (ql == len && !memcmp(p, q, len)) {
                printf("  printed twice: %.*s", (int)len, p);
                return false;
            }
            q += ql;
        }
        p += len;
    }
    return true;
}

/* `aerie fork` of a running Linux program (docs/FORK.md): starts spec,
 * waits until its log has `at`, forks it once, and waits for both to
 * end. Each must end with status 0 and `done` in its log; the clone's
 * log (its own stream, empty at the fork) must not start with `first`,
 * which the original printed before the fork: the clone ran on from where
 * the original was, it did not start again. */
static void fork_running(const char *spec, const char *at, const char *done, const char *first)
{
    uint64_t id = 0, clone = 0, ns = 0;
    unsigned made = 0;
    char err[200] = "";
    CHECK_EQ(ae_cm_create(cmcap, spec, 1, &id, err, sizeof err), 0);
    int i;
    for (i = 0; i < 4000; i++) {
        read_log(id);
        if (strstr(logbuf, at))
            break;
        ae_sleep_ns(2000000);
    }
    CHECK(strstr(logbuf, at) != NULL);
    int r = ae_cm_fork(admin, id, 1, &clone, &made, &ns, err, sizeof err);
    if (r)
        printf("  fork: %d %s\n", r, err);
    CHECK_EQ(r, 0);
    CHECK_EQ(made, 1);
    printf("  forked %lu into %lu in %lu us\n", (unsigned long)id, (unsigned long)clone, (unsigned long)(ns / 1000));
    uint64_t ids[2] = { id, clone };
    for (unsigned k = 0; k < 2; k++) {
        struct ae_cm_status st = { 0 };
        for (int t = 0; t < 3000; t++) {         /* 30 s at most: a hang fails this test alone */
            CHECK_EQ(ae_cm_status(cmcap, ids[k], &st), 0);
            if (st.state != CM_RUNNING)
                break;
            ae_sleep_ns(10000000);
        }
        if (st.state == CM_RUNNING) {
            char info[512] = "";
            ae_cm_info(cmcap, ids[k], info, sizeof info);
            printf("  %s never ended: %s\n", k ? "the clone" : "the original", info);
        }
        read_log(ids[k]);
        if (st.state != CM_EXITED || st.exit_status != 0 || !strstr(logbuf, done))
            printf("  %s ended in state %u status %lu:\n%s\n", k ? "the clone" : "the original", st.state,
                   (unsigned long)st.exit_status, logbuf);
        CHECK_EQ(st.state, CM_EXITED);
        CHECK_EQ(st.exit_status, 0);
        CHECK(has(done));
        CHECK(no_line_twice());
        if (k)
            CHECK(strncmp(logbuf, first, strlen(first)) != 0);
        ae_cm_remove(cmcap, ids[k]);
    }
}

static void linux_fork_busybox_shell_loop(void)
{
    fork_running("image=busybox args=\"sh -c 'i=0; while [ $i -lt 30 ]; do j=0; while [ $j -lt 2000 ]; do "
                 "j=$((j+1)); done; echo tick $i; i=$((i+1)); done; echo loop done'\"",
                 "tick 3\n", "tick 29\nloop done\n", "tick 0\n");
}

/* Bytes of container id's whole log, read a piece at a time, and whether
 * it holds needle anywhere (across the pieces too). */
static size_t log_scan(uint64_t id, const char *needle, bool *found)
{
    static char buf[4096 + 64];
    uint64_t from = 0;
    size_t keep = 0, total = 0, nl = strlen(needle);
    *found = false;
    for (;;) {
        int64_t n = ae_cm_logs(cmcap, id, &from, buf + keep, 4096);
        if (n <= 0)
            return total;
        total += (size_t)n;
        size_t len = keep + (size_t)n;
        buf[len] = 0;
        if (strstr(buf, needle))
            *found = true;
        keep = len < nl ? len : nl - 1;
        memmove(buf, buf + len - keep, keep);
    }
}

/* A busybox shell loop that does nothing but write to the console,
 * forked 20 times (one clone each, back to back) while it writes: a
 * write caught at a fork is taken back and made again, or answered to
 * the original only and sent once more by the clone's personality to
 * its own stream (docs/FORK.md, "A fork during a call"). No log may show
 * busybox's `write error`, and every clone prints on after the fork. */
static void linux_fork_writer_twenty_times(void)
{
    uint64_t id = 0, clones[20], ns = 0;
    unsigned made = 0, n = 0;
    char err[200] = "";
    bool found;
    CHECK_EQ(ae_cm_create(cmcap, "image=busybox args=\"sh -c 'i=0; while [ $i -lt 1000000 ]; do echo w$i; "
                          "i=$((i+1)); done'\"", 1, &id, err, sizeof err), 0);
    for (int i = 0; i < 4000 && (log_scan(id, "w20\n", &found), !found); i++)
        ae_sleep_ns(2000000);
    CHECK(found);
    uint64_t t0 = lx_ns();
    for (; n < 20; n++) {
        int r = ae_cm_fork(admin, id, 1, &clones[n], &made, &ns, err, sizeof err);
        if (r || made != 1) {
            printf("  fork %u: %d %s\n", n, r, err);
            break;
        }
        ae_sleep_ns(3000000);                    /* it writes on between the forks */
    }
    printf("  20 forks in %lu ms\n", (unsigned long)((lx_ns() - t0) / 1000000));
    CHECK_EQ(n, 20);
    ae_sleep_ns(300000000);                      /* every clone writes on a while */
    for (unsigned k = 0; k <= n; k++) {
        uint64_t c = k < n ? clones[k] : id;
        struct ae_cm_status st = { 0 };
        CHECK_EQ(ae_cm_status(cmcap, c, &st), 0);
        if (st.state != CM_RUNNING)
            printf("  container %lu (%s) is no longer running: state %u status %lu\n", (unsigned long)c,
                   k < n ? "a clone" : "the original", st.state, (unsigned long)st.exit_status);
        CHECK_EQ(st.state, CM_RUNNING);
        ae_cm_kill(cmcap, c);
        size_t bytes = log_scan(c, "write error", &found);
        if (found)
            printf("  container %lu (%s) printed a write error\n", (unsigned long)c, k < n ? "a clone" : "the original");
        CHECK(!found);
        CHECK(bytes > 0);                        /* a clone printed on after the fork */
        ae_cm_remove(cmcap, c);
    }
}

static void linux_fork_musl_program(void)
{
    fork_running("image=ticks-musl args=40 mem=16M", "tick 3\n", "tick 39\nticks done bad=0\n", "ready\n");
}

static void linux_fork_glibc_program(void)
{
    fork_running("image=ticks-glibc args=40 mem=16M", "tick 3\n", "tick 39\nticks done bad=0\n", "ready\n");
}

/* A Linux program that runs a child process is refused, with why. */
static void linux_fork_refused_with_a_child_process(void)
{
    uint64_t id = 0, clone = 0;
    unsigned made = 0;
    char err[200] = "";
    CHECK_EQ(ae_cm_create(cmcap, "image=busybox args=\"sh -c 'echo started; sleep 5; echo never'\"", 1, &id, err,
                          sizeof err), 0);
    logbuf[0] = 0;
    for (int i = 0; i < 2000 && !strstr(logbuf, "started"); i++) {
        read_log(id);
        ae_sleep_ns(2000000);
    }
    ae_sleep_ns(50000000);                   /* into its sleep: a child process */
    int r = ae_cm_fork(admin, id, 1, &clone, &made, 0, err, sizeof err);
    CHECK(r != 0);
    if (!strstr(err, "only while it runs one process"))
        printf("  refused with: %d %s\n", r, err);
    CHECK(strstr(err, "only while it runs one process") != NULL);
    CHECK_EQ(made, 0);
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}

/* Where a start's time goes (not in the default run: args=profile):
 * create -> the personality's main -> the program loaded -> its end ->
 * CM_WAIT returns, for busybox true, 20 times. */
static void profile_busybox_true(void)
{
    for (int i = 0; i < 20; i++) {
        struct ae_cm_status st;
        uint64_t id, t0 = lx_ns();
        char err[200];
        if (ae_cm_create(cmcap, "image=busybox args=true env=AERIE_LX_TRACE=1", 1, &id, err, sizeof err))
            return;
        ae_cm_wait(cmcap, id, &st);
        uint64_t t4 = lx_ns();
        read_log(id);
        ae_cm_remove(cmcap, id);
        unsigned long m = 0, e = 0, x = 0, calls = 0, faults = 0;
        const char *p = strstr(logbuf, "linux: trace main ");
        char *q;
        if (p) {
            m = strtoul(p + strlen("linux: trace main "), &q, 10);
            e = strtoul(q + strlen(" exec "), &q, 10);
            x = strtoul(q + strlen(" end "), &q, 10);
            if (!strncmp(q, " calls ", 7)) {
                calls = strtoul(q + 7, &q, 10);
                faults = strtoul(q + strlen(" faults "), &q, 10);
            }
        }
        if (p && m && e && x)
            printf("  profile: create->main %lu us, main->exec %lu us, exec->end %lu us (%lu calls, %lu faults), "
                   "end->waited %lu us, total %lu us\n", (m - t0) / 1000, (e - m) / 1000, (x - e) / 1000, calls,
                   faults, (t4 - x) / 1000, (t4 - t0) / 1000);
    }
}

/* ---- dynamically linked programs (tests/linux/dyn/) ---- */

#define DYN_GRANT "grant=console,self,fs"

static void dyn_hello(const char *libc)
{
    struct ae_cm_status st;
    char spec[160], want[160];
    snprintf(spec, sizeof spec, "image=dyn-%s %s args=\"a b\"", libc, DYN_GRANT);
    CHECK_EQ(run(spec, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 7);
    snprintf(want, sizeof want, "dynhello: a dynamic %s program: argc=3 argv[0]=dyn-%s base set entry ok", libc, libc);
    CHECK(has(want));
    CHECK(!strstr(logbuf, "unsupported system call"));
}
static void linux_dynamic_musl_hello_runs(void) { dyn_hello("musl"); }
static void linux_dynamic_glibc_hello_runs(void) { dyn_hello("glibc"); }

static void dyn_check(const char *libc, const char *mode)
{
    char opts[80], name[40];
    snprintf(opts, sizeof opts, "%s args=%s", DYN_GRANT, mode);
    snprintf(name, sizeof name, "dynhello-%s", mode);
    struct ae_cm_status st;
    char spec[200], d[200];
    snprintf(spec, sizeof spec, "image=dyn-%s mem=64M threads=24 objects=2048 %s", libc, opts);
    CHECK_EQ(run(spec, &st), 0);
    bool line = has(name) && has(" checks, 0 failed");
    if (st.state != CM_EXITED || st.exit_status || !line) {
        ae_cm_describe(&st, d, sizeof d);
        printf("  %s ended: %s\n", spec, d);
    }
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(line);
}
static void linux_dynamic_dlopen_musl(void) { dyn_check("musl", "dlopen"); }
static void linux_dynamic_dlopen_glibc(void) { dyn_check("glibc", "dlopen"); }
static void linux_dynamic_fork_exec_musl(void) { dyn_check("musl", "spawn"); }
static void linux_dynamic_fork_exec_glibc(void) { dyn_check("glibc", "spawn"); }

/* One container writes into its program's and its C library's read-only
 * file pages (after mprotect) and lingers; a second container of the
 * same image, and a child of the first, see the files' bytes. */
static void dyn_text(const char *libc)
{
    char spec[160];
    snprintf(spec, sizeof spec, "image=dyn-%s mem=64M %s args=\"text linger\"", libc, DYN_GRANT);
    uint64_t id = start_until(spec, "written");
    CHECK(id != 0);
    if (!id)
        return;
    dyn_check(libc, "clean");
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    read_log(id);
    ae_cm_remove(cmcap, id);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(has("dynhello-text: ") && has(" checks, 0 failed"));
}
static void linux_dynamic_text_writes_stay_private_musl(void) { dyn_text("musl"); }
static void linux_dynamic_text_writes_stay_private_glibc(void) { dyn_text("glibc"); }

/* Debian's dynamic bash, ls and sort with their libraries from the build
 * machine (the libc.so.6, libtinfo, libselinux, libpcre2 a Debian image
 * holds): a pipeline of dynamic programs, each loaded by ld.so. */
static void linux_dynamic_debian_bash_pipeline(void)
{
    struct ae_cm_status st;
    CHECK_EQ(run("image=deb-dyn mem=64M threads=24 objects=2048 " DYN_GRANT
                 " args=\"-c 'ls -l /lib64; ls /usr/bin /bin | sort -r; exit 5'\"", &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 5);
    CHECK(has("ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"));
    CHECK(has("sort\nls\n"));
    CHECK(!strstr(logbuf, "unsupported system call") && !strstr(logbuf, "not implemented"));
}

/* A program whose interpreter cannot be had: cm starts it, the
 * personality refuses it, naming the interpreter, and the container ends. */
static void dyn_refused(const char *image, const char *why)
{
    struct ae_cm_status st;
    char spec[160];
    snprintf(spec, sizeof spec, "image=%s %s", image, DYN_GRANT);
    CHECK_EQ(run(spec, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK(st.exit_status != 0 && st.exit_status != 7);
    CHECK(has(why));
    CHECK(!strstr(logbuf, "dynhello: a dynamic"));
}

static void dyn_create_refused(const char *spec, const char *why)
{
    uint64_t id;
    char err[200] = "";
    int r = ae_cm_create(cmcap, spec, 0, &id, err, sizeof err);
    CHECK(r != 0);
    if (!strstr(err, why))
        printf("  %s: expected '%s' in '%s'\n", spec, why, err);
    CHECK(strstr(err, why) != NULL);
}

static void linux_dynamic_interpreter_refusals(void)
{
    dyn_refused("dyn-nointerp", "its program interpreter /lib/ld-musl-x86_64.so.1 is not in the container's files");
    /* a link climbing out of the root, a path climbing out: both stop at the container's root */
    dyn_refused("dyn-escape", "its program interpreter /lib/ld-musl-x86_64.so.1 is not in the container's files");
    dyn_refused("dyn-upinterp", "its program interpreter /../../../../usr/lib/x86_64-linux-musl/libc.so is not in");
    dyn_refused("dyn-textinterp", "its program interpreter /etc/notelf: not an ELF file");
    dyn_refused("dyn-dyninterp", "its program interpreter /bin/dynhello: it needs a program interpreter itself");
    dyn_create_refused("image=dyn-longinterp " DYN_GRANT, "the program interpreter's path is empty or too long");
    dyn_create_refused("image=dyn-musl grant=console,self", "a dynamically linked Linux program needs fs");
}

/* execve of such programs from a running process: the errno Linux gives. */
static void linux_dynamic_execve_refusals(void)
{
    static const struct { const char *prog, *want; } cases[] = {
        { "/bin/nointerp", "exec /bin/nointerp: errno 2" },          /* ENOENT */
        { "/bin/upinterp", "exec /bin/upinterp: errno 2" },
        { "/bin/textinterp", "exec /bin/textinterp: errno 80" },      /* ELIBBAD */
        { "/bin/dyninterp", "exec /bin/dyninterp: errno 80" },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ae_cm_status st;
        char spec[160];
        snprintf(spec, sizeof spec, "image=dyn-musl %s args=\"exec %s\"", DYN_GRANT, cases[i].prog);
        CHECK_EQ(run(spec, &st), 0);
        CHECK_EQ(st.state, CM_EXITED);
        CHECK_EQ(st.exit_status, 0);
        CHECK(has(cases[i].want));
    }
}

/* ---- attack14: the programs' cache and odd interpreters (dyn/dynattack.c) ---- */

static void dynattack(const char *mode, const char *mem)
{
    struct ae_cm_status st;
    char spec[200], want[64], d[200];
    snprintf(spec, sizeof spec, "image=dynattack mem=%s threads=24 objects=2048 %s args=%s", mem, DYN_GRANT, mode);
    CHECK_EQ(run(spec, &st), 0);
    snprintf(want, sizeof want, "dynattack-%s: ", mode);
    bool line = has(want) && has(" checks, 0 failed");
    if (st.state != CM_EXITED || st.exit_status || !line) {
        ae_cm_describe(&st, d, sizeof d);
        printf("  %s ended: %s\n", spec, d);
    }
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(line);
}

/* write, rename over, truncate, futimens, MAP_SHARED, read(2) into it,
 * mprotect in a child, a split mapping: a mapping shows the file as it
 * is now and no private write reaches the file or another process */
static void linux_dynamic_cache_routes(void) { dynattack("cache", "64M"); }

/* PT_INTERP naming a directory, a device, /proc/self/exe, a
 * link loop, an ET_EXEC, the program itself: execve's errno, and a
 * container started on /proc/self/exe ends with its log line */
static void linux_dynamic_odd_interpreters(void)
{
    dynattack("interp", "64M");
    dyn_refused("dyn-selfinterp", "its program interpreter /proc/self/exe");
}

/* execve of /proc/PID/exe while PID runs one program, then another of
 * the same size: the second is run (no cached copy under that path) */
static void linux_dynamic_procexe_not_stale(void) { dynattack("procexe", "64M"); }

static uint64_t free_pages(void)
{
    uint64_t s[4] = { 0 };
    ae_kdebug_stats(ae_self.kdebug, s);
    return s[0];
}

/* A 4 KiB read-only mapping of a sparse 40 MiB file, unmapped: the
 * cache must not keep the container from its own memory (36 MiB
 * touched in a 64 MiB container), and every page comes back at its end. */
static void linux_dynamic_cache_gives_pages_back(void)
{
    dynattack("reclaim", "64M");                  /* the first: cm's and fs's one-time costs */
    uint64_t before = free_pages();
    dynattack("reclaim", "64M");
    uint64_t after = free_pages();
    for (int i = 0; i < 100 && after != before; i++) {
        ae_sleep_ns(10000000);
        after = free_pages();
    }
    if (after != before)
        printf("  free pages: %lu before, %lu after\n", before, after);
    CHECK_EQ(after, before);
    dynattack("reclaimfs", "64M fs.bytes=48M");
    dynattack("partial", "64M");
}

/* A cached file unlinked and made again, rewritten, a program rewritten,
 * made again and renamed over: every new mapping and execve sees the file
 * as it is now (the cache's key: inode, size, mtime and ctime of a fresh
 * stat); mappings already read keep their bytes. */
static void linux_dynamic_cache_never_stale(void) { dynattack("stale", "64M"); }

/* Pages of a file mapping past the file's end: SIGBUS with BUS_ADRERR
 * and the address, as on Linux (zeroes before); the last page's tail
 * zeroes; a system call given such a page EFAULT; PROT_NONE SIGSEGV. */
static void linux_dynamic_mapping_past_the_end_is_sigbus(void) { dynattack("sigbus", "64M"); }

/* The container's memory all but a few KiB in files only the cache keeps:
 * a fork (its task), fresh page tables and a file write each get the
 * cache's memory back first (lx_quota_create, lx_task_map, the write's
 * ENOSPC), as a page it touches did (77d). */
static void linux_dynamic_cache_yields_to_every_allocation(void) { dynattack("tight", "64M"); }

/* A queued write that the fs refuses later (lxtest, as the operator's
 * cp, takes the room it was queued in) while the cache holds 40 MiB: the
 * next write reports its ENOSPC or, if it says it wrote, the first
 * write's bytes are there — never a later write made again over an
 * earlier one's loss. */
static void linux_dynamic_cache_never_hides_a_late_enospc(void)
{
    uint64_t id = 0;
    char err[200] = "", chunk[CM_FS_CHUNK];
    bool found = false;
    CHECK_EQ(ae_cm_create(cmcap, "image=dynattack mem=64M fs.bytes=48M threads=24 objects=2048 " DYN_GRANT
                          " args=late", 1, &id, err, sizeof err), 0);
    for (int i = 0; i < 10000 && (log_scan(id, "dynattack: late: queued", &found), !found); i++)
        ae_sleep_ns(2000000);
    CHECK(found);
    memset(chunk, 'F', sizeof chunk);
    uint64_t done = 0;
    int64_t w = 1;
    unsigned calls = 0;
    while (w > 0 && calls++ < 40000)
        if ((w = ae_cm_fs_write(admin, id, "/attack-fill", done, chunk, sizeof chunk - 16,
                                done ? 0 : CM_FS_W_CREATE, 0644)) > 0)
            done += (uint64_t)w;
    printf("  the operator's cp wrote %lu bytes, then %ld\n", (unsigned long)done, (long)w);
    CHECK_EQ(ae_cm_signal(cmcap, id, 10), 0);       /* SIGUSR1 */
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    read_log(id);
    ae_cm_remove(cmcap, id);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(has("dynattack-late: ") && has(" checks, 0 failed"));
}

/* Another holder of the container's files (the operator's cp, through
 * cm.admin) writes a file the container's cache holds: the container's
 * next mapping shows the new bytes, its mapping already read its own. */
static void linux_dynamic_cache_sees_another_holders_write(void)
{
    uint64_t id = 0;
    char err[200] = "", page[4096];
    bool found = false;
    CHECK_EQ(ae_cm_create(cmcap, "image=dynattack mem=64M threads=24 objects=2048 " DYN_GRANT " args=holder", 1, &id,
                          err, sizeof err), 0);
    for (int i = 0; i < 5000 && (log_scan(id, "dynattack: holder ready", &found), !found); i++)
        ae_sleep_ns(2000000);
    CHECK(found);
    memset(page, 'H', sizeof page);
    uint64_t done = 0;
    int64_t w = 1;
    while (done < sizeof page && w > 0)                 /* in pieces (CM_FS_CHUNK), in order */
        if ((w = ae_cm_fs_write(admin, id, "/attack-h", done, page + done, sizeof page - done, 0, 0644)) > 0)
            done += (uint64_t)w;
    CHECK_EQ(done, sizeof page);
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    read_log(id);
    ae_cm_remove(cmcap, id);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(has("dynattack-holder: ") && has(" checks, 0 failed"));
}

/* args="WORD..." in boot.conf runs only the tests whose names hold one of the WORDs (debugging). */
static const char *only;
static char **only_words;
static int only_n;
static bool chosen(const char *name)
{
    for (int i = 0; i < only_n; i++)
        if (strstr(name, only_words[i]))
            return true;
    return !only;
}
#define RUN_IF(fn) do { if (chosen(#fn)) RUN(fn); } while (0)

int main(int argc, char **argv)
{
    only = argc > 1 ? argv[1] : NULL;
    only_words = argv + 1;
    only_n = argc > 1 ? argc - 1 : 0;
    cmcap = ae_capenv_lookup("cm");
    admin = ae_capenv_lookup("cm.admin");
    RUN_IF(linux_musl_hello_runs);
    RUN_IF(linux_glibc_hello_runs);
    RUN_IF(linux_long_args_and_env_arrive);
    RUN_IF(linux_segfault_reported_as_sigsegv);
    RUN_IF(linux_abort_reported_as_sigabrt);
    RUN_IF(linux_out_of_memory_killed_and_named);
    RUN_IF(linux_ud2_reported_as_sigill);
    RUN_IF(linux_divide_reported_as_sigfpe);
    RUN_IF(linux_unsupported_call_logged_once);
    RUN_IF(linux_needs_self_grant);
    RUN_IF(linux_files_musl);
    RUN_IF(linux_files_glibc);
    RUN_IF(linux_fd_aliases_and_links_musl);
    RUN_IF(linux_fd_aliases_and_links_glibc);
    RUN_IF(linux_event_files_musl);
    RUN_IF(linux_event_files_glibc);
    RUN_IF(linux_sigio_musl);
    RUN_IF(linux_sigio_glibc);
    RUN_IF(linux_memfd_seals_musl);
    RUN_IF(linux_memfd_seals_glibc);
    RUN_IF(linux_preadv2_musl);
    RUN_IF(linux_preadv2_glibc);
    RUN_IF(linux_memory_musl);
    RUN_IF(linux_memory_glibc);
    RUN_IF(linux_processes_musl);
    RUN_IF(linux_processes_glibc);
    RUN_IF(linux_posix_timers_musl);
    RUN_IF(linux_posix_timers_glibc);
    RUN_IF(linux_identity_calls_musl);
    RUN_IF(linux_identity_calls_glibc);
    RUN_IF(linux_affinity_inside_cpus_musl);
    RUN_IF(linux_affinity_inside_cpus_glibc);
    RUN_IF(linux_vdso_clocks_musl);
    RUN_IF(linux_vdso_clocks_glibc);
    RUN_IF(linux_vdso_stays_inside);
    RUN_IF(linux_signals_musl);
    RUN_IF(linux_signals_glibc);
    RUN_IF(linux_sigqueue_musl);
    RUN_IF(linux_sigqueue_glibc);
    RUN_IF(linux_threads_musl);
    RUN_IF(linux_threads_glibc);
    RUN_IF(linux_udp_echo_musl);
    RUN_IF(linux_udp_echo_glibc);
    RUN_IF(linux_sockets_need_net_grant);
    RUN_IF(linux_recvmmsg_musl);
    RUN_IF(linux_recvmmsg_glibc);
    RUN_IF(linux_huge_timeouts_musl);
    RUN_IF(linux_huge_timeouts_glibc);
    RUN_IF(linux_epoll_event_loop_musl);
    RUN_IF(linux_epoll_event_loop_glibc);
    RUN_IF(linux_tcp_loopback_musl);
    RUN_IF(linux_tcp_loopback_glibc);
    RUN_IF(linux_shared_file_mappings_musl);
    RUN_IF(linux_shared_file_mappings_glibc);
    RUN_IF(linux_shared_file_mappings_stay_inside);
    RUN_IF(linux_sqlite_wal_two_processes);
    RUN_IF(linux_unix_sockets_musl);
    RUN_IF(linux_unix_sockets_glibc);
    RUN_IF(linux_unix_names_stay_inside);
    RUN_IF(linux_etc_hosts_musl);
    RUN_IF(linux_etc_hosts_glibc);
    RUN_IF(linux_dev_shm_musl);
    RUN_IF(linux_dev_shm_glibc);
    RUN_IF(linux_dev_shm_stays_inside);
    RUN_IF(linux_fifos_musl);
    RUN_IF(linux_fifos_glibc);
    RUN_IF(linux_fifos_stay_inside);
    RUN_IF(linux_locks_musl);
    RUN_IF(linux_locks_glibc);
    RUN_IF(linux_locks_stay_inside);
    RUN_IF(linux_calls_scm_rights_musl);
    RUN_IF(linux_calls_scm_rights_glibc);
    RUN_IF(linux_calls_posix_timers_musl);
    RUN_IF(linux_calls_posix_timers_glibc);
    RUN_IF(linux_calls_pidfds_musl);
    RUN_IF(linux_calls_pidfds_glibc);
    RUN_IF(linux_calls_attack21_musl);
    RUN_IF(linux_calls_attack21_glibc);
    RUN_IF(linux_calls_attack22_musl);
    RUN_IF(linux_calls_attack22_glibc);
    RUN_IF(linux_attacks_stay_inside_musl);
    RUN_IF(linux_lent_ranges_stay_inside);
    RUN_IF(linux_lent_scribble_stays_inside);
    RUN_IF(linux_reply_storm_stays_inside);
    RUN_IF(linux_attacks_stay_inside_glibc);
    RUN_IF(linux_sigterm_from_cm_runs_the_trap);
    RUN_IF(linux_sigterm_default_reported_by_name);
    RUN_IF(linux_sigint_reaches_the_process_group);
    RUN_IF(linux_exec_through_cm);
    RUN_IF(linux_dynamic_musl_hello_runs);
    RUN_IF(linux_dynamic_glibc_hello_runs);
    RUN_IF(linux_dynamic_dlopen_musl);
    RUN_IF(linux_dynamic_dlopen_glibc);
    RUN_IF(linux_dynamic_fork_exec_musl);
    RUN_IF(linux_dynamic_fork_exec_glibc);
    RUN_IF(linux_dynamic_text_writes_stay_private_musl);
    RUN_IF(linux_dynamic_text_writes_stay_private_glibc);
    RUN_IF(linux_dynamic_interpreter_refusals);
    RUN_IF(linux_dynamic_execve_refusals);
    RUN_IF(linux_dynamic_debian_bash_pipeline);
    RUN_IF(linux_dynamic_cache_routes);
    RUN_IF(linux_dynamic_odd_interpreters);
    RUN_IF(linux_dynamic_cache_gives_pages_back);
    RUN_IF(linux_dynamic_procexe_not_stale);
    RUN_IF(linux_dynamic_cache_never_stale);
    RUN_IF(linux_dynamic_mapping_past_the_end_is_sigbus);
    RUN_IF(linux_dynamic_cache_sees_another_holders_write);
    RUN_IF(linux_dynamic_cache_yields_to_every_allocation);
    RUN_IF(linux_dynamic_cache_never_hides_a_late_enospc);
    RUN_IF(busybox_echo_pipe_wc);
    RUN_IF(busybox_root_without_fs);
    RUN_IF(busybox_tty_spec);
    RUN_IF(busybox_sees_image_links);
    RUN_IF(busybox_shell_language);
    RUN_IF(busybox_text_tools);
    RUN_IF(busybox_file_tools);
    RUN_IF(busybox_tar_and_gzip);
    RUN_IF(busybox_background_jobs);
    RUN_IF(busybox_date_sleep_expr);
    RUN_IF(busybox_fifos);
    RUN_IF(bash_language);
    RUN_IF(bash_processes);
    RUN_IF(linux_fork_busybox_shell_loop);
    RUN_IF(linux_fork_writer_twenty_times);
    RUN_IF(linux_fork_musl_program);
    RUN_IF(linux_fork_glibc_program);
    RUN_IF(linux_fork_refused_with_a_child_process);
    if (only && !strcmp(only, "profile"))
        RUN(profile_busybox_true);
    return TESTS_DONE();
}
