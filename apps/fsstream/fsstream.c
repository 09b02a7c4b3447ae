/*
 * fsstream.c — a stream of writes and reads that must survive the fs
 * service being killed under it (tests/restart/, docs/RESTART.md).
 *
 *     fsstream N [MS]
 *
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

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int ms = argc > 2 ? atoi(argv[2]) : 1;
    int fd = open("/data", O_RDWR | O_CREAT | O_TRUNC, 0644);
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
                printf("fsstream: record %d read back wrong after %d writes (%zd)\n", j, i + 1, r);
                return 1;
            }
            break;
        }
        if (ms)
            usleep((unsigned)ms * 1000);
    }
    struct stat st;
    if (fstat(fd, &st) || st.st_size != (off_t)n * REC) {
        printf("fsstream: size %ld, not %d\n", (long)st.st_size, n * REC);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        record(buf, i);
        if (pread(fd, back, REC, (off_t)i * REC) != REC || memcmp(back, buf, REC)) {
            printf("fsstream: record %d lost\n", i);
            return 1;
        }
    }
    close(fd);
    printf("fsstream: %d records written and read back, %u EIO retried, %u reopened\n", n, eio, reopened);
    return 0;
}
