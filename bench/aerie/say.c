/*
 * say.c — see say.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "say.h"

void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ae_kdebug_write(ae_self.kdebug, line, (uint64_t)n);
}
