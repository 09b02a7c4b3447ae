/*
 * strstr.c — C11 7.24.5.7. A naive scan that first checks the needle's
 * first byte: quadratic only for needles with long repeated prefixes,
 * which container programs rarely search for.
 */
#include <string.h>

char *strstr(const char *haystack, const char *needle)
{
    if (!*needle)
        return (char *)haystack;
    size_t n = strlen(needle);
    for (const char *h = haystack; (h = strchr(h, *needle)); h++)
        if (!strncmp(h, needle, n))
            return (char *)h;
    return NULL;
}
