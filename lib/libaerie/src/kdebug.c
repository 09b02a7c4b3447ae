/*
 * kdebug.c — formatted output on the kernel console through the kernel
 * debug capability.
 */
#include <libaerie/kdebug.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "fmt.h"

int ae_kprintf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    uint64_t len = n < (int)sizeof buf ? (uint64_t)n : sizeof buf - 1;
    ae_kdebug_write(ae_self.kdebug, buf, len);
    return n;
}
