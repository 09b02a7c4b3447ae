/*
 * held.c — the hostile container's attacks through what it WAS given:
 * its fault capability, its console stream, its fs session, its net
 * client and its own task, thread and quota. A grant must give exactly
 * what its name says: every admin operation, every label no client may
 * use, other clients' ids, bogus and huge arguments, and escapes from
 * its file-system root must fail. Each success is a surprise.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <aerie/kip.h>
#include <aerie/objects.h>
#include <aerie/syscall.h>
#include <aerie/proto/cm.h>
#include <aerie/proto/console.h>
#include <aerie/proto/fs.h>
#include <aerie/proto/net.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "hostile.h"

/* A call whose reply says the service refused it (or the kernel did). */
static bool refused(int64_t r)
{
    return r < 0 || AERIE_INFO_LABEL((uint64_t)r) != 0;
}

/* Calls slot with label and words; a reply that is not a refusal is a
 * surprise. It waits for the service (a busy one must not pass for a
 * refusal); every refusal is answered at once. */
static void call_expect_refusal(uint64_t slot, uint64_t label, const uint64_t *w, unsigned n,
                                const char *what)
{
    struct aerie_utcb *u = ae_utcb();
    for (unsigned i = 0; i < n; i++)
        u->mr[i] = w[i];
    int64_t r = ae_call(slot, AERIE_INFO(label, n, 0), AERIE_TIMEOUT_FOREVER);
    if (!refused(r))
        surprise(slot, what, label, r);
}

/* Packs text into words from w[1] on, its length in w[0]; returns words used. */
static unsigned pack_text(uint64_t *w, const char *text)
{
    size_t len = strlen(text);
    w[0] = len;
    memset(&w[1], 0, (len + 7) / 8 * 8);
    memcpy(&w[1], text, len);
    return 1 + (unsigned)((len + 7) / 8);
}

/* ---- the fault capability: nothing but the kernel's own messages ---- */

