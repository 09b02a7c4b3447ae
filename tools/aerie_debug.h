/*
 * aerie_debug.h — `aerie debug`: gdb's remote serial protocol for one
 * container, on the host, turned into the control protocol's `debug`
 * requests (docs/CM.md, "aerie debug").
 */
#ifndef AERIE_DEBUG_H
#define AERIE_DEBUG_H
#include <stdint.h>
#include "aerie_conn.h"

/* Serves one gdb on in/out until it detaches or the container ends;
 * returns the exit status for aerie. */
int debug_serve(struct conn *c, uint64_t cid, int in, int out);

#endif
