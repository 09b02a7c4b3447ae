/*
 * t_watch.c — quota watches: the holder of a quota's parent learns, by one
 * kernel-built AERIE_FAULT_GONE notice, that the quota's work is over,
 * whichever way it ended (exit, quiet exit, a fault nobody handles, its
 * own thread, task or quota destroyed, its parent's quota destroyed), and
 * the quota's own holder cannot clear or forge it.
 */
#include "kt.h"
#include <aerie/fault.h>

static const struct ae_grant self_grants[] = {
    { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 },
};

#define WATCH_BADGE 0x5150ull

struct watched {
    uint64_t q, ep, wcap;
    struct ae_child child;
};

/* A fresh child quota of the test's, watched through a new endpoint. */
static int64_t watch_new(struct kt_env *env, struct watched *w)
{
    w->q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 8, 300);
    w->ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    w->wcap = kt_mint(w->ep, AERIE_R_WRITE, WATCH_BADGE);
    return ae_invokev(env->quota, AERIE_QUOTA_WATCH, w->q, w->wcap);
}

/* Spawns a copy of this program playing an ending role in w's quota. */
static int spawn_in(struct watched *w, const char *role, const char *arg, uint64_t fault_ep)
{
    return kt_spawn_role(w->q, role, self_grants, 3, fault_ep, -1, &w->child, arg);
}

/* Waits up to ms for one message on ep: its info (or an error), with its
 * badge and all seven words. */
static int64_t recv7(uint64_t ep, unsigned ms, uint64_t *badge, uint64_t w[7])
{
    int64_t r = ae_recv(ep, (uint64_t)ms * 1000000ull, badge);
    for (int i = 0; i < 7 && r >= 0; i++)
        w[i] = ae_utcb()->mr[i];
    return r;
}

static uint64_t last_words[7];

/* The notice arrived, shaped as the ABI says, and it was the only one:
 * the quota's destruction afterwards (or a second look) adds nothing. */
#define CHECK_GONE(w, reason, how, detail) do { \
    uint64_t _b = 0, _m[7] = { 0 }; \
    int64_t _r = recv7((w)->ep, 10000, &_b, _m); \
    CHECK(_r >= 0); \
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)_r), AERIE_FAULT_GONE); \
    CHECK_EQ(AERIE_INFO_NWORDS((uint64_t)_r), 7); \
    CHECK(AERIE_INFO_FLAGS((uint64_t)_r) & AERIE_INFO_KERNEL); \
    CHECK_EQ(_b, WATCH_BADGE); \
    CHECK_EQ(_m[0], (reason)); \
    CHECK_EQ(_m[1], (how)); \
    CHECK_EQ(_m[2], (detail)); \
    __builtin_memcpy(last_words, _m, sizeof _m); \
    ae_invoke0((w)->q, AERIE_QUOTA_DESTROY); \
    CHECK_EQ(recv7((w)->ep, 50, &_b, _m), AE_ETIMEOUT); \
} while (0)

KTEST(watch_exit_quiet_last_thread, "a container whose only thread exits quietly is reported, with the status")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "exitquiet", "7", 0));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_EXIT, 7);
}

KTEST(watch_exit_after_handler, "an exit its handler saw is reported too, once the thread is gone")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), badge, m[4];
    CHECK_OK(spawn_in(&w, "warmup", 0, fep));
    int64_t r = kt_recv(fep, 10000, &badge, m);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
    uint64_t tinfo[4] = { 0 };                           /* it waits for our reply: still live */
    CHECK_OK(ae_invoke(w.child.thread, AERIE_THREAD_INFO, 0, 0, tinfo, 4));
    CHECK_EQ(tinfo[0], AERIE_TS_BLOCKED);
    CHECK_OK(ae_reply(AERIE_INFO(0, 0, 0)));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_EXIT, 0);
}

