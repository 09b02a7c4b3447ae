/* memcmp.c — C11 7.24.4.1: compares as unsigned char; skips equal words. */
#include <string.h>
#include "word.h"

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n >= 8 && load_word(p) == load_word(q); n -= 8, p += 8, q += 8)
        ;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}
