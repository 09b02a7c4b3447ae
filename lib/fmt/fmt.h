/*
 * fmt.h — the one printf engine, shared by the kernel's kprintf and libc's
 * printf family. It formats into a caller-supplied sink, so it needs no
 * memory and no locks of its own.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %% with flags "-0+ #", width and
 * precision (also '*'), and length modifiers hh h l ll z t j L.
 * Conversions the engine does not know (floating point, %n) go to an
 * optional hook, so libc adds them without the kernel carrying them.
 */
#ifndef AERIE_FMT_H
#define AERIE_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Receives n bytes of output; called any number of times. */
typedef void (*fmt_sink_fn)(void *ctx, const char *s, size_t n);

enum fmt_length {
    FMT_LEN_NONE, FMT_LEN_HH, FMT_LEN_H, FMT_LEN_L, FMT_LEN_LL,
    FMT_LEN_Z, FMT_LEN_T, FMT_LEN_J,
    FMT_LEN_LDOUBLE,                    /* 'L': long double (as ll for integers) */
};

/* One parsed conversion specification (C11 7.21.6.1p4). */
struct fmt_spec {
    bool left, zero, plus, space, alt;  /* flags - 0 + space # */
    int width;                          /* -1: none */
    int prec;                           /* -1: none */
    enum fmt_length length;
};

/*
 * Formats a conversion the engine does not know. It takes its argument
 * from *ap, sends its output to sink, and returns the number of bytes it
 * sent, or -1 if it does not know conv either (the engine then prints the
 * conversion literally). written is the count produced so far (for %n).
 */
typedef int (*fmt_hook_fn)(fmt_sink_fn sink, void *ctx, char conv,
                           const struct fmt_spec *sp, va_list *ap, int written);

/* Formats fmt with ap into sink; returns the number of bytes produced. */
int fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap);
int fmt_vformat_hook(fmt_sink_fn sink, void *ctx, fmt_hook_fn hook,
                     const char *fmt, va_list ap);

/* Sends n copies of c to sink (padding for hooks); returns n (0 if n < 0). */
int fmt_pad(fmt_sink_fn sink, void *ctx, char c, int n);

/* Formats into buf (always NUL-terminated when size > 0); returns the
 * length the full output would have had, as C's vsnprintf does. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_vsnprintf_hook(char *buf, size_t size, fmt_hook_fn hook,
                       const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
