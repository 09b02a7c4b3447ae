/*
 * dev.c — the files that are not in the fs session: the container's
 * console stream (stdout and stderr of pid 1; it looks like a pipe, as
 * `docker logs` output does, so programs buffer as they would into one),
 * and /dev/null, /dev/zero, /dev/urandom, /dev/full (stdin is stdin.c).
 * /dev/tty and /dev/pts/N are the terminals of tty.c (a container with
 * no tty= has none: /dev/tty is ENXIO there, as for Linux's processes
 * without a controlling terminal).
 */
#include <string.h>
#include <aerie/errors.h>
#include <stdlib.h>
#include <libaerie/console.h>
#include <libaerie/fs.h>
#include <libaerie/runtime.h>
#include "lx.h"
#include "sys.h"

static int fifo_stat(struct lx_file *f, struct lx_stat *st)
{
    (void)f;
    st->mode = LX_S_IFIFO | 0600;
    st->dev = 0xA;
    st->ino = 1;
    return 0;
}

static int64_t console_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)f, (void)off;
    if (n == 0)
        return 0;
    int64_t r = ae_console_write(buf, n);
    return r < 0 && r != AE_ECAP ? -LX_EIO : (int64_t)n;   /* no console grant: dropped, as for Aerie programs */
}

static int64_t eof_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)f, (void)buf, (void)n, (void)off;
    return 0;
}

static unsigned always_ready(struct lx_file *f, struct lx_thread *t)
{
    (void)f, (void)t;
    return LX_POLLIN | LX_POLLOUT | LX_POLLRDNORM | LX_POLLWRNORM;
}

static const struct lx_file_ops console_ops = {
    .kind = "pipe", .read = eof_read, .write = console_write, .stat = fifo_stat, .poll = always_ready,
};

struct lx_file *lx_console_file(void)
{
    struct lx_file *f = lx_file_new(&console_ops, LX_O_WRONLY, NULL);
    if (f)
        strcpy(f->path, "pipe:[console]");
    return f;
}

/* ---- /dev ---- */

enum { DEV_NULL, DEV_ZERO, DEV_URANDOM, DEV_FULL };

static uint64_t rng_state, rng_gen;

/* /dev/urandom and getrandom: libc's arc4random (RDRAND where the CPU has
 * it, reseeded in a clone: lib/libc/src/stdlib/random.c) mixed into a
 * xorshift state that is reseeded too when the personality finds itself
 * in a clone (`aerie fork`: its clone generation changed), so a clone's
 * program never repeats its original's numbers (docs/FORK.md). */
void lx_random(void *buf, uint64_t n)
{
    uint8_t *p = buf;
    uint64_t gen = ae_clone_generation();
    if (!rng_state || gen != rng_gen) {
        uint64_t seed;
        arc4random_buf(&seed, sizeof seed);
        rng_state = (rng_state ^ seed ^ __builtin_ia32_rdtsc() * 0x9E3779B97F4A7C15ull) | 1;
        rng_gen = gen;
    }
    while (n) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        uint64_t v = rng_state ^ __builtin_ia32_rdtsc() ^ arc4random();
        uint64_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

static int64_t dev_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)off;
    switch ((uintptr_t)f->obj) {
    case DEV_NULL: return 0;
    case DEV_URANDOM: lx_random(buf, n); return (int64_t)n;
    default: memset(buf, 0, n); return (int64_t)n;
    }
}

static int64_t dev_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)buf, (void)off;
    return (uintptr_t)f->obj == DEV_FULL ? -LX_ENOSPC : (int64_t)n;
}

static int dev_stat(struct lx_file *f, struct lx_stat *st)
{
    static const uint64_t rdev[] = { 0x103, 0x105, 0x109, 0x107 };   /* Linux's 1:3, 1:5, 1:9, 1:7 */
    st->mode = LX_S_IFCHR | 0666;
    st->rdev = rdev[(uintptr_t)f->obj];
    st->dev = 5;
    st->ino = 100 + (uintptr_t)f->obj;
    return 0;
}

static int64_t dev_seek(struct lx_file *f, int64_t off, int whence)
{
    (void)f, (void)off, (void)whence;
    return 0;
}

static const struct lx_file_ops dev_ops = {
    .kind = "dev", .read = dev_read, .write = dev_write, .stat = dev_stat, .seek = dev_seek,
    .poll = always_ready,
};

static const char *const dev_names[] = { "/dev/null", "/dev/zero", "/dev/urandom", "/dev/full" };

/* /dev lists what a program can open in it: the devices, the links
 * to the descriptors (file.c answers them as /proc/self/fd), and shm,
 * a directory of the container's files (file.c, where()) when it has
 * any (the fs grant). */
static int dev_dir_open(unsigned flags, struct lx_file **out)
{
    static const struct lx_dirent_name names[] = {
        { LX_DT_CHR, "null" }, { LX_DT_CHR, "zero" }, { LX_DT_CHR, "full" }, { LX_DT_CHR, "random" },
        { LX_DT_CHR, "urandom" }, { LX_DT_LNK, "fd" }, { LX_DT_LNK, "stdin" }, { LX_DT_LNK, "stdout" },
        { LX_DT_LNK, "stderr" }, { LX_DT_CHR, "tty" }, { LX_DT_DIR, "shm" },
    };
    size_t n = sizeof names / sizeof names[0];
    return lx_listing_open("/dev", 0x10, names, ae_fs_default() ? n : n - 1, flags, out);   /* shm: only with fs */
}

/* The device at path, or -LX_ENOENT if path names none. */
int lx_dev_open(const char *path, unsigned flags, struct lx_file **out)
{
    if (!strcmp(path, "/dev"))
        return dev_dir_open(flags, out);
    if (!strcmp(path, "/dev/tty") || !strncmp(path, "/dev/pts/", 9))
        return lx_tty_open(lx_current, path, flags, out);
    if (flags & LX_O_DIRECTORY)
        return -LX_ENOTDIR;
    for (uintptr_t i = 0; i < sizeof dev_names / sizeof dev_names[0]; i++) {
        if (strcmp(path, dev_names[i]) && !(i == DEV_URANDOM && !strcmp(path, "/dev/random")))
            continue;
        struct lx_file *f = lx_file_new(&dev_ops, flags, (void *)i);
        if (!f)
            return -LX_ENOMEM;
        strcpy(f->path, dev_names[i]);
        *out = f;
        return 0;
    }
    return -LX_ENOENT;
}

/* stat of a device path; -LX_ENOENT if it is none. */
int lx_dev_stat(const char *path, struct lx_stat *st)
{
    if (!strcmp(path, "/dev/tty")) {     /* there without a terminal too (5:0), as on Linux: only open says ENXIO */
        memset(st, 0, sizeof *st);
        st->nlink = 1;
        st->blksize = 4096;
        st->mode = LX_S_IFCHR | 0666;
        st->rdev = 0x500;
        st->dev = 5;
        st->ino = 110;
        return 0;
    }
    struct lx_file *f;
    int r = lx_dev_open(path, LX_O_RDONLY, &f);
    if (r)
        return r;
    memset(st, 0, sizeof *st);
    st->nlink = 1;
    st->blksize = 4096;
    f->ops->stat(f, st);
    lx_file_put(f);
    return 0;
}
