/* strcoll.c — C11 7.24.4.3; the "C" locale collates bytewise. */
#include <string.h>

int strcoll(const char *a, const char *b)
{
    return strcmp(a, b);
}
