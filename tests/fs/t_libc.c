/*
 * t_libc.c — every file operation of libc on Aerie and its errors, in
 * the suite's own session (root's "fs" grant): open flags, reads and
 * writes at offsets and at the end, truncation, stat, unlink, mkdir and
 * rmdir, rename, directory listing, stdio streams, and a sparse 1 GiB file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ft.h"

/* Writes s to path (created or truncated); the descriptor is closed. */
static int put(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, s, strlen(s));
    close(fd);
    return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Reads path whole into buf (NUL-terminated); the length or -1. */
static long get(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

FSTEST(libc_open_creates_excludes_truncates, "O_CREAT, O_EXCL, O_TRUNC and creat() as POSIX says")
{
    const char *p = ft_path(t, "f");
    struct stat st;
    CHECK_ERRNO(open(p, O_RDONLY), ENOENT);
    int fd = open(p, O_RDWR | O_CREAT, 0640);
    CHECK(fd >= 3);
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode, S_IFREG | 0640);
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(write(fd, "hello", 5), 5);
    CHECK_OK(close(fd));
    CHECK_ERRNO(open(p, O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
    fd = open(p, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0);
    CHECK_OK(close(fd));
    fd = creat(ft_path(t, "c"), 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "x", 1), 1);
    CHECK_ERRNO(read(fd, &st, 1), EBADF);          /* creat opens write-only */
    CHECK_OK(close(fd));
    CHECK_OK(stat(ft_path(t, "c"), &st));
    CHECK_EQ(st.st_mode, S_IFREG | 0600);
}

FSTEST(libc_open_refuses_what_posix_refuses, "access modes, directories, bad names: each with its errno")
{
    const char *p = ft_path(t, "f");
    CHECK_OK(put(p, "data"));
    char c;
    int fd = open(p, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERRNO(write(fd, "x", 1), EBADF);
    CHECK_OK(close(fd));
    fd = open(p, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_ERRNO(read(fd, &c, 1), EBADF);
    CHECK_OK(close(fd));
    CHECK_ERRNO(open(p, O_RDWR | O_WRONLY), EINVAL);
    CHECK_ERRNO(open(ft_path(t, ""), O_WRONLY), EISDIR);
    CHECK_ERRNO(open(p, O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERRNO(open(ft_path(t, "f/"), O_RDONLY), ENOTDIR);
    CHECK_ERRNO(open(ft_path(t, "f/x"), O_RDONLY), ENOTDIR);
    CHECK_ERRNO(open(ft_path(t, "none/x"), O_RDWR | O_CREAT, 0644), ENOENT);
    CHECK_ERRNO(open("", O_RDONLY), ENOENT);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_ERRNO(open(longname, O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
    fd = open(ft_path(t, ""), O_RDONLY);            /* a directory opens for reading */
    CHECK(fd >= 0);
    CHECK_ERRNO(read(fd, &c, 1), EISDIR);
    CHECK_OK(close(fd));
}

FSTEST(libc_reads_and_writes_at_offsets, "lseek, pread and pwrite; holes read as zeros; EOF reads 0")
{
    int fd = open(ft_path(t, "f"), O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    char buf[32] = { 0 };
    CHECK_EQ(write(fd, "hello world", 11), 11);
    CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
    CHECK_EQ(read(fd, buf, 5), 5);
    CHECK(!memcmp(buf, "world", 5));
    CHECK_EQ(pread(fd, buf, 5, 0), 5);
    CHECK(!memcmp(buf, "hello", 5));
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);          /* pread moved nothing */
    CHECK_EQ(pwrite(fd, "X", 1, 20), 1);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 21);
    CHECK_EQ(pread(fd, buf, sizeof buf, 11), 10);
    for (int i = 0; i < 9; i++)
        CHECK_EQ(buf[i], 0);
    CHECK_EQ(buf[9], 'X');
    CHECK_EQ(lseek(fd, -1, SEEK_END), 20);
    CHECK_ERRNO(lseek(fd, -100, SEEK_CUR), EINVAL);
    CHECK_ERRNO(lseek(fd, 0, 7), EINVAL);
    CHECK_ERRNO(pread(fd, buf, 1, -1), EINVAL);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 21);
    CHECK_EQ(read(fd, buf, sizeof buf), 0);
    CHECK_ERRNO(lseek(0, 0, SEEK_SET), ESPIPE);    /* the console cannot seek */
    CHECK_ERRNO(pread(0, buf, 1, 0), ESPIPE);
    CHECK_OK(close(fd));
}

FSTEST(libc_append_writes_go_to_the_end, "O_APPEND writes land at the end whatever the position")
{
    const char *p = ft_path(t, "log");
    CHECK_OK(put(p, "one\n"));
    int fd = open(p, O_RDWR | O_APPEND);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(write(fd, "two\n", 4), 4);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8);
    CHECK_OK(close(fd));
    char buf[32];
    CHECK_EQ(get(p, buf, sizeof buf), 8);
    CHECK(!strcmp(buf, "one\ntwo\n"));
}

FSTEST(libc_large_transfers_round_trip, "one write and one read of 300 KiB, bigger than the shared buffer")
{
    enum { N = 300 * 1024 + 7 };
    unsigned char *a = malloc(N), *b = malloc(N);
    CHECK(a && b);
    for (unsigned i = 0; i < N; i++)
        a[i] = (unsigned char)(i * 31 + i / 4096);
    int fd = open(ft_path(t, "big"), O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, a, N), N);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    memset(b, 0, N);
    CHECK_EQ(read(fd, b, N + 100), N);
    CHECK(!memcmp(a, b, N));
    CHECK_EQ(pread(fd, b, 70000, 12345), 70000);
    CHECK(!memcmp(a + 12345, b, 70000));
    CHECK_OK(close(fd));
    free(a);
    free(b);
}

FSTEST(libc_truncation_shrinks_and_grows, "ftruncate and truncate; growth reads zeros; bad sizes")
{
    const char *p = ft_path(t, "f");
    CHECK_OK(put(p, "0123456789"));
    int fd = open(p, O_RDWR);
    CHECK(fd >= 0);
    CHECK_OK(ftruncate(fd, 4));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 4);
    CHECK_OK(ftruncate(fd, 8));
    char buf[16];
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 8);
    CHECK(!memcmp(buf, "0123\0\0\0\0", 8));
    CHECK_ERRNO(ftruncate(fd, -1), EINVAL);
    CHECK_ERRNO(ftruncate(1, 0), EINVAL);          /* the console is no file */
    CHECK_OK(close(fd));
    CHECK_OK(truncate(p, 2));
    CHECK_OK(stat(p, &st));
    CHECK_EQ(st.st_size, 2);
    CHECK_ERRNO(truncate(ft_path(t, "none"), 0), ENOENT);
    CHECK_ERRNO(truncate(ft_path(t, ""), 0), EISDIR);
    fd = open(p, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERRNO(ftruncate(fd, 0), EBADF);           /* not open for writing */
    CHECK_OK(close(fd));
}

FSTEST(libc_stat_reports_type_mode_size, "stat and fstat agree; directories; errors through the path")
{
    const char *p = ft_path(t, "f");
    CHECK_OK(put(p, "12345"));
    CHECK_OK(mkdir(ft_path(t, "d"), 0700));
    struct stat a, b;
    CHECK_OK(stat(p, &a));
    CHECK_EQ(a.st_mode, S_IFREG | 0644);
    CHECK_EQ(a.st_size, 5);
    CHECK_EQ(a.st_nlink, 1);
    CHECK_EQ(a.st_blksize, 4096);
    int fd = open(p, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_OK(fstat(fd, &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_OK(close(fd));
    CHECK_OK(lstat(ft_path(t, "d"), &a));
    CHECK(S_ISDIR(a.st_mode));
    CHECK_EQ(a.st_mode & 07777, 0700);
    CHECK(a.st_ino != b.st_ino);
    CHECK_ERRNO(stat(ft_path(t, "none"), &a), ENOENT);
    CHECK_ERRNO(stat(ft_path(t, "f/x"), &a), ENOTDIR);
    CHECK_ERRNO(stat("", &a), ENOENT);
    CHECK_ERRNO(fstat(99, &a), EBADF);
}

FSTEST(libc_unlink_removes_names_not_open_files, "unlink; an open file lives on unnamed; unlink errors")
{
    const char *p = ft_path(t, "f");
    CHECK_OK(put(p, "still here"));
    int fd = open(p, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_OK(unlink(p));
    struct stat st;
    CHECK_ERRNO(stat(p, &st), ENOENT);
    char buf[16] = { 0 };
    CHECK_EQ(read(fd, buf, sizeof buf), 10);
    CHECK(!strcmp(buf, "still here"));
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_nlink, 0);
    CHECK_OK(close(fd));
    CHECK_ERRNO(unlink(p), ENOENT);
    CHECK_ERRNO(unlink(ft_path(t, "")), EISDIR);
}

FSTEST(libc_mkdir_and_rmdir, "mkdir and rmdir with EEXIST, ENOENT, ENOTEMPTY, ENOTDIR, EBUSY")
{
    const char *d = ft_path(t, "d");
    CHECK_OK(mkdir(d, 0755));
    CHECK_ERRNO(mkdir(d, 0755), EEXIST);
    CHECK_ERRNO(mkdir(ft_path(t, "none/d"), 0755), ENOENT);
    CHECK_OK(put(ft_path(t, "d/f"), "x"));
    CHECK_ERRNO(mkdir(ft_path(t, "d/f/g"), 0755), ENOTDIR);
    CHECK_ERRNO(rmdir(d), ENOTEMPTY);
    CHECK_ERRNO(rmdir(ft_path(t, "d/f")), ENOTDIR);
    CHECK_OK(unlink(ft_path(t, "d/f")));
    CHECK_OK(rmdir(d));
    CHECK_ERRNO(rmdir(d), ENOENT);
    CHECK_ERRNO(rmdir("/"), EBUSY);
}

FSTEST(libc_rename_replaces_atomically, "rename over files and directories, and every refusal")
{
    const char *a = ft_path(t, "a"), *b = ft_path(t, "b");
    char buf[16];
    CHECK_OK(put(a, "new"));
    CHECK_OK(put(b, "old"));
    CHECK_OK(rename(a, b));
    CHECK_EQ(get(b, buf, sizeof buf), 3);
    CHECK(!strcmp(buf, "new"));
    struct stat st;
    CHECK_ERRNO(stat(a, &st), ENOENT);
    CHECK_ERRNO(rename(a, b), ENOENT);
    CHECK_OK(mkdir(ft_path(t, "d"), 0755));
    CHECK_OK(mkdir(ft_path(t, "e"), 0755));
    CHECK_OK(put(ft_path(t, "e/x"), "x"));
    CHECK_ERRNO(rename(ft_path(t, "d"), ft_path(t, "d/sub")), EINVAL);
    CHECK_ERRNO(rename(b, ft_path(t, "d")), EISDIR);
    CHECK_ERRNO(rename(ft_path(t, "d"), ft_path(t, "e")), ENOTEMPTY);
    CHECK_ERRNO(rename(ft_path(t, "d"), b), ENOTDIR);
    CHECK_OK(rename(ft_path(t, "e"), ft_path(t, "d")));   /* over an empty directory */
    CHECK_EQ(get(ft_path(t, "d/x"), buf, sizeof buf), 1);
}

/* The number at the end of "entry-with-a-longish-name-NNN", or -1. */
static int entry_number(const char *name)
{
    static const char prefix[] = "entry-with-a-longish-name-";
    if (strncmp(name, prefix, sizeof prefix - 1) || strlen(name) != sizeof prefix + 2)
        return -1;
    return atoi(name + sizeof prefix - 1);
}

FSTEST(libc_readdir_lists_every_entry_once, "opendir/readdir/rewinddir over more entries than one fetch")
{
    enum { N = 150 };
    char name[64];
    CHECK_OK(mkdir(ft_path(t, "d"), 0755));
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "d/entry-with-a-longish-name-%03d", i);
        CHECK_OK(put(ft_path(t, name), "x"));
    }
    CHECK_OK(mkdir(ft_path(t, "d/sub"), 0755));
    for (int pass = 0; pass < 2; pass++) {
        static DIR *dir;
        if (pass == 0)
            dir = opendir(ft_path(t, "d"));
        else
            rewinddir(dir);
        CHECK(dir != NULL);
        unsigned char seen[N] = { 0 };
        int files = 0, dirs = 0;
        struct dirent *e;
        errno = 0;
        while ((e = readdir(dir))) {
            int i = entry_number(e->d_name);
            if (e->d_type == DT_DIR && !strcmp(e->d_name, "sub")) {
                dirs++;
            } else {
                CHECK(i >= 0 && i < N && !seen[i] && e->d_type == DT_REG);
                seen[i] = 1;
                files++;
            }
        }
        CHECK_EQ(errno, 0);
        CHECK_EQ(files, N);
        CHECK_EQ(dirs, 1);
        if (pass == 1)
            CHECK_OK(closedir(dir));
    }
    CHECK(opendir(ft_path(t, "none")) == NULL && errno == ENOENT);
    CHECK(opendir(ft_path(t, "d/entry-with-a-longish-name-000")) == NULL && errno == ENOTDIR);
}

FSTEST(libc_stdio_streams_over_files, "fopen modes, fprintf/fgets/fread/fwrite/fseek/fflush, remove")
{
    const char *p = ft_path(t, "s.txt");
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    CHECK(fprintf(f, "line %d\n", 1) > 0);
    CHECK(fputs("line 2\n", f) >= 0);
    CHECK_OK(fflush(f));
    struct stat st;
    CHECK_OK(stat(p, &st));
    CHECK_EQ(st.st_size, 14);                       /* flushed: the file has it */
    CHECK_OK(fclose(f));
    f = fopen(p, "a");
    CHECK(f != NULL);
    CHECK(fprintf(f, "line %s\n", "3") > 0);
    CHECK_OK(fclose(f));
    char line[32];
    f = fopen(p, "r");
    CHECK(f != NULL);
    CHECK(fgets(line, sizeof line, f) && !strcmp(line, "line 1\n"));
    CHECK(fgets(line, sizeof line, f) && !strcmp(line, "line 2\n"));
    CHECK(fgets(line, sizeof line, f) && !strcmp(line, "line 3\n"));
    CHECK(fgets(line, sizeof line, f) == NULL && feof(f));
    CHECK_EQ(fputc('x', f), EOF);                   /* read-only stream */
    CHECK_OK(fclose(f));
    f = fopen(p, "r+");
    CHECK(f != NULL);
    CHECK_OK(fseek(f, 5, SEEK_SET));
    CHECK_EQ(fwrite("ONE", 1, 3, f), 3);
    CHECK_OK(fseek(f, 0, SEEK_SET));
    CHECK_EQ(fread(line, 1, 8, f), 8);
    CHECK(!memcmp(line, "line ONE", 8));
    CHECK_EQ(ftell(f), 8);
    CHECK_OK(fclose(f));
    CHECK(fopen(ft_path(t, "none"), "r") == NULL && errno == ENOENT);
    CHECK(fopen(p, "wx") == NULL && errno == EEXIST);
    CHECK(fopen(p, "q") == NULL && errno == EINVAL);
    CHECK_OK(remove(p));
    CHECK_OK(mkdir(ft_path(t, "d"), 0755));
    CHECK_OK(remove(ft_path(t, "d")));
    CHECK_ERRNO(remove(p), ENOENT);
}

FSTEST(libc_close_twice_is_ebadf, "a closed descriptor is gone: close, read, write, fstat give EBADF")
{
    int fd = open(ft_path(t, "f"), O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_OK(close(fd));
    char c;
    struct stat st;
    CHECK_ERRNO(close(fd), EBADF);
    CHECK_ERRNO(read(fd, &c, 1), EBADF);
    CHECK_ERRNO(write(fd, &c, 1), EBADF);
    CHECK_ERRNO(fstat(fd, &st), EBADF);
}

FSTEST(libc_dotdot_stays_at_the_root, "'..' above the root is the root; paths are from the root")
{
    struct stat a, b;
    CHECK_OK(stat("/", &a));
    CHECK_OK(stat("/../../..", &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    char p[128];
    snprintf(p, sizeof p, "../../%s/x", t->name);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_OK(close(fd));
    CHECK_OK(stat(ft_path(t, "x"), &a));
    snprintf(p, sizeof p, "%s/./x", t->name);      /* relative: from the root */
    CHECK_OK(stat(p, &b));
    CHECK_EQ(a.st_ino, b.st_ino);
}

FSTEST(libc_sparse_1gib_file, "a byte range at 1 GiB - 4 KiB: size right, holes zero, a few pages used")
{
    const uint64_t end = 1ull << 30;
    uint64_t pages0 = ft_stat(FS_STAT_DATA_PAGES);
    int fd = open(ft_path(t, "sparse"), O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    static char blk[4096], back[4096];
    for (unsigned i = 0; i < sizeof blk; i++)
        blk[i] = (char)('a' + i % 26);
    CHECK_EQ(pwrite(fd, blk, sizeof blk, (off_t)(end - 4096)), 4096);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, end);
    CHECK(st.st_blocks <= 4 * 8);                   /* data and index pages, 512-byte blocks */
    CHECK_EQ(pread(fd, back, sizeof back, (off_t)(end - 4096)), 4096);
    CHECK(!memcmp(blk, back, sizeof blk));
    CHECK_EQ(pread(fd, back, sizeof back, 512 << 20), 4096);
    for (unsigned i = 0; i < sizeof back; i++)
        CHECK_EQ(back[i], 0);
    CHECK_EQ(pread(fd, back, sizeof back, (off_t)end), 0);
    CHECK(ft_stat(FS_STAT_DATA_PAGES) - pages0 <= 4);
    CHECK_OK(close(fd));
    CHECK_OK(unlink(ft_path(t, "sparse")));
    CHECK_EQ(ft_stat(FS_STAT_DATA_PAGES), pages0);
}

FSTEST(libc_working_directory, "chdir, relative paths, getcwd, fchdir and '..'; a file or a missing name refused")
{
    char cwd[256], buf[64];
    CHECK_OK(mkdir(ft_path(t, "wd"), 0755));
    CHECK_OK(mkdir(ft_path(t, "wd/sub"), 0755));
    CHECK_OK(put(ft_path(t, "wd/sub/f"), "relative"));
    CHECK_OK(chdir(ft_path(t, "wd")));
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(!strcmp(cwd, ft_path(t, "wd")));
    CHECK_EQ(get("sub/f", buf, sizeof buf), 8);
    CHECK_OK(chdir("sub/"));
    CHECK_EQ(get("f", buf, sizeof buf), 8);
    CHECK_OK(chdir("./../sub/.."));
    CHECK(getcwd(cwd, sizeof cwd) && !strcmp(cwd, ft_path(t, "wd")));
    int fd = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    CHECK_OK(fchdir(fd));
    CHECK_OK(close(fd));
    CHECK_EQ(get("./f", buf, sizeof buf), 8);
    CHECK_ERRNO(chdir("f"), ENOTDIR);
    CHECK_ERRNO(chdir("nothing"), ENOENT);
    CHECK_ERRNO(fchdir(1), ENOTDIR);                /* the console is no directory */
    errno = 0;
    CHECK(getcwd(cwd, 3) == NULL && errno == ERANGE);
    CHECK(getcwd(cwd, sizeof cwd) && !strcmp(cwd, ft_path(t, "wd/sub")));
    CHECK_OK(unlink("f"));
    CHECK_OK(chdir("/"));
    CHECK_OK(rmdir(ft_path(t, "wd/sub")));
    CHECK_OK(rmdir(ft_path(t, "wd")));
}
