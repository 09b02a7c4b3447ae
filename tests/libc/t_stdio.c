/*
 * t_stdio.c — the FILE layer and the fd table, through a memory "file"
 * installed as a descriptor (the way the file system will install its
 * files): fdopen round trips, fseek/ftell, ungetc, fgets and fread; the
 * buffering rules (stdout line-buffered, stderr unbuffered yet one write
 * per printf, large writes bypassing the buffer); error indicators; and
 * the descriptor calls' errors. Runs static and on the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <aerie/errors.h>
#include "fd.h"
#include "ktest_host.h"

/* ---- a growable in-memory file ------------------------------------- */

struct memfile {
    char data[32768];
    long size, pos;
    int writes, reads, closes;
    int fail_writes;            /* report AE_ENOSPC */
};

static long mem_read(void *obj, void *buf, size_t n)
{
    struct memfile *m = obj;
    m->reads++;
    long k = m->size - m->pos;
    if (k > (long)n)
        k = (long)n;
    if (k < 0)
        k = 0;
    memcpy(buf, m->data + m->pos, (size_t)k);
    m->pos += k;
    return k;
}

static long mem_write(void *obj, const void *buf, size_t n)
{
    struct memfile *m = obj;
    m->writes++;
    if (m->fail_writes)
        return AE_ENOSPC;
    if (m->pos + (long)n > (long)sizeof m->data)
        n = sizeof m->data - (size_t)m->pos;
    memcpy(m->data + m->pos, buf, n);
    m->pos += (long)n;
    if (m->pos > m->size)
        m->size = m->pos;
    return (long)n;
}

static long mem_lseek(void *obj, long off, int whence)
{
    struct memfile *m = obj;
    long base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size;
    if (base + off < 0)
        return AE_EINVAL;
    m->pos = base + off;
    return m->pos;
}

static int mem_fstat(void *obj, struct stat *st)
{
    struct memfile *m = obj;
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0644;
    st->st_size = m->size;
    return 0;
}

static int mem_close(void *obj)
{
    ((struct memfile *)obj)->closes++;
    return 0;
}

static const struct fd_ops mem_ops = {
    .read = mem_read, .write = mem_write, .lseek = mem_lseek, .fstat = mem_fstat, .close = mem_close,
};

static struct memfile *memfile_new(void)
{
    return calloc(1, sizeof(struct memfile));
}

/* Puts a memfile at descriptor fd (0, 1 or 2) in place of the console. */
static struct memfile *capture(int fd)
{
    const struct fd_ops *ops;
    void *obj;
    __fd_remove(fd, &ops, &obj);
    struct memfile *m = memfile_new();
    int got = __fd_install(&mem_ops, m);
    if (got != fd)
        abort();
    return m;
}

static void restore(int fd, struct memfile *m)
{
    const struct fd_ops *ops;
    void *obj;
    __fd_remove(fd, &ops, &obj);
    if (__fd_install(&__console_fd_ops, NULL) != fd)
        abort();
    free(m);
}

/* ---- tests ---------------------------------------------------------- */

