/*
 * memory.h — physical memory set-up and the direct map. The whole of RAM is
 * mapped at DIRECT_MAP_BASE, so the kernel reaches any page by adding that
 * offset; it never maps pages for itself one by one.
 */
#ifndef AERIE_MEMORY_H
#define AERIE_MEMORY_H

#include <stdint.h>
#include "layout.h"

static inline void *phys_to_virt(uint64_t p) { return (void *)(DIRECT_MAP_BASE + p); }
static inline uint64_t virt_to_phys(const void *v) { return (uint64_t)v - DIRECT_MAP_BASE; }

/* Builds the rest of the direct map and hands free RAM to the page
 * allocator, keeping the kernel image, boot modules and low memory out. */
void memory_init(void);

#endif
