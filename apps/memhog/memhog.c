/*
 * memhog.c — tries to use more memory than its container may: allocates
 * 64 KiB blocks and touches them until malloc fails, then reports how far
 * it got. Exit 0 means it met its limit cleanly (malloc said no, nothing
 * crashed); it never succeeds in taking memory from its neighbours.
 *
 * `memhog stack` goes on once malloc has said no even to 4 KiB: it then
 * reaches deeper into its stack, whose pages are only charged when first
 * touched (docs/ABI.md, AERIE_MEM_LAZY). With the limit used up the touch
 * cannot be paid for, and cm reports the container out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

static size_t fill(size_t block, size_t total)
{
    for (;;) {
        char *p = malloc(block);
        if (!p)
            return total;
        memset(p, 0xA5, block);
        total += block;
        if (total > (8ull << 30)) {
            printf("memhog: got 8 GiB without hitting a limit\n");
            exit(2);
        }
    }
}

/* Each level holds a page of stack; volatile so it is really written. */
static int deeper(int depth)
{
    volatile char page[4000];
    page[0] = (char)depth;
    page[sizeof page - 1] = (char)depth;
    return depth ? deeper(depth - 1) + page[0] : page[sizeof page - 1];
}

/* Touches the stack pages the report below will use, before the fill:
 * they are charged when first touched, and once the limit is met a new
 * one cannot be, so where the fill happens to stop (the kernel's object
 * sizes move it) must not decide whether the report can be printed. */
static void __attribute__((noinline)) touch_stack(void)
{
    volatile char pages[12 * 1024];
    for (size_t i = 0; i < sizeof pages; i += 512)
        pages[i] = 0;
}

int main(int argc, char **argv)
{
    touch_stack();
    size_t total = fill(64 * 1024, 0);
    printf("memhog: stopped at the limit after %zu KiB (errno %d, %s)\n", total / 1024, errno,
           errno == ENOMEM ? "ENOMEM" : "?");
    if (argc > 1 && strcmp(argv[1], "stack") == 0) {
        total = fill(4096, total);
        printf("memhog: %zu KiB in all; now deeper into the stack\n", total / 1024);
        fflush(stdout);
        printf("memhog: the stack went deeper anyway (%d)\n", deeper(12));
        return 3;
    }
    return errno == ENOMEM ? 0 : 1;
}