static void attack_fault_cap(uint64_t slot)
{
    uint64_t w[AERIE_MSG_WORDS] = { 0 };
    /* Every cm operation, as the operator would call it. */
    static const char *specs[] = {
        "image=hello", "image=hostile grant=net ports=1-65535 mem=1G", "image=hello grant=fs",
    };
    for (unsigned i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        unsigned n = pack_text(w, specs[i]);
        call_expect_refusal(slot, CM_CREATE, w, n, "cm create through the fault capability");
        call_expect_refusal(slot, CM_RUN, w, n, "cm run through the fault capability");
    }
    memset(w, 0, sizeof w);
    for (uint64_t id = 0; id < 8; id++) {
        w[0] = id;
        for (uint64_t label = 0; label < CM_OP_COUNT + 8; label++) {
            if (label == CM_WAIT)
                continue;                 /* refused below, with an id that cannot block */
            call_expect_refusal(slot, label, w, 8, "cm operation through the fault capability");
        }
    }
    /* Debugging and tracing any container (its neighbours' ids included):
     * attach, read memory, start a trace, read one. */
    for (uint64_t id = 1; id < 64; id++) {
        uint64_t d[4][4] = { { id, CM_DBG_ATTACH }, { id, CM_DBG_READ, 0x200000, 64 },
                             { id, CM_DBG_WRITE, 0x200000, 1 }, { id, CM_DBG_REGS } };
        for (unsigned i = 0; i < 4; i++)
            call_expect_refusal(slot, CM_DEBUG, d[i], 4, "cm debug of a container through the fault capability");
        uint64_t t[3][4] = { { id, CM_TRACE_START, 8192, ~0ull }, { id, CM_TRACE_READ }, { id, CM_TRACE_STOP } };
        for (unsigned i = 0; i < 3; i++)
            call_expect_refusal(slot, CM_TRACE, t[i], 4, "cm trace of a container through the fault capability");
    }
    /* Forking itself or a neighbour, any count, is the operator's alone
     * (docs/FORK.md): a clone runs with the original's authority. */
    for (uint64_t id = 0; id < 64; id++) {
        uint64_t f[2] = { id, id % 3 == 0 ? ~0ull : id % 3 == 1 ? 1 : CM_FORK_MAX };
        call_expect_refusal(slot, CM_FORK, f, 2, "cm fork through the fault capability");
    }
    /* Running a program in itself or a neighbour (`aerie exec`), a
     * well-formed request on every id, its input and its status: the
     * operator's alone (docs/LINUX.md, "Programs run from outside"). */
    for (uint64_t id = 0; id < 64; id++) {
        static const char text[] = "/bin/sh\0-c\0echo escaped > /tmp/x\0";
        uint64_t x[AERIE_MSG_WORDS] = { id, 3, sizeof text };
        memcpy(&x[3], text, sizeof text);
        call_expect_refusal(slot, CM_EXEC, x, 3 + (unsigned)((sizeof text + 7) / 8), "cm exec through the fault capability");
        uint64_t st[2] = { id, 1 }, inp[5] = { id, 1, 0, 4, 0x0a6f6c6c };
        call_expect_refusal(slot, CM_EXEC_STATUS, st, 2, "cm exec status through the fault capability");
        call_expect_refusal(slot, CM_EXEC_INPUT, inp, 5, "cm exec input through the fault capability");
    }
    /* Fault injection is the operator's alone (docs/RESTART.md). */
    static const char *services[] = { "console", "fs", "net", "cm" };
    for (unsigned i = 0; i < sizeof services / sizeof services[0]; i++) {
        unsigned n = pack_text(w, services[i]);
        call_expect_refusal(slot, CM_DEBUG_KILL_SERVICE, w, n, "debug-kill-service through the fault capability");
        call_expect_refusal(slot, CM_SERVICE_RESTARTED, w, n, "service-restarted through the fault capability");
    }
    memset(w, 0, sizeof w);
    w[0] = ~0ull;
    call_expect_refusal(slot, CM_WAIT, w, 1, "cm wait through the fault capability");
    /* Forged fault messages: a thread cannot speak for the kernel. An
     * exit with status 77 that cm believed would end us with that status. */
    w[0] = 77;
    for (uint64_t label = AERIE_FAULT_PAGE; label <= AERIE_FAULT_EXIT + 4; label++)
        call_expect_refusal(slot, label, w, 9, "forged fault message");
    ae_send(slot, AERIE_INFO(AERIE_FAULT_EXIT, 1, 0), AERIE_TIMEOUT_FOREVER);   /* cm must ignore it */
    /* It has no GRANT right: no capability rides on it. */
    ae_utcb()->caps[0] = (uint32_t)slot;
    expect_fail(ae_call(slot, AERIE_INFO(CM_LIST, 1, 1), AERIE_TIMEOUT_FOREVER), slot,
                "capability sent on the fault cap");
}

/* ---- the console stream: write, nothing else ---- */

