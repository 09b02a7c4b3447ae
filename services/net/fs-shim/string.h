/*
 * string.h (freestanding shim) — the only library functions the net
 * service's core uses. The freestanding build check (services/net/net.mk)
 * compiles the core against this header alone, so any other libc
 * dependency is a build error. The service itself will take libc's.
 */
#ifndef AERIE_NET_FS_STRING_H
#define AERIE_NET_FS_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
