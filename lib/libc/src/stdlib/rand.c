/*
 * rand.c — C11 7.22.2 and POSIX rand_r: a 64-bit linear congruential
 * generator (Knuth's MMIX constants) returning its high 31 bits, which
 * are the well-mixed ones. The state is shared by all threads; the
 * standard does not ask rand to avoid data races, so racing callers may
 * see repeated values but nothing worse.
 */
#include <stdint.h>
#include <stdlib.h>

static uint64_t rand_state = 1;

static uint64_t lcg_step(uint64_t s)
{
    return s * 6364136223846793005ull + 1442695040888963407ull;
}

void srand(unsigned seed)
{
    rand_state = seed;
}

int rand(void)
{
    rand_state = lcg_step(rand_state);
    return (int)(rand_state >> 33);
}

/* rand_r's state is one unsigned, so it steps a 32-bit generator. */
int rand_r(unsigned *seed)
{
    uint32_t s = *seed * 1103515245u + 12345u;
    *seed = s;
    uint32_t t = s * 1103515245u + 12345u;      /* a second step widens the output */
    *seed = t;
    return (int)(((s >> 16) << 15 | (t >> 17)) & RAND_MAX);
}
