/*
 * fmt.h — the one printf engine, shared by the kernel's kprintf and libc's
 * printf family. It formats into a caller-supplied sink, so it needs no
 * memory and no locks of its own.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %% with flags "-0+ #", width and
 * precision (also '*'), and length modifiers hh h l ll z t j.
 */
#ifndef AERIE_FMT_H
#define AERIE_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives n bytes of output; called any number of times. */
typedef void (*fmt_sink_fn)(void *ctx, const char *s, size_t n);

/* Formats fmt with ap into sink; returns the number of bytes produced. */
int fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap);

/* Formats into buf (always NUL-terminated when size > 0); returns the
 * length the full output would have had, as C's vsnprintf does. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
