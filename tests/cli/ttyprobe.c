/*
 * ttyprobe.c — a static Linux program the terminal test (test_tty.sh)
 * imports and runs in containers, to misuse a terminal from inside:
 *   notty   — run without -t: every terminal ioctl on fds 0-2 is ENOTTY,
 *             /dev/tty is ENXIO, isatty is false
 *   attack  — run with -t: bad pointers are EFAULT, huge window sizes are
 *             only 16-bit numbers, foreground groups that are not ours
 *             (other containers' pids included) are refused, no other
 *             terminal can be opened, a stolen terminal is refused
 * Each prints "ttyprobe: MODE: N surprises" (0: as it should be).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int surprises;

static void want(const char *what, long r, int err)
{
    int e = r < 0 ? errno : 0;
    if ((err == 0 && r < 0) || (err && (r >= 0 || e != err))) {
        printf("surprise: %s: got %ld (%s), wanted %s\n", what, r, r < 0 ? strerror(e) : "ok",
               err ? strerror(err) : "success");
        surprises++;
    }
}

static void notty(void)
{
    struct termios tio;
    struct winsize ws;
    int pgrp = getpgrp();
    for (int fd = 0; fd < 3; fd++) {
        want("TCGETS", ioctl(fd, TCGETS, &tio), ENOTTY);
        want("TCSETS", ioctl(fd, TCSETS, &tio), ENOTTY);
        want("TIOCGWINSZ", ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
        want("TIOCSWINSZ", ioctl(fd, TIOCSWINSZ, &ws), ENOTTY);
        want("TIOCGPGRP", ioctl(fd, TIOCGPGRP, &pgrp), ENOTTY);
        want("TIOCSPGRP", ioctl(fd, TIOCSPGRP, &pgrp), ENOTTY);
        want("TIOCSCTTY", ioctl(fd, TIOCSCTTY, 0), ENOTTY);
        want("TIOCGSID", ioctl(fd, TIOCGSID, &pgrp), ENOTTY);
        want("isatty", isatty(fd) ? 0 : -1, ENOTTY);
    }
    want("open /dev/tty", open("/dev/tty", O_RDWR), ENXIO);
    want("open /dev/pts/0", open("/dev/pts/0", O_RDWR), ENOENT);
}

static void attack(void)
{
    struct winsize ws = { 65535, 65535, 65535, 65535 }, back;
    void *bad[] = { NULL, (void *)1, (void *)0xffff800000000000ul, (void *)0x7ffffffffff0ul };
    want("isatty 0", isatty(0) ? 0 : -1, 0);
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        want("TCGETS bad", ioctl(0, TCGETS, bad[i]), EFAULT);
        want("TCSETS bad", ioctl(0, TCSETS, bad[i]), EFAULT);
        want("TIOCGWINSZ bad", ioctl(0, TIOCGWINSZ, bad[i]), EFAULT);
        want("TIOCSWINSZ bad", ioctl(0, TIOCSWINSZ, bad[i]), EFAULT);
        want("TIOCGPGRP bad", ioctl(0, TIOCGPGRP, bad[i]), EFAULT);
        want("TIOCSPGRP bad", ioctl(0, TIOCSPGRP, bad[i]), EFAULT);
        want("FIONREAD bad", ioctl(0, FIONREAD, bad[i]), EFAULT);
    }
    want("TIOCSWINSZ huge", ioctl(0, TIOCSWINSZ, &ws), 0);
    want("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &back), 0);
    if (back.ws_row != 65535 || back.ws_col != 65535) {
        printf("surprise: window size came back %ux%u\n", back.ws_row, back.ws_col);
        surprises++;
    }
    /* groups that are no process group of ours: another container's pids are numbers here */
    for (int g = 2; g < 300; g++)
        if (g != getpgrp())
            want("TIOCSPGRP other", ioctl(0, TIOCSPGRP, &g), EPERM);
    int neg = -5;
    want("TIOCSPGRP negative", ioctl(0, TIOCSPGRP, &neg), EINVAL);
    int fg = 0;
    want("TIOCGPGRP", ioctl(0, TIOCGPGRP, &fg), 0);
    if (fg != getpgrp()) {
        printf("surprise: the foreground group is %d, we are %d\n", fg, getpgrp());
        surprises++;
    }
    want("unknown ioctl", ioctl(0, 0x54ff, 0), ENOTTY);
    want("TCFLSH bad", ioctl(0, TCFLSH, 7), EINVAL);
    /* the only terminal there is: ours (pts/0); no other container's */
    for (int i = 1; i < 16; i++) {
        char path[32];
        snprintf(path, sizeof path, "/dev/pts/%d", i);
        want(path, open(path, O_RDWR), ENOENT);
    }
    want("open /dev/tty", open("/dev/tty", O_RDWR) >= 0 ? 0 : -1, 0);
    /* a child in a session of its own may not take our terminal */
    pid_t c = fork();
    if (c == 0) {
        int s = setsid();
        int r = ioctl(0, TIOCSCTTY, 1), e = errno;
        int r2 = ioctl(0, TIOCGPGRP, &fg), e2 = errno;
        if (s < 0 || r != -1 || e != EPERM || r2 != -1 || e2 != ENOTTY)
            printf("child: setsid %d (%s), TIOCSCTTY %d (%s), TIOCGPGRP %d (%s)\n", s, strerror(s < 0 ? errno : 0),
                   r, strerror(e), r2, strerror(e2));
        fflush(stdout);
        _exit(r == -1 && e == EPERM && r2 == -1 ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    if (st != 0) {
        printf("surprise: another session took or read our terminal (status %d)\n", st);
        surprises++;
    }
    ws = (struct winsize){ 33, 77, 0, 0 };
    want("TIOCSWINSZ", ioctl(0, TIOCSWINSZ, &ws), 0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "notty"))
        notty();
    else if (!strcmp(mode, "attack"))
        attack();
    else {
        printf("usage: ttyprobe notty|attack\n");
        return 2;
    }
    printf("ttyprobe: %s: %d surprises\n", mode, surprises);
    return 0;
}
