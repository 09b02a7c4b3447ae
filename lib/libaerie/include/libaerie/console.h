/*
 * libaerie/console.h — writing to the program's console stream: the
 * console service if "console" was granted, else the kernel debug console
 * if the program holds it (the boot task), else nowhere (AE_ECAP).
 */
#ifndef LIBAERIE_CONSOLE_H
#define LIBAERIE_CONSOLE_H

#include <stdint.h>
#include <stddef.h>

int64_t ae_console_write(const char *buf, size_t n);

#endif
