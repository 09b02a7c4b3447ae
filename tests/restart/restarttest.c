/*
 * restarttest.c — services restarting under running containers
 * (docs/RESTART.md), driven through the container manager as the
 * operator drives it: fault injection is cm.admin's alone; the console
 * killed 20 times during a container's log stream loses no line; fs
 * killed under a stream of writes loses none; net killed 20 times during
 * a UDP echo exchange between two containers: the echo answers again
 * after each; the kernel's free pages come back exactly once the
 * containers are gone.
 * Prints TEST PASS/FAIL per test and the restart times it saw.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <aerie/errors.h>
#include <libaerie/cm.h>
#include <libaerie/fs.h>
#include <libaerie/net.h>
#include <aerie/proto/net.h>
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include "ktest_host.h"
#include "cmclient.h"

#define KILLS 20

static uint64_t admin;
static uint64_t worst_started, worst_answered, sum_answered, nanswered;

static int kill_service(const char *name)
{
    uint64_t started = 0, answered = 0, kills = 0;
    int r = ae_cm_debug_kill_service(admin, name, &started, &answered, &kills);
    if (!r) {
        if (started > worst_started)
            worst_started = started;
        if (answered > worst_answered)
            worst_answered = answered;
        sum_answered += answered;
        nanswered++;
    }
    return r;
}

/* Only cm.admin kills; only services root restarts can be killed. */
static void restart_kill_is_the_operators_alone(void)
{
    CHECK_EQ(ae_cm_debug_kill_service(cmcap, "console", 0, 0, 0), (uint64_t)AE_EPERM);
    CHECK_EQ(ae_cm_debug_kill_service(admin, "nosuch", 0, 0, 0), (uint64_t)AE_ENOENT);
    CHECK_EQ(ae_cm_debug_kill_service(admin, "cm", 0, 0, 0), (uint64_t)AE_EPERM);
    CHECK_EQ(ae_cm_debug_kill_service(admin, "restarttest", 0, 0, 0), (uint64_t)AE_EPERM);
    CHECK_EQ(ae_cm_debug_kill_service(admin, "", 0, 0, 0), (uint64_t)AE_EINVAL);
    /* The hostile container holds no cm capability at all; through its
     * fault capability it tries these operations too (apps/hostile). */
    uint64_t id;
    char err[200];
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_create(cmcap, "image=hostile grant=console,fs,net ports=4000-4001 args=report", 1, &id, err,
                          sizeof err), 0);
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    static char log[8192];
    read_log(id, log, sizeof log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "0 surprises") != NULL);
    ae_cm_remove(cmcap, id);
}

/* Every "tick N" for N = 1..n is in the log, in order (a line the console
 * died holding may appear twice: the client sends it again). */
static bool ticks_in_order(const char *log, int n)
{
    const char *p = log;
    for (int i = 1; i <= n; i++) {
        char want[32];
        snprintf(want, sizeof want, "tick %d\n", i);
        const char *q = strstr(p, want);
        if (!q) {
            printf("  tick %d missing\n", i);
            return false;
        }
        p = q;
    }
    return true;
}

/* A container writes 300 lines while the console is killed 20 times:
 * its log (in Memory of its own quota, which cm keeps) is re-attached by
 * each new console and no line is lost. */
static void restart_console_keeps_a_log_stream(void)
{
    uint64_t id;
    char err[200];
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_create(cmcap, "image=ticker args=\"300 2\"", 1, &id, err, sizeof err), 0);
    for (int k = 0; k < KILLS; k++) {
        sleep_ms(10);
        CHECK_EQ(kill_service("console"), 0);
    }
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    static char log[8192];
    CHECK(read_log(id, log, sizeof log) > 0);
    CHECK(ticks_in_order(log, 300));
    ae_cm_remove(cmcap, id);
}

/* Runs spec while fs is killed KILLS times, every ms; its end in *st and
 * its log in log. */
