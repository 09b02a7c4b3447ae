/* strdup.c — POSIX: a malloc'd copy of s; NULL (ENOMEM) if out of memory. */
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}
