/*
 * cmclient.c — the helpers of cmclient.h. Free-page counts are the soak
 * tests' measure of "everything came back"; reading them settled matters
 * because a remove or a restart is answered before every service has let
 * go of what it held (a page late under a loaded host), while a real leak
 * never comes back.
 */
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "cmclient.h"

uint64_t cmcap;

void sleep_ms(unsigned ms) { ae_sleep_ns((uint64_t)ms * 1000000u); }

int64_t read_log(uint64_t id, char *log, size_t cap)
{
    uint64_t from = 0;
    size_t have = 0;
    int64_t n = 0;
    while (have + 1 < cap && (n = ae_cm_logs(cmcap, id, &from, log + have, cap - 1 - have)) > 0)
        have += (size_t)n;
    log[have] = 0;
    return n < 0 ? n : (int64_t)have;
}

uint64_t free_pages(void)
{
    uint64_t s[4];
    ae_kdebug_stats(ae_self.kdebug, s);
    return s[0];
}

uint64_t free_pages_settled(uint64_t want)
{
    uint64_t n = free_pages();
    for (int i = 0; i < 100 && n != want; i++) {
        sleep_ms(10);
        n = free_pages();
    }
    return n;
}

uint64_t free_pages_steady(void)
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
