/*
 * fmt_hook.c — __fmt_hook, what libc adds to the shared fmt engine:
 * %n, and the floating conversions %a %e %f %g (and capitals) with their
 * infinities and NaNs. A double is widened to long double (exactly), so
 * one path serves both; the x87 format splits as a 64-bit mantissa with
 * an explicit integer bit and a 15-bit exponent.
 */
#include <stddef.h>
#include <stdint.h>
#include "fmt_float.h"
#include "stdio_impl.h"

union ld_bits {
    long double f;
    struct { uint64_t mant; uint16_t sign_exp; } b;
};

void fp_out_flush(struct fp_out *o)
{
    if (o->n) {
        o->sink(o->ctx, o->buf, (size_t)o->n);
        o->n = 0;
    }
}

void fp_out_char(struct fp_out *o, char c)
{
    o->buf[o->n++] = c;
    o->total++;
    if (o->n == (int)sizeof o->buf)
        fp_out_flush(o);
}

void fp_out_str(struct fp_out *o, const char *s)
{
    while (*s)
        fp_out_char(o, *s++);
}

void fp_out_pad(struct fp_out *o, char c, int n)
{
    while (n-- > 0)
        fp_out_char(o, c);
}

struct fp_layout fp_layout(const struct fmt_spec *sp, int length, bool finite)
{
    struct fp_layout l = { 0 };
    l.pad = sp->width > length ? sp->width - length : 0;
    l.left = sp->left;
    l.zeros = sp->zero && !sp->left && finite;
    return l;
}

void fp_pad_before(struct fp_out *o, const struct fp_layout *l)
{
    if (!l->left && !l->zeros)
        fp_out_pad(o, ' ', l->pad);
}

void fp_pad_after_prefix(struct fp_out *o, const struct fp_layout *l)
{
    if (l->zeros)
        fp_out_pad(o, '0', l->pad);
}

void fp_pad_after(struct fp_out *o, const struct fp_layout *l)
{
    if (l->left)
        fp_out_pad(o, ' ', l->pad);
}

char fp_sign_char(const struct fmt_spec *sp, bool negative)
{
    return negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
}

/* "inf", "nan" and capitals; the 0 flag does not apply (C11 7.21.6.1p6). */
static void format_nonfinite(struct fp_out *o, const struct fmt_spec *sp, char conv,
                             bool negative, bool nan)
{
    bool upper = conv == 'A' || conv == 'E' || conv == 'F' || conv == 'G';
    const char *text = nan ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    char sign = fp_sign_char(sp, negative);
    struct fp_layout l = fp_layout(sp, 3 + (sign != 0), false);
    fp_pad_before(o, &l);
    if (sign)
        fp_out_char(o, sign);
    fp_out_str(o, text);
    fp_pad_after(o, &l);
}

/* %n: stores the count so far in the object the length modifier names. */
static void store_count(const struct fmt_spec *sp, va_list *ap, int written)
{
    switch (sp->length) {
    case FMT_LEN_HH: *va_arg(*ap, signed char *) = (signed char)written; break;
    case FMT_LEN_H:  *va_arg(*ap, short *) = (short)written; break;
    case FMT_LEN_L:  *va_arg(*ap, long *) = written; break;
    case FMT_LEN_LL: case FMT_LEN_LDOUBLE: *va_arg(*ap, long long *) = written; break;
    case FMT_LEN_Z:  *va_arg(*ap, long *) = written; break;         /* ssize_t */
    case FMT_LEN_T:  *va_arg(*ap, ptrdiff_t *) = written; break;
    case FMT_LEN_J:  *va_arg(*ap, intmax_t *) = written; break;
    default:         *va_arg(*ap, int *) = written; break;
    }
}

static bool is_float_conv(char conv)
{
    switch (conv) {
    case 'a': case 'A': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
        return true;
    default:
        return false;
    }
}

int __fmt_hook(fmt_sink_fn sink, void *ctx, char conv, const struct fmt_spec *sp,
               va_list *ap, int written)
{
    if (conv == 'n') {
        store_count(sp, ap, written);
        return 0;
    }
    if (!is_float_conv(conv))
        return -1;
    bool is_long = sp->length == FMT_LEN_LDOUBLE;
    union ld_bits u;
    u.f = is_long ? va_arg(*ap, long double) : (long double)va_arg(*ap, double);
    bool negative = u.b.sign_exp >> 15;
    unsigned exp = u.b.sign_exp & 0x7fff;
    struct fp_out o = { .sink = sink, .ctx = ctx };
    if (exp == 0x7fff) {
        format_nonfinite(&o, sp, conv, negative, (u.b.mant << 1) != 0);
    } else if (conv == 'a' || conv == 'A') {
        fp_format_hex(&o, sp, conv, u.f, is_long);
    } else {
        struct fp_parts v = { negative, u.b.mant, (int)(exp ? exp : 1) - 16383 - 63 };
        fp_format_decimal(&o, sp, conv, &v);
    }
    fp_out_flush(&o);
    return o.total;
}
