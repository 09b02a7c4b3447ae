/*
 * t_ipc.c — synchronous IPC: call/reply on one and across CPUs, badges,
 * timeouts, rights, capability transfer, saved replies, and what callers
 * see when a server or an endpoint disappears.
 */
#include "kt.h"

static volatile int ready, served;

struct server_args {
    uint64_t ep;
    int count;          /* messages to serve, then stop */
};

/* Replies to each call with label = the caller's badge, word 0 + 1. */
static void echo_server(void *arg)
{
    struct server_args *a = arg;
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    int64_t r = ae_recv(a->ep, AERIE_TIMEOUT_FOREVER, &badge);
    for (int i = 0; r >= 0; i++) {
        __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
        u->mr[0] += 1;
        if (i + 1 == a->count) {
            ae_reply(AERIE_INFO(badge, 1, 0));
            return;
        }
        r = ae_reply_recv(a->ep, AERIE_INFO(badge, 1, 0), AERIE_TIMEOUT_FOREVER, &badge);
    }
}

static int64_t call_word(uint64_t ep, uint64_t w, uint64_t *out)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = w;
    int64_t r = ae_call(ep, AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER);
    *out = u->mr[0];
    return r;
}

static void call_reply(struct kt_env *env, int server_cpu)
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    static struct server_args a;
    a = (struct server_args){ ep, 1000 };
    struct ae_thread th = { 0 };
    ready = served = 0;
    CHECK_OK(kt_thread(env, &th, echo_server, &a, server_cpu));
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t out;
        int64_t r = call_word(ep, i * 3, &out);
        CHECK(r >= 0);
        CHECK_EQ(out, i * 3 + 1);
        CHECK_EQ(AERIE_INFO_NWORDS((uint64_t)r), 1);
    }
    CHECK_EQ(served, 1000);
}

KTEST(ipc_call_reply_same_cpu, "1000 calls to a server on the same CPU each get their reply")
{
    call_reply(env, 0);
}

KTEST_CPUS(ipc_call_reply_cross_cpu, 2, "1000 calls to a server on another CPU each get their reply")
{
    call_reply(env, 1);
}

KTEST(ipc_badge_identifies_caller, "the server sees the badge of the capability the caller used")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t a = kt_mint(ep, AERIE_R_WRITE, 11), b = kt_mint(ep, AERIE_R_WRITE, 22);
    static struct server_args sa;
    sa = (struct server_args){ ep, 2 };
    struct ae_thread th = { 0 };
    CHECK_OK(kt_thread(env, &th, echo_server, &sa, -1));
    uint64_t out;
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)call_word(a, 0, &out)), 11);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)call_word(b, 0, &out)), 22);
}

KTEST(ipc_nonblocking_and_timeouts, "no partner: poll fails at once, a timeout expires after its time")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t badge;
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ETIMEOUT);
    CHECK_EQ(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ETIMEOUT);
    CHECK_EQ(ae_recv(ep, AERIE_TIMEOUT_POLL, &badge), AE_ETIMEOUT);
    uint64_t t0 = kt_now_ns();
    CHECK_EQ(ae_recv(ep, 20000000, &badge), AE_ETIMEOUT);
    CHECK(kt_now_ns() - t0 >= 20000000);
    t0 = kt_now_ns();
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 0, 0), 10000000), AE_ETIMEOUT);
    CHECK(kt_now_ns() - t0 >= 10000000);
}

KTEST(ipc_rights_and_types, "send needs WRITE, receive READ; IPC on other objects is refused")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t ro = kt_mint(ep, AERIE_R_READ, 0), wo = kt_mint(ep, AERIE_R_WRITE, 0);
    uint64_t badge, n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    CHECK_EQ(ae_send(ro, AERIE_INFO(1, 0, 0), 0), AE_ERIGHTS);
    CHECK_EQ(ae_call(ro, AERIE_INFO(1, 0, 0), 0), AE_ERIGHTS);
    CHECK_EQ(ae_recv(wo, 0, &badge), AE_ERIGHTS);
    CHECK_EQ(ae_send(n, AERIE_INFO(1, 0, 0), 0), AE_ETYPE);
    CHECK_EQ(ae_call(n, AERIE_INFO(1, 0, 0), 0), AE_ETYPE);
    CHECK_EQ(ae_recv(env->quota, 0, &badge), AE_ETYPE);
    CHECK_EQ(ae_send(ae_slot_alloc(), AERIE_INFO(1, 0, 0), 0), AE_ECAP);
}

