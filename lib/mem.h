/*
 * mem.h — the only C library routines the freestanding user-level libraries
 * (lib/image, services/fs) call. Every environment they run in supplies
 * them: the host C library in tests and tools, Aerie's libc in services.
 * The prototypes are the standard ones, so this header and <string.h> can
 * both be included.
 */
#ifndef AERIE_LIB_MEM_H
#define AERIE_LIB_MEM_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
