/*
 * libc.h — state and helpers shared by libc's areas: what startup learned
 * from the auxiliary vector, the one translation from AE_* errors to
 * errno, deadlines for timed waits, and fatal-error reporting.
 */
#ifndef LIBC_LIBC_H
#define LIBC_LIBC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Filled by __libc_start (src/startup/) and __init_tls (src/thread/tls.c);
 * read-only once main runs. */
struct libc_state {
    uint64_t *auxv;             /* AT_* pairs ending AT_NULL, or NULL */
    uint64_t start_ns;          /* monotonic time at start, for clock() */
    /* The executable's static TLS (its PT_TLS segment), copied per thread. */
    const void *tls_image;      /* initialised data, tls_filesz bytes */
    size_t tls_filesz;
    size_t tls_memsz;
    size_t tls_align;           /* power of two, >= 16 */
    size_t tls_block;           /* bytes the block takes below the thread pointer */
    uintptr_t canary;           /* stack-protector value for every thread */
};
extern struct libc_state __libc;

/* auxv entry types libc reads (System V ABI, x86-64 supplement) */
#define AT_NULL    0
#define AT_PHDR    3
#define AT_PHENT   4
#define AT_PHNUM   5
#define AT_PAGESZ  6
#define AT_RANDOM 25
#define AT_AERIE_CLONE 0x1006   /* aerie/capenv.h: the clone block (src/stdlib/random.c) */

/* Returns the value of auxv entry type, or 0 if absent. */
uint64_t __auxv_get(const uint64_t *auxv, uint64_t type);

/* The errno value for a negative AE_* error (src/errno/ae_errno.c). */
int __errno_from_ae(int ae);

/* r >= 0: returns r. r < 0 (an AE_* error): sets errno and returns -1. */
long __ae_ret(long r);

/* Nanoseconds from now until the absolute time *abs on clock clk, for a
 * futex timeout. Returns 0 and sets *ns, or EINVAL (bad tv_nsec or clock),
 * or ETIMEDOUT (already past). */
int __ns_until(clockid_t clk, const struct timespec *abs, uint64_t *ns);

/* Writes "libc: <formatted message>\n" to the console, unbuffered and
 * without allocating, and ends the program as abort() does. Integer
 * conversions only (it uses the bare fmt engine). */
_Noreturn void __libc_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets up the calling (main) thread's TLS and thread control block from
 * the executable's PT_TLS, found through auxv or __ehdr_start. */
void __init_tls(uint64_t *auxv);

/* path, or, when it is relative, the working directory joined with it in
 * buf (src/unistd/cwd.c). NULL with *err AE_ENAMETOOLONG if it does not
 * fit; *err is 0 otherwise. */
const char *__cwd_path(const char *path, char *buf, size_t cap, int *err);

/* The C entry point crt0 calls (src/startup/libc_start.c). */
_Noreturn void __libc_start(int argc, char **argv, char **envp, uint64_t *auxv);

/* Run by exit: the atexit functions (src/exit/atexit.c), then, after the
 * destructors, the flush of every FILE (src/stdio/). */
void __run_atexit(void);
void __stdio_exit(void);

#endif