static void attack_console(uint64_t slot)
{
    uint64_t w[AERIE_MSG_WORDS] = { 0 };
    static const uint64_t badges[] = { 1, 2, 3, CON_OPENED_BADGE | 1, CON_OPENED_BADGE | 2,
                                       PROTO_ADMIN_BADGE, 0 };
    for (unsigned i = 0; i < sizeof badges / sizeof badges[0]; i++) {
        w[0] = badges[i];
        w[1] = 0;
        call_expect_refusal(slot, CON_READ, w, 2, "console read of a stream");
        call_expect_refusal(slot, CON_FORGET, w, 1, "console forget of a stream");
        w[1] = 4;
        memcpy(&w[2], "evil", 4);
        call_expect_refusal(slot, CON_NAME, w, 3, "console rename of a stream");
    }
    unsigned n = pack_text(w, "evil");
    call_expect_refusal(slot, CON_OPEN, w, n, "console open of a new stream");
    /* Re-attaching a stream (after a console restart) is cm's: a client
     * cannot take over another's badge, with or without a Memory. */
    for (unsigned i = 3; i < 5; i++) {
        w[0] = badges[i];
        w[1] = 4;
        memcpy(&w[2], "evil", 4);
        call_expect_refusal(slot, CON_REOPEN, w, 3, "console re-attach of a stream");
    }
    w[0] = 4096;                          /* longer than the words that came */
    call_expect_refusal(slot, CON_WRITE, w, 2, "console write longer than its message");
    w[0] = ~0ull;
    call_expect_refusal(slot, CON_WRITE, w, 1, "console write of 2^64-1 bytes");
    /* Input (grant=stdin): pushing, attaching and dropping rings are cm's,
     * for its own stream and guessed ones alike. */
    for (unsigned i = 0; i < sizeof badges / sizeof badges[0]; i++) {
        w[0] = badges[i];
        w[1] = CON_IN_DROP;
        w[2] = 8;
        call_expect_refusal(slot, CON_IN_PUSH, w, 4, "console input push or drop");
        call_expect_refusal(slot, CON_IN_ATTACH, w, 1, "console input attach");
    }
    /* Its own input, which it was not given: the end at once, nothing else. */
    w[0] = ~0ull;
    int64_t r = ae_call(slot, AERIE_INFO(CON_IN_READ, 1, 0), AERIE_TIMEOUT_FOREVER);
    uint64_t *mr = ae_utcb()->mr;
    if (r < 0 || AERIE_INFO_LABEL((uint64_t)r) || mr[0] != 0 || mr[1] != 1)
        surprise(slot, "console input read without input (expected the end)", CON_IN_READ, r);
    for (uint64_t label = CON_OPEN + 1; label < 64; label++)
        if (label != CON_IN_READ)            /* a client's operation: above */
            call_expect_refusal(slot, label, w, 4, "unknown console label");
}

/* ---- the fs session: its own files, and none of the admin's ---- */

static void attack_fs_admin(uint64_t slot)
{
    uint64_t w[AERIE_MSG_WORDS] = { 0 };
    for (uint64_t label = FS_ADMIN_OPEN_SESSION; label < FS_SERVICE_OP_END; label++) {
        for (uint64_t id = 0; id < 4; id++) {
            w[0] = id;
            w[1] = 1;
            w[2] = 1;
            call_expect_refusal(slot, label, w, FS_ADMIN_OPEN_WORDS + 2, "fs admin operation");
        }
    }
    /* RUN_QUEUED (a fork's flush of a stopped container's queue) and
     * FORK_SESSION (a fork's copy of the files) on ids far and near: no
     * session's queue runs and no files are copied for a client. */
    static const uint64_t ids[] = { 1, 2, 64, 1ull << 32, ~0ull };
    for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        w[0] = ids[i];
        call_expect_refusal(slot, FS_ADMIN_RUN_QUEUED, w, 1, "fs admin RUN_QUEUED");
        w[1] = ids[(i + 1) % (sizeof ids / sizeof ids[0])];
        call_expect_refusal(slot, FS_ADMIN_FORK_SESSION, w, 2, "fs admin FORK_SESSION");
        /* a neighbour's (or its own) metadata deposit and usage: admin only */
        call_expect_refusal(slot, FS_ADMIN_SESSION_STATS, w, 1, "fs admin SESSION_STATS");
    }
    for (uint64_t label = FS_SERVICE_OP_END; label < FS_SERVICE_OP_END + 16; label++)
        call_expect_refusal(slot, label, w, 4, "unknown fs label");
}

/* OPEN of path (placed at the start of the shared buffer) must fail. */
static void open_must_fail(uint64_t slot, char *buf, const char *path, const char *what)
{
    size_t len = strlen(path);
    memcpy(buf, path, len);
    uint64_t w[4] = { 0, len, FS_O_RDONLY, 0 };
    call_expect_refusal(slot, FS_OP_OPEN, w, 4, what);
}

