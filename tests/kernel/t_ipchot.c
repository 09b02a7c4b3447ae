/*
 * t_ipchot.c — attack22 on the IPC path as one inline unit (branch ipcjc:
 * kernel/ipc_unit.c, kernel/hot.h): the checks the straight line must
 * still make, on the paths it now inlines — CALL and RECV/REPLY_RECV
 * (one copy for both) — with slots past the capability space and
 * garbage in their high bits, info words with every field out of range,
 * whole 64-word messages each way through both hand-overs (a receiver
 * waiting first; a caller queued first), a REPLY_RECV whose reply goes
 * and whose receive is refused, a receiver whose endpoint is deleted
 * from another CPU, and callers destroyed while queued and while waiting
 * for their reply (the server's REPLY then finds nobody owed and nothing
 * else happens).
 */
#include "kt.h"

static volatile int ready, done_flag;
static volatile int64_t srv_ret[8];

KTEST(ipchot_slots_past_the_space_refused,
      "CALL, RECV and REPLY_RECV on slots past the capability space (and with high bits set) are ECAP")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t bad[] = { AERIE_CSPACE_MAX, AERIE_CSPACE_MAX + 1, 1ull << 32, (1ull << 32) | ep, 1ull << 63,
                       ~0ull, ~0ull << 18 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t badge = 7;
        int64_t replied = 99;
        CHECK_EQ(ae_call(bad[i], AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ECAP);
        CHECK_EQ(ae_call(bad[i], AERIE_INFO(1, 1, 0), AERIE_TIMEOUT_FOREVER), AE_ECAP);
        CHECK_EQ(ae_send(bad[i], AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ECAP);
        CHECK_EQ(ae_recv(bad[i], AERIE_TIMEOUT_POLL, &badge), AE_ECAP);
        CHECK_EQ(ae_recv(bad[i], AERIE_TIMEOUT_FOREVER, &badge), AE_ECAP);
        CHECK_EQ(ae_reply_recv_ex(bad[i], AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_FOREVER, &badge, &replied), AE_ECAP);
        CHECK_EQ(replied, AE_EINVAL);                  /* nobody to reply to */
    }
    uint64_t badge;
    CHECK_EQ(ae_recv(0, AERIE_TIMEOUT_POLL, &badge), 0);   /* slot 0: a sleep of no time */
}

KTEST(ipchot_bad_info_on_call_and_reply_recv,
      "CALL and REPLY_RECV refuse too many words or capabilities, flags and all-ones info words; "
      "capabilities without GRANT are ERIGHTS")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t bad[] = { AERIE_INFO(1, AERIE_MSG_WORDS + 1, 0), AERIE_INFO(1, 0, AERIE_MSG_CAPS + 1),
                       AERIE_INFO(1, 0, 0) | (1ull << 16), AERIE_INFO(1, 0, 0) | ((uint64_t)AERIE_INFO_KERNEL << 16),
                       ~0ull, ~0ull >> 1 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t badge;
        int64_t replied = 99;
        CHECK_EQ(ae_call(ep, bad[i], AERIE_TIMEOUT_POLL), AE_EINVAL);
        CHECK_EQ(ae_call(ep, bad[i], AERIE_TIMEOUT_FOREVER), AE_EINVAL);
        CHECK_EQ(ae_reply(bad[i]), AE_EINVAL);
        CHECK_EQ(ae_reply_recv_ex(ep, bad[i], AERIE_TIMEOUT_POLL, &badge, &replied), AE_ETIMEOUT);
        CHECK_EQ(replied, AE_EINVAL);
    }
    uint64_t wo = kt_mint(ep, AERIE_R_WRITE, 0);
    CHECK_EQ(ae_call(wo, AERIE_INFO(1, 0, 1), AERIE_TIMEOUT_POLL), AE_ERIGHTS);
    CHECK_EQ(ae_call(wo, AERIE_INFO(1, 0, AERIE_MSG_CAPS), AERIE_TIMEOUT_FOREVER), AE_ERIGHTS);
    uint64_t ro = kt_mint(ep, AERIE_R_READ, 0), badge;
    int64_t replied;
    CHECK_EQ(ae_call(ro, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ERIGHTS);
    CHECK_EQ(ae_reply_recv_ex(wo, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_POLL, &badge, &replied), AE_ERIGHTS);
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    CHECK_EQ(ae_reply_recv_ex(env->quota, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_POLL, &badge, &replied), AE_ETYPE);
    CHECK_EQ(ae_call(n, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ETYPE);
}

/* Serves `count` calls: checks each is 64 words of the caller's pattern,
 * answers with 64 words of its own through REPLY_RECV. srv_ret[0] counts
 * bad messages. */
static void full_server(void *arg)
{
    uint64_t ep = (uint64_t)arg, badge;
    struct aerie_utcb *u = ae_utcb();
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    for (int i = 0; r >= 0 && i < 4; i++) {
        uint64_t k = AERIE_INFO_NWORDS((uint64_t)r);
        if (k != AERIE_MSG_WORDS)
            srv_ret[0]++;
        for (unsigned w = 0; w < AERIE_MSG_WORDS; w++) {
            if (w < k && u->mr[w] != (0x1111111111111111ull ^ w ^ ((uint64_t)i << 40)))
                srv_ret[0]++;
            u->mr[w] = 0xa5a5a5a5a5a5a5a5ull ^ w ^ ((uint64_t)i << 32);
        }
        if (i == 3) {
            ae_reply(AERIE_INFO(9, AERIE_MSG_WORDS, 0));
            break;
        }
        r = ae_reply_recv(ep, AERIE_INFO(9, AERIE_MSG_WORDS, 0), AERIE_TIMEOUT_FOREVER, &badge);
    }
    __atomic_store_n(&done_flag, 1, __ATOMIC_RELEASE);
}

static void full_round_trips(struct kt_env *env, int cpu)
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct aerie_utcb *u = ae_utcb();
    struct ae_thread th = { 0 };
    ready = done_flag = 0;
    srv_ret[0] = 0;
    /* the first call may queue before the server receives (take_sender:
     * on one CPU the new thread runs only once we block), the rest find
     * it waiting (the send's hand-over) */
    CHECK_OK(kt_thread(env, &th, full_server, (void *)ep, cpu));   /* (its invocations use our words) */
    for (int i = 0; i < 4; i++) {
        for (unsigned w = 0; w < AERIE_MSG_WORDS; w++)
            u->mr[w] = 0x1111111111111111ull ^ w ^ ((uint64_t)i << 40);
        int64_t r = ae_call(ep, AERIE_INFO(1, AERIE_MSG_WORDS, 0), AERIE_TIMEOUT_FOREVER);
        CHECK(r >= 0);
        CHECK_EQ(AERIE_INFO_NWORDS((uint64_t)r), AERIE_MSG_WORDS);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), 9);
        for (unsigned w = 0; w < AERIE_MSG_WORDS; w++)
            CHECK_EQ(u->mr[w], 0xa5a5a5a5a5a5a5a5ull ^ w ^ ((uint64_t)i << 32));
    }
    CHECK(kt_wait(&done_flag, 1, 5000));
    CHECK_EQ(srv_ret[0], 0);
}

