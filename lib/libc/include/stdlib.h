/* stdlib.h — C11 7.22 (without the multibyte and floating-point
 * conversions, see docs/LIBC.md), plus POSIX setenv, unsetenv, posix_memalign. */
#ifndef _STDLIB_H
#define _STDLIB_H

#define __NEED_size_t
#define __NEED_wchar_t
#include <bits/alltypes.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX     0x7fffffff
#define MB_CUR_MAX   ((size_t)1)

typedef struct { int quot, rem; } div_t;
typedef struct { long quot, rem; } ldiv_t;
typedef struct { long long quot, rem; } lldiv_t;

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);
void *aligned_alloc(size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size);

long strtol(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t n, size_t size,
              int (*cmp)(const void *, const void *));

int abs(int x);
long labs(long x);
long long llabs(long long x);
div_t div(int num, int den);
ldiv_t ldiv(long num, long den);
lldiv_t lldiv(long long num, long long den);

int rand(void);
void srand(unsigned seed);
int rand_r(unsigned *seed);
/* Random numbers for keys and nonces (src/stdlib/random.c): the CPU's
 * generator (RDRAND) where there is one, and a state reseeded whenever the
 * program finds itself a fresh clone (`aerie fork`), so no two clones and
 * no clone and its original ever return the same numbers. */
__UINT32_TYPE__ arc4random(void);
void arc4random_buf(void *buf, size_t n);
__UINT32_TYPE__ arc4random_uniform(__UINT32_TYPE__ upper);

char *getenv(const char *name);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);

_Noreturn void exit(int status);
_Noreturn void _Exit(int status);
_Noreturn void abort(void);
int atexit(void (*fn)(void));

#endif