/* A buffer with a control block (struct fs_shctl) full of nonsense: a
 * huge count of queued operations, unknown ones, closes and seeks of
 * handles it does not hold, positions past any file. The service skips
 * what makes no sense, on this session alone; requests still get their
 * own answers, and none may name the block. */
static void attack_fs_control_block(uint64_t slot)
{
    const uint64_t bytes = 64 << 10;
    uint64_t mem, w[4];
    uint8_t *buf = ae_mem_map_new(bytes, &mem);
    if (!buf)
        return;
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = 0x80;                             /* no such flag */
    u->caps[0] = (uint32_t)mem;
    int64_t r = ae_call(slot, AERIE_INFO(FS_OP_ATTACH, 1, 1), AERIE_TIMEOUT_FOREVER);
    if (!refused(r))
        surprise(slot, "fs attach with an unknown flag", FS_OP_ATTACH, r);
    u->mr[0] = FS_ATTACH_F_CTL;
    u->caps[0] = (uint32_t)mem;
    r = ae_call(slot, AERIE_INFO(FS_OP_ATTACH, 1, 1), AERIE_TIMEOUT_FOREVER);
    uint64_t data = u->mr[0];
    if (refused(r) || data + FS_SHCTL_BYTES > bytes) {
        surprise(slot, "its own fs session refused a buffer with a control block", FS_OP_ATTACH, r);
        ae_mem_unmap_delete(buf, bytes, mem);
        return;
    }
    struct fs_shctl *c = (struct fs_shctl *)(buf + data);
    for (unsigned i = 0; i < FS_SHCTL_OPS_MAX; i++) {
        c->ops[i][0] = i % 4;                    /* 0: no such operation; 3: a write */
        c->ops[i][1] = i < 4 ? i : ~0ull >> i;  /* handles it never opened */
        c->ops[i][2] = ~0ull - i;                /* positions past any file */
    }
    c->nops = ~0ull;
    w[0] = 1; w[1] = 0; w[2] = 0; w[3] = 16;
    call_expect_refusal(slot, FS_OP_READ, w, 4, "fs read of a handle it never opened, block full of nonsense");
    w[0] = data - 4; w[1] = 16;
    call_expect_refusal(slot, FS_OP_STAT, w, 2, "fs path over the control block");
    c->nops = FS_SHCTL_OPS_MAX;
    w[0] = 0; w[1] = 0;
    call_expect_refusal(slot, FS_OP_READ, w, 4, "fs read after queueing closes of handles it never opened");
    ae_mem_unmap_delete(buf, bytes, mem);
}

static void attack_fs_session(uint64_t slot)
{
    uint64_t mem;
    char *buf = ae_mem_map_new(FS_SHBUF_MIN, &mem);
    if (!buf)
        return;
    struct aerie_utcb *u = ae_utcb();
    u->caps[0] = (uint32_t)mem;
    int64_t r = ae_call(slot, AERIE_INFO(FS_OP_ATTACH, 0, 1), AERIE_TIMEOUT_FOREVER);
    if (refused(r)) {
        surprise(slot, "its own fs session refused a buffer (the grant does not work)", FS_OP_ATTACH, r);
        return;
    }
    /* Out of its root: the image's program, other images, the boot image. */
    open_must_fail(slot, buf, "../prog", "fs open above the session root");
    open_must_fail(slot, buf, "/../../hello/prog", "fs open of another image");
    open_must_fail(slot, buf, "../../../images/hello/prog", "fs open of the boot image");
    open_must_fail(slot, buf, "/..//../bin/fs", "fs open of a service program");
    /* Handles it does not hold, paths outside its buffer, huge lengths. */
    uint64_t w[8];
    static const uint64_t handles[] = { 0, 1, 255, 256, 65535, ~0ull };
    for (unsigned i = 0; i < sizeof handles / sizeof handles[0]; i++) {
        uint64_t h = handles[i];
        w[0] = h; w[1] = 0; w[2] = 0; w[3] = 4096;
        call_expect_refusal(slot, FS_OP_READ, w, 4, "fs read of a handle it never opened");
        call_expect_refusal(slot, FS_OP_WRITE, w, 4, "fs write of a handle it never opened");
        call_expect_refusal(slot, FS_OP_CLOSE, w, 1, "fs close of a handle it never opened");
    }
    w[0] = FS_SHBUF_MIN - 2; w[1] = 64; w[2] = FS_O_RDONLY; w[3] = 0;
    call_expect_refusal(slot, FS_OP_OPEN, w, 4, "fs path running past the shared buffer");
    w[0] = 0; w[1] = ~0ull;
    call_expect_refusal(slot, FS_OP_OPEN, w, 4, "fs path of 2^64-1 bytes");
    w[0] = ~0ull - 8; w[1] = 16;
    call_expect_refusal(slot, FS_OP_STAT, w, 2, "fs path at a wrapping offset");
    /* Huge reservations: each node it could hold is metadata its own
     * deposit pays for, and n past FS_RESERVE_MAX is refused outright. */
    static const uint64_t many[] = { FS_RESERVE_MAX + 1, 1ull << 32, ~0ull };
    for (unsigned i = 0; i < sizeof many / sizeof many[0]; i++) {
        w[0] = many[i];
        call_expect_refusal(slot, FS_OP_RESERVE, w, 1, "fs RESERVE of more than FS_RESERVE_MAX");
    }
    attack_fs_control_block(slot);
    ae_mem_unmap_delete(buf, FS_SHBUF_MIN, mem);
}

