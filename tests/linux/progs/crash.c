/*
 * crash.c — a Linux program that dies of a signal: cm must report the
 * signal by name (segv: SIGSEGV at address 0x10; abort: SIGABRT; oom:
 * touches pages past the container's memory limit, SIGKILL as Linux's
 * memory cgroup gives).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "segv";
    printf("crash: %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "ud2"))
        __asm__ volatile("ud2");
    if (!strcmp(how, "oom")) {
        size_t len = 1ul << 32;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            return 3;
        for (size_t i = 0; i < len; i += 4096)
            m[i] = 1;
        return 4;
    }
    if (!strcmp(how, "div")) {
        volatile int z = 0, a = 7;
        return a / z;
    }
    volatile int *p = (volatile int *)strtoul("0x10", NULL, 16);    /* opaque to the compiler */
    return *p;
}
