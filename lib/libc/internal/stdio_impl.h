/*
 * stdio_impl.h — the FILE object. A FILE is a buffer in front of a
 * backend: a small ops table and its object. The fd backend (fd_file.c)
 * serves stdin, stdout, stderr and fdopen(); the file system can add
 * fopen() with the fd backend or with its own ops (__file_new). Locking:
 * each FILE has a recursive lock held for a whole call (a printf's output
 * is never interleaved with another thread's); the list of open FILEs has
 * its own lock, taken before no FILE lock.
 */
#ifndef LIBC_STDIO_IMPL_H
#define LIBC_STDIO_IMPL_H

#include <stdint.h>
#include <stdio.h>
#include "fmt.h"

struct __pthread;

/* Each op returns a byte count (read: 0 at end of input) or -1 with errno
 * set. write may be short; the caller retries the rest. */
struct file_ops {
    ssize_t (*read)(FILE *f, unsigned char *buf, size_t n);
    ssize_t (*write)(FILE *f, const unsigned char *buf, size_t n);
    off_t (*seek)(FILE *f, off_t off, int whence);   /* NULL: not seekable */
    int (*close)(FILE *f);                           /* releases the backend */
};

/* struct _IO_FILE.flags */
enum {
    F_EOF       = 1 << 0,       /* end-of-file indicator (feof) */
    F_ERR       = 1 << 1,       /* error indicator (ferror) */
    F_NORD      = 1 << 2,       /* not open for reading */
    F_NOWR      = 1 << 3,       /* not open for writing */
    F_FREE_BUF  = 1 << 4,       /* buf came from malloc */
    F_FREE_FILE = 1 << 5,       /* the FILE came from malloc */
};

struct _IO_FILE {
    const struct file_ops *ops;
    void *cookie;               /* the backend's object */
    int fd;                     /* for fileno(); -1 if none */
    unsigned flags;             /* F_* */
    int mode;                   /* _IOFBF, _IOLBF or _IONBF */

    /* The buffer holds either unwritten output or unread input, never
     * both: output is [0, wpos), input is [rpos, rend). */
    unsigned char *buf;
    size_t size;
    size_t wpos;
    size_t rpos, rend;
    int ungot;                  /* a byte pushed back by ungetc, or EOF */

    /* Recursive lock: lock word, holder, depth. */
    volatile uint32_t lock;
    struct __pthread *owner;
    int depth;

    /* The list of open FILEs (__stdio_list_lock). */
    struct _IO_FILE *prev, *next;
};

void __flockfile(FILE *f);
void __funlockfile(FILE *f);

/* The unlocked cores; the caller holds f's lock. */
size_t __fwrite_unlocked(const void *p, size_t n, FILE *f);
size_t __fwrite_buffered(const void *p, size_t n, FILE *f);  /* no line flush */
size_t __write_through(FILE *f, const unsigned char *p, size_t n);
int __fflush_unlocked(FILE *f);
int __fgetc_unlocked(FILE *f);
int __vfprintf_unlocked(FILE *f, const char *fmt, va_list ap);

/* Drops buffered input, moving the backend back over it; 0 or -1. */
int __drop_input(FILE *f);

/* Allocates a FILE for (ops, cookie) with a BUFSIZ buffer, opened for
 * reading and/or writing as mode ("r", "w+", "a", ...) says, and links it
 * into the open list. Returns NULL (errno set) on a bad mode or no memory. */
FILE *__file_new(const struct file_ops *ops, void *cookie, int fd, const char *mode);

/* Adds and removes f in the list of open FILEs; flushes them all. */
void __file_link(FILE *f);
void __file_unlink(FILE *f);
int __fflush_all(void);

/* The backend that reads and writes a file descriptor (cookie unused). */
extern const struct file_ops __fd_file_ops;

/* The fmt hook that adds %a %e %f %g (and capitals) and %n (fmt_float.c). */
int __fmt_hook(fmt_sink_fn sink, void *ctx, char conv, const struct fmt_spec *sp,
               va_list *ap, int written);

#endif
