/*
 * libaerie/kdebug.h — printf to the kernel console, for the boot task and
 * kernel tests (programs that hold the kernel debug capability).
 */
#ifndef LIBAERIE_KDEBUG_H
#define LIBAERIE_KDEBUG_H

int ae_kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