static void fdopen_round_trip_with_seek_and_ungetc(void)
{
    struct memfile *m = memfile_new();
    int fd = __fd_install(&mem_ops, m);
    CHECK(fd > 2);
    FILE *f = fdopen(fd, "w+");
    CHECK(f != NULL);
    CHECK_EQ(fileno(f), fd);
    long total = 0;
    for (int i = 0; i < 500; i++)
        total += fprintf(f, "line %d %s\n", i, i % 2 ? "odd" : "even");
    CHECK_EQ(ftell(f), total);          /* counts what is still buffered */
    CHECK(m->size < total);
    CHECK_EQ(fflush(f), 0);
    long size = m->size;
    CHECK(size > 5000);
    CHECK(strncmp(m->data, "line 0 even\nline 1 odd\n", 23) == 0);
    CHECK_EQ(ftell(f), size);
    CHECK_EQ(fseek(f, 0, SEEK_SET), 0);
    char line[64];
    CHECK(fgets(line, sizeof line, f) == line);
    CHECK(strcmp(line, "line 0 even\n") == 0);
    CHECK_EQ(ftell(f), 12);
    int c = fgetc(f);
    CHECK_EQ(c, 'l');
    CHECK_EQ(ungetc('L', f), 'L');
    CHECK_EQ(ftell(f), 12);
    CHECK_EQ(fgetc(f), 'L');
    CHECK_EQ(fgetc(f), 'i');
    CHECK_EQ(fseek(f, -4, SEEK_END), 0);
    char tail[8] = { 0 };
    CHECK_EQ(fread(tail, 1, sizeof tail, f), 4);
    CHECK(strcmp(tail, "odd\n") == 0);
    CHECK(feof(f));
    CHECK(fgets(line, sizeof line, f) == NULL);
    clearerr(f);
    CHECK(!feof(f));
    rewind(f);
    char big[6000];
    CHECK_EQ(fread(big, 1, sizeof big, f), sizeof big);
    CHECK(memcmp(big, m->data, sizeof big) == 0);
    CHECK_EQ(fclose(f), 0);
    CHECK_EQ(m->closes, 1);
    CHECK_EQ(write(fd, "x", 1), -1);
    CHECK_EQ(errno, EBADF);
    free(m);
}

static void stdout_is_line_buffered_and_one_printf_is_one_write(void)
{
    fflush(stdout);
    struct memfile *m = capture(1);
    printf("no newline yet %d", 42);
    long before = m->size;
    printf(" and now\nsome more");
    long after_newline = m->size;
    int writes = m->writes;
    printf("\nx\ny\nz\n");
    int writes_for_four_lines = m->writes - writes;
    putchar('a');
    long after_putchar = m->size;
    puts("b");
    fflush(stdout);
    char copy[128];
    snprintf(copy, sizeof copy, "%.*s", (int)m->size, m->data);
    restore(1, m);
    CHECK_EQ(before, 0);
    CHECK(after_newline >= (long)strlen("no newline yet 42 and now\n"));
    CHECK_EQ(writes_for_four_lines, 1);
    CHECK_EQ(after_putchar, (long)strlen("no newline yet 42 and now\nsome more\nx\ny\nz\n"));
    CHECK(strcmp(copy, "no newline yet 42 and now\nsome more\nx\ny\nz\nab\n") == 0);
}

static void stderr_is_unbuffered_but_writes_whole_messages(void)
{
    struct memfile *m = capture(2);
    fputc('!', stderr);
    long after_char = m->size;
    int w = m->writes;
    fprintf(stderr, "%s=%d, %s=%d\n", "alpha", 1, "beta", 2);
    int writes = m->writes - w;
    errno = ENOENT;
    perror("opening");
    errno = EACCES;
    perror(NULL);
    char copy[200];
    snprintf(copy, sizeof copy, "%.*s", (int)m->size, m->data);
    restore(2, m);
    CHECK_EQ(after_char, 1);
    CHECK_EQ(writes, 1);
    CHECK(strcmp(copy, "!alpha=1, beta=2\nopening: No such file or directory\nPermission denied\n") == 0);
}

static void buffering_modes_follow_setvbuf(void)
{
    struct memfile *m = memfile_new();
    int fd = __fd_install(&mem_ops, m);
    FILE *f = fdopen(fd, "w");
    CHECK_EQ(setvbuf(f, NULL, _IOFBF, 0), 0);
    fputs("full\nbuffering\n", f);
    CHECK_EQ(m->size, 0);
    static char mybuf[16];
    CHECK_EQ(fflush(f), 0);
    CHECK_EQ(setvbuf(f, mybuf, _IOFBF, sizeof mybuf), 0);
    fputs("0123456789", f);
    CHECK_EQ(m->size, 15);
    fputs("0123456789", f);             /* overflows the 16-byte buffer */
    CHECK(m->size >= 25);
    CHECK_EQ(setvbuf(f, NULL, _IONBF, 0), 0);
    fputs("now", f);                    /* setvbuf flushed the 10 pending bytes first */
    CHECK_EQ(m->size, 38);
    CHECK(memcmp(m->data + 25, "0123456789now", 13) == 0);
    CHECK_EQ(setvbuf(f, NULL, 5, 0), EOF);
    int w = m->writes;
    CHECK_EQ(setvbuf(f, NULL, _IOFBF, 0), 0);
    static char block[20000];
    memset(block, 'b', sizeof block);
    CHECK_EQ(fwrite(block, 1, sizeof block, f), sizeof block);
    CHECK(m->writes - w <= 2);          /* large writes skip the buffer */
    fclose(f);
    free(m);
}

