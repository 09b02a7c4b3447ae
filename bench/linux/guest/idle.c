/*
 * idle.c — an idle process or container: a static binary that sleeps until
 * it is killed. The start-up benchmarks keep hundreds of these around, and
 * the memory benchmarks count what each one costs.
 */
#include <unistd.h>

int main(void)
{
    for (;;)
        pause();
}
