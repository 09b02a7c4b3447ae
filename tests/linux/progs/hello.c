/*
 * hello.c — the first Linux program: its arguments, environment and
 * output reach the container's log, and its exit status reaches cm.
 * Built twice on the host, with musl-gcc and with glibc (-static).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("hello from a static Linux program: argc=%d argv[0]=%s", argc, argv[0]);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    const char *who = getenv("WHO");
    printf(" WHO=%s\n", who ? who : "(unset)");
    char *p = malloc(100000);                  /* brk or mmap, depending on the C library */
    memset(p, 'x', 100000);
    free(p);
    fprintf(stderr, "to stderr\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