static void write_errors_set_the_error_indicator(void)
{
    struct memfile *m = memfile_new();
    m->fail_writes = 1;
    int fd = __fd_install(&mem_ops, m);
    FILE *f = fdopen(fd, "w");
    CHECK(fprintf(f, "hello\n") >= 0);  /* buffered: the error comes at flush */
    CHECK_EQ(fflush(f), EOF);
    CHECK(ferror(f));
    clearerr(f);
    setvbuf(f, NULL, _IONBF, 0);
    CHECK_EQ(fprintf(f, "x"), -1);
    CHECK_EQ(fputc('y', f), EOF);
    CHECK_EQ(fputs("z", f), EOF);
    CHECK(ferror(f));
    fclose(f);
    free(m);

    FILE *r = fdopen(0, "r");
    CHECK(r != NULL);
    CHECK_EQ(fputc('x', r), EOF);
    CHECK_EQ(errno, EBADF);
    CHECK(ferror(r));
    CHECK_EQ(fgetc(r), EOF);            /* the console has no input: end of file */
    CHECK(fdopen(0, "q") == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK(fdopen(999, "r") == NULL);
    CHECK_EQ(errno, EBADF);
}

static void descriptor_calls_dispatch_and_fail_cleanly(void)
{
    char c;
    errno = 0;
    CHECK_EQ(write(-1, "x", 1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(read(500, &c, 1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(close(77), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(lseek(1, 0, SEEK_SET), -1);
    CHECK_EQ(errno, ESPIPE);
    struct stat st;
    CHECK_EQ(fstat(1, &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(read(0, &c, 1), 0);

    struct memfile *m = memfile_new();
    int fd = __fd_install(&mem_ops, m);
    CHECK_EQ(write(fd, "abcdef", 6), 6);
    CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
    CHECK_EQ(lseek(fd, 0, 99), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, 'c');
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 6);
    CHECK_EQ(dprintf(fd, "<%d>", 12345), 7);
    CHECK(memcmp(m->data, "abc<12345>", 10) == 0);
    m->fail_writes = 1;
    CHECK_EQ(write(fd, "x", 1), -1);
    CHECK_EQ(errno, ENOSPC);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(m->closes, 1);
    free(m);
}

static void descriptor_table_grows_to_its_limit(void)
{
    static int fds[FD_MAX];
    int n = 0, r;
    while ((r = __fd_install(&mem_ops, NULL)) >= 0)
        fds[n++] = r;
    CHECK_EQ(r, AE_EMFILE);
    CHECK(n > FD_MAX - 10);
    const struct fd_ops *ops;
    void *obj;
    for (int i = 0; i < n; i++)
        CHECK_EQ(__fd_remove(fds[i], &ops, &obj), 0);
    CHECK_EQ(__fd_remove(fds[0], &ops, &obj), AE_EBADF);
}

int main(void)
{
    RUN(fdopen_round_trip_with_seek_and_ungetc);
    RUN(stdout_is_line_buffered_and_one_printf_is_one_write);
    RUN(stderr_is_unbuffered_but_writes_whole_messages);
    RUN(buffering_modes_follow_setvbuf);
    RUN(write_errors_set_the_error_indicator);
    RUN(descriptor_calls_dispatch_and_fail_cleanly);
    RUN(descriptor_table_grows_to_its_limit);
    return TESTS_DONE();
}
