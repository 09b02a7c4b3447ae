/* abs.c — C11 7.22.6 and 7.8.2: absolute values and quotient/remainder
 * pairs (division truncates toward zero, as C's / does). */
#include <inttypes.h>
#include <stdlib.h>

int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }
long long llabs(long long x) { return x < 0 ? -x : x; }
intmax_t imaxabs(intmax_t x) { return x < 0 ? -x : x; }

div_t div(int num, int den) { return (div_t){ num / den, num % den }; }
ldiv_t ldiv(long num, long den) { return (ldiv_t){ num / den, num % den }; }
lldiv_t lldiv(long long num, long long den) { return (lldiv_t){ num / den, num % den }; }
imaxdiv_t imaxdiv(intmax_t num, intmax_t den) { return (imaxdiv_t){ num / den, num % den }; }
