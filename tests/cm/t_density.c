/*
 * t_density.c — cm's density right after a burst of container ends. A
 * dead address space's page tables (and its task) are freed by the last
 * CPU to leave them, and their charge comes back to the quotas only then
 * (docs/ARCHITECTURE.md, branch burst2). A user who ends N containers and
 * at once starts N like them expects each start to fit where the ended
 * ones were: none may be refused for memory that is only on its way back
 * (docs/CM.md, "Memory on its way back").
 *
 * The manager's memory is filled with a memhog that holds what it got,
 * leaving a few MiB, and those are filled with idle containers until cm
 * refuses one: N fit. All N are killed and removed in a burst and N are
 * started again at once, then the whole thing is given back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <aerie/errors.h>
#include <libaerie/cm.h>
#include <libaerie/syscall.h>
#include "cmtest.h"

#define ROOM_BYTES (6ull << 20)      /* what the filler leaves for the burst */
#define MAX_IDLE   40000

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int create(const char *spec, uint64_t *id, char *err, size_t errlen)
{
    return ae_cm_create(cmcap, spec, 1, id, err, errlen);
}

static void end(uint64_t id)
{
    ae_cm_kill(cmcap, id);
    ae_cm_remove(cmcap, id);
}

/* Idle containers until cm refuses one (or max); their count. */
static unsigned fill_idle(uint64_t *ids, unsigned max, int *why)
{
    char err[200];
    unsigned n = 0;
    *why = 0;
    while (n < max && !(*why = create("image=idle grant=none mem=1M", &ids[n], err, sizeof err)))
        n++;
    return n;
}

static char why_buf[200];

/* Ends the last k of ids[0..n) in a burst (every kill, then every
 * remove) and starts k again at once; how many of those were refused. */
static unsigned burst(uint64_t *ids, unsigned n, unsigned k, int *why)
{
    for (unsigned i = n - k; i < n; i++)
        ae_cm_kill(cmcap, ids[i]);
    for (unsigned i = n - k; i < n; i++)
        ae_cm_remove(cmcap, ids[i]);
    unsigned got = fill_idle(ids + n - k, k, why);
    return k - got;
}

const char *cm_density_holds_after_a_burst_of_ends(void)
{
    static uint64_t ids[MAX_IDLE];
    int why;
    uint64_t t0 = now_ns();
    unsigned n = fill_idle(ids, MAX_IDLE, &why), refused = 0, rounds = 0;
    printf("  density: %u idle containers fit (%lu ms), the next: %d\n", n, (now_ns() - t0) / 1000000, why);
    const char *fail = why != AE_ENOMEM ? "the idle containers did not fill the manager" :
                       n < 64 ? "fewer than 64 idle containers fit" : NULL;
    /* Each round the manager is full: what starts fits only in what the
     * burst just gave back. One at a time, 32 at a time, then all. */
    for (unsigned k = 1; !fail && k <= 32; k *= 32) {
        for (unsigned r = 0; r < (k == 1 ? 200u : 20u) && !refused; r++, rounds++) {
            refused = burst(ids, n, k, &why);
            if (refused) {
                n -= refused;
                snprintf(why_buf, sizeof why_buf, "round %u: %u of %u ended were refused a start again: error %d",
                         rounds, refused, k, why);
                fail = why_buf;
            }
        }
    }
    if (!fail) {
        t0 = now_ns();
        refused = burst(ids, n, n, &why);
        printf("  density: %u rounds of 1 and 32, then all %u ended and started again (%lu ms): %u refused\n",
               rounds, n, (now_ns() - t0) / 1000000, refused);
        if (refused) {
            n -= refused;
            snprintf(why_buf, sizeof why_buf, "after all %u ended, %u were refused a start again: error %d",
                     n + refused, refused, why);
            fail = why_buf;
        }
    }
    for (unsigned i = 0; i < n; i++)
        end(ids[i]);
    return fail;
}
