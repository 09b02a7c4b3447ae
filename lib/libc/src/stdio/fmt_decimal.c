/*
 * fmt_decimal.c — %e %f %g of a finite value, exactly and correctly
 * rounded (round half to even on the exact binary value, as glibc does in
 * the default rounding mode).
 *
 * A value mant * 2^exp2 is split into an integer part I and a fraction
 * F / 10^k, both as big integers in base 10^9: a binary fraction with k
 * bits has exactly k decimal digits, F = frac_bits * 5^k. Digit j of the
 * value (the coefficient of 10^j) is then an index into I or F, so every
 * conversion reads the digits it prints straight from there; rounding is
 * a "view" that says which digit goes up by one and which become zero,
 * so nothing is copied or rewritten. Storage is one array large enough
 * for the widest long double (7.4 KiB of stack).
 */
#include "fmt_float.h"

#define LIMB_BASE   1000000000u
#define LIMB_DIGITS 9
#define MAX_LIMBS   1840        /* F of the smallest long double: 16445 digits */

static const uint32_t pow10[LIMB_DIGITS + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

static const uint32_t pow5[13] = {
    1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125, 9765625, 48828125, 244140625,
};
#define POW5_13 1220703125u

/* Precision beyond this would print a gigabyte; clamping it keeps every
 * digit position within int. */
#define PREC_MAX (1 << 28)

/* A non-negative big integer: n limbs, least significant first. */
struct bignum {
    uint32_t *limb;
    int n;
};

struct decimal {
    struct bignum ip;           /* integer part */
    struct bignum fp;           /* fraction part times 10^k */
    int k;
    int nd_int, nd_frac;        /* decimal digits in ip and fp (0 if zero) */
    bool zero;
    uint32_t store[MAX_LIMBS];
};

/* The rounded form of the digits from position top down to last. */
struct view {
    const struct decimal *d;
    int top, last;
    bool up;                    /* rounded up: digit inc + 1, lower ones 0 */
    int inc;
    bool carry_all;             /* all kept digits were 9: 10^(top+1) */
};

static void big_set(struct bignum *b, uint64_t v)
{
    for (b->n = 0; v; v /= LIMB_BASE)
        b->limb[b->n++] = (uint32_t)(v % LIMB_BASE);
}

static void big_mul(struct bignum *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->limb[i] * m + carry;
        b->limb[i] = (uint32_t)(t % LIMB_BASE);
        carry = t / LIMB_BASE;
    }
    for (; carry; carry /= LIMB_BASE)
        b->limb[b->n++] = (uint32_t)(carry % LIMB_BASE);
}

static int big_digits(const struct bignum *b)
{
    if (!b->n)
        return 0;
    int d = 1;
    while (d < LIMB_DIGITS && b->limb[b->n - 1] >= pow10[d])
        d++;
    return (b->n - 1) * LIMB_DIGITS + d;
}

/* Digit i (0 = units) of b. */
static int big_digit(const struct bignum *b, int i)
{
    int l = i / LIMB_DIGITS;
    if (i < 0 || l >= b->n)
        return 0;
    return (int)(b->limb[l] / pow10[i % LIMB_DIGITS] % 10);
}

/* Whether any of the lowest count digits of b is nonzero. */
static bool big_low_nonzero(const struct bignum *b, int count)
{
    int full = count / LIMB_DIGITS;
    for (int i = 0; i < full && i < b->n; i++)
        if (b->limb[i])
            return true;
    return full < b->n && count % LIMB_DIGITS &&
           b->limb[full] % pow10[count % LIMB_DIGITS] != 0;
}

static void decimal_init(struct decimal *d, uint64_t m, int e)
{
    d->ip.limb = d->store;
    d->zero = m == 0;
    while (m && !(m & 1) && e < 0) {        /* fewer fraction bits, same value */
        m >>= 1;
        e++;
    }
    if (e >= 0) {
        d->k = 0;
        big_set(&d->ip, m);
        for (; e > 0; e -= 29)
            big_mul(&d->ip, 1u << (e < 29 ? e : 29));
        d->fp.limb = d->store + d->ip.n;
        d->fp.n = 0;
    } else {
        d->k = -e;
        big_set(&d->ip, d->k >= 64 ? 0 : m >> d->k);
        d->fp.limb = d->store + 3;
        big_set(&d->fp, d->k >= 64 ? m : m & ((1ull << d->k) - 1));
        int r = d->k;
        for (; r >= 13; r -= 13)
            big_mul(&d->fp, POW5_13);
        big_mul(&d->fp, pow5[r]);
    }
    d->nd_int = big_digits(&d->ip);
    d->nd_frac = big_digits(&d->fp);
}

/* The digit at position j (the coefficient of 10^j). */
static int digit(const struct decimal *d, int j)
{
    return j >= 0 ? big_digit(&d->ip, j) : big_digit(&d->fp, d->k + j);
}

/* Whether any digit at a position below j is nonzero. */
static bool nonzero_below(const struct decimal *d, int j)
{
    int frac_count = d->k + (j < 0 ? j : 0);
    if (frac_count > 0 && big_low_nonzero(&d->fp, frac_count))
        return true;
    return j > 0 && big_low_nonzero(&d->ip, j);
}

