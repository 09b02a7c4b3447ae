/*
 * stdio_files.c — stdin, stdout and stderr, and the list of open FILEs
 * that fflush(NULL) and exit walk. The three standard streams are the
 * console's descriptors 0, 1 and 2: stdin and stdout line-buffered (the
 * console is interactive, C11 7.21.3p7), stderr unbuffered.
 *
 * Lock order: list_lock before a FILE's lock; nobody takes list_lock
 * while holding a FILE lock (fclose unlinks before it locks).
 */
#include "libc.h"
#include "lock.h"
#include "stdio_impl.h"

static unsigned char stdin_buf[BUFSIZ], stdout_buf[BUFSIZ];
static struct _IO_FILE std_files[3] = {
    { .ops = &__fd_file_ops, .fd = 0, .flags = F_NOWR, .mode = _IOLBF,
      .buf = stdin_buf, .size = sizeof stdin_buf, .ungot = EOF, .next = &std_files[1] },
    { .ops = &__fd_file_ops, .fd = 1, .flags = F_NORD, .mode = _IOLBF,
      .buf = stdout_buf, .size = sizeof stdout_buf, .ungot = EOF,
      .prev = &std_files[0], .next = &std_files[2] },
    { .ops = &__fd_file_ops, .fd = 2, .flags = F_NORD, .mode = _IONBF,
      .ungot = EOF, .prev = &std_files[1] },
};

FILE *const stdin = &std_files[0];
FILE *const stdout = &std_files[1];
FILE *const stderr = &std_files[2];

static volatile uint32_t list_lock;
static FILE *open_files = &std_files[0];        /* list_lock */

void __file_link(FILE *f)
{
    __lock(&list_lock);
    f->prev = NULL;
    f->next = open_files;
    if (open_files)
        open_files->prev = f;
    open_files = f;
    __unlock(&list_lock);
}

void __file_unlink(FILE *f)
{
    __lock(&list_lock);
    if (f->prev)
        f->prev->next = f->next;
    else if (open_files == f)
        open_files = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->prev = f->next = NULL;
    __unlock(&list_lock);
}

/* fflush(NULL): every open stream with output pending. */
int __fflush_all(void)
{
    int r = 0;
    __lock(&list_lock);
    for (FILE *f = open_files; f; f = f->next) {
        __flockfile(f);
        if (f->wpos && __fflush_unlocked(f))
            r = EOF;
        __funlockfile(f);
    }
    __unlock(&list_lock);
    return r;
}

void __stdio_exit(void)
{
    __fflush_all();
}
