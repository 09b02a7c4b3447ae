/*
 * invoke.c — kernel object method calls through the UTCB.
 */
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>

int64_t ae_invoke(uint64_t cap, uint64_t label, unsigned nargs, const uint64_t *args,
                  uint64_t *res, unsigned nres)
{
    struct aerie_utcb *u = ae_utcb();
    if (nargs > AERIE_MSG_WORDS)
        return AE_EINVAL;
    for (unsigned i = 0; i < nargs; i++)
        u->mr[i] = args[i];
    int64_t r = ae_call(cap, AERIE_INFO(label, nargs, 0), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return r;
    unsigned got = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
    for (unsigned i = 0; i < nres && i < got; i++)
        res[i] = u->mr[i];
    return 0;
}

int64_t ae_quota_create(uint64_t quota, uint64_t type, uint64_t dst, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return ae_invokev(quota, AERIE_QUOTA_CREATE, type, dst, a0, a1, a2);
}

int64_t ae_quota_create_cpus(uint64_t quota, uint64_t dst, uint64_t bytes, uint64_t threads, uint64_t objects,
                             uint64_t cpus)
{
    return ae_invokev(quota, AERIE_QUOTA_CREATE, AERIE_OBJ_QUOTA, dst, bytes, threads, objects, cpus);
}

int64_t ae_quota_cpus(uint64_t quota, uint64_t *cpus)
{
    uint64_t info[9] = { 0 };
    int64_t r = ae_invoke(quota, AERIE_QUOTA_INFO, 0, 0, info, 9);
    *cpus = r < 0 ? 0 : info[8];
    return r;
}

int64_t ae_quota_info(uint64_t quota, uint64_t info[6])
{
    return ae_invoke(quota, AERIE_QUOTA_INFO, 0, 0, info, 6);
}

int64_t ae_task_map(uint64_t task, uint64_t mem, uint64_t off, uint64_t va, uint64_t bytes, uint64_t flags)
{
    return ae_invokev(task, AERIE_TASK_MAP, mem, off, va, bytes, flags);
}

int64_t ae_task_unmap(uint64_t task, uint64_t va, uint64_t bytes)
{
    return ae_invokev(task, AERIE_TASK_UNMAP, va, bytes);
}

int64_t ae_task_cap_copy(uint64_t task, uint64_t src, uint64_t dst, uint64_t mask, uint64_t badge)
{
    return ae_invokev(task, AERIE_TASK_CAP_COPY, src, dst, mask, badge);
}

int64_t ae_thread_set_regs(uint64_t thread, uint64_t mask, const uint64_t *regs)
{
    uint64_t args[1 + AERIE_REG_COUNT];
    args[0] = mask;
    for (unsigned i = 0; i < AERIE_REG_COUNT; i++)
        args[i + 1] = regs[i];
    return ae_invoke(thread, AERIE_THREAD_SET_REGS, 1 + AERIE_REG_COUNT, args, 0, 0);
}

int64_t ae_kdebug_write(uint64_t kdebug, const char *s, uint64_t len)
{
    struct aerie_utcb *u = ae_utcb();
    const uint64_t chunk = (AERIE_MSG_WORDS - 1) * 8;
    while (len) {
        uint64_t n = len < chunk ? len : chunk;
        char *dst = (char *)&u->mr[1];
        for (uint64_t i = 0; i < n; i++)
            dst[i] = s[i];
        u->mr[0] = n;
        int64_t r = ae_call(kdebug, AERIE_INFO(AERIE_KDEBUG_WRITE, 1 + (n + 7) / 8, 0), AERIE_TIMEOUT_FOREVER);
        if (r < 0)
            return r;
        s += n;
        len -= n;
    }
    return 0;
}

int64_t ae_kdebug_stats(uint64_t kdebug, uint64_t out[4])
{
    return ae_invoke(kdebug, AERIE_KDEBUG_STATS, 0, 0, out, 4);
}

int ae_mem_commit(uint64_t mem, uint64_t off, uint64_t bytes)
{
    while (bytes) {
        uint64_t n = bytes < AERIE_MEM_COMMIT_MAX ? bytes : AERIE_MEM_COMMIT_MAX;
        int64_t r = ae_invokev(mem, AERIE_MEM_COMMIT, off, n);
        if (r < 0)
            return (int)r;
        off += n;
        bytes -= n;
    }
    return 0;
}
