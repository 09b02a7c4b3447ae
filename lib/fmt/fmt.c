/*
 * fmt.c — the printf engine shared by kernel and libc (see fmt.h).
 * Integer conversions only: the kernel has no FPU state to spend, and libc
 * adds floating point and %n through the hook (lib/libc/src/stdio/fmt_float.c).
 * Semantics follow C11 7.21.6.1; libc's host tests compare it with glibc.
 */
#include "fmt.h"
#include <stdint.h>

int fmt_pad(fmt_sink_fn sink, void *ctx, char c, int n)
{
    char buf[16];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = c;
    int total = n > 0 ? n : 0;
    while (n > 0) {
        int k = n < (int)sizeof buf ? n : (int)sizeof buf;
        sink(ctx, buf, (size_t)k);
        n -= k;
    }
    return total;
}

static void emit_pad(fmt_sink_fn sink, void *ctx, char c, int n, int *total)
{
    *total += fmt_pad(sink, ctx, c, n);
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

/* Prints sign, prefix, precision zeros and digits, padded to the width.
 * sign is '-', '+', ' ' or 0; prefix is "0x", "0X", "0" or "". */
static void format_integer(fmt_sink_fn sink, void *ctx, const struct fmt_spec *sp,
                           uintmax_t mag, char sign, unsigned base,
                           bool upper, const char *prefix, int *total)
{
    char buf[72];
    char *end = buf + sizeof buf;
    char *digits = format_digits(end, mag, base, upper);
    int ndigits = (int)(end - digits);
    if (sp->prec == 0 && mag == 0)
        ndigits = 0;                          /* "%.0d" of 0 prints nothing */
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

static intmax_t fetch_signed(const struct fmt_spec *sp, va_list *ap)
{
    switch (sp->length) {
    case FMT_LEN_HH: return (signed char)va_arg(*ap, int);
    case FMT_LEN_H:  return (short)va_arg(*ap, int);
    case FMT_LEN_L:  return va_arg(*ap, long);
    case FMT_LEN_LL: case FMT_LEN_LDOUBLE: return va_arg(*ap, long long);
    case FMT_LEN_Z:  return va_arg(*ap, long);      /* ssize_t */
    case FMT_LEN_T:  return va_arg(*ap, long);      /* ptrdiff_t */
    case FMT_LEN_J:  return va_arg(*ap, intmax_t);
    default:         return va_arg(*ap, int);
    }
}

static uintmax_t fetch_unsigned(const struct fmt_spec *sp, va_list *ap)
{
    switch (sp->length) {
    case FMT_LEN_HH: return (unsigned char)va_arg(*ap, unsigned);
    case FMT_LEN_H:  return (unsigned short)va_arg(*ap, unsigned);
    case FMT_LEN_L:  return va_arg(*ap, unsigned long);
    case FMT_LEN_LL: case FMT_LEN_LDOUBLE: return va_arg(*ap, unsigned long long);
    case FMT_LEN_Z:  return va_arg(*ap, size_t);
    case FMT_LEN_T:  return va_arg(*ap, unsigned long);
    case FMT_LEN_J:  return va_arg(*ap, uintmax_t);
    default:         return va_arg(*ap, unsigned);
    }
}

static const char *parse_length(const char *p, enum fmt_length *len)
{
    switch (*p) {
    case 'h': if (p[1] == 'h') { *len = FMT_LEN_HH; return p + 2; }
              *len = FMT_LEN_H; return p + 1;
    case 'l': if (p[1] == 'l') { *len = FMT_LEN_LL; return p + 2; }
              *len = FMT_LEN_L; return p + 1;
    case 'z': *len = FMT_LEN_Z; return p + 1;
    case 't': *len = FMT_LEN_T; return p + 1;
    case 'j': *len = FMT_LEN_J; return p + 1;
    case 'L': *len = FMT_LEN_LDOUBLE; return p + 1;
    default:  *len = FMT_LEN_NONE; return p;
    }
}

/* Parses flags, width, precision and length at *pp; advances *pp. */
static void parse_spec(const char **pp, struct fmt_spec *sp, va_list *ap)
{
    const char *p = *pp;
    *sp = (struct fmt_spec){ .width = -1, .prec = -1 };
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
    *pp = parse_length(p, &sp->length);
}

/* %o with '#': the first digit must be 0, which precision may already give
 * (C11 7.21.6.1p6); "%#.0o" of 0 still prints "0". */
static void format_octal(fmt_sink_fn sink, void *ctx, const struct fmt_spec *sp,
                         uintmax_t v, int *total)
{
    struct fmt_spec os = *sp;
    const char *prefix = "";
    if (sp->alt) {
        int ndigits = 0;
        for (uintmax_t t = v; t; t >>= 3)
            ndigits++;
        if (v == 0 && os.prec == 0)
            os.prec = 1;
        else if (v != 0 && os.prec <= ndigits)
            prefix = "0";
    }
    format_integer(sink, ctx, &os, v, 0, 8, false, prefix, total);
}

static void format_text(fmt_sink_fn sink, void *ctx, const struct fmt_spec *sp,
                        const char *s, size_t n, int *total)
{
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        emit_pad(sink, ctx, ' ', pad, total);
    emit(sink, ctx, s, n, total);
    if (sp->left)
        emit_pad(sink, ctx, ' ', pad, total);
}

static void format_one(fmt_sink_fn sink, void *ctx, fmt_hook_fn hook, char conv,
                       const struct fmt_spec *sp, va_list *ap, int *total)
{
    switch (conv) {
    case 'd': case 'i': {
        intmax_t v = fetch_signed(sp, ap);
        uintmax_t mag = v < 0 ? -(uintmax_t)v : (uintmax_t)v;
        char sign = v < 0 ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
        format_integer(sink, ctx, sp, mag, sign, 10, false, "", total);
        break;
    }
    case 'u':
        format_integer(sink, ctx, sp, fetch_unsigned(sp, ap), 0, 10, false, "", total);
        break;
    case 'x': case 'X': {
        uintmax_t v = fetch_unsigned(sp, ap);
        const char *pre = (sp->alt && v) ? (conv == 'x' ? "0x" : "0X") : "";
        format_integer(sink, ctx, sp, v, 0, 16, conv == 'X', pre, total);
        break;
    }
    case 'o':
        format_octal(sink, ctx, sp, fetch_unsigned(sp, ap), total);
        break;
    case 'p': {                     /* as glibc: %#lx, with '+' and ' ' honoured */
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);
        char sign = sp->plus ? '+' : sp->space ? ' ' : 0;
        format_integer(sink, ctx, sp, v, sign, 16, false, "0x", total);
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        format_text(sink, ctx, sp, &c, 1, total);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        format_text(sink, ctx, sp, s, bounded_strlen(s, sp->prec), total);
        break;
    }
    case '%':
        emit(sink, ctx, "%", 1, total);
        break;
    default: {
        int n = hook ? hook(sink, ctx, conv, sp, ap, *total) : -1;
        if (n >= 0) {
            *total += n;
            break;
        }
        /* Unknown conversion: print it literally so the mistake is visible. */
        emit(sink, ctx, "%", 1, total);
        if (conv)
            emit(sink, ctx, &conv, 1, total);
        break;
    }
    }
}

int fmt_vformat_hook(fmt_sink_fn sink, void *ctx, fmt_hook_fn hook,
                     const char *fmt, va_list ap)
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
        struct fmt_spec sp;
        parse_spec(&p, &sp, &aq);
        char conv = *p;
        if (conv)
            p++;
        format_one(sink, ctx, hook, conv, &sp, &aq, &total);
    }
    va_end(aq);
    return total;
}

int fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
    return fmt_vformat_hook(sink, ctx, NULL, fmt, ap);
}

struct buf_sink {
    char *buf;
    size_t size;
    size_t used;
};

static void buf_sink_write(void *ctx, const char *s, size_t n)
{
    struct buf_sink *b = ctx;
    if (b->used + 1 < b->size) {
        size_t room = b->size - 1 - b->used;
        size_t k = n < room ? n : room;
        for (size_t i = 0; i < k; i++)
            b->buf[b->used + i] = s[i];
    }
    b->used += n;
}

int fmt_vsnprintf_hook(char *buf, size_t size, fmt_hook_fn hook,
                       const char *fmt, va_list ap)
{
    struct buf_sink b = { buf, size, 0 };
    int n = fmt_vformat_hook(buf_sink_write, &b, hook, fmt, ap);
    if (size)
        buf[b.used < size ? b.used : size - 1] = 0;
    return n;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return fmt_vsnprintf_hook(buf, size, NULL, fmt, ap);
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
