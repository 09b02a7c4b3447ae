/* stpcpy.c — POSIX: strcpy that returns the end of the copy. */
#include <string.h>

char *stpcpy(char *restrict dst, const char *restrict src)
{
    while ((*dst = *src++))
        dst++;
    return dst;
}
