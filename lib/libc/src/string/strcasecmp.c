/* strcasecmp.c — POSIX (strings.h): compares as if both were lower case. */
#include <ctype.h>
#include <strings.h>

int strcasecmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && tolower(*p) == tolower(*q))
        p++, q++;
    return tolower(*p) - tolower(*q);
}