static uint64_t run_under_fs_kills(const char *spec, unsigned ms, struct ae_cm_status *st, char *log, size_t cap)
{
    uint64_t id = 0;
    char err[200];
    CHECK_EQ(ae_cm_create(cmcap, spec, 1, &id, err, sizeof err), 0);
    for (int k = 0; k < KILLS; k++) {
        sleep_ms(ms);
        CHECK_EQ(kill_service("fs"), 0);
    }
    CHECK_EQ(ae_cm_wait(cmcap, id, st), 0);
    read_log(id, log, cap);
    if (st->exit_status)
        printf("  its log: %s\n", log);
    return id;
}

/* A container appends 400 records and reads earlier ones back while fs is
 * killed 20 times: its session, its open file and every completed write
 * survive each restart; a call in flight fails with EIO and is retried;
 * the container ends with every record there once, in order. */
static void restart_fs_keeps_every_completed_write(void)
{
    struct ae_cm_status st;
    static char log[8192];
    uint64_t id = run_under_fs_kills("image=fsstream grant=console,fs args=\"400 1\"", 15, &st, log, sizeof log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "fsstream: 400 records written and read back") != NULL);
    if (!strstr(log, "400 records"))
        printf("  log: %s\n", log);
    /* Its files outlive it (until rm), through a restart too. */
    CHECK_EQ(kill_service("fs"), 0);
    uint32_t type = 0;
    uint64_t size = 0;
    uint32_t mode = 0;
    CHECK_EQ(ae_cm_fs_stat(cmcap, id, "/data", &type, &size, &mode), 0);
    CHECK_EQ(size, 400 * 16);
    char rec[17] = "";
    CHECK_EQ(ae_cm_fs_read(cmcap, id, "/data", 399 * 16, rec, 16, 0), 16);
    CHECK(!memcmp(rec, "record 0000399\n", 16));
    ae_cm_remove(cmcap, id);
}

/* The same under a tree of 1,000 files the container makes first (and
 * checks at the end), fs killed 20 times while it works. */
static void restart_fs_keeps_a_1000_file_tree(void)
{
    struct ae_cm_status st;
    static char log[8192];
    uint64_t id = run_under_fs_kills("image=fsstream grant=console,fs mem=32M fs.bytes=16M fs.inodes=2048 "
                                     "args=\"100 1 1000\"", 40, &st, log, sizeof log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    CHECK(strstr(log, "a tree of 1000 files made and checked") != NULL);
    CHECK(strstr(log, "100 records written and read back") != NULL);
    if (st.exit_status)
        printf("  log: %s\n", log);
    ae_cm_remove(cmcap, id);
}

/* fs killed at a new session's first operations — its buffer attached,
 * its first file created, its first page allocated — at a different
 * moment each time (0 to 19 ms after the container started): the
 * session and its file survive every one (docs/RESTART.md: a loss the
 * dying instance marked itself is not the session's). */
static void restart_fs_kill_at_a_sessions_first_write(void)
{
    for (unsigned k = 0; k < KILLS; k++) {
        uint64_t id;
        char err[200];
        struct ae_cm_status st;
        CHECK_EQ(ae_cm_create(cmcap, "image=fsstream grant=console,fs args=\"20 1\"", 1, &id, err, sizeof err), 0);
        sleep_ms(k);
        CHECK_EQ(kill_service("fs"), 0);
        CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
        CHECK_EQ(st.state, CM_EXITED);
        CHECK_EQ(st.exit_status, 0);
        if (st.exit_status) {
            static char log[4096];
            read_log(id, log, sizeof log);
            printf("  killed %u ms after the start: %s\n", k, log);
        }
        ae_cm_remove(cmcap, id);
    }
}

/* ---- net ---- */

/* The UDP echo server container (port 7), once it says it is ready. */
static uint64_t start_echo(void)
{
    uint64_t id = 0;
    char err[200];
    static char log[1024];
    CHECK_EQ(ae_cm_create(cmcap, "image=udpecho grant=console,net ports=7 args=7", 1, &id, err, sizeof err), 0);
    for (int i = 0; i < 500; i++) {
        read_log(id, log, sizeof log);
        if (strstr(log, "udpecho: ready"))
            break;
        sleep_ms(10);
    }
    CHECK(strstr(log, "udpecho: ready") != NULL);
    return id;
}

/* The echo server lived through everything; then it is stopped and removed. */
static void stop_echo(uint64_t id)
{
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_status(cmcap, id, &st), 0);
    CHECK_EQ(st.state, CM_RUNNING);
    CHECK_EQ(ae_cm_kill(cmcap, id), 0);
    ae_cm_wait(cmcap, id, &st);
    CHECK_EQ(ae_cm_remove(cmcap, id), 0);
}

