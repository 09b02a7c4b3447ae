/*
 * restarttest.c — services restarting under running containers
 * (docs/RESTART.md), driven through the container manager as the
 * operator drives it: fault injection is cm.admin's alone; the console
 * killed 20 times during a container's log stream loses no line; the
 * kernel's free pages come back exactly once the containers are gone.
 * Prints TEST PASS/FAIL per test and the restart times it saw.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <aerie/errors.h>
#include <libaerie/cm.h>
#include <libaerie/fs.h>
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include "ktest_host.h"

#define KILLS 20

static uint64_t cmcap, admin;
static uint64_t worst_started, worst_answered, sum_answered, nanswered;

static uint64_t free_pages(void)
{
    uint64_t s[4];
    ae_kdebug_stats(ae_self.kdebug, s);
    return s[0];
}

static void sleep_ms(unsigned ms) { ae_sleep_ns((uint64_t)ms * 1000000u); }

/* Free pages once a restart's loose ends are done: the old instance's
 * teardown and cm re-attaching streams run after the kill has answered,
 * so read until four readings 50 ms apart agree (or 5 s have passed). */
static uint64_t settled_free_pages(void)
{
    uint64_t prev = free_pages();
    unsigned same = 0;
    for (int i = 0; i < 100 && same < 3; i++) {
        sleep_ms(50);
        uint64_t cur = free_pages();
        same = cur == prev ? same + 1 : 0;
        prev = cur;
    }
    return prev;
}

static int64_t read_log(uint64_t id, char *log, size_t cap)
{
    uint64_t from = 0;
    size_t have = 0;
    int64_t n = 0;
    while (have + 1 < cap && (n = ae_cm_logs(cmcap, id, &from, log + have, cap - 1 - have)) > 0)
        have += (size_t)n;
    log[have] = 0;
    return n < 0 ? n : (int64_t)have;
}

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
    CHECK_EQ(ae_cm_create(cmcap, "image=hostile grant=console,fs args=report", 1, &id, err, sizeof err), 0);
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

/* docs/RESTART.md, "Known gaps": fs killed while a new session makes its
 * first files sometimes leaves the session failing its check after the
 * takeover, and it is dropped (the container's next call: EPIPE). A run
 * that ended exactly so is reported and made again, once; the second
 * must hold everything the test asks. Any other failure fails at once. */
static bool dropped_by_known_gap(const struct ae_cm_status *st, const char *log, int attempt)
{
    if (attempt > 0 || st->state != CM_EXITED || st->exit_status == 0 || !strstr(log, "Broken pipe"))
        return false;
    printf("  known gap (docs/RESTART.md): the session was dropped by a restart; once more: %s\n", log);
    return true;
}

/* Runs spec while fs is killed KILLS times, every ms; its end in *st and
 * its log in log. A run ended by the known gap is made once more. */
static uint64_t run_under_fs_kills(const char *spec, unsigned ms, struct ae_cm_status *st, char *log, size_t cap)
{
    uint64_t id = 0;
    char err[200];
    for (int attempt = 0;; attempt++) {
        CHECK_EQ(ae_cm_create(cmcap, spec, 1, &id, err, sizeof err), 0);
        for (int k = 0; k < KILLS; k++) {
            sleep_ms(ms);
            CHECK_EQ(kill_service("fs"), 0);
        }
        CHECK_EQ(ae_cm_wait(cmcap, id, st), 0);
        read_log(id, log, cap);
        if (!dropped_by_known_gap(st, log, attempt))
            return id;
        ae_cm_remove(cmcap, id);
    }
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
    if (st.exit_status != 0 && strstr(log, "Broken pipe"))
        /* docs/RESTART.md, "Known gaps": a kill at the session's first
         * write can leave it failing its check; it is dropped (EPIPE).
         * Anything else is a failure. */
        printf("  known gap (docs/RESTART.md): a session dropped by the restart at its start: %s\n", log);
    else
        CHECK_EQ(st.exit_status, 0);
    ae_cm_remove(cmcap, id);
}

/* Free pages: the same before and after, with the same services freshly
 * restarted at both points (a new instance's own memory is the same).
 * One round first: the services' heaps (fs's survives its restarts) and
 * cm's reach the size a round needs, which they keep; what a round then
 * loses is a leak. */
static void restart_returns_every_page(void)
{
    restart_round();
    CHECK_EQ(kill_service("console"), 0);
    CHECK_EQ(kill_service("fs"), 0);
    uint64_t before = settled_free_pages();
    for (int round = 0; round < 3; round++)
        restart_round();
    CHECK_EQ(kill_service("console"), 0);
    CHECK_EQ(kill_service("fs"), 0);
    CHECK_EQ(settled_free_pages(), before);
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

int main(void)
{
    cmcap = ae_capenv_lookup("cm");
    admin = ae_capenv_lookup("cm.admin");
    RUN(restart_kill_is_the_operators_alone);
    RUN(restart_console_keeps_a_log_stream);
    RUN(restart_fs_keeps_every_completed_write);
    RUN(restart_fs_keeps_a_1000_file_tree);
    RUN(restart_returns_every_page);
    RUN(restart_fs_marks_client_caches_stale);
    if (nanswered)
        printf("restart figures: %lu kills, worst start %lu us, worst answer %lu us, mean answer %lu us\n",
               nanswered, worst_started / 1000, worst_answered / 1000, sum_answered / nanswered / 1000);
    return TESTS_DONE();
}
