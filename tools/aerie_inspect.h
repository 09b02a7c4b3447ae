/*
 * aerie_inspect.h — `aerie inspect`: one container's facts (ctl's inspect
 * verb) printed as "key: value" lines or as a JSON object.
 */
#ifndef AERIE_INSPECT_H
#define AERIE_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include "aerie_conn.h"

/* Prints container cid (json: an object, after a ",\n" unless first);
 * false, with the reason on stderr, when ctl refused (no such container). */
bool inspect_print(struct conn *c, uint64_t cid, bool json, bool first);

#endif
