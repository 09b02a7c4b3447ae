/*
 * fmt.c — the printf engine shared by kernel and libc (see fmt.h).
 * Integer conversions only: the kernel has no FPU state to spend, and libc
 * adds floating point on top of this engine where it needs it.
 */
#include "fmt.h"
#include <stdint.h>
#include <stdbool.h>

struct spec {
    bool left, zero, plus, space, alt;
    int width;       /* -1: none */
    int prec;        /* -1: none */
    int length;      /* 0, 'H' (hh), 'h', 'l', 'L' (ll), 'z', 't', 'j' */
};

static void emit_pad(fmt_sink_fn sink, void *ctx, char c, int n, int *total)
{
    char buf[16];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = c;
    while (n > 0) {
        int k = n < (int)sizeof buf ? n : (int)sizeof buf;
        sink(ctx, buf, (size_t)k);
        *total += k;
        n -= k;
    }
}

static void emit(fmt_sink_fn sink, void *ctx, const char *s, size_t n, int *total)
{
    if (n) {
        sink(ctx, s, n);
        *total += (int)n;
    }
}

static size_t bounded_strlen(const char *s, int max)
{
    size_t n = 0;
    while ((max < 0 || n < (size_t)max) && s[n])
        n++;
    return n;
}

/* Writes the digits of v in base into the end of buf; returns the start. */
static char *format_digits(char *end, uintmax_t v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    return p;
}

static void format_integer(fmt_sink_fn sink, void *ctx, const struct spec *sp,
                           uintmax_t mag, bool negative, unsigned base,
                           bool upper, const char *prefix, int *total)
{
    char buf[72];
    char *end = buf + sizeof buf;
    char *digits = format_digits(end, mag, base, upper);
    int ndigits = (int)(end - digits);
    if (sp->prec == 0 && mag == 0)
        ndigits = 0;                          /* "%.0d" of 0 prints nothing */
    char sign = negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
    int npre = (sign ? 1 : 0) + (int)bounded_strlen(prefix, -1);
    int zeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
    int body = npre + zeros + ndigits;
    int pad = sp->width > body ? sp->width - body : 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        emit_pad(sink, ctx, ' ', pad, total);
    if (sign)
        emit(sink, ctx, &sign, 1, total);
    emit(sink, ctx, prefix, bounded_strlen(prefix, -1), total);
    emit_pad(sink, ctx, '0', zeros, total);
    emit(sink, ctx, digits, (size_t)ndigits, total);
    if (sp->left)
        emit_pad(sink, ctx, ' ', pad, total);
}

static intmax_t fetch_signed(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H': return (signed char)va_arg(*ap, int);
    case 'h': return (short)va_arg(*ap, int);
    case 'l': return va_arg(*ap, long);
    case 'L': return va_arg(*ap, long long);
    case 'z': return va_arg(*ap, long);      /* ssize_t */
    case 't': return va_arg(*ap, long);      /* ptrdiff_t */
    case 'j': return va_arg(*ap, intmax_t);
    default:  return va_arg(*ap, int);
    }
}

static uintmax_t fetch_unsigned(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H': return (unsigned char)va_arg(*ap, unsigned);
    case 'h': return (unsigned short)va_arg(*ap, unsigned);
    case 'l': return va_arg(*ap, unsigned long);
    case 'L': return va_arg(*ap, unsigned long long);
    case 'z': return va_arg(*ap, size_t);
    case 't': return va_arg(*ap, unsigned long);
    case 'j': return va_arg(*ap, uintmax_t);
    default:  return va_arg(*ap, unsigned);
    }
}

