/*
 * quotaprobe.c — prints what its own quota says it uses (the kernel's
 * count, the one that enforces its limit), then waits, so a test can
 * compare `aerie stats` and `aerie top` with it (tests/cli/
 * test_observe.sh). `quotaprobe KB SECONDS`: touches KB KiB of heap first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>

int main(int argc, char **argv)
{
    long kb = argc > 1 ? atol(argv[1]) : 256, secs = argc > 2 ? atol(argv[2]) : 20;
    char *p = malloc((size_t)kb << 10);
    if (p)
        memset(p, 1, (size_t)kb << 10);
    printf("quotaprobe: warming up\n");           /* stdout's buffer exists before the count */
    fflush(stdout);
    uint64_t q[6] = { 0 };
    ae_quota_info(ae_self.quota, q);
    printf("quotaprobe: used=%lu limit=%lu\n", q[1], q[0]);
    fflush(stdout);
    sleep((unsigned)secs);
    return p ? 0 : 1;
}
