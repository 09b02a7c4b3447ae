/* ffs.c — POSIX (strings.h): 1 + the index of the lowest set bit, 0 for 0. */
#include <strings.h>

int ffs(int i)
{
    return i ? __builtin_ctz((unsigned)i) + 1 : 0;
}
