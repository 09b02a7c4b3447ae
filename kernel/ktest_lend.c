/*
 * ktest_lend.c — ktest=lend: TASK_BORROW's lending locks are per lender
 * (vspace.c, "Lending locks"; SECURITY.md 21ze F4). While one lender's
 * lock is held — as a long walk of its many borrowers holds it — another
 * lender's shootdown mask, its borrower's fault sync and a new BORROW of
 * that other lender all complete on this CPU. With one lock for all
 * lenders the first of them spins for ever, and the runner's timeout
 * fails the test after the line naming the step. Then the rules the
 * locks keep: no chains, no second lender, a lender's release detaches
 * its borrowers, and every page-table page comes back.
 */
#include "kmain.h"
#include "vspace.h"
#include "quota.h"
#include "kmem.h"
#include "printk.h"
#include <aerie/errors.h>
#include <aerie/objects.h>

#define SPACES 16

void ktest_lend(void (*report)(const char *name, bool ok, const char *why))
{
    struct quota *q = quota_create_root(64ull << 20);
    struct vspace *vs[SPACES];
    unsigned made = 0;
    for (; made < SPACES; made++) {
        vs[made] = kmem_alloc(sizeof(struct vspace));
        if (!vs[made] || vspace_init(vs[made], q, NULL)) {
            report("lend_locks_are_per_lender", false, "no memory for the address spaces");
            return;
        }
    }
    /* p1 (with borrower c1) and three spaces whose lock is not p1's. */
    struct vspace *p1 = vs[0], *c1 = vs[1], *other[3];
    unsigned k = 0;
    for (unsigned i = 2; i < SPACES - 1 && k < 3; i++)       /* the last: x below */
        if (vspace_lend_lock(vs[i]) != vspace_lend_lock(p1))
            other[k++] = vs[i];
    if (k < 3) {
        report("lend_locks_are_per_lender", false, "15 spaces fell on two locks");
        return;
    }
    struct vspace *p2 = other[0], *c2 = other[1], *c3 = other[2], *x = vs[SPACES - 1];
    bool ok = !vspace_borrow(c1, p1) && !vspace_borrow(c2, p2);

    spin_lock(vspace_lend_lock(p1));         /* p1 busy with its borrowers */
    kprintf("lend: p1's lock held; p2's shootdown mask\n");
    ok = ok && vspace_cpus(p2) == 0;
    kprintf("lend: c2's fault sync\n");
    (void)vspace_lend_sync(c2, AERIE_LENT_HIGH_START);
    kprintf("lend: a second borrower of p2\n");
    ok = ok && !vspace_borrow(c3, p2);
    spin_unlock(vspace_lend_lock(p1));
    report("lend_locks_are_per_lender", ok, "a step with another lender's lock held failed");

    /* What the locks keep: one level, one lender. */
    bool rules = vspace_borrow(p1, p2) == AE_EBUSY &&   /* p1 lends: cannot borrow */
                 vspace_borrow(x, c2) == AE_EBUSY &&   /* c2 borrows: cannot lend */
                 vspace_borrow(c1, p2) == AE_EBUSY &&   /* c1 has a lender */
                 vspace_borrow(p2, p2) == AE_EINVAL;
    report("lend_no_chain_no_second_lender", rules, "a chain, a second lender or a self-loan was allowed");

    /* p2's release detaches c2 and c3; c1's own release leaves p1. */
    bool gone = vspace_release(p2) && !c2->lender && !c3->lender && !p2->nborrowers &&
                vspace_release(c1) && !p1->nborrowers;
    for (unsigned i = 0; i < SPACES; i++) {
        if (vs[i] != p2 && vs[i] != c1)
            gone = vspace_release(vs[i]) && gone;
        kmem_free(vs[i], sizeof(struct vspace));
    }
    uint64_t left = __atomic_load_n(&q->used_bytes, __ATOMIC_RELAXED);
    if (left)
        kprintf("lend: %lu bytes still charged\n", left);
    report("lend_release_detaches_and_returns_tables", gone && left == 0,
           "a borrower kept its lender, or table pages stayed charged");
}
