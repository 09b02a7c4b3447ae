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

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "noaccess"))
        return no_access();
    if (!strcmp(mode, "write"))
        return write_and_read(argv[0]);
    if (!strcmp(mode, "writer"))
        return writer();
    fprintf(stderr, "fsprobe: unknown mode '%s'\n", mode);
    return 100;
}
