/*
 * hostile.c — a container that tries to reach what it was not given and
 * to misuse what it was. Every slot it does not hold: every object method,
 * IPC, signals, capability copies with guessed badges, reply capabilities,
 * futexes and TLS on kernel addresses. Every slot it holds (held.c): the
 * operations its grants do not include. Foreign system calls are left
 * out (they end it). With `self`, its spec's cpus= (cpus.c). Exits with the number of attempts that did NOT fail
 * (0 = isolated). argv[1] = "report" prints each surprise and a summary
 * (when it holds a console).
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/syscall.h>
#include <aerie/objects.h>
#include <aerie/capenv.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include "hostile.h"

int surprises;
unsigned held_probed;
static int report;

void surprise(uint64_t slot, const char *what, uint64_t label, int64_t r)
{
    surprises++;
    if (report)
        printf("hostile: %s on slot %lu (label %lu) succeeded (%ld)\n", what, slot, label, r);
}

void expect_fail(int64_t r, uint64_t slot, const char *what)
{
    if (r >= 0)
        surprise(slot, what, 0, r);
}

/* Slots above its grants: nothing is there, and nothing can be made to be. */
static void attack_unheld(void)
{
    uint64_t first = ae_auxv(AT_AERIE_FIRST_SLOT);   /* slots below are its grants */
    uint64_t badge;
    struct aerie_utcb *u = ae_utcb();
    for (uint64_t slot = first; slot < AERIE_CSPACE_MAX + 8; slot++) {
        expect_fail(ae_cap_info(slot, &badge), slot, "cap info");
        if (slot % 61 && slot > first + 64)
            continue;
        for (uint64_t label = 0; label < 14; label++) {
            u->mr[0] = slot;
            u->mr[1] = 1;
            expect_fail(ae_call(slot, AERIE_INFO(label, 4, 0), AERIE_TIMEOUT_POLL), slot, "invoke");
        }
        expect_fail(ae_send(slot, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), slot, "send");
        expect_fail(ae_recv(slot, AERIE_TIMEOUT_POLL, &badge), slot, "receive");
        expect_fail(ae_signal(slot, 1), slot, "signal");
        for (uint64_t b = 1; b < 1ull << 63; b <<= 7)
            expect_fail(ae_cap_copy(slot, slot + 1, AERIE_R_ALL, b), slot, "badge copy");
        expect_fail(ae_cap_move(slot, slot + 1), slot, "move");
        expect_fail(ae_cap_revoke(slot), slot, "revoke");
    }
    expect_fail(ae_reply(AERIE_INFO(0, 0, 0)), 0, "reply");
    expect_fail(ae_futex_wait((volatile uint32_t *)0xFFFF800000000000ull, 0, 0), 0, "kernel futex");
    expect_fail(ae_set_tls(0xFFFF800000000000ull), 0, "kernel TLS");
}

int main(int argc, char **argv)
{
    report = argc > 1 && !strcmp(argv[1], "report");
    attack_unheld();
    attack_held();
    attack_cpus();
    if (report)
        printf("hostile: %u held capabilities attacked, %d surprises\n", held_probed, surprises);
    return surprises;
}
