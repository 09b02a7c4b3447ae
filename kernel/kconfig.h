/*
 * kconfig.h — options taken from the kernel command line, e.g.
 *   ktest=smp exit_on_halt
 * Unknown words are reported and ignored, so a typo is visible at boot.
 */
#ifndef AERIE_KCONFIG_H
#define AERIE_KCONFIG_H

#include <stdbool.h>

struct kconfig {
    char ktest[32];       /* in-kernel self test to run instead of user space */
    bool exit_on_halt;    /* leave QEMU (isa-debug-exit) when the kernel halts */
};

extern struct kconfig kconfig;

void kconfig_parse(const char *cmdline);

#endif
