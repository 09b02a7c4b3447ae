/* strchr.c — C11 7.24.5.2: the terminator counts as part of the string,
 * so strchr(s, 0) finds it. */
#include <string.h>

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