KTEST(ipc_bad_info_word, "too many words or capabilities, or unknown flags, are refused")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 65, 0), 0), AE_EINVAL);
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 0, 4), 0), AE_EINVAL);
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 0, 0) | (1ull << 16), 0), AE_EINVAL);
    CHECK_EQ(ae_send(kt_mint(ep, AERIE_R_WRITE, 0), AERIE_INFO(1, 0, 1), 0), AE_ERIGHTS);
    CHECK_EQ(ae_reply(AERIE_INFO(0, 0, 0)), AE_EINVAL);          /* nobody to reply to */
}

static volatile uint64_t got_slot, got_badge;

/* Receives one message with a capability window, reports what arrived. */
static void cap_receiver(void *arg)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge;
    u->recv_slots[0] = (uint32_t)ae_slot_alloc();
    u->recv_slots[1] = 0;
    u->recv_slots[2] = 0;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    int64_t r = ae_recv((uint64_t)arg, AERIE_TIMEOUT_FOREVER, &badge);
    got_badge = r < 0 ? (uint64_t)r : AERIE_INFO_NCAPS((uint64_t)r) | (AERIE_INFO_FLAGS((uint64_t)r) << 8);
    got_slot = u->caps[0];
    ae_reply(AERIE_INFO(0, 0, 0));
}

KTEST(ipc_cap_transfer, "a capability sent through a GRANT endpoint lands in the receive window")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = 0;
    got_slot = 0;
    CHECK_OK(kt_thread(env, &th, cap_receiver, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    uint64_t nogrant = kt_mint(ep, AERIE_R_WRITE, 0);
    struct aerie_utcb *u = ae_utcb();
    u->caps[0] = (uint32_t)n;
    CHECK_EQ(ae_call(nogrant, AERIE_INFO(1, 0, 1), AERIE_TIMEOUT_FOREVER), AE_ERIGHTS);
    CHECK(ae_call(ep, AERIE_INFO(1, 0, 1), AERIE_TIMEOUT_FOREVER) >= 0);
    CHECK_EQ(got_badge, 1);
    uint64_t badge;
    CHECK_EQ(ae_cap_info(got_slot, &badge) & 0xFF, AERIE_OBJ_NOTIFICATION);
    /* the transferred copy is derived from ours: revoking ours removes it */
    CHECK_OK(ae_cap_revoke(n));
    CHECK_EQ(ae_cap_info(got_slot, &badge), AE_ECAP);
}

KTEST(ipc_cap_transfer_without_window, "capabilities that find no room are dropped and flagged")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &th, cap_receiver, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    struct aerie_utcb *u = ae_utcb();
    u->caps[0] = (uint32_t)n;
    u->caps[1] = (uint32_t)n;                         /* the second cannot fit */
    CHECK(ae_call(ep, AERIE_INFO(1, 0, 2), AERIE_TIMEOUT_FOREVER) >= 0);
    CHECK_EQ(got_badge, 1 | (AERIE_INFO_CAPS_DROPPED << 8));
}

static void recv_and_die(void *arg)
{
    uint64_t badge;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv((uint64_t)arg, AERIE_TIMEOUT_FOREVER, &badge);
    ae_thread_exit(0);                                /* never replies */
}

KTEST(ipc_server_exits_caller_gets_edead, "a caller whose server thread exits before replying gets EDEAD")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &th, recv_and_die, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK_EQ(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER), AE_EDEAD);
}

static void destroy_later(void *arg)
{
    ae_sleep_ns(5000000);
    ae_invoke0((uint64_t)arg, AERIE_THREAD_DESTROY);
}

KTEST(ipc_server_destroyed_mid_call, "a caller waiting for a reply gets EDEAD when the server is destroyed")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread server = { 0 }, killer = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &server, recv_and_die, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    /* make the server stop before it can reply: suspend, then destroy */
    CHECK_OK(kt_thread(env, &killer, destroy_later, (void *)server.thread_slot, -1));
    CHECK_OK(ae_invoke0(server.thread_slot, AERIE_THREAD_SUSPEND));
    int64_t r = ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL);
    CHECK(r == AE_ETIMEOUT || r == AE_EDEAD);     /* a suspended server is not receiving */
}

static void recv_then_block(void *arg)
{
    uint64_t badge;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv((uint64_t)arg, AERIE_TIMEOUT_FOREVER, &badge);
    __atomic_store_n(&ready, 2, __ATOMIC_RELEASE);
    ae_sleep_ns(AERIE_TIMEOUT_FOREVER);              /* holds the reply */
}

