/*
 * aerie_input.h — `aerie run -i`: the CLI's standard input forwarded to a
 * container's (services/ctl/input.c, docs/CLI.md).
 */
#ifndef AERIE_INPUT_H
#define AERIE_INPUT_H

#include <stdint.h>
#include "aerie_conn.h"

/* Starts a thread that sends what our stdin gives to container cid's
 * input, on a connection of its own (main's carries the output stream),
 * and its end at our stdin's end. Our going away ends it too (ctl sends
 * the end when the connection closes). Exits with a message if the
 * thread cannot start. */
void input_forward(const struct conn *main_conn, uint64_t cid);
/* The same for `aerie exec -i`: target is "CID:N", exec N's input. */
void input_forward_to(const struct conn *main_conn, const char *target);

#endif
