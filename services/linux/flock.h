/* File locks between the processes of one container (flock.c): flock(2)
 * locks owned by an open file description, fcntl's POSIX record locks
 * owned by a process, and its OFD record locks owned by a description. At most LX_LOCKS_MAX records (ENOLCK beyond). */
#pragma once
#include "lx.h"

#define LX_LOCKS_MAX 1024

/* flock(2) on fd with operation op: 0, an error, or LX_BLOCK. */
int64_t lx_flock(struct lx_thread *t, int fd, unsigned op);
/* fcntl F_GETLK / F_SETLK / F_SETLKW and their F_OFD_ forms with the
 * struct flock at uaddr: 0, an error, or LX_BLOCK. */
int64_t lx_posix_lock(struct lx_thread *t, struct lx_file *f, int cmd, uint64_t uaddr);
/* The description f is gone: its flock lock goes. */
void lx_locks_file_gone(struct lx_file *f);
/* Process p closes a descriptor of f: all of p's POSIX locks on f's file go. */
void lx_locks_closing(struct lx_proc *p, struct lx_file *f);
/* Process pid is gone: its POSIX locks go. */
void lx_locks_proc_gone(int pid);