KTEST(ipc_server_destroyed_holding_reply, "a caller gets EDEAD when the server holding its reply is destroyed")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread server = { 0 }, killer = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &server, recv_then_block, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK_OK(kt_thread(env, &killer, destroy_later, (void *)server.thread_slot, -1));
    CHECK_EQ(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER), AE_EDEAD);
}

static void delete_later(void *arg)
{
    ae_sleep_ns(5000000);
    ae_cap_delete((uint64_t)arg);
}

KTEST(ipc_endpoint_destroyed_while_sending, "a sender queued on an endpoint gets EDEAD when it is destroyed")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    CHECK_OK(kt_thread(env, &th, delete_later, (void *)ep, -1));
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER), AE_EDEAD);
}

static volatile uint64_t saved_slot;

static void saving_server(void *arg)
{
    uint64_t badge, ep = (uint64_t)arg;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    uint64_t s = ae_slot_alloc();
    if (ae_reply_save(s) < 0)
        return;
    /* meanwhile serve nobody; reply later through the saved cap */
    ae_sleep_ns(3000000);
    ae_utcb()->mr[0] = 4242;
    saved_slot = s;
    ae_send(s, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_POLL);
}

KTEST(ipc_saved_reply, "a saved reply cap answers the caller later, once")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &th, saving_server, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER) >= 0);
    CHECK_EQ(ae_utcb()->mr[0], 4242);
    uint64_t badge;
    ae_sleep_ns(1000000);
    CHECK_EQ(ae_cap_info(saved_slot, &badge), AE_ECAP);    /* one-shot */
}

static void saving_then_dropping(void *arg)
{
    uint64_t badge, ep = (uint64_t)arg;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    uint64_t s = ae_slot_alloc();
    ae_reply_save(s);
    ae_sleep_ns(2000000);
    ae_cap_delete(s);
}

KTEST(ipc_saved_reply_dropped, "deleting an unused saved reply ends the caller's wait with EDEAD")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &th, saving_then_dropping, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK_EQ(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER), AE_EDEAD);
}

static void recv_twice(void *arg)
{
    uint64_t badge, ep = (uint64_t)arg;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    ae_recv(ep, 1000000, &badge);                    /* receives again without replying */
}

KTEST(ipc_receive_again_cancels_caller, "a server that receives again without replying cancels the call")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = 0;
    CHECK_OK(kt_thread(env, &th, recv_twice, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK_EQ(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER), AE_ECANCELED);
}

KTEST(ipc_send_only_no_reply, "a send delivers the message and returns without waiting for a reply")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    static struct server_args a;
    a = (struct server_args){ ep, 1 };
    struct ae_thread th = { 0 };
    served = 0;
    CHECK_OK(kt_thread(env, &th, echo_server, &a, -1));
    ae_utcb()->mr[0] = 1;
    CHECK_OK(ae_send(ep, AERIE_INFO(3, 1, 0), AERIE_TIMEOUT_FOREVER));
    CHECK(kt_wait((volatile int *)&served, 1, 1000));
}

/* ---- which receiver a call goes to ---- */

struct cpu_server_args {
    uint64_t ep;
    uint64_t cpu;       /* what it answers with */
};

/* Answers every call with its own CPU in word 0, until ep is gone. */
static void cpu_server(void *arg)
{
    struct cpu_server_args *a = arg;
    uint64_t badge;
    int64_t r = ae_recv(a->ep, AERIE_TIMEOUT_FOREVER, &badge);
    while (r >= 0) {
        ae_utcb()->mr[0] = a->cpu;
        r = ae_reply_recv(a->ep, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_FOREVER, &badge);
    }
}

/* Waits until th is blocked (in its receive). */
static bool wait_blocked(uint64_t th)
{
    for (int i = 0; i < 100000; i++) {
        uint64_t info[5];
        if (ae_invoke(th, AERIE_THREAD_INFO, 0, 0, info, 5) >= 0 && info[0] == AERIE_TS_BLOCKED)
            return true;
        ae_yield();
    }
    return false;
}

/* KDEBUG_STATS words 4 and 5: messages handed over on the sender's CPU,
 * and across CPUs. */
static void ipc_counts(uint64_t out[2])
{
    uint64_t s[6] = { 0 };
    ae_invoke(ae_self.kdebug, AERIE_KDEBUG_STATS, 0, 0, s, 6);
    out[0] = s[4];
    out[1] = s[5];
}