KTEST(ipchot_full_messages_same_cpu, "64-word calls and 64-word replies arrive whole on one CPU, both hand-overs")
{
    full_round_trips(env, 0);
}

KTEST_CPUS(ipchot_full_messages_cross_cpu, 2, "64-word calls and 64-word replies arrive whole across CPUs")
{
    full_round_trips(env, 1);
}

/* Takes one call, answers it with REPLY_RECV on a slot that is no
 * capability: the answer goes, the receive is ECAP. */
static void reply_then_bad_slot(void *arg)
{
    uint64_t ep = (uint64_t)arg, badge;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    ae_utcb()->mr[0] = 0xfeed;
    int64_t replied = 99;
    srv_ret[1] = ae_reply_recv_ex(~0ull, AERIE_INFO(5, 1, 0), AERIE_TIMEOUT_FOREVER, &badge, &replied);
    srv_ret[2] = replied;
    __atomic_store_n(&done_flag, 1, __ATOMIC_RELEASE);
}

KTEST(ipchot_reply_recv_reply_goes_receive_refused,
      "REPLY_RECV with a good answer and a bad receive slot delivers the answer and fails the receive")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = done_flag = 0;
    CHECK_OK(kt_thread(env, &th, reply_then_bad_slot, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    int64_t r = ae_call(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_FOREVER);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), 5);
    CHECK_EQ(ae_utcb()->mr[0], 0xfeed);
    CHECK(kt_wait(&done_flag, 1, 5000));
    CHECK_EQ(srv_ret[1], AE_ECAP);
    CHECK_EQ(srv_ret[2], 0);
}

