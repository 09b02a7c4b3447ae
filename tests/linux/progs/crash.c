/*
 * crash.c — a Linux program that dies of a signal: cm must report the
 * signal by name (segv: SIGSEGV at address 0x10; abort: SIGABRT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "segv";
    printf("crash: %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "ud2"))
        __asm__ volatile("ud2");
    if (!strcmp(how, "div")) {
        volatile int z = 0, a = 7;
        return a / z;
    }
    volatile int *p = (volatile int *)strtoul("0x10", NULL, 16);    /* opaque to the compiler */
    return *p;
}
