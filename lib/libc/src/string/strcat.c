/* strcat.c — C11 7.24.3.1. */
#include <string.h>

char *strcat(char *restrict dst, const char *restrict src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}
