/*
 * t_observe.c — what `aerie top`, `trace` and `debug` rest on: a quota's
 * count of its threads' CPU time and calls, Quota TRACE (events into a
 * ring, drops counted, only from the parent), Task READ/WRITE (through
 * the task's own mappings, writes only where it maps writable).
 */
#include "kt.h"
#include <string.h>
#include <aerie/trace.h>
#include <aerie/kip.h>

#define VA_RW 0x59000000ull
#define VA_RO 0x59100000ull

static int64_t task_write(uint64_t task, uint64_t va, const void *bytes, uint64_t n)
{
    uint64_t a[2 + AERIE_MEM_WRITE_MAX / 8] = { va, n };
    memcpy(&a[2], bytes, n);
    return ae_invoke(task, AERIE_TASK_WRITE, 2 + (unsigned)((n + 7) / 8), a, 0, 0);
}

static int64_t task_read(uint64_t task, uint64_t va, void *bytes, uint64_t n)
{
    uint64_t a[2] = { va, n }, out[AERIE_MEM_RW_MAX / 8];
    int64_t r = ae_invoke(task, AERIE_TASK_READ, 2, a, out, (unsigned)((n + 7) / 8));
    if (r >= 0)
        memcpy(bytes, out, n);
    return r;
}

KTEST(task_read_write_through_mappings, "Task READ/WRITE reach its memory across pages; read-only, unmapped, kernel: refused")
{
    uint64_t rw = kt_new(env, AERIE_OBJ_MEMORY, 2 * 4096, 0, 0), ro = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    CHECK_OK(ae_task_map(ae_self.task, rw, 0, VA_RW, 2 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(ae_task_map(ae_self.task, ro, 0, VA_RO, 4096, AERIE_MAP_R));
    char in[AERIE_MEM_WRITE_MAX], out[AERIE_MEM_RW_MAX];
    for (unsigned i = 0; i < sizeof in; i++)
        in[i] = (char)(i * 7 + 3);
    CHECK_OK(task_write(ae_self.task, VA_RW + 4096 - 50, in, sizeof in));
    CHECK(!memcmp((const char *)VA_RW + 4096 - 50, in, sizeof in));
    memset(out, 0, sizeof out);
    CHECK_OK(task_read(ae_self.task, VA_RW + 4096 - 50, out, sizeof in));
    CHECK(!memcmp(in, out, sizeof in));
    CHECK_EQ(task_write(ae_self.task, VA_RO, in, 8), AE_ERIGHTS);          /* mapped read-only */
    CHECK_EQ(*(volatile const char *)VA_RO, 0);
    CHECK_EQ(task_write(ae_self.task, VA_RW + 2 * 4096 - 4, in, 8), AE_EFAULT);   /* runs past it */
    CHECK_EQ(*(volatile const char *)(VA_RW + 2 * 4096 - 4), 0);           /* all or nothing */
    CHECK_EQ(task_read(ae_self.task, VA_RO + 4096, out, 8), AE_EFAULT);    /* nothing mapped there */
    CHECK_EQ(task_read(ae_self.task, 0xFFFF800000000000ull, out, 8), AE_EFAULT);
    CHECK_EQ(task_read(ae_self.task, AERIE_USER_MAX - 8, out, 16), AE_EFAULT);
    CHECK_EQ(task_read(ae_self.task, VA_RW, out, AERIE_MEM_RW_MAX + 8), AE_EINVAL);
    uint64_t info = kt_mint(ae_self.task, AERIE_R_READ, 0);
    CHECK_EQ(task_read(info, VA_RW, out, 8), AE_ERIGHTS);                  /* MANAGE needed */
}

static volatile int client_done;

struct client_args {
    uint64_t ep;
    int calls;
};

static void client(void *arg)
{
    struct client_args *a = arg;
    for (int i = 0; i < a->calls; i++) {
        ae_utcb()->mr[0] = (uint64_t)i;
        ae_call(a->ep, AERIE_INFO(7, 1, 0), AERIE_TIMEOUT_FOREVER);
    }
    __atomic_store_n(&client_done, 1, __ATOMIC_RELEASE);
    for (;;)
        ae_sleep_ns(1000000000ull);
}

static void server(void *arg)
{
    uint64_t ep = (uint64_t)arg, badge;
    int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    while (r >= 0)
        r = ae_reply_recv(ep, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_FOREVER, &badge);
}

KTEST(quota_trace_records_calls_and_counts_drops, "a traced child quota's calls fill the ring; the rest are counted; only its parent traces it")
{
    uint64_t cq, mem = kt_new(env, AERIE_OBJ_MEMORY, 2 * 4096, 0, 0), ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_QUOTA, &cq, 1u << 20, 4, 64));
    uint64_t kinds = 1ull << AERIE_TRACE_CALL | 1ull << AERIE_TRACE_START;
    CHECK_EQ(ae_invokev(cq, AERIE_QUOTA_TRACE, cq, mem, kinds), AE_EINVAL);          /* not its own parent */
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_TRACE, cq, mem, 1), AE_EINVAL);       /* kind 0 does not exist */
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_TRACE, cq, mem, 1ull << AERIE_TRACE_KINDS), AE_EINVAL);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_TRACE, cq, kt_mint(mem, AERIE_R_READ, 0), kinds), AE_ERIGHTS);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_TRACE, cq, kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0), kinds),
             AE_EINVAL);                                                            /* one page: too small */
    CHECK_OK(ae_invokev(env->quota, AERIE_QUOTA_TRACE, cq, mem, kinds));
    struct ae_thread s = { 0 }, c = { .quota = cq };
    CHECK_OK(kt_thread(env, &s, server, (void *)ep, -1));
    static struct client_args a;
    a = (struct client_args){ ep, 200 };
    client_done = 0;
    CHECK_OK(ae_thread_start(&c, client, &a, -1, 16384));
    CHECK(kt_wait(&client_done, 1, 20000));
    uint64_t h[8], rec[8];
    CHECK_OK(ae_invoke(mem, AERIE_MEM_READ, 2, AE_ARGS(0, 64), h, 8));
    struct aerie_trace_hdr *hd = (struct aerie_trace_hdr *)h;
    CHECK_EQ(hd->magic, AERIE_TRACE_MAGIC);
    CHECK_EQ(hd->nrec, (2 * 4096 - 64) / 64);
    CHECK_EQ(hd->head, hd->nrec);                             /* full: nobody took any */
    CHECK_EQ(hd->dropped, 201 - hd->nrec);                    /* a start and 200 calls */
    CHECK_OK(ae_invoke(mem, AERIE_MEM_READ, 2, AE_ARGS(64, 64), rec, 8));
    struct aerie_trace_rec *r = (struct aerie_trace_rec *)rec;
    CHECK_EQ(r->kind, AERIE_TRACE_START);
    CHECK_OK(ae_invoke(mem, AERIE_MEM_READ, 2, AE_ARGS(128, 64), rec, 8));
    CHECK_EQ(r->kind, AERIE_TRACE_CALL);
    CHECK_EQ(r->b, 7);                                        /* the label */
    CHECK((int64_t)r->c >= 0);                                /* the reply's info word */
    CHECK(r->ts_ns > 0);
    /* The reader takes some: room again, and the next events land there. */
    uint64_t q[8];
    CHECK_OK(ae_invoke(cq, AERIE_QUOTA_INFO, 0, 0, q, 8));
    CHECK_EQ(q[7], 200);                                      /* its endpoint calls */
    CHECK(q[6] > 0);                                          /* its CPU time */
    CHECK_OK(ae_invokev(env->quota, AERIE_QUOTA_TRACE, cq, 0, 0));   /* off */
    ae_thread_destroy(&c);
    ae_thread_destroy(&s);
}
