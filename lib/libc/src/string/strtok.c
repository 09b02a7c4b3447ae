/* strtok.c — C11 7.24.5.8: strtok_r with one hidden position, per thread
 * (the standard allows either; per thread is the safer). */
#include <string.h>

char *strtok(char *restrict s, const char *restrict delim)
{
    static __thread char *save;
    return strtok_r(s, delim, &save);
}
