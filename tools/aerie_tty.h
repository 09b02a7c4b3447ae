/*
 * aerie_tty.h — `aerie run -t` / `aerie exec -t` on the host side: the
 * host terminal in raw mode while a container has it (restored on every
 * way out we can see), and the framing of terminal input the container's
 * line discipline reads (services/linux/tty.c, docs/LINUX.md
 * "Terminals"): 0xFF doubled, and 0xFF 'W' rows cols (16 bits each,
 * big-endian) for the window size.
 */
#ifndef AERIE_TTY_H
#define AERIE_TTY_H

#include <stdbool.h>
#include <stddef.h>

#define TTY_WINSZ_MSG 6                  /* bytes of one window-size message */

/* Our stdin is a terminal: its size in *rows, *cols (true), else false. */
bool tty_host_size(unsigned *rows, unsigned *cols);
/* Puts our stdin's terminal in raw mode (if it is one) until we exit or a
 * fatal signal comes; SIGWINCH then makes tty_winch_fd() readable. */
void tty_raw_begin(void);
/* A descriptor that becomes readable when the window size changed, or -1. */
int tty_winch_fd(void);
/* Drains tty_winch_fd(). */
void tty_winch_clear(void);
/* The window-size message for our terminal now into out; its length (0: no terminal). */
size_t tty_winsize_msg(unsigned char out[TTY_WINSZ_MSG]);
/* in[n] framed into out (room for 2 * n): its length. */
size_t tty_frame(const unsigned char *in, size_t n, unsigned char *out);

#endif
