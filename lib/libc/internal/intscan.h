/* intscan.h — the one parser behind strtol, strtoul, strtoll, strtoull,
 * strtoimax, strtoumax (src/stdlib/intscan.c). */
#ifndef LIBC_INTSCAN_H
#define LIBC_INTSCAN_H

#include <stdbool.h>

/*
 * Parses the subject sequence of C11 7.22.1.4 at s: white space, an
 * optional sign, an optional 0x/0X (base 0 or 16), digits in base (0:
 * decimal, octal or hex by prefix). Returns the magnitude, or ULLONG_MAX
 * with *overflow set if it does not fit; sets *negative for a '-'. *end
 * (if end is not NULL) gets the first byte after the digits, or s when
 * nothing was converted. A base other than 0 and 2..36 sets errno to
 * EINVAL and converts nothing.
 */
unsigned long long __intscan(const char *s, char **end, int base,
                             bool *negative, bool *overflow);

/* The strtol-style result for a signed type whose range is [min, max]:
 * the value, or min/max with errno ERANGE if out of range. */
long long __intscan_signed(const char *s, char **end, int base,
                           long long min, long long max);

/* The strtoul-style result for an unsigned type with maximum max: the
 * magnitude (negated in the type if there was a '-'), or max with errno
 * ERANGE if the magnitude exceeds max. */
unsigned long long __intscan_unsigned(const char *s, char **end, int base,
                                      unsigned long long max);

#endif