/* ---- the net client: its ports, no admin ---- */

static void attack_net(uint64_t slot)
{
    uint64_t w[8] = { 0 };
    for (uint64_t label = NET_ADMIN_CLIENT_ADD; label <= NET_ADMIN_CLIENT_STATS; label++) {
        for (uint64_t id = 0; id < 4; id++) {
            w[0] = id ? id : 1;
            w[1] = NET_RANGE(1, 65535);
            call_expect_refusal(slot, label, w, 2, "net admin operation");
        }
    }
    static const uint64_t ports[] = { 7, 53, 80, 5555, 65535, 65536, ~0ull };
    for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        w[0] = ports[i];
        call_expect_refusal(slot, NET_BIND, w, 1, "net bind of a port it was not granted");
        w[1] = NET_BIND_AGAIN;            /* "my bind, sent again after a restart": still not its port */
        call_expect_refusal(slot, NET_BIND, w, 2, "net bind again of a port it was not granted");
        w[1] = 0;
    }
    static const uint64_t flags[] = { ~0ull, ~NET_BIND_AGAIN, 2, 1ull << 63 };
    for (unsigned i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        w[0] = 0;                         /* any granted port: only the unknown flags can refuse it */
        w[1] = flags[i];
        call_expect_refusal(slot, NET_BIND, w, 2, "net bind with unknown flags");
    }
    w[1] = 0;
    w[0] = 1u << 30;                      /* rings of absurd size, and no capabilities */
    call_expect_refusal(slot, NET_ATTACH, w, 1, "net attach without memory");
    for (uint64_t label = NET_ADMIN_CLIENT_STATS + 1; label < 64; label++)
        call_expect_refusal(slot, label, w, 2, "unknown net label");
}

/* ---- its own objects: nothing beyond its limits or the kernel's rules ---- */

