/*
 * printk.h — kernel console output and panic. kprintf takes a lock so lines
 * from different CPUs do not interleave; panic takes the console from
 * whoever holds it, stops the other CPUs, and never returns.
 */
#ifndef AERIE_PRINTK_H
#define AERIE_PRINTK_H

#include <stdarg.h>
#include <stdint.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

struct trap_frame;

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Panic with the register state of a trap (exceptions in the kernel). */
_Noreturn void panic_trap(const struct trap_frame *tf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints a backtrace following frame pointers from rbp. */
void backtrace_from(uint64_t rip, uint64_t rbp);

#define assert(cond) \
    do { if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); } while (0)

#endif
