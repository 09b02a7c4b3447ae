/*
 * inet_pton.c — POSIX inet_pton for AF_INET: exactly "ddd.ddd.ddd.ddd",
 * each part one to three decimal digits, at most 255, no leading zero
 * (as glibc and musl; a leading zero would mean octal to inet_addr).
 * There is no IPv6 here: AF_INET6 fails with EAFNOSUPPORT.
 */
#include <arpa/inet.h>
#include <errno.h>

int inet_pton(int af, const char *restrict src, void *restrict dst)
{
    if (af != AF_INET) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    unsigned char a[4];
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        for (; *src >= '0' && *src <= '9'; src++, digits++) {
            if (digits == 3 || (digits && v == 0))
                return 0;
            v = v * 10 + (unsigned)(*src - '0');
        }
        if (!digits || v > 255 || *src != (i < 3 ? '.' : '\0'))
            return 0;
        a[i] = (unsigned char)v;
        src++;
    }
    unsigned char *d = dst;
    for (int i = 0; i < 4; i++)
        d[i] = a[i];
    return 1;
}
