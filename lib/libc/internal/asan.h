/*
 * asan.h — lets the allocator tell AddressSanitizer which bytes are live,
 * so the host tests (built with -fsanitize=address) catch overruns past
 * the requested size and uses after free inside libc's own heap. In the
 * freestanding build these are empty.
 */
#ifndef LIBC_ASAN_H
#define LIBC_ASAN_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define LIBC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIBC_ASAN 1
#endif
#endif

#ifdef LIBC_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define asan_poison(p, n)   __asan_poison_memory_region((p), (n))
#define asan_unpoison(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define asan_poison(p, n)   ((void)(p), (void)(n))
#define asan_unpoison(p, n) ((void)(p), (void)(n))
#endif

#endif
