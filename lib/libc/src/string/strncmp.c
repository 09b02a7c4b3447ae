/* strncmp.c — C11 7.24.4.4. */
#include <string.h>

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    if (!n)
        return 0;
    while (--n && *p && *p == *q)
        p++, q++;
    return *p - *q;
}
