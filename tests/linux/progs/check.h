/*
 * check.h — how the Linux test programs check themselves: CHECK prints
 * the failed expression with errno and counts it; each program ends with
 * done(), which prints "NAME: N checks, N failed" and returns the status.
 *
 * These programs are for Aerie's Linux personality. Those that change
 * files call on_aerie() first and refuse to run anywhere else: on a
 * development machine they would work on its real root.
 */
#ifndef LX_CHECK_H
#define LX_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static int checks, failed;

#define CHECK(cond) do { checks++; if (!(cond)) { failed++; \
    printf("FAILED %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, #cond, errno, strerror(errno)); \
    fflush(stdout); } } while (0)

static int done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, checks, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}

/* Stops the program unless it runs under Aerie's Linux personality. */
__attribute__((unused)) static void on_aerie(void)
{
    struct utsname u;
    size_t n;
    if (uname(&u) || (n = strlen(u.release)) < 6 || strcmp(u.release + n - 6, "-aerie")) {
        printf("refusing to run: this test changes files and is meant for Aerie only\n");
        exit(2);
    }
}

#endif
