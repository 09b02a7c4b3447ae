/*
 * ticker.c — prints "tick N" every argv[2] ms (default 20), argv[1] times
 * (default 10): a neighbour whose output must not change whatever other
 * containers do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int ms = argc > 2 ? atoi(argv[2]) : 20;
    for (int i = 1; i <= n; i++) {
        printf("tick %d\n", i);
        usleep((unsigned)ms * 1000);
    }
    return 0;
}
