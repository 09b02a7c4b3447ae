/*
 * crasher.c — dereferences a null pointer: the container manager must
 * report the fault (address, kind) and carry on.
 */
#include <stdio.h>

int main(void)
{
    printf("crasher: about to read address 0\n");
    fflush(stdout);
    volatile int *p = 0;
    return *p;
}
