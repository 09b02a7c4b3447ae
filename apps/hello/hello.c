/*
 * hello.c — the first program: it prints through the console service,
 * which is all it was given. Given arguments, it also says what arrived
 * (their count and bytes, the last one, the environment's count and last
 * string): cm's tests check that long specs reach a program intact.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv, char **envp)
{
    printf("Hello from %s: a task that holds only the capabilities it was granted.\n",
           argc > 0 ? argv[0] : "hello");
    if (argc > 1) {
        unsigned long bytes = 0, sum = 0, envc = 0;
        for (int i = 1; i < argc; i++) {
            bytes += strlen(argv[i]);
            for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
                sum = sum * 31 + *p;
        }
        while (envp && envp[envc])
            envc++;
        printf("hello: %d arguments, %lu bytes, sum %lu, last '%.40s'; %lu environment strings, last '%.40s'\n",
               argc - 1, bytes, sum, argv[argc - 1], envc, envc ? envp[envc - 1] : "");
    }
    return 0;
}