KTEST(watch_fault_without_handler, "a container that clears its fault handler and faults is reported, with the fault")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "unhandled", 0, 0));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_FAULT, AERIE_FAULT_PAGE);
    CHECK_EQ(last_words[3], 0xdead0000ull);
    CHECK(last_words[4] & AERIE_PF_WRITE);
}

KTEST(watch_destroys_own_quota, "a container that destroys its own quota is reported")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "killquota", 0, 0));
    CHECK_GONE(&w, AERIE_GONE_DESTROYED, 0, 0);
}

KTEST(watch_destroys_own_task, "a container that destroys its own task is reported")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "killtask", 0, 0));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_DESTROYED, 0);
}

KTEST(watch_destroys_own_thread, "a container that destroys its only thread is reported")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "killthread", 0, 0));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_DESTROYED, 0);
}

KTEST(watch_last_of_two_threads, "with two threads, only the end of the last one is reported")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "twothreads", 0, 0));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_EXIT, 2);        /* the second, which ends later */
}

KTEST(watch_never_started_destroyed, "a quota destroyed before any thread started is reported as destroyed")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    uint64_t task, t;
    CHECK_OK(kt_create(w.q, AERIE_OBJ_TASK, &task, 0, 0, 0));
    CHECK_OK(kt_create(w.q, AERIE_OBJ_THREAD, &t, task, 0, 0));   /* never started: not live */
    uint64_t badge, m[7];
    CHECK_EQ(recv7(w.ep, 20, &badge, m), AE_ETIMEOUT);
    CHECK_OK(ae_invoke0(w.q, AERIE_QUOTA_DESTROY));
    CHECK_GONE(&w, AERIE_GONE_DESTROYED, 0, 0);
}

KTEST(watch_ancestor_destroyed, "destroying the parent of a watched quota reports the watched one")
{
    uint64_t top = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 8, 300);
    struct watched w;
    CHECK_OK(kt_create(top, AERIE_OBJ_QUOTA, &w.q, 4 << 20, 4, 100));
    w.ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    w.wcap = kt_mint(w.ep, AERIE_R_WRITE, WATCH_BADGE);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_WATCH, w.q, w.wcap), AE_EINVAL);  /* not its parent */
    CHECK_EQ(ae_utcb()->mr[0], 0);
    CHECK_OK(ae_invokev(top, AERIE_QUOTA_WATCH, w.q, w.wcap));
    CHECK_OK(spawn_in(&w, "idle", 0, 0));
    CHECK_OK(ae_invoke0(top, AERIE_QUOTA_DESTROY));
    CHECK_GONE(&w, AERIE_GONE_DESTROYED, 0, 0);
}

KTEST(watch_only_by_parent, "only MANAGE on the parent sets a watch; the watched container cannot clear it")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    uint64_t ro = kt_mint(env->quota, AERIE_R_READ, 0);
    uint64_t epro = kt_mint(w.ep, AERIE_R_READ, 0);
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    CHECK_EQ(ae_invokev(ro, AERIE_QUOTA_WATCH, w.q, w.wcap), AE_ERIGHTS);
    CHECK_EQ(ae_invokev(w.q, AERIE_QUOTA_WATCH, w.q, w.wcap), AE_EINVAL);        /* its own parent? no */
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_WATCH, n, w.wcap), AE_ETYPE);
    CHECK_EQ(ae_utcb()->mr[0], 0);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_WATCH, w.q, epro), AE_ERIGHTS);  /* needs WRITE */
    CHECK_EQ(ae_utcb()->mr[0], 1);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_WATCH, w.q, n), AE_ETYPE);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_WATCH, w.q), AE_EINVAL);
    /* The container tries to clear or re-aim it, and fails: its count of
     * calls not refused is its exit status, which the notice carries. */
    CHECK_OK(spawn_in(&w, "unwatch", 0, 0));
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_EXIT, 0);
}

