/*
 * probe.c — the fs tests' container program (images/fsprobe/prog),
 * started by the suite the way the container manager starts a container.
 * argv[1] picks what it does; the exit status says how it went (0: as
 * expected; otherwise the number of the first check that failed):
 *
 *   noaccess  it was given no "fs": every file call fails cleanly
 *   write     it writes /out.txt with stdio and reads its image's /etc/motd
 *   writer    it rewrites /log (1 MiB in 64 KiB pieces, each byte a
 *             function of its offset) until it is killed
 *   filler    it writes /big until its session says ENOSPC (its own quota
 *             pays for its files: that is its limit), then checks that
 *             nothing it wrote before was lost
 *   busy      it writes, reads back and removes files in rounds, as a
 *             neighbour of a filler would
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64u << 10)

static unsigned char pattern(unsigned long off) { return (unsigned char)(off * 7 % 251); }

static int no_access(void)
{
    struct stat st;
    char buf[8];
    int check = 0;
    check++; if (open("/etc/motd", O_RDONLY) != -1 || errno != EACCES) return check;
    check++; if (open("/new", O_CREAT | O_WRONLY, 0644) != -1 || errno != EACCES) return check;
    check++; if (stat("/", &st) != -1 || errno != EACCES) return check;
    check++; if (mkdir("/d", 0755) != -1 || errno != EACCES) return check;
    check++; if (unlink("/etc/motd") != -1 || errno != EACCES) return check;
    check++; if (rmdir("/etc") != -1 || errno != EACCES) return check;
    check++; if (rename("/a", "/b") != -1 || errno != EACCES) return check;
    check++; if (truncate("/a", 0) != -1 || errno != EACCES) return check;
    check++; if (opendir("/") != NULL || errno != EACCES) return check;
    check++; if (fopen("/etc/motd", "r") != NULL || errno != EACCES) return check;
    check++; if (lstat("/etc/motd", &st) != -1 || errno != EACCES) return check;
    check++; if (symlink("/etc/motd", "/l") != -1 || errno != EACCES) return check;
    check++; if (readlink("/l", buf, sizeof buf) != -1 || errno != EACCES) return check;
    check++; if (link("/etc/motd", "/h") != -1 || errno != EACCES) return check;
    check++; if (chmod("/etc/motd", 0600) != -1 || errno != EACCES) return check;
    check++; if (chown("/etc/motd", 1, 1) != -1 || errno != EACCES) return check;
    check++; if (read(5, buf, sizeof buf) != -1 || errno != EBADF) return check;
    check++; if (fstat(5, &st) != -1 || errno != EBADF) return check;
    return 0;
}

static int write_and_read(const char *me)
{
    FILE *f = fopen("/out.txt", "w");
    if (!f || fprintf(f, "written by %s\n", me) < 0 || fclose(f))
        return 1;
    char line[64];
    f = fopen("/etc/motd", "r");
    if (!f || !fgets(line, sizeof line, f) || strcmp(line, "Welcome to the fsprobe image.\n"))
        return 2;
    fclose(f);
    return 0;
}

static int writer(void)
{
    static unsigned char buf[CHUNK];
    int fd = open("/log", O_CREAT | O_WRONLY, 0644);
    if (fd < 0)
        return 1;
    for (unsigned long i = 0;; i++) {
        unsigned long off = (i % 16) * CHUNK;
        for (unsigned j = 0; j < CHUNK; j++)
            buf[j] = pattern(off + j);
        if (pwrite(fd, buf, CHUNK, (off_t)off) != (ssize_t)CHUNK)
            return 2;
    }
}

/* Writes /big until ENOSPC; every piece that went in must read back. */
static int filler(void)
{
    static unsigned char buf[CHUNK];
    int fd = open("/keep", O_CREAT | O_WRONLY, 0644);
    if (fd < 0 || write(fd, "precious", 8) != 8 || close(fd))
        return 1;
    if ((fd = open("/big", O_CREAT | O_RDWR, 0644)) < 0)
        return 2;
    unsigned long total = 0;
    for (;;) {
        for (unsigned j = 0; j < CHUNK; j++)
            buf[j] = pattern(total + j);
        ssize_t n = write(fd, buf, CHUNK);
        if (n < 0) {
            if (errno != ENOSPC)
                return 3;
            break;
        }
        if (n == 0)
            return 9;
        total += (unsigned long)n;
        if (total > (64ul << 20))
            return 4;                     /* never refused: no limit held */
    }
    struct stat st;
    if (total == 0 || fstat(fd, &st) || (unsigned long)st.st_size != total)
        return 5;
    for (unsigned long off = 0; off < total; off += CHUNK) {
        ssize_t n = pread(fd, buf, CHUNK, (off_t)off);
        if (n <= 0)
            return 6;
        for (ssize_t j = 0; j < n; j++)
            if (buf[j] != pattern(off + (unsigned long)j))
                return 7;
    }
    close(fd);
    char keep[8];
    fd = open("/keep", O_RDONLY);
    if (fd < 0 || read(fd, keep, 8) != 8 || memcmp(keep, "precious", 8))
        return 8;
    close(fd);
    return 0;
}

static int busy(void)
{
    static unsigned char buf[8192], back[8192];
    char name[16];
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 8; i++) {
            snprintf(name, sizeof name, "/f%d", i);
            for (unsigned j = 0; j < sizeof buf; j++)
                buf[j] = (unsigned char)(round * 31 + i * 7 + j);
            int fd = open(name, O_CREAT | O_TRUNC | O_RDWR, 0644);
            if (fd < 0)
                return 1;
            if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                return 2;
            if (pread(fd, back, sizeof back, 0) != (ssize_t)sizeof back || memcmp(buf, back, sizeof buf))
                return 3;
            close(fd);
            if ((round + i) % 3 == 0 && unlink(name))
                return 4;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "noaccess"))
        return no_access();
    if (!strcmp(mode, "write"))
        return write_and_read(argv[0]);
    if (!strcmp(mode, "writer"))
        return writer();
    if (!strcmp(mode, "filler"))
        return filler();
    if (!strcmp(mode, "busy"))
        return busy();
    fprintf(stderr, "fsprobe: unknown mode '%s'\n", mode);
    return 100;
}
