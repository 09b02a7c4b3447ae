/* sys/random.h — getrandom (as Linux and the BSDs declare it). */
#ifndef _SYS_RANDOM_H
#define _SYS_RANDOM_H

#define __NEED_size_t
#define __NEED_ssize_t
#include <bits/alltypes.h>

#define GRND_NONBLOCK 0x1
#define GRND_RANDOM   0x2
#define GRND_INSECURE 0x4

/* Fills buf with buflen random bytes; never blocks, never fails short
 * (EINVAL for unknown flags). Fresh in every clone: src/stdlib/random.c. */
ssize_t getrandom(void *buf, size_t buflen, unsigned flags);

#endif
