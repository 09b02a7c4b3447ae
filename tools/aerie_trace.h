/*
 * aerie_trace.h — `aerie trace`: a container's events as cm's trace
 * buffer gives them (docs/CM.md, "aerie trace"), printed one a line, or
 * counted per call like strace -c.
 */
#ifndef AERIE_TRACE_CLI_H
#define AERIE_TRACE_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include "aerie_conn.h"

/* Kinds to record: a bit per AERIE_TRACE_* (aerie/trace.h); parses a
 * comma list of call, fault, syscall, thread; 0 if a word is unknown. */
uint64_t trace_kinds(const char *list);
/* Traces container cid until it ends (or ^C); returns aerie's exit status. */
int trace_run(struct conn *c, uint64_t cid, uint64_t bytes, uint64_t kinds, bool summary);

#endif
