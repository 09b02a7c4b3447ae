/*
 * child.c — what this program does when a test spawns it into a child
 * task (argv[1] names the role). The exit status is the result the
 * parent checks.
 */
#include "kt.h"

int kt_child_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 0;
}
