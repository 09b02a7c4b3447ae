/*
 * libaerie/invoke.h — calling kernel object methods (aerie/objects.h):
 * arguments go into the UTCB's message words, results come back there.
 * Every function returns 0 or a negative AE_* error.
 */
#ifndef LIBAERIE_INVOKE_H
#define LIBAERIE_INVOKE_H

#include <stdint.h>
#include <aerie/objects.h>

/* Invokes method label on cap with nargs arguments; copies up to nres
 * result words into res (may be NULL). */
int64_t ae_invoke(uint64_t cap, uint64_t label, unsigned nargs, const uint64_t *args,
                  uint64_t *res, unsigned nres);

#define AE_ARGS(...) ((const uint64_t[]){ __VA_ARGS__ })
#define AE_NARGS(...) (sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
#define ae_invoke0(cap, label) ae_invoke((cap), (label), 0, 0, 0, 0)
#define ae_invokev(cap, label, ...) \
    ae_invoke((cap), (label), (unsigned)AE_NARGS(__VA_ARGS__), AE_ARGS(__VA_ARGS__), 0, 0)

int64_t ae_quota_create(uint64_t quota, uint64_t type, uint64_t dst, uint64_t a0, uint64_t a1, uint64_t a2);
int64_t ae_quota_info(uint64_t quota, uint64_t info[6]);
/* A child quota whose threads may run only on the CPUs of cpus (a bit per
 * CPU; within quota's own, else EINVAL), and the CPUs a quota allows. */
int64_t ae_quota_create_cpus(uint64_t quota, uint64_t dst, uint64_t bytes, uint64_t threads, uint64_t objects,
                             uint64_t cpus);
int64_t ae_quota_cpus(uint64_t quota, uint64_t *cpus);
int64_t ae_task_map(uint64_t task, uint64_t mem, uint64_t off, uint64_t va, uint64_t bytes, uint64_t flags);
/* Memory COMMIT over [off, off+bytes), in as many calls as it takes: a lazy
 * object's pages allocated and charged now (0, or the first error). A
 * service mapping memory a client gave it commits it first, so a page the
 * client's quota cannot pay for is a clean error now, never a fault in
 * the service later. */
int ae_mem_commit(uint64_t mem, uint64_t off, uint64_t bytes);
int64_t ae_task_unmap(uint64_t task, uint64_t va, uint64_t bytes);
int64_t ae_task_cap_copy(uint64_t task, uint64_t src, uint64_t dst, uint64_t mask, uint64_t badge);
int64_t ae_thread_set_regs(uint64_t thread, uint64_t mask, const uint64_t *regs);
int64_t ae_kdebug_write(uint64_t kdebug, const char *s, uint64_t len);
int64_t ae_kdebug_stats(uint64_t kdebug, uint64_t out[4]);

#endif