KTEST_CPUS(ipc_prefers_receiver_on_callers_cpu, 2,
           "with receivers on both CPUs, a call goes to the one on the caller's CPU; the kernel counts crossings")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    static struct cpu_server_args far, near;
    far = (struct cpu_server_args){ ep, 1 };
    near = (struct cpu_server_args){ ep, 0 };
    struct ae_thread tf = { 0 }, tn = { 0 };
    /* The receiver on the other CPU waits first: without the preference
     * the oldest waiter, it, would get every call. */
    CHECK_OK(kt_thread(env, &tf, cpu_server, &far, 1));
    CHECK(wait_blocked(tf.thread_slot));
    uint64_t before[2], after[2], out = 9;
    ipc_counts(before);
    CHECK(call_word(ep, 0, &out) >= 0);
    CHECK_EQ(out, 1);                          /* only it waits: the call crosses */
    ipc_counts(after);
    CHECK(after[1] >= before[1] + 1);
    CHECK_OK(kt_thread(env, &tn, cpu_server, &near, 0));
    CHECK(wait_blocked(tn.thread_slot));
    CHECK(wait_blocked(tf.thread_slot));
    ipc_counts(before);
    for (int i = 0; i < 100; i++) {
        CHECK(call_word(ep, 0, &out) >= 0);
        CHECK_EQ(out, 0);
    }
    ipc_counts(after);
    CHECK(after[0] >= before[0] + 100);
}

static volatile int64_t rr_first, rr_second, rr_bad;

/* Answers a call and a send with REPLY_RECV, then sends a malformed
 * answer: what RSI said each time. */
static void reply_recv_reporter(void *arg)
{
    uint64_t badge, ep = (uint64_t)arg;
    int64_t replied = 99;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);                                      /* the call */
    ae_reply_recv_ex(ep, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_FOREVER, &badge, &replied); /* then the send */
    rr_first = replied;
    replied = 99;
    ae_reply_recv_ex(ep, AERIE_INFO(0, 0, 0), 1000000, &badge, &replied);            /* nobody waits: times out */
    rr_second = replied;
    replied = 99;
    ae_reply_recv_ex(ep, AERIE_INFO(0, AERIE_MSG_WORDS + 1, 0), 1000000, &badge, &replied);
    rr_bad = replied;
    __atomic_store_n(&served, 1, __ATOMIC_RELEASE);
}

KTEST(ipc_reply_recv_reports_reply, "REPLY_RECV says in RSI whether its answer reached the caller")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = served = 0;
    rr_first = rr_second = rr_bad = 99;
    CHECK_OK(kt_thread(env, &th, reply_recv_reporter, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK(ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER) >= 0);
    CHECK_OK(ae_send(ep, AERIE_INFO(2, 0, 0), AERIE_TIMEOUT_FOREVER));   /* a send: no answer owed */
    CHECK(kt_wait((volatile int *)&served, 1, 10000));
    CHECK_EQ(rr_first, 0);
    CHECK_EQ(rr_second, AE_EINVAL);
    CHECK_EQ(rr_bad, AE_EINVAL);
}

KTEST(kdebug_flush_bench_checks_args,
      "KDEBUG_FLUSH_BENCH (what a CR3 write costs, ipcbench) refuses zero or too many rounds, too many pages, "
      "a capability without WRITE and an empty slot")
{
    uint64_t r[1] = { 0 };
    CHECK_EQ(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(0, 1), r, 1), AE_EINVAL);
    CHECK_EQ(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(AERIE_KDEBUG_FLUSH_ROUNDS + 1, 1), r, 1),
             AE_EINVAL);
    CHECK_EQ(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(~0ull, 1), r, 1), AE_EINVAL);
    CHECK_EQ(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(1, AERIE_KDEBUG_FLUSH_PAGES + 1), r, 1),
             AE_EINVAL);
    CHECK_EQ(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(1, ~0ull), r, 1), AE_EINVAL);
    CHECK_EQ(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 1, AE_ARGS(1), r, 1), AE_EINVAL);
    CHECK_EQ(ae_invoke(kt_mint(ae_self.kdebug, AERIE_R_READ, 0), AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(1, 1), r, 1),
             AE_ERIGHTS);
    CHECK_EQ(ae_invoke(ae_slot_alloc(), AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(1, 1), r, 1), AE_ECAP);
    r[0] = 0;
    CHECK_OK(ae_invoke(ae_self.kdebug, AERIE_KDEBUG_FLUSH_BENCH, 2, AE_ARGS(3, AERIE_KDEBUG_FLUSH_PAGES), r, 1));
    CHECK(r[0] > 0);                               /* TSC cycles taken */
}
