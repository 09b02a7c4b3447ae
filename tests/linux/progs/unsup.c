/*
 * unsup.c — a Linux program that makes a system call the personality
 * does not have: it must get ENOSYS (and the container's log says which
 * call it was), then carry on.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
    long r = syscall(206, 0, 0);               /* io_setup */
    int e = errno;
    long r2 = syscall(206, 0, 0);              /* logged once only */
    printf("unsup: io_setup returned %ld errno %d (ENOSYS is %d), again %ld\n", r, e, ENOSYS, r2);
    return r == -1 && e == ENOSYS ? 0 : 1;
}