static void attack_self(void)
{
    uint64_t s = ae_slot_alloc(), args[6];
    if (ae_self.quota) {
        expect_fail(ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, s, 1ull << 40, 0, 0), ae_self.quota,
                    "1 TiB of memory from its own quota");
        ae_cap_delete(s);
        expect_fail(ae_quota_create(ae_self.quota, AERIE_OBJ_IRQ_CONTROL, s, 0, 0, 0), ae_self.quota,
                    "an IRQ control object from its quota");
        ae_cap_delete(s);
        /* Its own trace is set on its quota by the holder of the parent
         * (cm): it can neither stop nor redirect it (it is not its own
         * parent), and a trace into the boot image or a device is refused. */
        expect_fail(ae_invokev(ae_self.quota, AERIE_QUOTA_TRACE, ae_self.quota, 0, 0), ae_self.quota,
                    "stopping its own trace");
        if (ae_self.utcb_mem)
            expect_fail(ae_invokev(ae_self.quota, AERIE_QUOTA_TRACE, ae_self.quota, ae_self.utcb_mem, ~0ull),
                        ae_self.quota, "redirecting its own trace");
    }
    if (ae_self.quota) {
        /* review3 F1: TASK_CLONE of a task it makes itself, naming its own
         * quota or one it made as the source's: refused (AERIE_R_CLONE is
         * cm's alone), so it cannot leave shared pages charged to nobody. */
        uint64_t q1 = ae_slot_alloc(), q2 = ae_slot_alloc(), task = ae_slot_alloc(), th = ae_slot_alloc();
        uint64_t mem = ae_slot_alloc(), t = ae_slot_alloc(), h = ae_slot_alloc();
        if (!ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q1, 256 * 1024, 2, 16) &&
            !ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q2, 256 * 1024, 2, 16) &&
            !ae_quota_create(q1, AERIE_OBJ_TASK, task, 0, 0, 0) &&
            !ae_quota_create(q1, AERIE_OBJ_THREAD, th, task, 0, 0) &&
            !ae_quota_create(q1, AERIE_OBJ_MEMORY, mem, 16 * 4096, 0, 0) &&
            !ae_task_map(task, mem, 0, 0x40000000ull, 16 * 4096, AERIE_MAP_R | AERIE_MAP_W)) {
            expect_fail(ae_invokev(task, AERIE_TASK_CLONE, q2, q1, t, h), task,
                        "TASK_CLONE of a task it made (its own sub-quota as the source's)");
            expect_fail(ae_invokev(task, AERIE_TASK_CLONE, q2, ae_self.quota, t, h), task,
                        "TASK_CLONE of a task it made (its self.quota as the source's)");
            /* attack7: Memory CLONE of memory it made, naming its quotas as
             * the object's (AERIE_R_CLONE is cm's alone), and no way to gain
             * the right through a task of its own: a copy of self.quota put
             * into the task and taken back (Task CAP_GET, every rights bit
             * in the mask) has no more rights than it had. */
            expect_fail(ae_invokev(mem, AERIE_MEM_CLONE, q2, q1, t), mem,
                        "Memory CLONE of memory it made (its own sub-quota as the object's)");
            expect_fail(ae_invokev(mem, AERIE_MEM_CLONE, q2, ae_self.quota, t), mem,
                        "Memory CLONE of memory it made (its self.quota as the object's)");
            uint64_t back = ae_slot_alloc();
            if (!ae_task_cap_copy(task, ae_self.quota, 5, 0xFF, 0) &&
                !ae_invokev(task, AERIE_TASK_CAP_GET, 5, back, 0xFF, 0)) {
                expect_fail(ae_invokev(mem, AERIE_MEM_CLONE, q2, back, t), mem,
                            "Memory CLONE naming self.quota taken back through CAP_GET");
                expect_fail(ae_invokev(task, AERIE_TASK_CLONE, q2, back, t, h), task,
                            "TASK_CLONE naming self.quota taken back through CAP_GET");
            } else
                surprise(task, "could not pass self.quota through its task (CAP_COPY, CAP_GET)", 0, 0);
            ae_cap_delete(back);
            ae_slot_free(back);
            /* CAP_GET cannot re-badge: its fault capability (badged with its
             * id) taken out of its own task under another container's badge. */
            if (ae_self.fault) {
                uint64_t fb = ae_slot_alloc();
                expect_fail(ae_invokev(ae_self.task, AERIE_TASK_CAP_GET, ae_self.fault, fb, 0xFF,
                                       PROTO_FAULT_BADGE | 1), ae_self.task,
                            "CAP_GET of its fault capability under another badge");
                ae_cap_delete(fb);
                ae_slot_free(fb);
            }
            expect_fail(ae_invokev(task, AERIE_TASK_CAP_GET, 1ull << 40, t, 0xFF, 0), task,
                        "CAP_GET of a huge slot");
            expect_fail(ae_invokev(task, AERIE_TASK_CAP_GET, 5, ae_self.quota, 0xFF, 0), task,
                        "CAP_GET into a taken slot");
        } else
            surprise(ae_self.quota, "could not make the objects of the TASK_CLONE probe", 0, 0);
        ae_invoke0(q1, AERIE_QUOTA_DESTROY);
        ae_invoke0(q2, AERIE_QUOTA_DESTROY);
        uint64_t slots[] = { q1, q2, task, th, mem, t, h };
        for (unsigned i = 0; i < sizeof slots / sizeof slots[0]; i++) {
            ae_cap_delete(slots[i]);
            ae_slot_free(slots[i]);
        }
    }
    if (ae_self.task && ae_self.utcb_mem) {
        expect_fail(ae_task_map(ae_self.task, ae_self.utcb_mem, 0, 0xFFFF800000000000ull, 4096, AERIE_MAP_R),
                    ae_self.task, "a mapping at a kernel address");
        expect_fail(ae_task_map(ae_self.task, ae_self.utcb_mem, 0, AERIE_USER_MAX - 4096, 8192, AERIE_MAP_R),
                    ae_self.task, "a mapping running past the user range");
        expect_fail(ae_task_map(ae_self.task, ae_self.utcb_mem, 1ull << 40, 0x7000000000ull, 4096, AERIE_MAP_R),
                    ae_self.task, "a mapping beyond the memory object");
    }
    if (ae_self.task) {
        /* Its program's text is shared with every container of its image:
         * a debugger's write (Task WRITE) into it is refused, and so is
         * reading beyond what it has mapped or into the kernel. */
        uint64_t rw[3] = { AERIE_PROGRAM_BASE, 1, 0xcc };
        expect_fail(ae_invoke(ae_self.task, AERIE_TASK_WRITE, 3, rw, 0, 0), ae_self.task,
                    "a breakpoint written into its shared program text");
        rw[0] = 0xFFFF800000000000ull;
        expect_fail(ae_invoke(ae_self.task, AERIE_TASK_READ, 2, rw, args, 1), ae_self.task,
                    "reading kernel memory through its task");
        rw[0] = AERIE_USER_MAX - 8;
        rw[1] = 256;
        expect_fail(ae_invoke(ae_self.task, AERIE_TASK_READ, 2, rw, 0, 0), ae_self.task,
                    "reading past the user range through its task");
        rw[0] = AERIE_PROGRAM_BASE;
        rw[1] = 1u << 20;
        expect_fail(ae_invoke(ae_self.task, AERIE_TASK_READ, 2, rw, 0, 0), ae_self.task,
                    "reading a megabyte in one task read");
    }
    if (ae_self.thread) {
        args[0] = AERIE_PRIO_MAX;
        expect_fail(ae_invoke(ae_self.thread, AERIE_THREAD_SET_PRIORITY, 1, args, 0, 0), ae_self.thread,
                    "raising its own priority");
        args[0] = 4096;
        expect_fail(ae_invoke(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 1, args, 0, 0), ae_self.thread,
                    "a CPU that does not exist");
    }
    ae_slot_free(s);
}

void attack_held(void)
{
    const struct aerie_capenv *env = ae_start.capenv;
    for (unsigned i = 0; env && i < env->count; i++) {
        const char *name = env->entries[i].name;
        uint64_t slot = env->entries[i].slot;
        if (!strcmp(name, "self.fault"))
            attack_fault_cap(slot);
        else if (!strcmp(name, "console"))
            attack_console(slot);
        else if (!strcmp(name, "fs")) {
            attack_fs_admin(slot);
            attack_fs_session(slot);
        } else if (!strcmp(name, "net"))
            attack_net(slot);
        held_probed++;
    }
    attack_self();
}
