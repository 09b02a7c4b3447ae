/*
 * fuzz_printf.c — libFuzzer target: libc's printf engine against glibc's.
 * The input is read as a recipe for one conversion at a time (flags,
 * width, precision, length, conversion, and the argument's bits), so
 * every generated call is well-defined C, and both libraries must print
 * exactly the same bytes and return the same count. Cases where glibc
 * departs from C11 (see cmp_printf.c) or where C leaves the text to the
 * implementation (%p of NULL, a NULL %s) are not generated.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aerie.h"

struct input {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct input *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = v << 8 | (in->n ? *in->p : 0);
        if (in->n) {
            in->p++;
            in->n--;
        }
    }
    return v;
}

static void mismatch(const char *fmt, const char *e, int re, const char *a, int ra)
{
    fprintf(stderr, "format \"%s\": glibc %d \"%s\", libc %d \"%s\"\n", fmt, re, e, ra, a);
    abort();
}

#define COMPARE(fmt, ...) do { \
    char e_[512], a_[512]; \
    int re_ = snprintf(e_, sizeof e_, fmt, __VA_ARGS__); \
    int ra_ = aerie_snprintf(a_, sizeof a_, fmt, __VA_ARGS__); \
    if (re_ != ra_ || strcmp(e_, a_)) \
        mismatch(fmt, e_, re_, a_, ra_); \
} while (0)

/* glibc 2.36 drops the zeros '#' keeps when %#g rounding carries. */
static int glibc_alt_g_carry_bug(char conv, int alt, int prec, long double v)
{
    if (!alt || (conv != 'g' && conv != 'G') || !isfinite(v) || v == 0)
        return 0;
    int p = prec < 0 ? 6 : prec == 0 ? 1 : prec;
    char rounded[160], exact[160];
    snprintf(rounded, sizeof rounded, "%.*Le", p - 1, v);
    snprintf(exact, sizeof exact, "%.*Le", 60, v);
    return strcmp(strchr(rounded, 'e'), strchr(exact, 'e')) != 0;
}

/* Makes an x87 80-bit pattern canonical: the integer bit set exactly
 * when the exponent is nonzero (other encodings are invalid operands). */
static long double canonical_ldouble(uint64_t mant, uint16_t se)
{
    if (se & 0x7fff)
        mant |= 1ull << 63;
    else
        mant &= ~(1ull << 63);
    union { long double f; struct { uint64_t m; uint16_t se; } b; } u = { .b = { mant, se } };
    return u.f;
}

static void one_conversion(struct input *in)
{
    static const char convs[] = "diouxXcspfFeEgGaA";
    static const char *const strings[] = { "", "x", "hello", "a longer string with spaces" };
    uint64_t recipe = take(in, 4);
    char conv = convs[recipe % (sizeof convs - 1)];
    int alt = recipe >> 5 & 1;
    char fmt[48], *o = fmt;
    *o++ = '%';
    if (recipe >> 6 & 1) *o++ = '-';
    if (recipe >> 7 & 1) *o++ = '0';
    if (recipe >> 8 & 1) *o++ = '+';
    if (recipe >> 9 & 1) *o++ = ' ';
    if (alt) *o++ = '#';
    if (recipe >> 10 & 1)
        o += sprintf(o, "%d", (int)(recipe >> 11 & 63));
    int prec = -1;
    if (recipe >> 17 & 1) {
        prec = (int)(recipe >> 18 & 63);
        o += sprintf(o, ".%d", prec);
    }
    unsigned lensel = (unsigned)(recipe >> 24 & 7);
    uint64_t bits = take(in, 8);
    switch (conv) {
    case 'd': case 'i': case 'o': case 'u': case 'x': case 'X': {
        static const char *const lens[] = { "", "hh", "h", "l", "ll", "z", "j", "t" };
        strcpy(o, lens[lensel]);
        o += strlen(lens[lensel]);
        *o++ = conv;
        *o = 0;
        if (lensel == 0 || lensel == 1 || lensel == 2)
            COMPARE(fmt, (int)bits);
        else
            COMPARE(fmt, (long long)bits);
        break;
    }
    case 'c':
        o[0] = 'c', o[1] = 0;
        COMPARE(fmt, (int)(bits & 0xff));
        break;
    case 's':
        o[0] = 's', o[1] = 0;
        COMPARE(fmt, strings[bits % 4]);
        break;
    case 'p':
        o[0] = 'p', o[1] = 0;
        COMPARE(fmt, (void *)(uintptr_t)(bits | 1));
        break;
    default:
        if (lensel == 7) {
            long double v = canonical_ldouble(bits, (uint16_t)take(in, 2));
            o[0] = 'L', o[1] = conv, o[2] = 0;
            if (!glibc_alt_g_carry_bug(conv, alt, prec, v))
                COMPARE(fmt, v);
        } else {
            double v;
            memcpy(&v, &bits, sizeof v);
            o[0] = conv, o[1] = 0;
            if (!glibc_alt_g_carry_bug(conv, alt, prec, v))
                COMPARE(fmt, v);
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    while (in.n)
        one_conversion(&in);
    return 0;
}
