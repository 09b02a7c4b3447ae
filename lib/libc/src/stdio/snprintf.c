/* snprintf.c — C11 7.21.6.5/6/12/13: the printf family into memory, all
 * through the fmt engine's buffer sink with libc's hook. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include "stdio_impl.h"

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    return fmt_vsnprintf_hook(buf, size, __fmt_hook, fmt, ap);
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* sprintf trusts the caller's buffer to be large enough, as C does. */
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
    return vsnprintf(buf, SIZE_MAX, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}
