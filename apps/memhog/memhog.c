/*
 * memhog.c — tries to use more memory than its container may: allocates
 * 64 KiB blocks and touches them until malloc fails, then reports how far
 * it got. Exit 0 means it met its limit cleanly (malloc said no, nothing
 * crashed); it never succeeds in taking memory from its neighbours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

int main(void)
{
    size_t total = 0;
    for (;;) {
        char *p = malloc(64 * 1024);
        if (!p)
            break;
        memset(p, 0xA5, 64 * 1024);
        total += 64 * 1024;
        if (total > (8ull << 30)) {
            printf("memhog: got 8 GiB without hitting a limit\n");
            return 2;
        }
    }
    printf("memhog: stopped at the limit after %zu KiB (errno %d, %s)\n", total / 1024, errno,
           errno == ENOMEM ? "ENOMEM" : "?");
    return errno == ENOMEM ? 0 : 1;
}
