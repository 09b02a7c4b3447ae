/*
 * fsstream.c — a stream of writes and reads that must survive the fs
 * service being killed under it (tests/restart/, docs/RESTART.md).
 *
 *     fsstream N [MS] [FILES]
 *
 * With FILES, it first makes a tree of FILES small files (/tree/dNN/fNNNN,
 * 100 to a directory, each holding its own name) and checks every one of
 * them again at the end.
 * Appends N fixed-size records to /data (one write each, MS ms apart) and
 * reads back a random earlier one after each. A write that fails with EIO
 * was in flight when the service died: it happened entirely or not at all
 * as far as the file's size says, and is written again if not. Every other
 * error ends the program. At the end every record must be there, once, in
 * order; it prints what it saw and exits 0 only then.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC 16

static void record(char *buf, int i)
{
    snprintf(buf, REC + 1, "record %07d\n", i);
}

/* Creates file i of the tree (or checks it); EIO in flight is retried
 * (O_CREAT without O_EXCL and a pwrite at 0 make that idempotent). */
static int tree_file(int i, int check, unsigned *eio)
{
    char dir[32], path[48];
    snprintf(dir, sizeof dir, "/tree/d%02d", i / 100);
    snprintf(path, sizeof path, "%s/f%04d", dir, i);
    size_t len = strlen(path);
    for (int tries = 0; tries < 50; tries++) {
        if (!check && i % 100 == 0 && mkdir(dir, 0755) && errno != EEXIST) {
            if (errno == EIO) { (*eio)++; continue; }
            return -1;
        }
        int fd = open(path, check ? O_RDONLY : O_RDWR | O_CREAT, 0644);
        if (fd < 0) {
            if (errno == EIO) { (*eio)++; continue; }
            return -1;
        }
        char buf[48];
        ssize_t r = check ? pread(fd, buf, sizeof buf, 0) : pwrite(fd, path, len, 0);
        int e = errno;
        close(fd);
        if (r < 0 && e == EIO) { (*eio)++; continue; }
        if (r != (ssize_t)len || (check && memcmp(buf, path, len)))
            return -1;
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int ms = argc > 2 ? atoi(argv[2]) : 1;
    int files = argc > 3 ? atoi(argv[3]) : 0;
    unsigned tree_eio = 0;
    int mr = files ? -1 : 0;
    for (int tries = 0; mr && tries < 50; tries++) {  /* EIO in flight: again (EEXIST: it was made) */
        if (!(mr = mkdir("/tree", 0755)) || errno == EEXIST)
            mr = 0;
        else if (errno == EIO)
            tree_eio++;
        else
            break;
    }
    if (mr) {
        printf("fsstream: mkdir /tree: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < files; i++)
        if (tree_file(i, 0, &tree_eio)) {
            printf("fsstream: tree file %d: %s\n", i, strerror(errno));
            return 1;
        }
    int fd = -1;
    for (int tries = 0; tries < 50 && fd < 0; tries++) {
        fd = open("/data", O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 && errno != EIO)
            break;                        /* EIO: in flight during a restart, again */
    }
    if (fd < 0) {
        printf("fsstream: open: %s\n", strerror(errno));
        return 1;
    }
    unsigned eio = 0, reopened = 0, seed = 12345;
    char buf[REC + 1], back[REC + 1];
    for (int i = 0; i < n; i++) {
        record(buf, i);
        for (;;) {
            ssize_t w = pwrite(fd, buf, REC, (off_t)i * REC);
            if (w == REC)
                break;
            if (w < 0 && errno == EIO) {   /* in flight during a restart: write it again */
                eio++;
                continue;
            }
            if (w < 0 && errno == EBADF) {  /* the descriptor did not survive: open again */
                reopened++;
                fd = open("/data", O_RDWR);
                if (fd >= 0)
                    continue;
            }
            printf("fsstream: write %d: %zd (%s)\n", i, w, w < 0 ? strerror(errno) : "short");
            return 1;
        }
        int j = (int)((seed = seed * 1103515245u + 12345u) >> 8) % (i + 1);
        for (;;) {
            ssize_t r = pread(fd, back, REC, (off_t)j * REC);
            if (r < 0 && errno == EIO) {
                eio++;
                continue;
            }
            record(buf, j);
            if (r != REC || memcmp(back, buf, REC)) {
                printf("fsstream: record %d read back wrong after %d writes (%zd%s%s)\n", j, i + 1, r,
                       r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
                return 1;
            }
            break;
        }
        if (ms)
            usleep((unsigned)ms * 1000);
    }
    struct stat st;
    int sr;
    while ((sr = fstat(fd, &st)) < 0 && errno == EIO)
        eio++;
    if (sr || st.st_size != (off_t)n * REC) {
        printf("fsstream: size %ld, not %d\n", (long)st.st_size, n * REC);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        record(buf, i);
        ssize_t r;
        while ((r = pread(fd, back, REC, (off_t)i * REC)) < 0 && errno == EIO)
            eio++;                           /* a read cut off by a restart: ask again */
        if (r != REC || memcmp(back, buf, REC)) {
            printf("fsstream: record %d lost (%zd%s%s)\n", i, r, r < 0 ? ", " : "", r < 0 ? strerror(errno) : "");
            return 1;
        }
    }
    close(fd);
    for (int i = 0; i < files; i++)
        if (tree_file(i, 1, &tree_eio)) {
            printf("fsstream: tree file %d lost (%s)\n", i, strerror(errno));
            return 1;
        }
    if (files)
        printf("fsstream: a tree of %d files made and checked, %u EIO retried\n", files, tree_eio);
    printf("fsstream: %d records written and read back, %u EIO retried, %u reopened\n", n, eio, reopened);
    return 0;
}