static void recv_report(void *arg)
{
    uint64_t badge;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    srv_ret[3] = ae_recv((uint64_t)arg, AERIE_TIMEOUT_FOREVER, &badge);
    __atomic_store_n(&done_flag, 1, __ATOMIC_RELEASE);
}

KTEST_CPUS(ipchot_receiver_endpoint_deleted_other_cpu, 2,
           "a receiver blocked on one CPU gets EDEAD when its endpoint is deleted from another")
{
    for (int round = 0; round < 20; round++) {
        uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
        struct ae_thread th = { 0 };
        ready = done_flag = 0;
        srv_ret[3] = 99;
        CHECK_OK(kt_thread(env, &th, recv_report, (void *)ep, 1));
        CHECK(kt_wait(&ready, 1, 1000));
        if (round & 1)
            CHECK(kt_wait_blocked(th.thread_slot));   /* odd rounds: surely in the receive */
        CHECK_OK(ae_cap_delete(ep));
        CHECK(kt_wait(&done_flag, 1, 5000));
        CHECK(srv_ret[3] == AE_EDEAD || srv_ret[3] == AE_ECAP);   /* (even rounds may not have looked yet) */
    }
}

static void call_forever(void *arg)
{
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    ae_utcb()->mr[0] = 0xbad;
    ae_call((uint64_t)arg, AERIE_INFO(3, 1, 0), AERIE_TIMEOUT_FOREVER);
    __atomic_store_n(&done_flag, 1, __ATOMIC_RELEASE);      /* never: destroyed first */
}

KTEST(ipchot_caller_destroyed_while_queued,
      "a caller destroyed while queued on an endpoint is never received")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), badge;
    struct ae_thread th = { 0 };
    ready = done_flag = 0;
    CHECK_OK(kt_thread(env, &th, call_forever, (void *)ep, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    CHECK(kt_wait_blocked(th.thread_slot));
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
    CHECK_EQ(ae_recv(ep, AERIE_TIMEOUT_POLL, &badge), AE_ETIMEOUT);
    CHECK_EQ(ae_recv(ep, 2000000, &badge), AE_ETIMEOUT);
    CHECK_EQ(done_flag, 0);
}

KTEST_CPUS(ipchot_caller_destroyed_awaiting_reply, 2,
           "a caller destroyed (from another CPU) while it waits for its reply: REPLY and REPLY_RECV find nobody owed")
{
    for (int round = 0; round < 10; round++) {
        uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), badge;
        struct ae_thread th = { 0 };
        ready = done_flag = 0;
        CHECK_OK(kt_thread(env, &th, call_forever, (void *)ep, 1));
        int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
        CHECK(r >= 0);
        CHECK_EQ(ae_utcb()->mr[0], 0xbad);
        CHECK(kt_wait_blocked(th.thread_slot));
        CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
        /* the destroy took the caller off the server (reply_to): nobody
         * is owed (EINVAL); had it only ended, EDEAD */
        int64_t replied = 99;
        if (round & 1) {
            r = ae_reply(AERIE_INFO(0, 0, 0));
            CHECK(r == AE_EINVAL || r == AE_EDEAD);
        } else {
            CHECK_EQ(ae_reply_recv_ex(ep, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_POLL, &badge, &replied), AE_ETIMEOUT);
            CHECK(replied == AE_EINVAL || replied == AE_EDEAD);
        }
        CHECK_EQ(ae_reply(AERIE_INFO(0, 0, 0)), AE_EINVAL);   /* nothing owed any more */
        CHECK_EQ(done_flag, 0);
        ae_cap_delete(ep);
    }
}
