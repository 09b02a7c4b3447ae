/*
 * hello.c — the first Linux program: its arguments, environment and
 * output reach the container's log, and its exit status reaches cm.
 * Built twice on the host, with musl-gcc and with glibc (-static). Given
 * more than 8 arguments it prints what arrived in a line instead (their
 * count, bytes and a checksum, the last, the environment's count and
 * last): long specs reach a Linux program intact (lxtest.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int summary(int argc, char **argv, char **envp)
{
    unsigned long bytes = 0, sum = 0, envc = 0;
    for (int i = 1; i < argc; i++) {
        bytes += strlen(argv[i]);
        for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
            sum = sum * 31 + *p;
    }
    while (envp[envc])
        envc++;
    printf("hello: %d arguments, %lu bytes, sum %lu, last '%.40s'; %lu environment strings, last '%.40s'\n",
           argc - 1, bytes, sum, argv[argc - 1], envc, envc ? envp[envc - 1] : "");
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    if (argc > 8)
        return summary(argc, argv, envp);
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
