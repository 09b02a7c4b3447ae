/*
 * t_abort.c — the ways libc stops a broken program, one per argument,
 * each expected to end with status 134 and a message that says what
 * happened (tests/libc/expect_abort.sh checks both):
 *   double_free, bad_free, misaligned_free, realloc_freed, assert, abort,
 *   stack_smash, exit_status (exits 3 after flushing "flushed").
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void smash(const char *s)
{
    char small[8];
    volatile size_t n = strlen(s) + 1;
    memcpy(small, s, n);                /* overruns into the canary */
    printf("%s\n", small);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    char *volatile p = malloc(40);
    if (!strcmp(what, "double_free")) {
        free(p);
        free(p);
    } else if (!strcmp(what, "bad_free")) {
        static char not_heap[64] __attribute__((aligned(16)));
        free(not_heap + 16);
    } else if (!strcmp(what, "misaligned_free")) {
        free(p + 1);
    } else if (!strcmp(what, "realloc_freed")) {
        free(p);
        p = realloc(p, 100);
    } else if (!strcmp(what, "assert")) {
        assert(argc == 99);
    } else if (!strcmp(what, "abort")) {
        abort();
    } else if (!strcmp(what, "stack_smash")) {
        smash("this string is far too long for eight bytes");
    } else if (!strcmp(what, "exit_status")) {
        printf("flushed");
        exit(3);
    }
    printf("still running after %s\n", what);
    return 0;
}
