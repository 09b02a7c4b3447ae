/* strings.h — POSIX. */
#ifndef _STRINGS_H
#define _STRINGS_H

#define __NEED_size_t
#include <bits/alltypes.h>

int ffs(int i);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);

#endif
