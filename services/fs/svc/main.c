/*
 * main.c — the fs service program (docs/FS.md, "The service"). It gets
 * from root its endpoint ("fs.server"), the boot image ("image": container
 * images are subtrees of it) and optionally "console"; arguments set the
 * limits of boot services' own sessions and of the own pool that pays for
 * every session opened without a quota, and for volumes (acct.c):
 *
 *     client-bytes=SIZE  client-inodes=N  client-handles=N  own-bytes=SIZE
 *
 * It starts one worker per CPU, each pinned to its CPU and receiving on the
 * same endpoint (the kernel gives each message to one waiting receiver),
 * and then the first thread becomes the workers' fault handler: a fault in
 * a client's vanished buffer is repaired (shbuf.c); any other fault or exit
 * is passed on to root, which reports it and restarts the service.
 */
#define SVC_VOLATILE_HEAP                 /* worker records are this instance's alone */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <aerie/kip.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

static struct fs_service *S;         /* in the heap that outlives us (persist.h) */

static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v = strtoull(s, &end, 10);
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (end == s || (shift && end[1]) || (!shift && *end) || v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

static bool parse_args(int argc, char **argv)
{
    S->client_limits = (struct fs_limits){ .data_bytes = 16u << 20, .inodes = 4096, .handles = 256 };
    S->own_bytes = 8u << 20;
    for (int i = 1; i < argc; i++) {
        uint64_t v;
        const char *eq = strchr(argv[i], '=');
        bool ok = eq && parse_size(eq + 1, &v);
        if (ok && !strncmp(argv[i], "client-bytes=", 13))
            S->client_limits.data_bytes = v;
        else if (ok && !strncmp(argv[i], "client-inodes=", 14) && v <= UINT32_MAX)
            S->client_limits.inodes = (uint32_t)v;
        else if (ok && !strncmp(argv[i], "client-handles=", 15) && v <= FS_HANDLES_MAX)
            S->client_limits.handles = (uint32_t)v;
        else if (ok && !strncmp(argv[i], "own-bytes=", 10))
            S->own_bytes = v;
        else {
            fprintf(stderr, "fs: bad argument '%s' (client-bytes=SIZE client-inodes=N client-handles=N "
                    "own-bytes=SIZE)\n", argv[i]);
            return false;
        }
    }
    return true;
}

/* Maps the boot image read-only; without it only empty roots are served. */
static void map_boot_image(uint64_t cap)
{
    uint64_t info[2];
    if (!cap || ae_invoke(cap, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return;
    /* where every later instance maps it too: the image index points into it */
    uint64_t va = S->image_base ? (uint64_t)S->image_base : p_vm_reserve(info[0]);
    if (ae_task_map(ae_self.task, cap, 0, va, info[0], AERIE_MAP_R) < 0) {
        fprintf(stderr, "fs: cannot map the boot image; serving empty roots only\n");
        return;
    }
    S->image_base = (const uint8_t *)va;
    S->image_bytes = info[0];
}

static void *worker_main(void *arg)
{
    struct ae_server srv = {
        .ep = S->ep, .ops = svc_ops, .nops = FS_SERVICE_OP_END, .ctx = arg, .recv_caps = 1,
    };
    ae_serve(&srv);
    return NULL;
}

/* One worker per CPU. A new thread starts on its creator's CPU, so this
 * thread moves to each CPU in turn to create that CPU's worker; workers
 * report faults to fault_ep. Returns how many started. */
static unsigned start_workers(uint64_t fault_ep)
{
    const struct aerie_kip *kip = (const struct aerie_kip *)AERIE_KIP_ADDR;
    uint64_t root_fault = ae_self.fault;
    ae_self.fault = fault_ep;                     /* the handler of threads started from now */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    unsigned n = 0;
    for (unsigned cpu = 0; cpu < kip->ncpus; cpu++) {
        struct svc_worker *wk = calloc(1, sizeof *wk);
        pthread_t t;
        if (!wk)
            break;
        wk->svc = S;
        ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, cpu);
        if (pthread_create(&t, &attr, worker_main, wk)) {
            free(wk);
            break;
        }
        n++;
    }
    ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0);
    ae_self.fault = root_fault;
    return n;
}

/* A worker's page fault in a client's vanished memory: its buffer, or a
 * page of its session's quota (or one whose copy-on-write copy found no
 * memory: error, the fault's error code, says so). */
static bool page_fault(uint64_t addr, uint64_t error)
{
    if (shbuf_fault(S, addr))
        return true;
    if (!acct_fault(addr, error))
        return false;
    __atomic_fetch_add(&S->quota_faults, 1, __ATOMIC_RELAXED);
    return true;
}

/* The workers' fault handler, forever. A recovered fault resumes the
 * worker (reply word 0 = 0: no register changes); anything else goes to
 * root as if the worker had faulted there. */
static _Noreturn void serve_faults(uint64_t fault_ep)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge;
    int64_t r = ae_recv(fault_ep, AERIE_TIMEOUT_FOREVER, &badge);
    for (;;) {
        if (r < 0) {
            r = ae_recv(fault_ep, AERIE_TIMEOUT_FOREVER, &badge);
            continue;
        }
        uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
        unsigned n = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
        if (label == AERIE_FAULT_PAGE && n >= 2 && page_fault(u->mr[0], u->mr[1])) {
            u->mr[0] = 0;
            r = ae_reply_recv(fault_ep, AERIE_INFO(AERIE_FAULT_RESUME, 1, 0),
                              AERIE_TIMEOUT_FOREVER, &badge);
            continue;
        }
        if (ae_self.fault)                        /* root stops us; the call does not return */
            ae_call(ae_self.fault, AERIE_INFO(label, n, 0), AERIE_TIMEOUT_FOREVER);
        fprintf(stderr, "fs: a worker faulted (label 0x%lx) and nobody handles it\n", label);
        r = ae_recv(fault_ep, AERIE_TIMEOUT_FOREVER, &badge);
    }
}

