/*
 * benchrun.c — runs one benchmark boot (a QEMU command) with time limits,
 * logs everything it prints, and shows progress.
 *
 * The guest frames its experiments with lines the benchmark init prints:
 *     BENCH BEGIN <name>   BENCH END <name> rc=<n>   BENCH FAIL <name>: <why>
 *     BENCH ERROR <prog>: <why>   BENCH DONE ...
 * benchrun prints one progress line per experiment begun and ended (with
 * the time so far and the samples seen), another every minute while an
 * experiment runs, and every failure, to stderr. If the
 * command runs past --timeout seconds, or prints nothing for --silence
 * seconds, its process group is killed and the boot is named as hung, with
 * the experiment it was in. The full output goes to --log.
 *
 * Exit status: 0 when the boot printed "BENCH DONE" and no failure; 1 when
 * an experiment failed; 2 when it was killed or ended without BENCH DONE.
 *
 * usage: benchrun --name NAME --log FILE [--timeout S] [--silence S] -- COMMAND...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096
#define HEARTBEAT_S  60     /* a progress line at least this often */

static const char *name;
static double t_start;
static long samples, failures;
static bool done;
static char current[128] = "boot";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double last_progress;

static void progress(const char *fmt, const char *arg)
{
    last_progress = now();
    fprintf(stderr, "  [%5.0fs] %s: ", now() - t_start, name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (%ld samples)\n", samples);
}

/* Reads one line of guest output and updates the progress state. */
static void see_line(char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = 0;
    /* A kernel message can land in the middle of a line; look for our
     * markers anywhere in it. */
    char *m;
    if ((m = strstr(line, "SAMPLE ")) == line)
        samples++;
    else if ((m = strstr(line, "BENCH BEGIN "))) {
        snprintf(current, sizeof current, "%s", m + 12);
        progress("%s ...", current);
    } else if ((m = strstr(line, "BENCH END "))) {
        progress("%s", m + 10);
    } else if ((m = strstr(line, "BENCH FAIL ")) || (m = strstr(line, "BENCH ERROR "))) {
        failures++;
        fprintf(stderr, "  [%5.0fs] %s: %s\n", now() - t_start, name, m);
    } else if (strstr(line, "BENCH DONE")) {
        done = true;
    } else if (strstr(line, "Kernel panic")) {
        failures++;
        fprintf(stderr, "  [%5.0fs] %s: %s\n", now() - t_start, name, line);
    }
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGTERM);
    for (int i = 0; i < 20; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(100000);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

struct opts {
    const char *log_path;
    double timeout, silence;
    char **command;
};

static bool parse_args(int argc, char **argv, struct opts *o)
{
    int i;
    *o = (struct opts){ .timeout = 1800, .silence = 300 };
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (i + 1 >= argc) { fprintf(stderr, "benchrun: %s needs a value\n", argv[i]); return false; }
        if (strcmp(argv[i], "--name") == 0) name = argv[++i];
        else if (strcmp(argv[i], "--log") == 0) o->log_path = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0) o->timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--silence") == 0) o->silence = atof(argv[++i]);
        else { fprintf(stderr, "benchrun: unknown option %s\n", argv[i]); return false; }
    }
    o->command = argv + i;
    return name && o->log_path && i < argc && o->timeout > 0 && o->silence > 0;
}

/* Starts the command in its own process group with stdout and stderr on
 * the pipe's write end; returns its pid, or -1. */
static pid_t start_command(char **command, int fds[2])
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("benchrun: fork");
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);                    /* QEMU and its helpers die together */
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(command[0], command);
        fprintf(stderr, "benchrun: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(fds[1]);
    return pid;
}

/* Splits what was read into lines for see_line; keeps a partial last line. */
static void feed(char *buf, size_t *len, size_t n, size_t cap)
{
    for (size_t i = *len; i < *len + n; i++)
        if (buf[i] == 0)
            buf[i] = ' ';                 /* a stray NUL must not cut a line */
    *len += n;
    buf[*len] = 0;
    char *start = buf, *nl;
    while ((nl = strchr(start, '\n'))) {
        *nl = 0;
        see_line(start);
        start = nl + 1;
    }
    *len = strlen(start);
    memmove(buf, start, *len + 1);
    if (*len == cap - 1) {                /* an overlong line: take it as is */
        see_line(buf);
        *len = 0;
    }
}

/* Copies the command's output to the log until it ends or a limit is hit;
 * returns why it must be killed, or NULL. */
static const char *watch(int fd, FILE *log, const struct opts *o, long *bytes)
{
    char buf[LINE_MAX_LEN];
    size_t len = 0;
    double last_output = now();
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, 1000);
        double t = now();
        if (t - t_start > o->timeout)
            return "ran past its time limit";
        if (t - last_output > o->silence)
            return "printed nothing for too long";
        if (t - last_progress >= HEARTBEAT_S)
            progress("still in %s ...", current);
        if (r <= 0)
            continue;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return NULL;
        fwrite(buf + len, 1, (size_t)n, log);
        fflush(log);
        *bytes += n;
        last_output = t;
        feed(buf, &len, (size_t)n, sizeof buf);
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    if (!parse_args(argc, argv, &o)) {
        fprintf(stderr, "usage: benchrun --name NAME --log FILE [--timeout S] [--silence S] -- COMMAND...\n");
        return 2;
    }
    FILE *log = fopen(o.log_path, "w");
    if (!log) {
        fprintf(stderr, "benchrun: %s: cannot write log %s: %s\n", name, o.log_path, strerror(errno));
        return 2;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        perror("benchrun: pipe");
        return 2;
    }
    t_start = last_progress = now();
    pid_t pid = start_command(o.command, fds);
    if (pid < 0)
        return 2;
    long bytes = 0;
    const char *killed = watch(fds[0], log, &o, &bytes);
    int status = 0;
    if (killed) {
        kill_group(pid);
        fprintf(stderr, "  [%5.0fs] %s: KILLED: %s (limits: %.0fs total, %.0fs silence)"
                " while in '%s'%s\n", now() - t_start, name, killed, o.timeout, o.silence, current,
                bytes == 0 ? "; it printed nothing at all" : "");
        fprintf(log, "\nbenchrun: killed: %s while in '%s'\n", killed, current);
        fclose(log);
        return 2;
    }
    waitpid(pid, &status, 0);
    fclose(log);
    if (!done) {
        fprintf(stderr, "  [%5.0fs] %s: ended without BENCH DONE (exit status %d)%s; see %s\n",
                now() - t_start, name, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                bytes == 0 ? ", printed nothing" : "", o.log_path);
        return 2;
    }
    fprintf(stderr, "  [%5.0fs] %s: done, %ld samples, %ld failures\n", now() - t_start, name,
            samples, failures);
    return failures ? 1 : 0;
}
