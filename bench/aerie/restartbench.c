/*
 * restartbench.c — how long a crashed service takes to come back
 * (docs/RESTART.md, docs/EVALUATION.md): the console, fs and net are
 * each killed N times (quick 20, full 50) through cm.admin, as
 * `aerie debug-kill-service` does, while a container uses the service —
 * a log stream (ticker), a stream of file writes and reads (fsstream), a
 * UDP echo exchange (udpping against udpecho). Per kill, two samples:
 *   restart aerie SERVICE kill_to_answer NS   from the kill request until the
 *        new instance answered its first call (cm's figure: a call made at
 *        once waits on the service's endpoint and the new instance takes it)
 *   restart aerie SERVICE kill_to_start NS    until its first thread ran (root's)
 * Aerie only: Linux has no service to restart (a crashed kernel subsystem
 * takes the machine). Ends with a summary, "BENCH DONE restartbench" and
 * the QEMU run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "say.h"

#define KILLS_MAX 200

static uint64_t cm, admin;

static _Noreturn void fail(const char *what, int r)
{
    say("BENCH ERROR restartbench: %s (error %d)", what, r);
    say("BENCH DONE restartbench (failed)");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 1);
    exit(1);
}

static void sleep_ms(unsigned ms) { ae_sleep_ns((uint64_t)ms * 1000000u); }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t create(const char *spec)
{
    uint64_t id = 0;
    char err[200];
    int r = ae_cm_create(cm, spec, 1, &id, err, sizeof err);
    if (r) {
        say("BENCH ERROR restartbench: %s: %s", spec, err);
        fail("a container was refused", r);
    }
    return id;
}

static void end(uint64_t id)
{
    struct ae_cm_status st;
    ae_cm_kill(cm, id);
    ae_cm_wait(cm, id, &st);
    ae_cm_remove(cm, id);
}

/* Kills name n times, a gap apart, while the containers in ids work. */
static void measure(const char *name, unsigned n, unsigned gap_ms)
{
    static uint64_t answered[KILLS_MAX], started[KILLS_MAX];
    say("BENCH BEGIN restart-%s", name);
    for (unsigned k = 0; k < n; k++) {
        sleep_ms(gap_ms);
        uint64_t kills = 0;
        int r = ae_cm_debug_kill_service(admin, name, &started[k], &answered[k], &kills);
        if (r)
            fail("debug-kill-service", r);
        if (!answered[k])
            fail("the new instance did not answer within 5 s", AE_ETIMEOUT);
        say("SAMPLE restart aerie %s kill_to_answer %lu ns", name, answered[k]);
        say("SAMPLE restart aerie %s kill_to_start %lu ns", name, started[k]);
    }
    say("BENCH END restart-%s rc=0", name);
    qsort(answered, n, sizeof answered[0], cmp_u64);
    say("restart %-7s kill to first answer over %u kills: median %lu us, p99 %lu us, worst %lu us", name, n,
        answered[n / 2] / 1000, answered[(n * 99 + 99) / 100 - 1] / 1000, answered[n - 1] / 1000);
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 && !strcmp(argv[1], "full") ? 50 : 20;
    cm = ae_capenv_lookup("cm");
    admin = ae_capenv_lookup("cm.admin");
    if (!cm || !admin)
        fail("needs cm and cm.admin", AE_EACCES);
    say("restartbench: %u kills of each service under a container using it", n);

    uint64_t tick = create("image=ticker args=\"100000 5\"");
    measure("console", n, 20);
    end(tick);

    uint64_t fsw = create("image=fsstream grant=console,fs args=\"100000 1\"");
    sleep_ms(50);                         /* past its session's first file (docs/RESTART.md) */
    measure("fs", n, 20);
    end(fsw);

    uint64_t echo = create("image=udpecho grant=console,net ports=7 args=7");
    sleep_ms(100);
    uint64_t ping = create("image=udpping grant=console,net ports=7100-7109 args=\"10.0.2.15 7 100000 2 20 10\"");
    sleep_ms(50);
    measure("net", n, 20);
    struct ae_cm_status st = { 0 };
    if (ae_cm_status(cm, ping, &st) || st.state != CM_RUNNING)
        fail("the echo exchange stopped under the kills", st.exit_status ? (int)st.exit_status : AE_EIO);
    end(ping);
    end(echo);

    say("BENCH DONE restartbench");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
    return 0;
}
