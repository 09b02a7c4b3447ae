/*
 * random.c — getrandom and arc4random. The source is the CPU's generator
 * (RDRAND) when CPUID says there is one; every output is also mixed with
 * a state of our own (splitmix64 over a 64-bit counter), seeded from the
 * loader's AT_RANDOM bytes and the clock, so a machine without RDRAND
 * still gets distinct streams.
 *
 * Clones (`aerie fork`, docs/FORK.md) share their original's memory, and
 * with it this state. The container manager writes a *clone block* into
 * every clone before it runs — a generation that counts forks along its
 * line, its index among the clones, 16 fresh random bytes — whose address
 * the loader gives as AT_AERIE_CLONE. Every call compares the block's
 * generation with the one the state was seeded at and reseeds first when
 * they differ, so a clone's first number already differs from its
 * original's and its siblings'.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "libc.h"
#include "sys.h"

struct clone_block {                 /* aerie/capenv.h: struct aerie_clone_block */
    volatile uint64_t generation, index, random[2];
};

static struct {
    volatile int lock;
    int have_rdrand;                 /* 0 unknown, 1 yes, -1 no */
    uint64_t seeded_gen, state, mixed;
} rnd;

static void rnd_lock(void) { while (__atomic_exchange_n(&rnd.lock, 1, __ATOMIC_ACQUIRE)) ; }
static void rnd_unlock(void) { __atomic_store_n(&rnd.lock, 0, __ATOMIC_RELEASE); }

static const struct clone_block *clone_block(void)
{
    return (const struct clone_block *)(uintptr_t)__auxv_get(__libc.auxv, AT_AERIE_CLONE);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int rdrand_ok(void)
{
    if (!rnd.have_rdrand) {
        uint32_t a = 1, b, c, d;
        __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
        rnd.have_rdrand = (c >> 30) & 1 ? 1 : -1;
    }
    return rnd.have_rdrand > 0;
}

/* One RDRAND word (it may fail transiently: retry a few times); 0 if none. */
static uint64_t rdrand64(void)
{
    for (int i = 0; rdrand_ok() && i < 10; i++) {
        uint64_t v;
        unsigned char ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
        if (ok)
            return v;
    }
    return 0;
}

static uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Seeds (or reseeds, for a new clone generation) the state; lock held. */
static void reseed_if_needed(void)
{
    const struct clone_block *cb = clone_block();
    uint64_t gen = cb ? cb->generation : 0;
    if (rnd.mixed && gen == rnd.seeded_gen)
        return;
    uint64_t s = rnd.state ^ tsc() ^ (uint64_t)__sys_clock_monotonic_ns() * 0x2545F4914F6CDD1Dull;
    const uint64_t *at = (const uint64_t *)(uintptr_t)__auxv_get(__libc.auxv, AT_RANDOM);
    if (at && !rnd.mixed)
        s ^= at[0] ^ (at[1] << 1);
    if (cb)
        s ^= splitmix(&(uint64_t){ cb->random[0] ^ cb->index }) ^ cb->random[1] ^ gen * 0xD6E8FEB86659FD93ull;
    s ^= rdrand64();
    rnd.state = s;
    rnd.seeded_gen = gen;
    rnd.mixed = 1;
}

static uint64_t next64(void)
{
    rnd_lock();
    reseed_if_needed();
    uint64_t v = splitmix(&rnd.state) ^ rdrand64();
    rnd_unlock();
    return v;
}

void arc4random_buf(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        uint64_t v = next64();
        size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

uint32_t arc4random(void)
{
    return (uint32_t)next64();
}

/* Uniform in [0, upper): rejects the low values that would bias it. */
uint32_t arc4random_uniform(uint32_t upper)
{
    if (upper < 2)
        return 0;
    uint32_t min = -upper % upper;
    for (;;) {
        uint32_t r = arc4random();
        if (r >= min)
            return r % upper;
    }
}

ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
    if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) {
        errno = EINVAL;
        return -1;
    }
    if (n > 0x7FFFFFFF)
        n = 0x7FFFFFFF;                      /* what one call may return, as on Linux */
    arc4random_buf(buf, n);
    return (ssize_t)n;
}
