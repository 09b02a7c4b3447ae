/*
 * netstat.c — prints the net service's counters (NET_ADMIN_STATS) through
 * the admin capability "net.admin": every counter that is not zero, or
 * all with -a. With -w SECONDS it waits that long first, and with -r N
 * it repeats N times (for watching a boot in QEMU).
 *
 * usage: netstat [-a] [-w SECONDS] [-r COUNT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <aerie/errors.h>
#include <libaerie/net.h>
#include <libaerie/runtime.h>

static void show(const char *name, uint64_t value, void *arg)
{
    if (value || *(int *)arg)
        printf("netstat: %-24s %lu\n", name, value);
}

int main(int argc, char **argv)
{
    int all = 0;
    long wait = 0, repeat = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-a"))
            all = 1;
        else if (!strcmp(argv[i], "-w") && i + 1 < argc)
            wait = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc)
            repeat = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: netstat [-a] [-w SECONDS] [-r COUNT]\n");
            return 2;
        }
    }
    uint64_t admin = ae_capenv_lookup("net.admin");
    if (!admin) {
        fprintf(stderr, "netstat: needs the grant net.admin\n");
        return 1;
    }
    for (long n = 0; n < repeat; n++) {
        if (wait)
            sleep((unsigned)wait);
        int r = ae_net_admin_stats(admin, show, &all);
        if (r) {
            fprintf(stderr, "netstat: the net service says %d\n", r);
            return 1;
        }
        printf("netstat: --\n");
    }
    return 0;
}
