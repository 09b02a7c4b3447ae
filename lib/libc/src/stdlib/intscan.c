/*
 * intscan.c — the integer parser of the strto* family (C11 7.22.1.4).
 * Subtleties the standard pins down: "0x" not followed by a hex digit is
 * the number 0 with the x left unread; a lone sign or no digits converts
 * nothing (*end = s); overflow still consumes every digit.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include "intscan.h"

static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (isalpha(c))
        return tolower(c) - 'a' + 10;
    return 99;
}

/* Skips space, sign and prefix; returns where the digits start and the
 * base to read them in. */
static const char *scan_prefix(const char *p, int *base, bool *negative)
{
    while (isspace((unsigned char)*p))
        p++;
    *negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    bool hex_prefix = p[0] == '0' && (p[1] | 32) == 'x' && digit_value((unsigned char)p[2]) < 16;
    if ((*base == 0 || *base == 16) && hex_prefix) {
        *base = 16;
        return p + 2;
    }
    if (*base == 0)
        *base = *p == '0' ? 8 : 10;
    return p;
}

unsigned long long __intscan(const char *s, char **end, int base,
                             bool *negative, bool *overflow)
{
    *negative = *overflow = false;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (end)
            *end = (char *)s;
        return 0;
    }
    const char *p = scan_prefix(s, &base, negative);
    const char *digits = p;
    unsigned long long v = 0;
    int d;
    for (; (d = digit_value((unsigned char)*p)) < base; p++) {
        if (*overflow)
            continue;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base) {
            *overflow = true;
            v = ULLONG_MAX;
        } else {
            v = v * (unsigned)base + (unsigned)d;
        }
    }
    if (end)
        *end = (char *)(p == digits ? s : p);
    if (p == digits)
        *negative = false;
    return v;
}

long long __intscan_signed(const char *s, char **end, int base,
                           long long min, long long max)
{
    bool negative, overflow;
    unsigned long long mag = __intscan(s, end, base, &negative, &overflow);
    unsigned long long limit = negative ? -(unsigned long long)min : (unsigned long long)max;
    if (overflow || mag > limit) {
        errno = ERANGE;
        return negative ? min : max;
    }
    return negative ? (long long)-mag : (long long)mag;
}

unsigned long long __intscan_unsigned(const char *s, char **end, int base,
                                      unsigned long long max)
{
    bool negative, overflow;
    unsigned long long mag = __intscan(s, end, base, &negative, &overflow);
    if (overflow || mag > max) {
        errno = ERANGE;
        return max;
    }
    return negative ? (-mag & max) : mag;
}
