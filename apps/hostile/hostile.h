/*
 * hostile.h — what the hostile container's attack files share: the
 * count of attempts that did NOT fail (each one a hole in isolation).
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdint.h>
#include <stdbool.h>

extern int surprises;
extern unsigned held_probed;

/* Counts (and, asked to, prints) an attempt that succeeded. */
void surprise(uint64_t slot, const char *what, uint64_t label, int64_t r);
/* A surprise if r is not an error. */
void expect_fail(int64_t r, uint64_t slot, const char *what);

/* Attacks through every capability the container holds (held.c). */
void attack_held(void);
/* Tries to run outside its spec's cpus= with its own thread and quota (cpus.c). */
void attack_cpus(void);

#endif
