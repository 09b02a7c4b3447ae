/*
 * t_capget.c — what TASK_CLONE does with a fault handler the source owns,
 * and Task CAP_GET (kernel/task.c), which cm uses to reach the clone's
 * copy of such an endpoint (the Linux personality's: docs/FORK.md). A
 * thread whose handler is an endpoint its task owns faults, in the clone,
 * to the clone's counterpart of that endpoint (with its badge); one whose
 * handler is a grant faults to word 5's. CAP_GET refuses every wrong use
 * with its word, and a container cannot reach a task it holds no
 * capability to (child_mt.c's mtattack tries forged slots).
 */
#include "kt.h"
#include <aerie/fault.h>

KTEST(clonemt_owned_handler_goes_to_the_clones_copy, "TASK_CLONE gives a thread whose handler is an endpoint its task owns the clone's copy of it (same badge), a granted handler word 5's; CAP_GET hands the copy out and refuses no rights, forged and huge slots, a slot taken, a second badge")
{
    uint64_t sq = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 8, 64), task, a, b, e;
    CHECK_OK(kt_create(sq, AERIE_OBJ_TASK, &task, 0, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_ENDPOINT, &e, 0, 0, 0));           /* the task's own */
    CHECK_OK(kt_create(sq, AERIE_OBJ_THREAD, &a, task, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_THREAD, &b, task, 0, 0));
    uint64_t g = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);             /* a grant: not the task's */
    uint64_t g2 = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);            /* the clone's word 5 */
    CHECK_OK(ae_invokev(task, AERIE_TASK_CAP_COPY, e, 5, AERIE_R_ALL, 0));
    CHECK_OK(ae_invokev(task, AERIE_TASK_CAP_COPY, e, 6, AERIE_R_WRITE, 5));   /* a badged copy */
    CHECK_OK(ae_invokev(task, AERIE_TASK_CAP_COPY, b, 8, AERIE_R_ALL, 0));
    CHECK_OK(ae_invokev(a, AERIE_THREAD_SET_HANDLER, kt_mint(e, AERIE_R_WRITE, 7)));
    CHECK_OK(ae_invokev(b, AERIE_THREAD_SET_HANDLER, kt_mint(g, AERIE_R_WRITE, 9)));
    CHECK_OK(ae_invoke0(task, AERIE_TASK_SUSPEND));
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 8, 64), ct = ae_slot_alloc(), cth = ae_slot_alloc();
    CHECK_OK(ae_invokev(task, AERIE_TASK_CLONE, cq, sq, ct, cth, AERIE_CLONE_ALL_THREADS | AERIE_CLONE_OWN_CAPS,
                        kt_mint(g2, AERIE_R_WRITE, 11)));
    /* CAP_GET: the clone's endpoint at slot 5, and its copy of b at 8. */
    uint64_t e2 = ae_slot_alloc(), b2 = ae_slot_alloc(), x = ae_slot_alloc();
    CHECK_OK(ae_invokev(ct, AERIE_TASK_CAP_GET, 5, e2, AERIE_R_ALL, 0));
    CHECK_OK(ae_invokev(ct, AERIE_TASK_CAP_GET, 8, b2, AERIE_R_ALL, 0));
    struct aerie_utcb *u = ae_utcb();
    uint64_t obj0 = kt_objects();
    CHECK_EQ(ae_invokev(kt_mint(ct, AERIE_R_READ, 0), AERIE_TASK_CAP_GET, 5, x, AERIE_R_ALL, 0), AE_ERIGHTS);
    CHECK_EQ(ae_invokev(1ull << 40, AERIE_TASK_CAP_GET, 5, x, AERIE_R_ALL, 0), AE_ECAP);   /* a forged task */
    CHECK_EQ(ae_invokev(ct, AERIE_TASK_CAP_GET, 77, x, AERIE_R_ALL, 0), AE_ECAP);        /* nothing there */
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invokev(ct, AERIE_TASK_CAP_GET, 1ull << 40, x, AERIE_R_ALL, 0), AE_ECAP);
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invokev(ct, AERIE_TASK_CAP_GET, 5, e2, AERIE_R_ALL, 0), AE_EBUSY);       /* ours is taken */
    CHECK_EQ(u->mr[0], 1);
    CHECK_EQ(ae_invokev(ct, AERIE_TASK_CAP_GET, 5, 1ull << 40, AERIE_R_ALL, 0), AE_EINVAL);
    CHECK_EQ(u->mr[0], 1);
    CHECK_EQ(ae_invokev(ct, AERIE_TASK_CAP_GET, 5, 0, AERIE_R_ALL, 0), AE_EINVAL);
    CHECK_EQ(u->mr[0], 1);
    CHECK_EQ(ae_invokev(ct, AERIE_TASK_CAP_GET, 6, x, AERIE_R_ALL, 4), AE_EINVAL);       /* badged already */
    CHECK_EQ(u->mr[0], 3);
    CHECK_EQ(kt_objects(), obj0);
    CHECK_EQ(ae_cap_info(x, &(uint64_t){ 0 }), AE_ECAP);
    /* Rights only narrow: a WRITE-only copy cannot receive. */
    CHECK_OK(ae_invokev(ct, AERIE_TASK_CAP_GET, 5, x, AERIE_R_WRITE, 0));
    uint64_t badge, w[4];
    CHECK_EQ(kt_recv(x, 0, &badge, w), AE_ERIGHTS);
    /* The copies fault (no memory mapped: a page fault at RIP 0). They
     * were inactive (not held): the clone's RESUME leaves them so, and
     * Thread RESUME starts them only once it is over (attack8). */
    CHECK_EQ(ae_invoke0(cth, AERIE_THREAD_RESUME), AE_EBUSY);
    CHECK_OK(ae_invoke0(ct, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(cth, AERIE_THREAD_RESUME));
    CHECK_OK(ae_invoke0(b2, AERIE_THREAD_RESUME));
    int64_t r = kt_recv(e2, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
    CHECK_EQ(badge, 7);                      /* a's copy: the clone's endpoint, a's badge */
    r = kt_recv(g2, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(badge, 11);                     /* b's copy: word 5's */
    CHECK_EQ(kt_recv(e, 0, &badge, w), AE_ETIMEOUT);    /* nothing reached the original's */
    CHECK_EQ(kt_recv(g, 0, &badge, w), AE_ETIMEOUT);
    /* The original's a still faults to the original's endpoint. */
    CHECK_OK(ae_invoke0(task, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(a, AERIE_THREAD_RESUME));
    r = kt_recv(e, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(badge, 7);
    CHECK_EQ(kt_recv(e2, 0, &badge, w), AE_ETIMEOUT);
}

KTEST(clonemt_owned_slice_outlives_the_source, "a boot-module slice the source owns (a Linux program's file) becomes the clone's own slice of the same pages: destroying the source and its quota leaves the clone's mapping and its bytes")
{
    uint64_t len;
    const uint8_t *img = kt_self_image(&len);
    CHECK(img != NULL);
    uint64_t sq = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 8, 64), task, th, slice = ae_slot_alloc();
    CHECK_OK(kt_create(sq, AERIE_OBJ_TASK, &task, 0, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_THREAD, &th, task, 0, 0));
    uint64_t mod = ae_start.bootinfo ? AERIE_BOOT_MODULE0 : ae_capenv_lookup("image");   /* as kt_self_image */
    CHECK_OK(ae_invokev(mod, AERIE_MEM_SLICE, sq, 0, 4096, slice));   /* charged to sq: the task's */
    const uint64_t va = 0x500000;
    CHECK_OK(ae_task_map(task, slice, 0, va, 4096, AERIE_MAP_R));
    CHECK_OK(ae_invokev(task, AERIE_TASK_CAP_COPY, slice, 3, AERIE_R_READ, 0));
    CHECK_OK(ae_invoke0(task, AERIE_TASK_SUSPEND));
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 8, 64), ct = ae_slot_alloc(), cth = ae_slot_alloc();
    CHECK_OK(ae_invokev(task, AERIE_TASK_CLONE, cq, sq, ct, cth, AERIE_CLONE_ALL_THREADS));
    uint64_t info[6] = { 0 };
    CHECK_OK(ae_quota_info(cq, info));
    uint64_t objects = info[5];
    CHECK_OK(ae_invoke0(sq, AERIE_QUOTA_DESTROY));          /* the source, its slice with it */
    uint64_t w = 0, want;
    __builtin_memcpy(&want, img, 8);
    CHECK_OK(ae_invoke(ct, AERIE_TASK_READ, 2, (uint64_t[]){ va, 8 }, &w, 1));
    CHECK_EQ(w, want);                       /* still mapped in the clone, the module's bytes */
    uint64_t s2 = ae_slot_alloc(), t;
    CHECK_OK(ae_invokev(ct, AERIE_TASK_CAP_GET, 3, s2, AERIE_R_ALL, 0));
    CHECK_EQ(ae_cap_info(s2, &t) & 0xFF, AERIE_OBJ_MEMORY);   /* its slot names its own live slice */
    CHECK_OK(ae_quota_info(cq, info));
    CHECK_EQ(info[5], objects);              /* charged to the clone from the start */
}
