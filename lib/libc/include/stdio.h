/*
 * stdio.h — C11 7.21 and POSIX's fd-based additions (dprintf, fdopen,
 * fileno). Files by name: fopen, remove, rename (freopen and tmpfile are
 * missing; see docs/LIBC.md).
 */
#ifndef _STDIO_H
#define _STDIO_H

#define __NEED_size_t
#define __NEED_ssize_t
#define __NEED_off_t
#define __NEED_va_list
#define __NEED_FILE
#include <bits/alltypes.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

#define EOF         (-1)
#define BUFSIZ      1024
#define FOPEN_MAX   1000
#define FILENAME_MAX 4096
#define L_tmpnam    20
#define TMP_MAX     10000
#define _IOFBF      0
#define _IOLBF      1
#define _IONBF      2
#define SEEK_SET    0
#define SEEK_CUR    1
#define SEEK_END    2

typedef struct { long long __pos; } fpos_t;

extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;
#define stdin  (stdin)
#define stdout (stdout)
#define stderr (stderr)

int printf(const char *restrict fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *restrict f, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *restrict buf, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int dprintf(int fd, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int vprintf(const char *restrict fmt, va_list ap);
int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap);
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);
int vdprintf(int fd, const char *restrict fmt, va_list ap);

int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *restrict s, FILE *restrict f);
int puts(const char *s);
size_t fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f);

int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
char *fgets(char *restrict s, int n, FILE *restrict f);
size_t fread(void *restrict p, size_t size, size_t n, FILE *restrict f);
int ungetc(int c, FILE *f);

int fflush(FILE *f);
int fclose(FILE *f);
int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size);
void setbuf(FILE *restrict f, char *restrict buf);
int fseek(FILE *f, long off, int whence);
long ftell(FILE *f);
void rewind(FILE *f);
int fgetpos(FILE *restrict f, fpos_t *restrict pos);
int fsetpos(FILE *f, const fpos_t *pos);
int ferror(FILE *f);
int feof(FILE *f);
void clearerr(FILE *f);
void perror(const char *s);

FILE *fopen(const char *restrict path, const char *restrict mode);
int remove(const char *path);
int rename(const char *from, const char *to);
FILE *fdopen(int fd, const char *mode);
int fileno(FILE *f);

#endif
