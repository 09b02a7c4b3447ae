/*
 * console.c — the console as a descriptor: writes go to the program's log
 * stream (__sys_log_write); reads take the stream's input (__sys_log_read:
 * what `aerie run -i` forwards), and see the end of the file at once when
 * the container has none. It cannot seek (no lseek op: ESPIPE).
 */
#include <string.h>
#include "fd.h"
#include "sys.h"

static long console_read(void *obj, void *buf, size_t n)
{
    (void)obj;
    return __sys_log_read(buf, n);
}

static long console_write(void *obj, const void *buf, size_t n)
{
    (void)obj;
    return __sys_log_write(buf, n);
}

static int console_fstat(void *obj, struct stat *st)
{
    (void)obj;
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFCHR | 0620;
    st->st_blksize = 1024;
    return 0;
}

const struct fd_ops __console_fd_ops = {
    .read = console_read,
    .write = console_write,
    .fstat = console_fstat,
};