/* Runs udpping (COUNT datagrams to the echo server, each sent again every
 * 20 ms until answered) while net is killed `kills` times, every ms; its
 * last line in line. */
static void ping_under_net_kills(unsigned count, int kills, unsigned ms, char *line, size_t cap)
{
    uint64_t id;
    char err[200], spec[160];
    struct ae_cm_status st;
    snprintf(spec, sizeof spec, "image=udpping grant=console,net ports=7100-7109 args=\"10.0.2.15 7 %u 2 20 10\"",
             count);
    CHECK_EQ(ae_cm_create(cmcap, spec, 1, &id, err, sizeof err), 0);
    for (int k = 0; k < kills; k++) {
        sleep_ms(ms);
        CHECK_EQ(kill_service("net"), 0);
    }
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    static char log[4096];
    read_log(id, log, sizeof log);
    CHECK_EQ(st.state, CM_EXITED);
    CHECK_EQ(st.exit_status, 0);
    char want[48];
    snprintf(want, sizeof want, "udpping: %u answered", count);
    const char *p = strstr(log, want);
    CHECK(p != NULL);
    if (!p || st.exit_status)
        printf("  udpping's log: %s\n", log);
    snprintf(line, cap, "%.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
    ae_cm_remove(cmcap, id);
}

/* Two containers exchange UDP echoes (udpping -> udpecho, through the
 * net service's local delivery) while net is killed 20 times: both keep
 * their clients, bound ports and rings (persist.c), a datagram lost with
 * an instance is sent again, and every one is answered. The longest wait
 * of a datagram is printed (a figure, not a check). */
static void restart_net_keeps_a_udp_echo(void)
{
    uint64_t echo = start_echo();
    char line[160];
    ping_under_net_kills(1500, KILLS, 40, line, sizeof line);
    printf("  net killed %d times under the exchange: %s\n", KILLS, line);
    stop_echo(echo);
}

/* review3 R1: a container bound to UDP port 7300 is ended while net is
 * being killed (the kill and the end made at once, the end a little later
 * each round, so some ends reach net while it is dying or dead). cm's
 * removal of its net client is made again to the next instance when net
 * died with it; otherwise that instance restores the client from its kept
 * table with the port bound. Each next round's container, granted the
 * same port, must bind it (udpecho says "ready" only after its bind).
 * The window where net dies holding the removal (AE_EDEAD) is microseconds
 * wide and not forced here: with the retry reverted, 8 rounds did not hit
 * it (2026-12-02); the test guards the outcome, not the race. */
static void *net_killer(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)kill_service("net");
}

static bool echo_on_7300(uint64_t *id)
{
    char err[200];
    static char log[1024];
    *id = 0;
    if (ae_cm_create(cmcap, "image=udpecho grant=console,net ports=7300 args=7300", 1, id, err, sizeof err))
        return false;
    for (int i = 0; i < 500; i++) {
        read_log(*id, log, sizeof log);
        if (strstr(log, "udpecho: ready") || strstr(log, "bind"))
            break;
        sleep_ms(10);
    }
    if (!strstr(log, "udpecho: ready"))
        printf("  udpecho on 7300: %s\n", log);
    return strstr(log, "udpecho: ready") != NULL;
}

static void restart_net_killed_while_a_client_is_removed(void)
{
    uint64_t id;
    CHECK(echo_on_7300(&id));
    for (unsigned round = 0; round < 8; round++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, 0, net_killer, 0), 0);
        sleep_ms(round);
        CHECK_EQ(ae_cm_kill(cmcap, id), 0);
        void *r;
        pthread_join(t, &r);
        CHECK_EQ((intptr_t)r, 0);
        struct ae_cm_status st;
        ae_cm_wait(cmcap, id, &st);
        CHECK_EQ(ae_cm_remove(cmcap, id), 0);
        bool ok = echo_on_7300(&id);
        CHECK(ok);
        if (!ok)
            printf("  round %u: port 7300 not free again\n", round);
    }
    struct ae_cm_status st;
    ae_cm_kill(cmcap, id);
    ae_cm_wait(cmcap, id, &st);
    ae_cm_remove(cmcap, id);
}

