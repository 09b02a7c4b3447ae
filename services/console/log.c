/*
 * log.c — a stream's log ring, in the console's own memory or in Memory
 * the container paid for (and the Memory calls input.c's rings use too). The latter is reached through the kernel's
 * Memory READ and WRITE, a bounded number of bytes per call, so the
 * console never maps a container's memory and never faults when a
 * container's memory goes away under it: the call just fails.
 */
#include <stdbool.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include "console.h"

/* One contiguous piece of the ring, at most one kernel call's worth. */
static int mem_put_one(uint64_t mem, uint64_t off, const char *p, size_t n)
{
    uint64_t a[2 + AERIE_MEM_WRITE_MAX / 8] = { off, n };
    memcpy(&a[2], p, n);
    int64_t r = ae_invoke(mem, AERIE_MEM_WRITE, 2 + (unsigned)((n + 7) / 8), a, 0, 0);
    return r < 0 ? (int)r : 0;
}

static int mem_get_one(uint64_t mem, uint64_t off, char *p, size_t n)
{
    uint64_t a[2] = { off, n }, out[AERIE_MEM_RW_MAX / 8];
    int64_t r = ae_invoke(mem, AERIE_MEM_READ, 2, a, out, (unsigned)((n + 7) / 8));
    if (r < 0)
        return (int)r;
    memcpy(p, out, n);
    return 0;
}

int con_mem_put(uint64_t mem, uint64_t off, const char *p, size_t n)
{
    while (n) {
        size_t piece = n < AERIE_MEM_WRITE_MAX ? n : AERIE_MEM_WRITE_MAX;
        int r = mem_put_one(mem, off, p, piece);
        if (r)
            return r;
        off += piece, p += piece, n -= piece;
    }
    return 0;
}

int con_mem_get(uint64_t mem, uint64_t off, char *p, size_t n)
{
    while (n) {
        size_t piece = n < AERIE_MEM_RW_MAX ? n : AERIE_MEM_RW_MAX;
        int r = mem_get_one(mem, off, p, piece);
        if (r)
            return r;
        off += piece, p += piece, n -= piece;
    }
    return 0;
}

/* Walks [pos, pos + n) of the ring in pieces that neither wrap nor exceed
 * what one call moves, calling put or get on each. */
static int walk(const struct stream *s, uint64_t pos, char *p, size_t n, bool put)
{
    while (n) {
        uint64_t off = pos % s->log_bytes;
        size_t piece = s->log_bytes - off < n ? (size_t)(s->log_bytes - off) : n;
        if (s->heap_log) {
            if (put)
                memcpy(s->heap_log + off, p, piece);
            else
                memcpy(p, s->heap_log + off, piece);
        } else {
            size_t max = put ? AERIE_MEM_WRITE_MAX : AERIE_MEM_RW_MAX;
            piece = piece < max ? piece : max;
            int r = put ? mem_put_one(s->mem, off, p, piece) : mem_get_one(s->mem, off, p, piece);
            if (r)
                return r;
        }
        pos += piece;
        p += piece;
        n -= piece;
    }
    return 0;
}

int log_put(struct stream *s, uint64_t pos, const char *p, size_t n)
{
    return walk(s, pos, (char *)p, n, true);
}

int log_get(const struct stream *s, uint64_t pos, char *p, size_t n)
{
    return walk(s, pos, p, n, false);
}

int log_put_total(struct stream *s, uint64_t total)
{
    if (!s->mem)
        return 0;
    uint64_t hdr[2] = { CON_LOG_MAGIC, total };
    return mem_put_one(s->mem, s->log_bytes, (const char *)hdr, sizeof hdr);
}

uint64_t log_get_total(const struct stream *s)
{
    uint64_t hdr[2];
    if (!s->mem || mem_get_one(s->mem, s->log_bytes, (char *)hdr, sizeof hdr) < 0 || hdr[0] != CON_LOG_MAGIC)
        return 0;
    return hdr[1];
}

int log_memory_ok(uint64_t slot, uint64_t *bytes)
{
    uint64_t badge, info[2];
    int64_t t = ae_cap_info(slot, &badge);
    if (t < 0 || (t & 0xff) != AERIE_OBJ_MEMORY ||
        ((t >> 8) & (AERIE_R_READ | AERIE_R_WRITE)) != (AERIE_R_READ | AERIE_R_WRITE))
        return 0;
    if (ae_invoke(slot, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return 0;
    if (info[0] < CON_LOG_MIN || info[0] > CON_LOG_MAX)
        return 0;
    *bytes = info[0];
    return 1;
}
