/* fatal.c — __libc_fatal (libc.h): a last message, written straight to
 * the console so it works with the heap or a FILE lock broken, then abort. */
#include <stdarg.h>
#include <stdlib.h>
#include "fmt.h"
#include "libc.h"
#include "sys.h"

_Noreturn void __libc_fatal(const char *fmt, ...)
{
    char buf[256];
    int n = fmt_snprintf(buf, sizeof buf, "libc: ");
    va_list ap;
    va_start(ap, fmt);
    n += fmt_vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    __sys_log_write(buf, (size_t)n);
    abort();
}