/* A NET_BIND of port through client capability cap, as the client
 * library makes it (once: a refusal must not be retried into success). */
static int raw_bind(uint64_t cap, uint16_t port)
{
    ae_utcb()->mr[0] = port;
    int64_t r = ae_call(cap, AERIE_INFO(NET_BIND, 1, 0), 10000000000ull);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

/* Refused as an unknown client (AE_EPERM), or the capability is gone (AE_ECAP). */
static bool refused(int r)
{
    if (r != AE_EPERM && r != AE_ECAP)
        printf("  a removed client's bind: %d\n", r);
    return r == AE_EPERM || r == AE_ECAP;
}

/* review3 (restart2, missing test): a removed client's capability, kept
 * across a net restart, reaches nothing: its badge names an epoch no live
 * client has (net's next instance may give the same slot to a new client),
 * so a bind through it is refused and the port stays free for the new
 * client. (This program holds net.admin for it: tests/restart/boot.conf.) */
static void restart_net_refuses_a_removed_clients_old_badge(void)
{
    uint64_t nadmin = ae_capenv_lookup("net.admin");
    CHECK(nadmin != 0);
    if (!nadmin)
        return;
    struct ae_net_range r = { 7400, 7400 };
    uint64_t ida, capa, idb, capb;
    CHECK_EQ(ae_net_admin_client_add(nadmin, &r, 1, &ida, &capa), 0);
    CHECK_EQ(raw_bind(capa, 7400), 0);
    CHECK_EQ(ae_net_admin_client_remove(nadmin, ida), 0);
    CHECK(refused(raw_bind(capa, 7400)));       /* removed: gone at once */
    CHECK_EQ(kill_service("net"), 0);
    CHECK_EQ(ae_net_admin_client_add(nadmin, &r, 1, &idb, &capb), 0);
    CHECK(refused(raw_bind(capa, 7400)));       /* nor in the next instance */
    CHECK_EQ(raw_bind(capb, 7400), 0);                          /* the port was free */
    CHECK(refused(raw_bind(capa, 7400)));
    CHECK_EQ(ae_net_admin_client_remove(nadmin, idb), 0);
    CHECK(refused(raw_bind(capb, 7400)));
    ae_cap_delete(capa);
    ae_cap_delete(capb);
}

/* One container's life with the console and fs killed under it. */
static void restart_round(void)
{
    uint64_t id;
    char err[200];
    struct ae_cm_status st;
    CHECK_EQ(ae_cm_create(cmcap, "image=fsstream grant=console,fs args=\"60 1\"", 1, &id, err, sizeof err), 0);
    CHECK_EQ(kill_service("console"), 0);
    CHECK_EQ(kill_service("fs"), 0);
    CHECK_EQ(ae_cm_wait(cmcap, id, &st), 0);
    CHECK_EQ(st.state, CM_EXITED);
    static char log[4096];
    read_log(id, log, sizeof log);
    CHECK_EQ(st.exit_status, 0);
    if (st.exit_status)
        printf("  its log: %s\n", log);
    ae_cm_remove(cmcap, id);
}

/* An echo exchange with net killed once under it. */
static void restart_net_round(void)
{
    uint64_t echo = start_echo();
    char line[160];
    ping_under_net_kills(100, 1, 30, line, sizeof line);
    stop_echo(echo);
}

static void kill_all_three(void)
{
    CHECK_EQ(kill_service("console"), 0);
    CHECK_EQ(kill_service("fs"), 0);
    CHECK_EQ(kill_service("net"), 0);
}

/* Free pages: none fewer after than before, with the same services
 * freshly restarted at both points (a new instance's own memory is the
 * same). One round first: the services' heaps (fs's survives its
 * restarts) and cm's reach the size a round needs, which they keep; what
 * a round then loses is a leak. A page or two more free after is not one:
 * CI saw 120383 against 120382 twice on 2026-12-03 (something held at the
 * first reading let go during the rounds), so gains are allowed up to 4
 * pages and printed. */
static void restart_returns_every_page(void)
{
    restart_round();
    restart_net_round();
    kill_all_three();
    uint64_t before = free_pages_steady();
    for (int round = 0; round < 3; round++) {
        restart_round();
        restart_net_round();
    }
    kill_all_three();
    uint64_t after = free_pages_steady();
    if (after != before)
        printf("  free pages %lu before, %lu after\n", (unsigned long)before, (unsigned long)after);
    CHECK(after >= before);
    CHECK(after - before <= 4);
}

/* A client's caches across an fs restart: the new instance marks the
 * control block of every buffer it dropped DETACHED (through the
 * capability root's keeper held for it), so a stat this program kept is
 * not served from its table; the next call attaches again and asks the
 * new instance. (This program's own session: root's "fs" grant.) */
static void restart_fs_marks_client_caches_stale(void)
{
    struct ae_fs *fs = ae_fs_default();
    CHECK(fs != NULL);
    if (!fs)
        return;
    uint64_t h;
    struct ae_fs_stat st;
    CHECK_EQ(ae_fs_open(fs, "/cached", FS_O_WRONLY | FS_O_CREAT, 0644, &h, &st), 0);
    CHECK_EQ(ae_fs_close(fs, h), 0);
    CHECK_EQ(ae_fs_stat(fs, "/cached", &st), 0);      /* kept */
    struct fs_shctl *c = fs->ctl;
    CHECK(c != NULL && c->changes != FS_SHCTL_DETACHED);
    CHECK_EQ(kill_service("fs"), 0);
    CHECK(c != NULL && c->changes == FS_SHCTL_DETACHED);
    CHECK_EQ(ae_fs_stat(fs, "/cached", &st), 0);      /* asked again, of the new instance */
    CHECK(fs->ctl != NULL && fs->ctl->changes != FS_SHCTL_DETACHED);   /* a new buffer (maybe at the same address) */
    CHECK_EQ(ae_fs_unlink(fs, "/cached"), 0);
    CHECK_EQ(ae_fs_stat(fs, "/cached", &st), AE_ENOENT);
}

/* ---- fs metadata ---- */

static uint64_t fs_stat_word(uint64_t fsadmin, unsigned w)
{
    uint64_t o[FS_STAT_WORDS] = { 0 };
    return ae_fs_admin_stats(fsadmin, o) ? UINT64_MAX : o[w];
}

static uint64_t fs_sstat_word(uint64_t fsadmin, uint32_t id, unsigned w)
{
    uint64_t o[FS_SSTAT_WORDS] = { 0 };
    return ae_fs_admin_session_stats(fsadmin, id, o) ? UINT64_MAX : o[w];
}

/* A session's metadata bytes less its reserved nodes' (256-byte blocks),
 * when it has no file open: its handles are then its reservations, which
 * the service keeps across a restart while the client forgets them (they
 * go at its next RESERVE). */
static uint64_t held_apart(uint64_t fsadmin, uint32_t id)
{
    return fs_sstat_word(fsadmin, id, FS_SSTAT_META_BYTES) - fs_sstat_word(fsadmin, id, FS_SSTAT_HANDLES) * 256;
}

/* A session past its metadata promise (docs/FS.md, "Metadata: a promise
 * and an overdraft"): fs killed, the new instance counts the session's
 * metadata again from its tree at its first use and the pool from every
 * session — the same figures as before, exactly; its files undone give
 * every byte back, and its end the pool's. */
static void restart_fs_recounts_metadata(void)
{
    uint64_t fsadmin = ae_capenv_lookup("fs.admin");
    CHECK(fsadmin != 0);
    if (!fsadmin)
        return;
    uint64_t pool0 = fs_stat_word(fsadmin, FS_STAT_META_POOL);
    uint64_t promised0 = fs_stat_word(fsadmin, FS_STAT_META_PROMISED);
    struct ae_fs_session_spec spec = { .data_bytes = 4u << 20, .inodes = 4000 };
    uint64_t cap;
    uint32_t id;
    CHECK_EQ(ae_fs_admin_open_session(fsadmin, &spec, &cap, &id), 0);
    struct ae_fs conn;
    ae_fs_init(&conn, cap, 0);
    /* Its handle table grown first (it keeps its size), then what it holds
     * empty (its reserved nodes apart). */
    uint64_t hs[100], h0;
    CHECK_EQ(ae_fs_open(&conn, "/h", FS_O_WRONLY | FS_O_CREAT, 0600, &h0, NULL), 0);
    CHECK_EQ(ae_fs_close(&conn, h0), 0);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(ae_fs_open(&conn, "/h", FS_O_RDONLY, 0, &hs[i], NULL), 0);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(ae_fs_close(&conn, hs[i]), 0);
    CHECK_EQ(ae_fs_unlink(&conn, "/h"), 0);
    CHECK_EQ(ae_fs_flush(&conn), 0);
    uint64_t m0 = held_apart(fsadmin, id);
    CHECK_EQ(ae_fs_mkdir(&conn, "/m", 0755), 0);
    char p[300];
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof p, "/m/%0200d", i);
        uint64_t h;
        CHECK_EQ(ae_fs_open(&conn, p, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL), 0);
        CHECK_EQ(ae_fs_close(&conn, h), 0);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "/m/dir%0100d", i);
        CHECK_EQ(ae_fs_mkdir(&conn, p, 0755), 0);
    }
    CHECK_EQ(ae_fs_flush(&conn), 0);
    uint64_t m1 = fs_sstat_word(fsadmin, id, FS_SSTAT_META_BYTES);
    uint64_t pool1 = fs_stat_word(fsadmin, FS_STAT_META_POOL);
    printf("  metadata: %lu bytes (%lu empty), the pool %lu; fs killed\n", (unsigned long)m1, (unsigned long)m0,
           (unsigned long)pool1);
    CHECK(pool1 > pool0);
    CHECK_EQ(kill_service("fs"), 0);
    CHECK_EQ(fs_sstat_word(fsadmin, id, FS_SSTAT_META_BYTES), m1);     /* counted again from its tree */
    CHECK_EQ(fs_stat_word(fsadmin, FS_STAT_META_POOL), pool1);
    CHECK_EQ(fs_stat_word(fsadmin, FS_STAT_META_PROMISED), promised0 + 1);
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof p, "/m/%0200d", i);
        CHECK_EQ(ae_fs_unlink(&conn, p), 0);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "/m/dir%0100d", i);
        CHECK_EQ(ae_fs_rmdir(&conn, p), 0);
    }
    CHECK_EQ(ae_fs_rmdir(&conn, "/m"), 0);
    CHECK_EQ(ae_fs_flush(&conn), 0);
    CHECK_EQ(held_apart(fsadmin, id), m0);
    CHECK_EQ(ae_fs_admin_check(fsadmin, id), 0);
    ae_fs_fini(&conn);
    CHECK_EQ(ae_fs_admin_close_session(fsadmin, id), 0);
    ae_cap_delete(cap);
    ae_slot_free(cap);
    CHECK_EQ(fs_stat_word(fsadmin, FS_STAT_META_POOL), pool0);
    CHECK_EQ(fs_stat_word(fsadmin, FS_STAT_META_PROMISED), promised0);
}

int main(void)
{
    cmcap = ae_capenv_lookup("cm");
    admin = ae_capenv_lookup("cm.admin");
    RUN(restart_kill_is_the_operators_alone);
    RUN(restart_console_keeps_a_log_stream);
    RUN(restart_fs_keeps_every_completed_write);
    RUN(restart_fs_keeps_a_1000_file_tree);
    RUN(restart_fs_kill_at_a_sessions_first_write);
    RUN(restart_net_keeps_a_udp_echo);
    RUN(restart_net_killed_while_a_client_is_removed);
    RUN(restart_net_refuses_a_removed_clients_old_badge);
    RUN(restart_returns_every_page);
    RUN(restart_fs_marks_client_caches_stale);
    RUN(restart_fs_recounts_metadata);
    if (nanswered)
        printf("restart figures: %lu kills, worst start %lu us, worst answer %lu us, mean answer %lu us\n",
               nanswered, worst_started / 1000, worst_answered / 1000, sum_answered / nanswered / 1000);
    return TESTS_DONE();
}
