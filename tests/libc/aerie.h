/*
 * aerie.h — libc's functions as the host comparison tests see them: the
 * host build renames every libc symbol aerie_* (libc_tests.mk), so a test
 * compiled with glibc's headers can call both printf and aerie_printf
 * and compare. Only functions whose types mean the same on both sides
 * are declared here (size_t, long, char *, ...); FILE, pthread and time
 * types differ and are tested by the self-tests instead.
 */
#ifndef TESTS_LIBC_AERIE_H
#define TESTS_LIBC_AERIE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern __thread int aerie_errno;

int aerie_snprintf(char *buf, size_t size, const char *fmt, ...);
int aerie_sprintf(char *buf, const char *fmt, ...);
int aerie_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

long aerie_strtol(const char *s, char **end, int base);
unsigned long aerie_strtoul(const char *s, char **end, int base);
long long aerie_strtoll(const char *s, char **end, int base);
unsigned long long aerie_strtoull(const char *s, char **end, int base);
intmax_t aerie_strtoimax(const char *s, char **end, int base);
uintmax_t aerie_strtoumax(const char *s, char **end, int base);
int aerie_atoi(const char *s);
long aerie_atol(const char *s);
long long aerie_atoll(const char *s);

void *aerie_memcpy(void *dst, const void *src, size_t n);
void *aerie_memmove(void *dst, const void *src, size_t n);
void *aerie_memset(void *dst, int c, size_t n);
int aerie_memcmp(const void *a, const void *b, size_t n);
void *aerie_memchr(const void *s, int c, size_t n);
void *aerie_memccpy(void *dst, const void *src, int c, size_t n);
size_t aerie_strlen(const char *s);
size_t aerie_strnlen(const char *s, size_t max);
char *aerie_strcpy(char *dst, const char *src);
char *aerie_strncpy(char *dst, const char *src, size_t n);
char *aerie_stpcpy(char *dst, const char *src);
char *aerie_stpncpy(char *dst, const char *src, size_t n);
char *aerie_strcat(char *dst, const char *src);
char *aerie_strncat(char *dst, const char *src, size_t n);
int aerie_strcmp(const char *a, const char *b);
int aerie_strncmp(const char *a, const char *b, size_t n);
int aerie_strcoll(const char *a, const char *b);
size_t aerie_strxfrm(char *dst, const char *src, size_t n);
char *aerie_strchr(const char *s, int c);
char *aerie_strrchr(const char *s, int c);
char *aerie_strstr(const char *h, const char *n);
size_t aerie_strspn(const char *s, const char *accept);
size_t aerie_strcspn(const char *s, const char *reject);
char *aerie_strpbrk(const char *s, const char *accept);
char *aerie_strtok(char *s, const char *delim);
char *aerie_strtok_r(char *s, const char *delim, char **save);
char *aerie_strdup(const char *s);
char *aerie_strndup(const char *s, size_t n);
char *aerie_strerror(int e);
int aerie_strerror_r(int e, char *buf, size_t size);
int aerie_strcasecmp(const char *a, const char *b);
int aerie_strncasecmp(const char *a, const char *b, size_t n);
int aerie_ffs(int i);
void aerie_free(void *p);

int aerie_isalnum(int c);
int aerie_isalpha(int c);
int aerie_isblank(int c);
int aerie_iscntrl(int c);
int aerie_isdigit(int c);
int aerie_isgraph(int c);
int aerie_islower(int c);
int aerie_isprint(int c);
int aerie_ispunct(int c);
int aerie_isspace(int c);
int aerie_isupper(int c);
int aerie_isxdigit(int c);
int aerie_tolower(int c);
int aerie_toupper(int c);

void aerie_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *aerie_bsearch(const void *key, const void *base, size_t n, size_t size,
                    int (*cmp)(const void *, const void *));
int aerie_abs(int x);
long aerie_labs(long x);
long long aerie_llabs(long long x);
intmax_t aerie_imaxabs(intmax_t x);
typedef struct { int quot, rem; } aerie_div_t;
typedef struct { long quot, rem; } aerie_ldiv_t;
typedef struct { long long quot, rem; } aerie_lldiv_t;
aerie_div_t aerie_div(int num, int den);
aerie_ldiv_t aerie_ldiv(long num, long den);
aerie_lldiv_t aerie_lldiv(long long num, long long den);

#endif