KTEST(watch_cleared_or_replaced, "a cleared watch says nothing, a replaced one speaks only through the new endpoint")
{
    struct watched a, b;
    CHECK_OK(watch_new(env, &a));
    CHECK_OK(ae_invokev(env->quota, AERIE_QUOTA_WATCH, a.q, 0));
    uint64_t badge, m[7];
    CHECK_OK(ae_invoke0(a.q, AERIE_QUOTA_DESTROY));
    CHECK_EQ(recv7(a.ep, 50, &badge, m), AE_ETIMEOUT);
    CHECK_OK(watch_new(env, &b));
    uint64_t other = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t ocap = kt_mint(other, AERIE_R_WRITE, WATCH_BADGE);
    CHECK_OK(ae_invokev(env->quota, AERIE_QUOTA_WATCH, b.q, ocap));
    CHECK_OK(ae_invoke0(b.q, AERIE_QUOTA_DESTROY));
    CHECK_EQ(recv7(b.ep, 50, &badge, m), AE_ETIMEOUT);
    b.ep = other;
    CHECK_GONE(&b, AERIE_GONE_DESTROYED, 0, 0);
}

KTEST(watch_fires_once, "after its notice a watch cannot be set again, and the notice waits for a receiver")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(spawn_in(&w, "exitquiet", "3", 0));
    /* nobody receives yet: the notice waits on the endpoint */
    uint64_t tinfo[4] = { 0 };
    for (int i = 0; i < 5000 && tinfo[0] != AERIE_TS_DEAD; i++) {
        ae_sleep_ns(1000000);
        ae_invoke(w.child.thread, AERIE_THREAD_INFO, 0, 0, tinfo, 4);
    }
    CHECK_EQ(tinfo[0], AERIE_TS_DEAD);
    ae_sleep_ns(5000000);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_WATCH, w.q, w.wcap), AE_EBUSY);
    CHECK_GONE(&w, AERIE_GONE_THREADS, AERIE_END_EXIT, 3);
}

KTEST(watch_notice_dropped_with_endpoint, "a notice queued when its endpoint is destroyed goes, leaking nothing")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    CHECK_OK(ae_invoke0(w.q, AERIE_QUOTA_DESTROY));         /* queued: nobody receives */
    CHECK_OK(ae_cap_delete(w.wcap));
    CHECK_OK(ae_cap_delete(w.ep));                          /* the endpoint goes, and the notice */
    /* the harness checks that every page and object came back */
}

static volatile int got_it;
static uint64_t got_words[7], got_badge;
static int64_t got_info, got_reply;

static void receive_one(void *arg)
{
    got_info = recv7((uint64_t)arg, 10000, &got_badge, got_words);
    got_reply = ae_reply(AERIE_INFO(0, 0, 0));          /* a notice is owed no reply */
    __atomic_store_n(&got_it, 1, __ATOMIC_RELEASE);
}

KTEST(watch_delivered_to_waiting_receiver, "a receiver already waiting gets the notice directly")
{
    struct watched w;
    CHECK_OK(watch_new(env, &w));
    struct ae_thread th = { 0 };
    got_it = 0;
    CHECK_OK(kt_thread(env, &th, receive_one, (void *)w.ep, -1));
    uint64_t tinfo[4] = { 0 };
    for (int i = 0; i < 2000 && tinfo[0] != AERIE_TS_BLOCKED; i++) {
        ae_sleep_ns(1000000);
        ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, tinfo, 4);
    }
    CHECK_EQ(tinfo[0], AERIE_TS_BLOCKED);
    CHECK_OK(ae_invoke0(w.q, AERIE_QUOTA_DESTROY));
    CHECK(kt_wait(&got_it, 1, 10000));
    CHECK(got_info >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)got_info), AERIE_FAULT_GONE);
    CHECK(AERIE_INFO_FLAGS((uint64_t)got_info) & AERIE_INFO_KERNEL);
    CHECK_EQ(got_badge, WATCH_BADGE);
    CHECK_EQ(got_words[0], AERIE_GONE_DESTROYED);
    CHECK_EQ(got_reply, AE_EINVAL);
}