int main(int argc, char **argv)
{
    void **app;
    int rec = p_init(&app);
    if (rec < 0) {
        fprintf(stderr, "fs: cannot map its persistent heap\n");
        return 1;
    }
    bool recovering = rec == 1 && *app;
    S = recovering ? *app : p_calloc(1, sizeof *S);
    if (!S) {
        fprintf(stderr, "fs: out of memory at start\n");
        return 1;
    }
    *app = S;
    S->ep = ae_capenv_lookup("fs.server");
    if (!S->ep || !ae_self.task || !ae_self.quota || !ae_self.thread) {
        fprintf(stderr, "fs: needs serve=fs and its own task, thread and quota\n");
        return 1;
    }
    unsigned nsessions = 0, bad = 0;
    int kept = 0;
    if (!recovering) {
        if (!parse_args(argc, argv))
            return 1;
        env_init(&S->env);
        if (acct_init(&S->acct_state) || table_init(S)) {
            fprintf(stderr, "fs: out of memory at start\n");
            return 1;
        }
        acct_pool_limit(S->own_bytes);
        if (acct_new(&S->env, 0, 0, NULL, &S->own)) {
            fprintf(stderr, "fs: out of memory at start\n");
            return 1;
        }
        S->env = S->own->env;                     /* images and volumes: the own pool */
    } else {
        /* The previous instance died (docs/RESTART.md): take its state over. */
        acct_init(&S->acct_state);
        table_forget_slots(S);
        kept = p_recover();
        nsessions = table_recover(S, &bad);
        S->restarts++;
    }
    map_boot_image(ae_capenv_lookup("image"));
    uint64_t fault_ep = ae_slot_alloc();
    if (shbuf_init(S) || !fault_ep ||
        ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, fault_ep, 0, 0, 0) < 0) {
        fprintf(stderr, "fs: out of memory at start\n");
        return 1;
    }
    unsigned n = start_workers(fault_ep);
    if (n == 0) {
        fprintf(stderr, "fs: cannot start a worker thread\n");
        return 1;
    }
    if (recovering)
        printf("fs: restarted (%lu): %u sessions and %d capabilities taken over%s%s\n", S->restarts, nsessions,
               kept < 0 ? -1 - kept : kept, kept < 0 ? ", some mappings failed" : "",
               bad ? ", some sessions failed their check" : "");
    else
        printf("fs: serving on %u CPU%s; boot image %lu KiB; own pool %lu KiB\n", n, n == 1 ? "" : "s",
               S->image_bytes >> 10, S->own_bytes >> 10);
    serve_faults(fault_ep);
}
