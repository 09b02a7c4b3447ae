/*
 * cmclient.h — what the guest test programs that drive cm share (cmtest,
 * forktest, restarttest): the "cm" capability, a container's whole log,
 * and the kernel's free-page count read three ways (now, once it equals
 * what is expected, once it stops moving).
 */
#ifndef AERIE_TESTS_CMCLIENT_H
#define AERIE_TESTS_CMCLIENT_H

#include <stddef.h>
#include <stdint.h>

extern uint64_t cmcap;                  /* "cm": a client's; each program looks it up */

/* A container's whole log (what fits in cap - 1 bytes, NUL-ended); its
 * length or an error. */
int64_t read_log(uint64_t id, char *log, size_t cap);

/* The kernel's free pages now. */
uint64_t free_pages(void);
/* free_pages() once it equals want, or after about a second. */
uint64_t free_pages_settled(uint64_t want);
/* free_pages() once four readings 50 ms apart agree (or 5 s passed). */
uint64_t free_pages_steady(void);

void sleep_ms(unsigned ms);

#endif
