/*
 * inet_ntop.c — POSIX inet_ntop for AF_INET ("ddd.ddd.ddd.ddd"). ENOSPC
 * when size is too small, EAFNOSUPPORT for any other family.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *inet_ntop(int af, const void *restrict src, char *restrict dst, socklen_t size)
{
    if (af != AF_INET) {
        errno = EAFNOSUPPORT;
        return NULL;
    }
    const unsigned char *a = src;
    char buf[INET_ADDRSTRLEN];
    int n = snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    if (n < 0 || (socklen_t)n >= size) {
        errno = ENOSPC;
        return NULL;
    }
    memcpy(dst, buf, (size_t)n + 1);
    return dst;
}