/* Position of the leading nonzero digit (0 for zero). */
static int top_position(const struct decimal *d)
{
    if (d->nd_int)
        return d->nd_int - 1;
    if (d->nd_frac)
        return d->nd_frac - 1 - d->k;
    return 0;
}

static void view_init(struct view *w, const struct decimal *d, int top, int last)
{
    *w = (struct view){ .d = d, .top = top, .last = last };
    int rd = digit(d, last - 1);
    w->up = rd > 5 || (rd == 5 && (nonzero_below(d, last - 1) || digit(d, last) % 2));
    if (!w->up)
        return;
    int p = last;
    while (p <= top && digit(d, p) == 9)
        p++;
    w->carry_all = p > top;
    w->inc = p;
}

static int view_digit(const struct view *w, int j)
{
    if (w->carry_all)
        return j == w->top + 1;
    if (!w->up || j > w->inc)
        return digit(w->d, j);
    return j == w->inc ? digit(w->d, j) + 1 : 0;
}

/* f style with prec digits after the point; strip drops trailing zeros
 * (for %g without '#'). */
static void format_f(struct fp_out *o, const struct fmt_spec *sp, const struct decimal *d,
                     char sign, int prec, bool strip)
{
    int top = top_position(d);
    if (top < 0)
        top = 0;                            /* "0.xxx" */
    struct view w;
    view_init(&w, d, top, -prec);
    int top_print = w.carry_all ? top + 1 : top;
    while (strip && prec > 0 && view_digit(&w, -prec) == 0)
        prec--;
    bool point = prec > 0 || sp->alt;
    struct fp_layout l = fp_layout(sp, (sign != 0) + top_print + 1 + point + prec, true);
    fp_pad_before(o, &l);
    if (sign)
        fp_out_char(o, sign);
    fp_pad_after_prefix(o, &l);
    for (int j = top_print; j >= 0; j--)
        fp_out_char(o, (char)('0' + view_digit(&w, j)));
    if (point)
        fp_out_char(o, '.');
    for (int j = -1; j >= -prec; j--)
        fp_out_char(o, (char)('0' + view_digit(&w, j)));
    fp_pad_after(o, &l);
}

/* e style with prec digits after the point. */
static void format_e(struct fp_out *o, const struct fmt_spec *sp, bool upper,
                     const struct decimal *d, char sign, int prec, bool strip)
{
    int top = top_position(d);
    struct view w;
    view_init(&w, d, top, top - prec);
    int lead = w.carry_all ? top + 1 : top;
    int exp10 = d->zero ? 0 : lead;
    while (strip && prec > 0 && view_digit(&w, lead - prec) == 0)
        prec--;
    bool point = prec > 0 || sp->alt;
    char expbuf[8];
    int nexp = 0;
    for (unsigned a = exp10 < 0 ? -exp10 : exp10; a || nexp < 2; a /= 10)
        expbuf[nexp++] = (char)('0' + a % 10);
    struct fp_layout l = fp_layout(sp, (sign != 0) + 1 + point + prec + 2 + nexp, true);
    fp_pad_before(o, &l);
    if (sign)
        fp_out_char(o, sign);
    fp_pad_after_prefix(o, &l);
    fp_out_char(o, (char)('0' + view_digit(&w, lead)));
    if (point)
        fp_out_char(o, '.');
    for (int i = 1; i <= prec; i++)
        fp_out_char(o, (char)('0' + view_digit(&w, lead - i)));
    fp_out_char(o, upper ? 'E' : 'e');
    fp_out_char(o, exp10 < 0 ? '-' : '+');
    while (nexp)
        fp_out_char(o, expbuf[--nexp]);
    fp_pad_after(o, &l);
}

/* g style (C11 7.21.6.1p8): P significant digits, in f style when the
 * e-style exponent X satisfies P > X >= -4, else in e style. */
static void format_g(struct fp_out *o, const struct fmt_spec *sp, bool upper,
                     const struct decimal *d, char sign)
{
    int p = sp->prec < 0 ? 6 : sp->prec == 0 ? 1 : sp->prec > PREC_MAX ? PREC_MAX : sp->prec;
    int x = 0;
    if (!d->zero) {
        struct view w;
        int top = top_position(d);
        view_init(&w, d, top, top - (p - 1));
        x = w.carry_all ? top + 1 : top;
    }
    if (p > x && x >= -4)
        format_f(o, sp, d, sign, p - 1 - x, !sp->alt);
    else
        format_e(o, sp, upper, d, sign, p - 1, !sp->alt);
}

void fp_format_decimal(struct fp_out *o, const struct fmt_spec *sp, char conv,
                       const struct fp_parts *v)
{
    struct decimal d;
    decimal_init(&d, v->mant, v->exp2);
    char sign = fp_sign_char(sp, v->negative);
    int prec = sp->prec < 0 ? 6 : sp->prec > PREC_MAX ? PREC_MAX : sp->prec;
    switch (conv) {
    case 'f': case 'F':
        format_f(o, sp, &d, sign, prec, false);
        break;
    case 'e': case 'E':
        format_e(o, sp, conv == 'E', &d, sign, prec, false);
        break;
    default:
        format_g(o, sp, conv == 'G', &d, sign);
        break;
    }
}
