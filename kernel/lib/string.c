/*
 * string.c — memory and string routines for the kernel. Simple loops with
 * rep movs/stos for the bulk cases: the kernel copies message registers and
 * zeroes pages, nothing else large. The bulk moves 8 bytes a step (movsq,
 * stosq) and only the tail a byte at a time: under QEMU's TCG every
 * iteration of a rep instruction is one emulated step, so a page zeroed
 * with stosb took 4,096 of them and showed in profiles of a busy shell
 * (fork's new memory, page tables, thread stacks).
 */
#include "lib/string.h"
#include "hot.h"
#include <stdint.h>

KERNEL_HOT void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t q = n / 8, r = n % 8;
    if (q)
        __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) :: "memory");
    if (r)
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) :: "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    size_t q = n / 8, r = n % 8;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    if (q)
        __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
    if (r)
        __asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(v) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncmp(hay, needle, n) == 0)
            return (char *)hay;
    return n == 0 ? (char *)hay : NULL;
}
