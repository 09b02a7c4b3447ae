/*
 * aerie_input.h — `aerie run -i`: the CLI's standard input forwarded to a
 * container's (services/ctl/input.c, docs/CLI.md).
 */
#ifndef AERIE_INPUT_H
#define AERIE_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "aerie_conn.h"

/* Starts a thread that sends what our stdin gives to container cid's
 * input, and its end at our stdin's end, on the run's connection: from
 * now on its sends are locked and replies to the thread's requests, which
 * the main thread reads past while it follows the output, reach the
 * thread. Our going away ends the input too (ctl sends the end when the
 * connection closes). Exits with a message if the thread cannot start. */
void input_forward(struct conn *run_conn, uint64_t cid);
/* The same for `aerie exec -i`: target is "CID:N", exec N's input. */
void input_forward_to(struct conn *run_conn, const char *target);
/* -t (before input_forward): the input is framed for a terminal, our own
 * terminal (if stdin is one) raw until we exit, its size sent at the
 * start and at each SIGWINCH (aerie_tty.h). */
void input_set_tty(bool on);

#endif
