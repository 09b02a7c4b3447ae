/* atoi.c — C11 7.22.1.2: atoi, atol, atoll are strtol without error
 * reporting (out-of-range input gives the clamped value). */
#include <stdlib.h>

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
    return strtoll(s, NULL, 10);
}
