/*
 * fmt_hexfloat.c — %a and %A (C11 7.21.6.1p8): [-]0xh.hhhp±d, laid out as
 * glibc lays it out, since programs and tests compare the text. A double
 * shows its 52 fraction bits as 13 hex digits after a leading 1 (0 for
 * subnormals, exponent -1022). A long double shows its 64-bit mantissa as
 * a leading hex digit (the top four bits) and 15 more, with the exponent
 * lowered by 3 to match. Without a precision the digits stop at the last
 * nonzero one; with one, the value is rounded half to even. A long
 * double's leading f that rounds up becomes 0x1p with the exponent + 4
 * (glibc's choice); a double's leading 1 just becomes 2.
 */
#include <string.h>
#include "fmt_float.h"

union ld_bits {
    long double f;
    struct { uint64_t mant; uint16_t sign_exp; } b;
};

struct hex_parts {
    bool negative;
    unsigned lead;              /* the digit before the point */
    uint64_t frac;              /* nfrac hex digits after it */
    int nfrac;
    int exp2;
};

static struct hex_parts split_double(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    unsigned e = (unsigned)(bits >> 52) & 0x7ff;
    uint64_t f = bits & ((1ull << 52) - 1);
    struct hex_parts h = { .negative = bits >> 63, .frac = f, .nfrac = 13 };
    if (e == 0)
        h.exp2 = f ? -1022 : 0;
    else {
        h.lead = 1;
        h.exp2 = (int)e - 1023;
    }
    return h;
}

static struct hex_parts split_long(long double x)
{
    union ld_bits u = { .f = x };
    unsigned e = u.b.sign_exp & 0x7fff;
    struct hex_parts h = { .negative = u.b.sign_exp >> 15, .nfrac = 15 };
    if (u.b.mant == 0 && e == 0)
        return h;
    h.lead = (unsigned)(u.b.mant >> 60);
    h.frac = u.b.mant & ((1ull << 60) - 1);
    h.exp2 = (int)(e ? e : 1) - 16383 - 3;
    return h;
}

/* Keeps prec fraction digits, rounding half to even; a carry out of the
 * fraction goes into the leading digit. */
static void round_to(struct hex_parts *h, int prec)
{
    int drop = (h->nfrac - prec) * 4;
    uint64_t rem = h->frac & ((1ull << drop) - 1), half = 1ull << (drop - 1);
    h->frac >>= drop;
    h->nfrac = prec;
    uint64_t last = prec ? h->frac : h->lead;
    if (rem > half || (rem == half && (last & 1))) {
        h->frac++;
        if (prec < 16 && h->frac >> (prec * 4)) {
            h->frac = 0;
            h->lead++;
        }
    }
    if (h->lead == 16) {
        h->lead = 1;
        h->exp2 += 4;
    }
}

static char hex_digit(unsigned d, bool upper)
{
    return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[d & 15];
}

void fp_format_hex(struct fp_out *o, const struct fmt_spec *sp, char conv,
                   long double x, bool is_long)
{
    bool upper = conv == 'A';
    struct hex_parts h = is_long ? split_long(x) : split_double((double)x);
    int prec = sp->prec;
    if (prec < 0) {
        while (h.nfrac > 0 && !(h.frac & 15)) {
            h.frac >>= 4;
            h.nfrac--;
        }
        prec = h.nfrac;
    } else if (prec < h.nfrac) {
        round_to(&h, prec);
    }
    char sign = fp_sign_char(sp, h.negative);
    bool point = prec > 0 || sp->alt;
    char expbuf[8];
    int nexp = 0;
    for (unsigned a = h.exp2 < 0 ? -h.exp2 : h.exp2; a || !nexp; a /= 10)
        expbuf[nexp++] = (char)('0' + a % 10);
    int length = (sign != 0) + 2 + 1 + point + prec + 2 + nexp;
    struct fp_layout l = fp_layout(sp, length, true);
    fp_pad_before(o, &l);
    if (sign)
        fp_out_char(o, sign);
    fp_out_str(o, upper ? "0X" : "0x");
    fp_pad_after_prefix(o, &l);
    fp_out_char(o, hex_digit(h.lead, upper));
    if (point)
        fp_out_char(o, '.');
    for (int i = 0; i < prec; i++)
        fp_out_char(o, i < h.nfrac ? hex_digit((unsigned)(h.frac >> (4 * (h.nfrac - 1 - i))), upper) : '0');
    fp_out_char(o, upper ? 'P' : 'p');
    fp_out_char(o, h.exp2 < 0 ? '-' : '+');
    while (nexp)
        fp_out_char(o, expbuf[--nexp]);
    fp_pad_after(o, &l);
}