/* Parses flags, width, precision and length at *pp; advances *pp. */
static void parse_spec(const char **pp, struct spec *sp, va_list *ap)
{
    const char *p = *pp;
    *sp = (struct spec){ .width = -1, .prec = -1 };
    for (;; p++) {
        if (*p == '-') sp->left = true;
        else if (*p == '0') sp->zero = true;
        else if (*p == '+') sp->plus = true;
        else if (*p == ' ') sp->space = true;
        else if (*p == '#') sp->alt = true;
        else break;
    }
    if (*p == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        p++;
    } else {
        for (sp->width = 0; *p >= '0' && *p <= '9'; p++)
            sp->width = sp->width * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            p++;
        } else {
            for (sp->prec = 0; *p >= '0' && *p <= '9'; p++)
                sp->prec = sp->prec * 10 + (*p - '0');
        }
    }
    if (p[0] == 'h' && p[1] == 'h') { sp->length = 'H'; p += 2; }
    else if (p[0] == 'l' && p[1] == 'l') { sp->length = 'L'; p += 2; }
    else if (*p == 'h' || *p == 'l' || *p == 'z' || *p == 't' || *p == 'j')
        sp->length = *p++;
    *pp = p;
}

static void format_one(fmt_sink_fn sink, void *ctx, char conv,
                       const struct spec *sp, va_list *ap, int *total)
{
    switch (conv) {
    case 'd': case 'i': {
        intmax_t v = fetch_signed(sp, ap);
        uintmax_t mag = v < 0 ? -(uintmax_t)v : (uintmax_t)v;
        format_integer(sink, ctx, sp, mag, v < 0, 10, false, "", total);
        break;
    }
    case 'u':
        format_integer(sink, ctx, sp, fetch_unsigned(sp, ap), false, 10, false, "", total);
        break;
    case 'x': case 'X': {
        uintmax_t v = fetch_unsigned(sp, ap);
        const char *pre = (sp->alt && v) ? (conv == 'x' ? "0x" : "0X") : "";
        format_integer(sink, ctx, sp, v, false, 16, conv == 'X', pre, total);
        break;
    }
    case 'o': {
        uintmax_t v = fetch_unsigned(sp, ap);
        format_integer(sink, ctx, sp, v, false, 8, false, (sp->alt && v) ? "0" : "", total);
        break;
    }
    case 'p': {
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);
        struct spec ps = *sp;
        ps.plus = ps.space = false;
        format_integer(sink, ctx, &ps, v, false, 16, false, "0x", total);
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        int pad = sp->width > 1 ? sp->width - 1 : 0;
        if (!sp->left) emit_pad(sink, ctx, ' ', pad, total);
        emit(sink, ctx, &c, 1, total);
        if (sp->left) emit_pad(sink, ctx, ' ', pad, total);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        size_t n = bounded_strlen(s, sp->prec);
        int pad = sp->width > (int)n ? sp->width - (int)n : 0;
        if (!sp->left) emit_pad(sink, ctx, ' ', pad, total);
        emit(sink, ctx, s, n, total);
        if (sp->left) emit_pad(sink, ctx, ' ', pad, total);
        break;
    }
    case '%':
        emit(sink, ctx, "%", 1, total);
        break;
    default:
        /* Unknown conversion: print it literally so the mistake is visible. */
        emit(sink, ctx, "%", 1, total);
        if (conv)
            emit(sink, ctx, &conv, 1, total);
        break;
    }
}

int fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
    int total = 0;
    va_list aq;
    va_copy(aq, ap);
    const char *p = fmt;
    while (*p) {
        const char *lit = p;
        while (*p && *p != '%')
            p++;
        emit(sink, ctx, lit, (size_t)(p - lit), &total);
        if (!*p)
            break;
        p++;
        struct spec sp;
        parse_spec(&p, &sp, &aq);
        char conv = *p;
        if (conv)
            p++;
        format_one(sink, ctx, conv, &sp, &aq, &total);
    }
    va_end(aq);
    return total;
}

struct buf_sink {
    char *buf;
    size_t size;
    size_t used;
};

static void buf_sink_write(void *ctx, const char *s, size_t n)
{
    struct buf_sink *b = ctx;
    for (size_t i = 0; i < n; i++, b->used++)
        if (b->used + 1 < b->size)
            b->buf[b->used] = s[i];
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buf_sink b = { buf, size, 0 };
    int n = fmt_vformat(buf_sink_write, &b, fmt, ap);
    if (size)
        buf[b.used < size ? b.used : size - 1] = 0;
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
