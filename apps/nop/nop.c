/*
 * nop.c — the container the start-up benchmark times (bench/aerie/
 * startbench.c): it does nothing but tell when its main began. It reads
 * CLOCK_MONOTONIC first thing and ends with that reading, in nanoseconds
 * since boot, as its 64-bit exit status, which the container manager hands
 * to whoever waits for it. So it needs no grant at all: no console, no
 * memory of its own beyond what it was loaded with.
 */
#include <time.h>
#include <libaerie/syscall.h>

int main(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* exit() takes an int: 32 bits of nanoseconds last 4 s. The thread's
     * exit carries a whole word to the manager. */
    ae_thread_exit((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}
