/*
 * libaerie/console.h — writing to the program's console stream: the
 * console service if "console" was granted, else the kernel debug console
 * if the program holds it (the boot task), else nowhere (AE_ECAP).
 */
#ifndef LIBAERIE_CONSOLE_H
#define LIBAERIE_CONSOLE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

int64_t ae_console_write(const char *buf, size_t n);

/* Reads up to n bytes of the program's standard input (CON_IN_READ on
 * its console stream): the bytes read, 0 at the end (also when it has no
 * console or no input was attached), or a negative AE_* error. With wait,
 * an empty input waits on the "stdin" notification for more; without it,
 * an empty input is AE_EAGAIN. */
int64_t ae_console_read(void *buf, size_t n, bool wait);

#endif
