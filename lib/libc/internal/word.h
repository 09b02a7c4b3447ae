/*
 * word.h — unaligned 8-byte loads and stores for the mem* functions.
 * x86-64 handles unaligned accesses in hardware; the may_alias and
 * aligned(1) attributes tell the compiler so, and keep strict aliasing
 * and UBSan's alignment checks honest.
 */
#ifndef LIBC_WORD_H
#define LIBC_WORD_H

#include <stdint.h>

typedef uint64_t __attribute__((__may_alias__, __aligned__(1))) uword_unaligned;

static inline uint64_t load_word(const void *p)
{
    return *(const uword_unaligned *)p;
}

static inline void store_word(void *p, uint64_t v)
{
    *(uword_unaligned *)p = v;
}

#endif
