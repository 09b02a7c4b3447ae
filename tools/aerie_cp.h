/*
 * aerie_cp.h — `aerie cp`: copies files and directory trees between the
 * host and a container's files (its fs grant), through the control
 * channel's file verbs (services/ctl/files.c).
 */
#ifndef AERIE_CP_H
#define AERIE_CP_H

#include "aerie_conn.h"

/* src and dst: a host path and ID:PATH, either way round. Returns the
 * exit status (0, or 1 when something could not be copied); exits with
 * 2 on a bad operand. */
int aerie_cp(struct conn *c, const char *src, const char *dst);

#endif
