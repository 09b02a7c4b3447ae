/*
 * pmm_platform.h — what pmm.c needs from its surroundings: a lock and a
 * way to die. The host unit tests put their own version of this header
 * first on the include path.
 */
#ifndef AERIE_PMM_PLATFORM_H
#define AERIE_PMM_PLATFORM_H

#include "lib/spinlock.h"
#include "printk.h"

#define pmm_fatal(...) panic(__VA_ARGS__)

#endif
