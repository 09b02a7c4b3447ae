/*
 * restart.c — services restarting under running containers
 * (docs/RESTART.md): the operator's fault injection, passed on to root,
 * and what cm re-attaches when root says a service started again.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/console.h>
#include <aerie/proto/root.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include "cm.h"

static int name_arg(const struct ae_request *rq, char *buf, size_t cap, size_t *len)
{
    uint64_t n = rq->w[0];
    if (n == 0 || n >= cap || n > (uint64_t)(rq->nwords - 1) * 8)
        return AE_EPROTO;
    memcpy(buf, &rq->w[1], n);
    buf[n] = 0;
    *len = n;
    return 0;
}

/* The admin capability cm holds to the service called name, if any. */
static uint64_t admin_of(const char *name)
{
    if (!strcmp(name, "console"))
        return cm.console_admin;
    if (!strcmp(name, "fs"))
        return cm.fs_admin;
    if (!strcmp(name, "net"))
        return cm.net_admin;
    return 0;
}

int cm_debug_kill_service(struct ae_request *rq)
{
    char name[ROOT_NAME_MAX + 1];
    size_t len;
    int r = name_arg(rq, name, sizeof name, &len);
    if (r)
        return r;
    if (!cm.root_admin)
        return AE_ENOSYS;                    /* root did not grant us fault injection */
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = len;
    memcpy(&u->mr[1], name, len);
    uint64_t t0 = cm_now_ns();
    int64_t rr = ae_call(cm.root_admin, AERIE_INFO(ROOT_DEBUG_KILL_SERVICE, 1 + (len + 7) / 8, 0),
                         AERIE_TIMEOUT_FOREVER);
    if (rr < 0)
        return (int)rr;
    if (AERIE_INFO_LABEL((uint64_t)rr))
        return proto_status_of(AERIE_INFO_LABEL((uint64_t)rr));
    uint64_t started = u->mr[0], kills = u->mr[1], answered = 0;
    /* The service's endpoint is root's and outlives it: a call made now
     * waits until the new instance receives. An opcode no service has is
     * answered ENOSYS by its server loop, after its start-up is done. */
    uint64_t admin = admin_of(name);
    if (admin) {
        int64_t pr = ae_call(admin, AERIE_INFO(0x7fff, 0, 0), 5000000000ull);
        if (pr >= 0)
            answered = cm_now_ns() - t0;
    }
    rq->reply[0] = 0;
    rq->reply[1] = started;
    rq->reply[2] = answered;
    rq->reply[3] = kills;
    rq->nreply = 4;
    return 0;
}

/* The console lost its streams: give it back each container's, with the
 * same badge (the container's capability still carries it) and the same
 * log Memory, whose position the console reads from the log itself; a
 * stream that had input gets an ended input ring. */
static void reattach_console(void)
{
    if (!cm.console_admin)
        return;
    unsigned n = 0, failed = 0;
    int state;
    for (uint64_t id = container_next_id(1, &state); id; id = container_next_id(id + 1, &state)) {
        struct container *c = container_find(id);
        if (!c)
            continue;
        if (c->console_badge && c->log_mem) {
            struct aerie_utcb *u = ae_utcb();
            char name[CON_NAME_MAX + 1];
            size_t len = strlen(cm_stream_name(c, name, sizeof name));
            u->mr[0] = c->console_badge;
            u->mr[1] = len;
            memcpy(&u->mr[2], name, len);
            u->caps[0] = (uint32_t)c->log_mem;
            int64_t r = ae_call(cm.console_admin, AERIE_INFO(CON_REOPEN, 2 + (len + 7) / 8, 1),
                                AERIE_TIMEOUT_FOREVER);
            if (r < 0 || AERIE_INFO_LABEL((uint64_t)r))
                failed++;
            else {
                n++;
                cm_reattach_input(c);         /* its input ring was lost: it ends (input.c) */
            }
        }
        container_put(c);
    }
    printf("cm: the console restarted: %u container streams re-attached%s\n", n, failed ? " (some failed)" : "");
}

int cm_service_restarted(struct ae_request *rq)
{
    char name[ROOT_NAME_MAX + 1];
    size_t len;
    int r = name_arg(rq, name, sizeof name, &len);
    if (r)
        return r;
    if (!strcmp(name, "console"))
        reattach_console();
    return 0;
}
