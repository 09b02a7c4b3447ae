/* rename.c — C11/POSIX rename: atomic replacement of the target. */
#include <stdio.h>
#include "libc.h"
#include "sys.h"

int rename(const char *from, const char *to)
{
    return (int)__ae_ret(__sys_rename(from, to));
}
