/*
 * argprobe.c — a program for imported images in tests/cli/test_aerie.sh:
 * it prints what it was started with — its arguments, its environment,
 * its working directory — and what a relative path reads there, so the
 * test can check that an image's Entrypoint, Cmd, Env and WorkingDir
 * (and their overrides) arrive as meant. Built against Aerie's libc, not
 * part of the boot image: the test imports it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    char cwd[512], buf[128];
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, "PROBE_", 6) || !strncmp(*e, "PWD=", 4) || !strncmp(*e, "PATH=", 5) ||
            !strncmp(*e, "HOME=", 5))
            printf("env %s\n", *e);
    printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    int fd = open("here.txt", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (n >= 0) {
        buf[n] = 0;
        printf("here.txt: %s", buf);
    } else {
        printf("here.txt: none\n");
    }
    if (fd >= 0)
        close(fd);
    return argc;
}
