/*
 * aerie.c — the aerie command line: runs and watches containers on a
 * running Aerie through its control channel (docs/CM.md). One function
 * per command, found through one table that also holds each command's
 * usage; aerie_conn.c talks to ctl, aerie_spec.c turns options into a
 * container spec.
 *
 * Exit status: 0 on success; 1 when Aerie refuses or cannot be reached;
 * 125 for a bad command line, as docker; `run` exits with the container's
 * status (or 128+N when it faulted or was killed, 125 when it could not
 * start: so do start, run -d and create; 127 when its program is not in
 * the image, 126 when it is no program Aerie runs); exec 127 no such
 * program, 126 cannot run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifndef AERIE_VERSION
#define AERIE_VERSION "unknown"
#endif
#include "aerie_conn.h"
#include "aerie_spec.h"
#include "aerie_input.h"
#include "aerie_cp.h"
#include "aerie_import.h"
#include "aerie_debug.h"
#include "aerie_trace.h"
#include "aerie_inspect.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE   125              /* docker's status for a command line it refuses */
#define EXIT_NOSTART 125
#define SIG_KILLED   9

struct command {
    const char *name, *args, *summary, *details;
    int (*fn)(const struct command *cmd, struct conn *c, int argc, char **argv);
    const char *flag;                /* the one flag it takes besides --help ("-f"), or NULL */
    int min, max;                    /* operands */
};

static const struct command *find_command(const char *name);

/* ---- help and arguments ---- */

static void command_help(const struct command *cmd, FILE *f)
{
    fprintf(f, "usage: aerie %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
    if (!strcmp(cmd->name, "run") || !strcmp(cmd->name, "start") || !strcmp(cmd->name, "create")) {
        fprintf(f, "\noptions:\n");
        run_print_options(f);
        if (!strcmp(cmd->name, "run"))
        {
            fprintf(f, "  %-20s %s\n", "--rm", "remove the container once it has ended (with -d too)");
            fprintf(f, "  %-20s %s\n", "-d, --detach", "start it in the background and print its id (aerie start)");
            fprintf(f, "  %-20s %s\n", "-i, --interactive", "our standard input is its input (EOF at ours)");
            fprintf(f, "  %-20s %s\n", "-t, --tty", "a terminal: isatty, line editing, ^C; with -i our terminal is raw (-it)");
        }
    }
    if (cmd->details)
        fprintf(f, "\n%s", cmd->details);
}

/* Exits with a message naming a command's unknown option, and the one
 * meant if it is near one of its options (a NULL-ended list). */
static _Noreturn void unknown_option(const struct command *cmd, const char *opt, ...)
{
    const char *cands[24] = { "--help" };
    size_t n = 1;
    va_list ap;
    va_start(ap, opt);
    for (const char *w; n < 24 && (w = va_arg(ap, const char *)); )
        cands[n++] = w;
    va_end(ap);
    char near[120];
    nearest_words(opt, cands, n, near, sizeof near);
    die(EXIT_USAGE, "%s: unknown option '%s'%s%s (aerie %s --help)", cmd->name, opt, near[0] ? ": " : "", near,
        cmd->name);
}

/* Gathers the operands of argv[1..] into ops (flag sets *flag_on);
 * --help prints the usage and exits; anything else odd exits with 2. */
static int take_operands(const struct command *cmd, int argc, char **argv, char **ops, bool *flag_on)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help(cmd, stdout);
            exit(0);
        }
        bool negative = argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9';   /* "-1": an operand */
        if (cmd->flag && !strcmp(argv[i], cmd->flag))
            *flag_on = true;
        else if (argv[i][0] == '-' && argv[i][1] && !negative)
            unknown_option(cmd, argv[i], cmd->flag, (const char *)NULL);
        else if (n++ < cmd->max)
            ops[n - 1] = argv[i];            /* more than max: counted, refused below */
    }
    if (n < cmd->min || n > cmd->max)
        die(EXIT_USAGE, "%s: expected %s%s (aerie %s --help)", cmd->name, cmd->args[0] ? cmd->args : "no arguments",
            n > cmd->max ? ", got more" : "", cmd->name);
    return n;
}

static const struct conn *located;          /* main's: where name lookups connect */
static uint64_t id_of_name(const struct command *cmd, const char *name);

/* The id s spells (digits), 0 for a name; a word that is neither exits
 * with a usage error. */
static uint64_t id_syntax(const struct command *cmd, const char *s)
{
    char *end;
    errno = 0;
    if (s[0] >= '0' && s[0] <= '9') {
        unsigned long long v = strtoull(s, &end, 10);
        if (*end || v == 0 || errno == ERANGE)
            die(EXIT_USAGE, "%s: '%s' is not a container id (a number, as 'aerie ps' shows) or name", cmd->name, s);
        return v;
    }
    if (!s[0] || s[0] == '-' || s[0] == '+' || strlen(s) > 31)   /* "-1": a bad id, not a name */
        die(EXIT_USAGE, "%s: '%s' is not a container id (a number, as 'aerie ps' shows) or name", cmd->name, s);
    return 0;
}

/* A container named by its id (digits) or by the name it was given
 * (--name), as docker takes either. */
static uint64_t container_id(const struct command *cmd, const char *s)
{
    uint64_t v = id_syntax(cmd, s);
    return v ? v : id_of_name(cmd, s);
}

static uint64_t named_if_any(const struct command *cmd, const char *name);

/* As container_id, but an unknown name is said on stderr and gives 0, so
 * a command of several ids goes on with the others (docker rm a nosuch b
 * removes a and b). */
static uint64_t container_id_or_say(const struct command *cmd, const char *s)
{
    uint64_t v = id_syntax(cmd, s);
    if (!v && !(v = named_if_any(cmd, s)))
        fprintf(stderr, "aerie: %s: no container named '%s' (aerie ps lists them)\n", cmd->name, s);
    return v;
}

/* ---- replies ---- */

/* The text of a reply (escaped on the wire) made plain, in place. */
static char *plain(char *text, size_t *len)
{
    size_t bad;
    long n = ctl_unescape(text, strlen(text), &bad);
    if (len)
        *len = n < 0 ? 0 : (size_t)n;
    return text;
}

/* Waits for the final reply to id: ok returns, err exits 1 with its message. */
static void expect_ok(const struct command *cmd, struct conn *c, const char *id, struct ctl_reply *r)
{
    conn_expect(c, id, r);
    if (!strcmp(r->kind, "err"))
        die(EXIT_REFUSED, "%s: %s", cmd->name, plain(r->rest, NULL));
    if (strcmp(r->kind, "ok"))
        die(EXIT_REFUSED, "%s: unexpected reply '%s %s'", cmd->name, r->kind, r->rest);
}

/* The value of key=value in a reply's words, unescaped into out. */
static const char *kv(const char *rest, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    out[0] = 0;
    for (const char *p = rest; *p; ) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > k && p[k] == '=' && !strncmp(p, key, k) && n - k - 1 < cap) {
            memcpy(out, p + k + 1, n - k - 1);
            out[n - k - 1] = 0;
            plain(out, NULL);
            break;
        }
        p += n + (end != NULL);
    }
    return out;
}

static uint64_t kv_num(const char *rest, const char *key)
{
    char v[32];
    return strtoull(kv(rest, key, v, sizeof v), NULL, 10);
}

/* ---- formatting ---- */

static const char *human_size(uint64_t b, char *buf, size_t cap)
{
    if (b < 1024)
        snprintf(buf, cap, "%lluB", (unsigned long long)b);
    else if (b < (1u << 20))
        snprintf(buf, cap, "%.1fK", b / 1024.0);
    else if (b < (1u << 30))
        snprintf(buf, cap, "%.1fM", b / 1048576.0);
    else
        snprintf(buf, cap, "%.1fG", b / 1073741824.0);
    return buf;
}

static const char *human_time(uint64_t ms, char *buf, size_t cap)
{
    if (ms < 1000)
        snprintf(buf, cap, "%llums", (unsigned long long)ms);
    else if (ms < 60000)
        snprintf(buf, cap, "%.1fs", ms / 1000.0);
    else if (ms < 3600000)
        snprintf(buf, cap, "%llum%02llus", (unsigned long long)(ms / 60000), (unsigned long long)(ms / 1000 % 60));
    else
        snprintf(buf, cap, "%lluh%02llum", (unsigned long long)(ms / 3600000), (unsigned long long)(ms / 60000 % 60));
    return buf;
}

/* ---- run, start and streams ---- */

static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupts++;
}

/* The signal a fault is shown as (128 + it is the exit status), like a
 * Linux process's: page faults and protection faults SIGSEGV, and so on. */
static int fault_signal(const char *kind)
{
    if (!strcmp(kind, "page"))
        return SIGSEGV;
    if (!strncmp(kind, "syscall:", 8))
        return SIGSYS;
    if (!strncmp(kind, "signal:", 7) && atoi(kind + 7) > 0 && atoi(kind + 7) < 128)
        return atoi(kind + 7);                      /* a Linux program's own signal */
    if (strncmp(kind, "exception:", 10))
        return SIGABRT;
    switch (atoi(kind + 10)) {
    case 0: case 16: case 19: return SIGFPE;       /* divide error, x87 and SIMD errors */
    case 1: case 3: return SIGTRAP;
    case 6: return SIGILL;
    case 11: case 12: case 13: return SIGSEGV;     /* segment, stack, general protection */
    default: return SIGABRT;
    }
}

/* The exit status for the end a stream reported ("exited 0", ...). */
static int exit_status_of(uint64_t cid, char *state)
{
    char *rest = strchr(state, ' ');
    if (rest)
        *rest++ = 0;
    fflush(stdout);                          /* the output before what we say about its end */
    if (!strcmp(state, "exited") && rest)
        return (int)(strtoull(rest, NULL, 10) & 0xFF);   /* the low 8 bits, as on Linux */
    if (!strcmp(state, "killed")) {
        fprintf(stderr, "aerie: container %llu was killed\n", (unsigned long long)cid);
        return 128 + SIG_KILLED;
    }
    if (!strcmp(state, "faulted") && rest) {
        char *what = strchr(rest, ' ');
        if (what)
            *what++ = 0;
        fprintf(stderr, "aerie: container %llu faulted: %s\n", (unsigned long long)cid, what ? what : rest);
        return 128 + fault_signal(rest);
    }
    fprintf(stderr, "aerie: container %llu ended: %s %s\n", (unsigned long long)cid, state, rest ? rest : "");
    return EXIT_NOSTART;
}

/* A signal to a container's Linux program: 1 sent; 0 it does not run a
 * Linux program (or has ended), and then it was killed; -1 refused (the
 * message printed). */
static int signal_or_kill(struct conn *c, const char *who, uint64_t cid, const char *sig)
{
    char id[CTL_ID_MAX + 1], num[24];
    const char *w[2] = { num, sig };
    struct ctl_reply r;
    snprintf(num, sizeof num, "%llu", (unsigned long long)cid);
    conn_send(c, id, "signal", w, 2);
    conn_expect(c, id, &r);
    if (!strcmp(r.kind, "ok"))
        return 1;
    if (strstr(r.rest, "did not take the signal")) {
        /* a Linux container that does not receive signals (attack17:
         * one that keeps its personality busy) is still stopped: after
         * the grace, as one that ignores the signal would be */
        fprintf(stderr, "aerie: container %llu did not take the signal; it is killed after the grace\n",
                (unsigned long long)cid);
        return 1;
    }
    if (!strstr(r.rest, "does not run a Linux program")) {
        fprintf(stderr, "aerie: %s: %s\n", who, plain(r.rest, NULL));
        return -1;
    }
    conn_send(c, id, "kill", w, 1);
    conn_expect(c, id, &r);
    if (!strcmp(r.kind, "ok"))
        return 0;
    fprintf(stderr, "aerie: %s: %s\n", who, plain(r.rest, NULL));
    return -1;
}

/* Ctrl-C: the first sends SIGINT to a Linux program (as a terminal would)
 * or kills any other; a second kills the Linux program; the next leaves.
 * The requests go on a second connection: this one carries the stream. */
static void handle_interrupt(struct conn *c, uint64_t cid, int *handled, int *stage)
{
    while (*handled < (int)interrupts) {
        ++*handled;
        if (*stage >= 2)
            exit(128 + SIGINT);
        struct conn c2;
        memset(&c2, 0, sizeof c2);
        memcpy(c2.path, c->path, sizeof c2.path);
        conn_open(&c2);
        int r = signal_or_kill(&c2, "run", cid, *stage == 0 ? "INT" : "KILL");
        if (r == 1 && *stage == 0) {
            fprintf(stderr, "aerie: SIGINT to container %llu (Ctrl-C again to kill it)\n", (unsigned long long)cid);
            *stage = 1;
        } else {
            fprintf(stderr, "aerie: killing container %llu (Ctrl-C again to leave it)\n", (unsigned long long)cid);
            *stage = 2;
        }
        close(c2.fd);
        free(c2.buf);
    }
}

/* Prints a stream's output until it ends; returns the exit status its end
 * calls for. kill_on_interrupt: Ctrl-C kills the container (run). */
static int stream(struct conn *c, const char *id, uint64_t cid, bool kill_on_interrupt)
{
    int handled = 0, stage = 0;
    for (;;) {
        struct ctl_reply r;
        if (kill_on_interrupt)
            handle_interrupt(c, cid, &handled, &stage);
        enum conn_wait w = conn_reply(c, id, &r, -1);
        if (w == CONN_INTERRUPTED)
            continue;
        if (w != CONN_REPLY)
            die(EXIT_REFUSED, "Aerie went away (the control channel %s closed)", c->path);
        size_t n = 0;
        if (!strcmp(r.kind, "out")) {
            plain(r.rest, &n);
            fwrite(r.rest, 1, n, stdout);
            fflush(stdout);
        } else if (!strcmp(r.kind, "lost")) {
            fprintf(stderr, "aerie: %s bytes of container %llu's output were lost (written faster than read)\n",
                    r.rest, (unsigned long long)cid);
        } else if (!strcmp(r.kind, "exit")) {
            return exit_status_of(cid, r.rest);
        } else if (!strcmp(r.kind, "err")) {
            die(EXIT_REFUSED, "%s", plain(r.rest, NULL));
        }
    }
}

/* Parses run/start options or exits with a message naming the bad one. */
static void parse_run(const struct command *cmd, int argc, char **argv, struct run_request *rr)
{
    char err[300];
    if (run_parse(argc - 1, argv + 1, !strcmp(cmd->name, "run"), rr, err, sizeof err))
        die(EXIT_USAGE, "%s: %s (aerie %s --help)", cmd->name, err, cmd->name);
    if (rr->help) {
        command_help(cmd, stdout);
        exit(0);
    }
}

/* The spec goes as a payload, "runspec SIZE" or "createspec SIZE" and its
 * bytes: any spec up to CM_SPEC_MAX, however long a line its words
 * would make (docs/ENGINE.md). */
static void send_spec(struct conn *c, char *id, bool run, const struct run_request *rr)
{
    char size[24];
    const char *w[1] = { size };
    snprintf(size, sizeof size, "%zu", rr->text_len);
    conn_send(c, id, run ? "runspec" : "createspec", w, 1);
    conn_send_raw(c, rr->text, rr->text_len);
}

static void send_id(struct conn *c, char *id, const char *verb, uint64_t cid, const char *extra)
{
    char num[24];
    const char *w[2] = { num, extra };
    snprintf(num, sizeof num, "%llu", (unsigned long long)cid);
    conn_send(c, id, verb, w, extra ? 2 : 1);
}

/* The status for a container Aerie would not make, as docker's: 127
 * when its program is not in the image, 126 when it is no program Aerie
 * runs, else 125. */
static int nostart_status(const char *msg)
{
    if (strstr(msg, "is not a file in the image") || strstr(msg, "leads nowhere in the image") ||
        strstr(msg, "symbolic links (a loop?)"))
        return 127;
    if (strstr(msg, "is not a program Aerie runs"))
        return 126;
    return EXIT_NOSTART;
}

/* Aerie's refusal of a spec, explained (the option named), into why; for
 * an image it does not have, the near names of those it has (asked on c,
 * which is idle: the refusal was the request's last reply). */
static void refusal(struct conn *c, const char *msg, char *why, size_t cap)
{
    static char names[256][40];
    const char *cands[256];
    const char *at = strstr(msg, "no image '");
    run_explain(msg, why, cap);
    if (!at)
        return;
    char want[40], id[CTL_ID_MAX + 1], near[160];
    snprintf(want, sizeof want, "%.*s", (int)strcspn(at + 10, "'"), at + 10);
    struct ctl_reply r;
    size_t n = 0;
    conn_send(c, id, "images", NULL, 0);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "row"); conn_expect(c, id, &r))
        if (n < 256) {
            kv(r.rest, "name", names[n], sizeof names[n]);
            cands[n] = names[n];
            n++;
        }
    nearest_words(want, cands, n, near, sizeof near);
    char *list = strstr(why, " (aerie images lists them)"), rest[64] = "";
    if (list) {                                  /* the near one before where to see them all */
        snprintf(rest, sizeof rest, "%s", list);
        *list = 0;
    }
    if (near[0] && strlen(why) + strlen(near) + strlen(rest) + 3 < cap)
        snprintf(why + strlen(why), cap - strlen(why), ": %s", near);
    snprintf(why + strlen(why), cap - strlen(why), "%s", rest);
}

/* Sends the spec to be made (not started); its id. Aerie's refusal (an
 * unknown image, a name in use, no CPU of that number) exits 125, as
 * docker's create and run -d do, naming the option at fault. */
static uint64_t create_spec(const struct command *cmd, struct conn *c, const struct run_request *rr)
{
    char id[CTL_ID_MAX + 1], why[600];
    struct ctl_reply r;
    conn_open(c);
    send_spec(c, id, false, rr);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "ok")) {
        refusal(c, plain(r.rest, NULL), why, sizeof why);
        die(nostart_status(why), "%s: %s", cmd->name, why);
    }
    return strtoull(r.rest, NULL, 10);
}

/* Creates and starts a container without waiting for it; prints its id. */
static uint64_t create_and_start(const struct command *cmd, struct conn *c, const struct run_request *rr)
{
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    uint64_t cid = create_spec(cmd, c, rr);
    send_id(c, id, "start", cid, NULL);
    expect_ok(cmd, c, id, &r);
    printf("%llu\n", (unsigned long long)cid);
    return cid;
}

static int start_detached(const struct command *cmd, struct conn *c, const struct run_request *rr)
{
    create_and_start(cmd, c, rr);
    return 0;
}

/* run -d --rm, as docker's: started in the background, its id printed,
 * and a process of ours left behind, detached from the terminal and the
 * caller's pipes, waits for its end and removes it (cm keeps no such
 * wish: if the host process goes, aerie rm ID does it). */
static int start_removed_at_end(const struct command *cmd, struct conn *c, const struct run_request *rr)
{
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    uint64_t cid = create_and_start(cmd, c, rr);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fprintf(stderr, "aerie: run: cannot leave a process to remove container %llu at its end (%s): aerie rm "
                "it then\n", (unsigned long long)cid, strerror(errno));
    if (pid != 0)
        return 0;
    int null = open("/dev/null", O_RDWR);
    setsid();
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    for (;;) {                               /* its end (or its removal by another) */
        send_id(c, id, "status", cid, NULL);
        conn_expect(c, id, &r);
        if (strcmp(r.kind, "ok") || (strncmp(r.rest, "running", 7) && strncmp(r.rest, "created", 7)))
            break;
        usleep(500000);
    }
    if (!strcmp(r.kind, "ok")) {
        send_id(c, id, "rm", cid, NULL);
        conn_expect(c, id, &r);
    }
    _exit(0);
}

static int cmd_run(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static struct run_request rr;
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    struct sigaction sa = { .sa_handler = on_interrupt };
    parse_run(cmd, argc, argv, &rr);
    /* -d with -i would need a CLI that stays: say so, not drop one */
    if (rr.detach && rr.interactive)
        die(EXIT_USAGE, "run: -d cannot go with -i: a detached container has no aerie run forwarding its input "
            "(aerie run --help)");
    if (rr.detach && rr.rm)
        return start_removed_at_end(cmd, c, &rr);
    if (rr.detach)
        return start_detached(cmd, c, &rr);
    conn_open(c);
    sigaction(SIGINT, &sa, NULL);            /* no SA_RESTART: waits return; stream() kills it */
    send_spec(c, id, true, &rr);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "started")) {
        char why[600];
        refusal(c, plain(r.rest, NULL), why, sizeof why);
        fprintf(stderr, "aerie: run: %s\n", why);
        return nostart_status(why);
    }
    uint64_t cid = strtoull(r.rest, NULL, 10);
    if (rr.interactive) {
        input_set_tty(rr.tty);
        input_forward(c, cid);
    }
    int status = stream(c, id, cid, true);
    if (rr.rm) {
        send_id(c, id, "rm", cid, NULL);
        expect_ok(cmd, c, id, &r);
    }
    return status;
}

/* start CONTAINER: docker's start, of a container aerie create made (an
 * id, or the name of a container: that before an image of the name). */
static int start_made(const struct command *cmd, struct conn *c, const char *which, uint64_t cid)
{
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    conn_open(c);
    send_id(c, id, "start", cid, NULL);
    expect_ok(cmd, c, id, &r);
    printf("%s\n", which);
    return 0;
}

static int cmd_start(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static struct run_request rr;
    if (argc == 2 && argv[1][0] >= '0' && argv[1][0] <= '9')
        return start_made(cmd, c, argv[1], container_id(cmd, argv[1]));
    if (argc == 2 && argv[1][0] != '-') {
        uint64_t cid = named_if_any(cmd, argv[1]);
        if (cid)
            return start_made(cmd, c, argv[1], cid);
    }
    parse_run(cmd, argc, argv, &rr);
    return start_detached(cmd, c, &rr);
}

/* create: as docker create, made and not started; prints its id (aerie
 * start ID starts it). */
static int cmd_create(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static struct run_request rr;
    parse_run(cmd, argc, argv, &rr);
    printf("%llu\n", (unsigned long long)create_spec(cmd, c, &rr));
    return 0;
}

/* ---- exec ---- */

/* After exec's ENOENT: a container started without the fs grant (a
 * boot image's default: busybox's too) has no files, so no program is
 * found in it whatever its name. Says what would have worked. */
static void exec_hint(struct conn *c, uint64_t cid, const char *prog)
{
    char id[CTL_ID_MAX + 1], image[64] = "";
    bool fs = true;
    struct ctl_reply r;
    send_id(c, id, "inspect", cid, NULL);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "row"); conn_expect(c, id, &r)) {
        if (!strncmp(r.rest, "grants ", 7))
            fs = strstr(r.rest, "=fs") != NULL;
        else if (!strncmp(r.rest, "image ", 6))
            snprintf(image, sizeof image, "%s", plain(r.rest + 6, NULL));
    }
    if (!fs)
        fprintf(stderr, "aerie: exec: container %llu has no files (it was started without the fs grant), so exec "
                "finds no program in it: start one with them (aerie run -d --grant console,fs,self %s ...)\n",
                (unsigned long long)cid, image[0] ? image : "IMAGE");
    else if (!strcmp(image, "busybox") && strcmp(prog, "busybox") && !strchr(prog, '/'))
        fprintf(stderr, "aerie: exec: busybox's image holds /bin/sh and /bin/busybox: its applets run as "
                "aerie exec %llu busybox %s ...\n", (unsigned long long)cid, prog);
}

/* aerie exec [-i] [-e NAME=VALUE]... ID PROGRAM [ARGS]: a new process in a
 * running Linux container, its output streamed, its exit status ours
 * (docs/CM.md, "aerie exec"). */
static int cmd_exec(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    const char *words[CTL_WORDS_MAX];
    int nw = 1, i = 1;
    bool interactive = false, tty = false;
    char num[24];
    for (; i < argc && argv[i][0] == '-' && argv[i][1] && !(argv[i][1] >= '0' && argv[i][1] <= '9'); i++) {
        const char *a = argv[i];             /* ("-1" is an id, refused as one below) */
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            command_help(cmd, stdout);
            exit(0);
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "-i") || !strcmp(a, "--interactive") || !strcmp(a, "-it") || !strcmp(a, "-ti")) {
            interactive = true;
            tty |= a[2] != 0 && a[1] != '-';    /* -it, -ti */
        } else if (!strcmp(a, "-t") || !strcmp(a, "--tty")) {
            tty = true;
        } else if (!strcmp(a, "-e") || !strcmp(a, "--env") || !strncmp(a, "--env=", 6)) {
            const char *kv = a[1] == '-' && a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : NULL;
            if (!kv || !strchr(kv, '=') || kv[0] == '=')
                die(EXIT_USAGE, "%s: %s needs NAME=VALUE (aerie exec --help)", cmd->name, a);
            if (nw + 4 > CTL_WORDS_MAX)
                die(EXIT_USAGE, "%s: too many words (at most %d in all)", cmd->name, CTL_WORDS_MAX);
            words[nw++] = "-e";
            words[nw++] = kv;
        } else if (!strcmp(a, "-w") || !strcmp(a, "--workdir") || !strncmp(a, "--workdir=", 10)) {
            const char *d = a[1] == '-' && a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i] : NULL;
            if (!d || d[0] != '/')
                die(EXIT_USAGE, "%s: %s needs an absolute directory (-w /path) (aerie exec --help)", cmd->name, a);
            if (nw + 4 > CTL_WORDS_MAX)
                die(EXIT_USAGE, "%s: too many words (at most %d in all)", cmd->name, CTL_WORDS_MAX);
            words[nw++] = "-w";
            words[nw++] = d;
        } else if (!strcmp(a, "-u") || !strcmp(a, "--user") || !strncmp(a, "--user=", 7)) {
            die(EXIT_USAGE, "%s: %s: the Linux personality has no users to switch to (every process of a "
                "container runs as uid 0 in it; its authority is its grants)", cmd->name, a);
        } else {
            unknown_option(cmd, a, "-i", "--interactive", "-t", "--tty", "-e", "--env", "-w", "--workdir",
                           (const char *)NULL);
        }
    }
    if (i >= argc)
        die(EXIT_USAGE, "%s: expected %s (aerie exec --help)", cmd->name, cmd->args);
    uint64_t cid = container_id(cmd, argv[i++]);
    if (i >= argc || !argv[i][0])
        die(EXIT_USAGE, "%s: no program to run in container %llu (aerie exec --help)", cmd->name,
            (unsigned long long)cid);
    snprintf(num, sizeof num, "%llu", (unsigned long long)cid);
    words[0] = num;
    if (interactive)
        words[nw++] = "-i";
    if (tty)
        words[nw++] = "-t";
    words[nw++] = "--";
    const char *prog = argv[i];
    if (nw + (argc - i) > CTL_WORDS_MAX)
        die(EXIT_USAGE, "%s: too many arguments (at most %d words in all)", cmd->name, CTL_WORDS_MAX);
    for (; i < argc; i++) {
        if (strchr(argv[i], '\n'))
            die(EXIT_USAGE, "%s: an argument may not hold a line break", cmd->name);
        words[nw++] = argv[i];
    }
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    conn_open(c);
    conn_send(c, id, "exec", words, nw);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "started")) {
        const char *msg = plain(r.rest, NULL);
        fprintf(stderr, "aerie: exec: %s\n", msg);
        /* as docker exec: 127 no such program, 126 one that cannot run, 1 no container to run it in */
        if (strstr(msg, "(ENOENT")) {
            exec_hint(c, cid, prog);
            return 127;
        }
        return strncmp(msg, "exec ", 5) ? EXIT_REFUSED : 126;
    }
    char target[64];
    snprintf(target, sizeof target, "%llu:%llu", (unsigned long long)cid, strtoull(r.rest, NULL, 10));
    if (interactive) {
        input_set_tty(tty);
        input_forward_to(c, target);
    }
    return stream(c, id, cid, false);
}

/* ---- ps ---- */

struct ps_row {
    char id[24], image[40], name[40], state[56], mem[40], command[200], created[48], status[64];
    char raw[40];                    /* the state's word: created, running, exited, faulted, killed */
    int code;                        /* once ended: the code aerie run or wait gives; else -1 */
};

/* docker's way of saying how long: "Less than a second", "5 seconds",
 * "About a minute", "12 minutes", "About an hour", "3 hours", "2 days". */
static const char *docker_duration(uint64_t ms, char *buf, size_t cap)
{
    uint64_t s = ms / 1000;
    if (s < 1)
        snprintf(buf, cap, "Less than a second");
    else if (s < 60)
        snprintf(buf, cap, "%llu second%s", (unsigned long long)s, s == 1 ? "" : "s");
    else if (s < 120)
        snprintf(buf, cap, "About a minute");
    else if (s < 3600)
        snprintf(buf, cap, "%llu minutes", (unsigned long long)(s / 60));
    else if (s < 7200)
        snprintf(buf, cap, "About an hour");
    else if (s < 48 * 3600)
        snprintf(buf, cap, "%llu hours", (unsigned long long)(s / 3600));
    else
        snprintf(buf, cap, "%llu days", (unsigned long long)(s / 86400));
    return buf;
}

/* The length of the UTF-8 character at p (2 to 4 bytes, shortest form,
 * no surrogate, at most U+10FFFF), 0 if p does not start one. */
static size_t utf8_char(const unsigned char *p)
{
    size_t k = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3 : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) || (p[0] == 0xF0 && p[1] < 0x90) ||
        (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;
    return k;
}

/* The command as ps shows it: in double quotes, control bytes as '?'
 * (the operator's terminal), cut to 20 characters with "..." unless
 * full (--no-trunc), as docker does. A C1 control and every byte that is
 * not part of a UTF-8 character (a lone 0x9B is CSI to a terminal that
 * takes 8-bit controls: attack21) is a '?' too. */
static void ps_command(const char *cmd, bool full, char *out, size_t cap)
{
    size_t n = 0, chars = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)cmd; *p && n + 8 < cap;) {
        if (!full && ++chars > 20) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        size_t k = *p < 0x80 ? 1 : utf8_char(p);
        bool c1 = k == 2 && p[0] == 0xC2 && p[1] <= 0x9F;      /* U+0080..U+009F */
        if (k == 0 || c1 || *p < 0x20 || *p == 0x7F) {
            out[n++] = '?';
            p += k ? k : 1;
            continue;
        }
        memcpy(out + n, p, k);
        n += k;
        p += k;
    }
    out[n++] = '"';
    out[n] = 0;
}

static void ps_parse(char *rest, struct ps_row *row, bool full)
{
    char v[40], f[24], a[16], b[16], d[40], cmd[800];
    int code = -1;
    kv(rest, "id", row->id, sizeof row->id);
    kv(rest, "image", row->image, sizeof row->image);
    kv(rest, "name", row->name, sizeof row->name);
    kv(rest, "state", v, sizeof v);
    snprintf(row->raw, sizeof row->raw, "%s", v);
    if (!strcmp(v, "exited")) {
        code = (int)(kv_num(rest, "exit") & 0xFF);
        snprintf(row->state, sizeof row->state, "exited(%llu)", (unsigned long long)kv_num(rest, "exit"));
    } else if (!strcmp(v, "faulted")) {
        code = 128 + fault_signal(kv(rest, "fault", f, sizeof f));
        snprintf(row->state, sizeof row->state, "faulted(%s)", f);
    } else {
        code = !strcmp(v, "killed") ? 128 + SIG_KILLED : -1;
        snprintf(row->state, sizeof row->state, "%s", v);
    }
    /* STATUS in docker's words, the code as aerie run or wait would give it */
    if (!strcmp(v, "running"))
        snprintf(row->status, sizeof row->status, "Up %s", docker_duration(kv_num(rest, "uptime_ms"), d, sizeof d));
    else if (!strcmp(v, "created"))
        snprintf(row->status, sizeof row->status, "Created");
    else if (code >= 0)
        snprintf(row->status, sizeof row->status, "Exited (%d) %s ago", code,
                 docker_duration(kv_num(rest, "finished_ms_ago"), d, sizeof d));
    else
        snprintf(row->status, sizeof row->status, "%s", v);
    row->code = code;
    if (strstr(rest, " created_ms_ago="))
        snprintf(row->created, sizeof row->created, "%s ago",
                 docker_duration(kv_num(rest, "created_ms_ago"), d, sizeof d));
    else
        snprintf(row->created, sizeof row->created, "?");   /* an older Aerie: no times in its rows */
    kv(rest, "cmd", cmd, sizeof cmd);
    ps_command(strcmp(cmd, "-") ? cmd : "", full, row->command, sizeof row->command);
    snprintf(row->mem, sizeof row->mem, "%s / %s", human_size(kv_num(rest, "mem"), a, sizeof a),
             human_size(kv_num(rest, "mem_limit"), b, sizeof b));
}

static int widest(int w, const char *s)
{
    return w > (int)strlen(s) ? w : (int)strlen(s);
}

/* Columns in a width of their own: the command may hold UTF-8, whose
 * bytes are not all columns. */
static int columns(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void ps_print(const struct ps_row *rows, int n)
{
    int wid = 2, wimg = 5, wname = 4, wst = 5, wcmd = 7, wcr = 7, wstat = 6;
    for (int i = 0; i < n; i++) {
        wid = widest(wid, rows[i].id);
        wimg = widest(wimg, rows[i].image);
        wname = widest(wname, rows[i].name);
        wst = widest(wst, rows[i].state);
        wcmd = wcmd > columns(rows[i].command) ? wcmd : columns(rows[i].command);
        wcr = widest(wcr, rows[i].created);
        wstat = widest(wstat, rows[i].status);
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wid, "ID", wimg, "IMAGE", wname, "NAME", wst, "STATE",
           wcmd, "COMMAND", wcr, "CREATED", wstat, "STATUS", "MEM");
    for (int i = 0; i < n; i++) {
        int pad = wcmd + (int)strlen(rows[i].command) - columns(rows[i].command);
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wid, rows[i].id, wimg, rows[i].image, wname,
               rows[i].name, wst, rows[i].state, pad, rows[i].command, wcr, rows[i].created, wstat,
               rows[i].status, rows[i].mem);
    }
}

#define PS_ROWS_MAX 1024
static struct ps_row ps_rows[PS_ROWS_MAX];

/* Every container's row into ps_rows (the first PS_ROWS_MAX); how many. */
static int ps_fetch(const char *who, struct conn *c, bool full)
{
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    int n = 0;
    conn_send(c, id, "ps", NULL, 0);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "row"); conn_expect(c, id, &r))
        if (n < PS_ROWS_MAX)
            ps_parse(r.rest, &ps_rows[n++], full);
    if (strcmp(r.kind, "ok"))
        die(EXIT_REFUSED, "%s: %s", who, plain(r.rest, NULL));
    return n;
}

/* ps --filter KEY=VALUE, as docker's: filters of one key match if any
 * does, of different keys if all do. */
#define PS_FILTERS_MAX 16
struct ps_filter {
    char key[16];
    const char *value;
};

static const char ps_filter_keys[] = "status, name, id, ancestor, exited";

static void ps_filter_parse(const char *kv, struct ps_filter *f)
{
    const char *eq = strchr(kv, '=');
    size_t n = eq ? (size_t)(eq - kv) : 0;
    if (!eq || !n || n >= sizeof f->key || !eq[1])
        die(EXIT_USAGE, "ps: --filter: '%s' is not KEY=VALUE (KEY: %s)", kv, ps_filter_keys);
    memcpy(f->key, kv, n);
    f->key[n] = 0;
    f->value = eq + 1;
    if (!strcmp(f->key, "status")) {
        static const char *const states[] = { "created", "running", "exited", "faulted", "killed" };
        for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
            if (!strcmp(f->value, states[i]))
                return;
        die(EXIT_USAGE, "ps: --filter status=%s: a state is created, running, exited (any end), faulted or "
            "killed", f->value);
    }
    if (!strcmp(f->key, "exited")) {
        char *end;
        long v = strtol(f->value, &end, 10);
        if (*end || v < 0 || v > 255)
            die(EXIT_USAGE, "ps: --filter exited=%s: an exit code is 0..255", f->value);
        return;
    }
    if (strcmp(f->key, "name") && strcmp(f->key, "id") && strcmp(f->key, "ancestor"))
        die(EXIT_USAGE, "ps: --filter: Aerie filters by %s, not '%s'", ps_filter_keys, f->key);
}

static bool ps_filter_one(const struct ps_filter *f, const struct ps_row *row)
{
    if (!strcmp(f->key, "status"))                 /* docker's exited: any end */
        return !strcmp(f->value, row->raw) ||
               (!strcmp(f->value, "exited") && (!strcmp(row->raw, "faulted") || !strcmp(row->raw, "killed")));
    if (!strcmp(f->key, "exited"))
        return row->code == atoi(f->value);
    if (!strcmp(f->key, "name"))                   /* a part of the name, as docker matches */
        return strstr(row->name, f->value) != NULL;
    if (!strcmp(f->key, "id"))
        return !strncmp(row->id, f->value, strlen(f->value));
    return !strcmp(row->image, f->value);          /* ancestor */
}

static bool ps_filter_match(const struct ps_filter *fs, int nf, const struct ps_row *row)
{
    for (int i = 0; i < nf; i++) {
        bool any = false, first = true;
        for (int j = 0; j < i && first; j++)
            first = strcmp(fs[j].key, fs[i].key) != 0;
        if (!first)
            continue;                              /* its key's filters were weighed at the first */
        for (int j = i; j < nf && !any; j++)
            any = !strcmp(fs[j].key, fs[i].key) && ps_filter_one(&fs[j], row);
        if (!any)
            return false;
    }
    return true;
}

/* ps [-a] [-q] [--no-trunc] [--filter K=V]: every container, ended ones
 * too (until removed: -a is accepted as docker's users type it); -q
 * prints the ids alone, for scripts. Flags may be combined (-aq). */
static int cmd_ps(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static struct ps_filter filters[PS_FILTERS_MAX];
    bool quiet = false, full = false;
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            command_help(cmd, stdout);
            exit(0);
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "-a") || !strcmp(a, "--all")) {
            continue;
        } else if (!strcmp(a, "--no-trunc")) {
            full = true;
        } else if (!strcmp(a, "--filter") || !strcmp(a, "-f") || !strncmp(a, "--filter=", 9)) {
            const char *v = a[1] == '-' && a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
            if (!v)
                die(EXIT_USAGE, "ps: %s needs KEY=VALUE (KEY: %s)", a, ps_filter_keys);
            if (nf == PS_FILTERS_MAX)
                die(EXIT_USAGE, "ps: at most %d filters", PS_FILTERS_MAX);
            ps_filter_parse(v, &filters[nf++]);
        } else if (a[0] == '-' && a[1] && a[1] != '-' && strspn(a + 1, "aq") == strlen(a + 1)) {
            quiet |= strchr(a, 'q') != NULL;           /* -aq, -qa */
        } else if (a[0] == '-') {
            unknown_option(cmd, a, "-a", "--all", "-q", "--quiet", "--no-trunc", "--filter", (const char *)NULL);
        } else {
            die(EXIT_USAGE, "ps: unknown argument '%s' (aerie ps --help)", a);
        }
    }
    conn_open(c);
    int n = ps_fetch("ps", c, full), m = 0;
    for (int i = 0; i < n; i++)
        if (ps_filter_match(filters, nf, &ps_rows[i]))
            ps_rows[m++] = ps_rows[i];
    if (!quiet)
        ps_print(ps_rows, m);
    for (int i = 0; quiet && i < m; i++)
        printf("%s\n", ps_rows[i].id);
    return 0;
}

/* The one container called name; several (clones keep their original's
 * name, and names are not unique) or none is an error naming them (none:
 * 0 if !must). */
static uint64_t lookup_name(const struct command *cmd, const char *name, bool must)
{
    static struct conn l;
    l = *located;
    conn_open(&l);
    int n = ps_fetch(cmd->name, &l, false), found = -1;
    char ids[200] = "";
    for (int i = 0; i < n; i++) {
        if (strcmp(ps_rows[i].name, name))
            continue;
        if (found >= 0 && strlen(ids) + strlen(ps_rows[i].id) + 3 < sizeof ids)
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), ", %s", ps_rows[i].id);
        else if (found < 0)
            snprintf(ids, sizeof ids, "%s", ps_rows[i].id);
        found = found < 0 ? i : INT32_MAX;
    }
    close(l.fd);
    free(l.buf);
    if (found < 0 && !must)
        return 0;
    if (found < 0)
        die(EXIT_REFUSED, "%s: no container named '%s' (aerie ps lists them)", cmd->name, name);
    if (found == INT32_MAX)
        die(EXIT_REFUSED, "%s: '%s' names containers %s: give an id", cmd->name, name, ids);
    return strtoull(ps_rows[found].id, NULL, 10);
}

static uint64_t id_of_name(const struct command *cmd, const char *name)
{
    return lookup_name(cmd, name, true);
}

static uint64_t named_if_any(const struct command *cmd, const char *name)
{
    return lookup_name(cmd, name, false);
}

/* ---- logs, stats, kill, rm, images ---- */

/* The start of the last n lines of buf[0..len) (a last line without its
 * line break counts). */
static size_t tail_start(const char *buf, size_t len, long n)
{
    size_t at = len;
    if (n <= 0)
        return len;                              /* --tail 0: nothing */
    if (at && buf[at - 1] == '\n')
        at--;                                    /* the final line break ends the last line */
    for (; at > 0; at--)
        if (buf[at - 1] == '\n' && --n <= 0)
            break;
    return n <= 0 ? at : 0;
}

/* logs [-f] [-n|--tail N] ID: the log so far (its last N lines), then
 * with -f what follows until the container ends. */
static int cmd_logs(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[8], id[CTL_ID_MAX + 1], *rest[10], next[32];
    bool follow = false;
    long tail = -1;
    int nrest = 0;
    struct ctl_reply r;
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "--tail") || !strcmp(a, "-n")) {
            if (++i == argc)
                die(EXIT_USAGE, "logs: %s needs a number of lines (aerie logs --help)", a);
            v = argv[i];
        } else if (!strncmp(a, "--tail=", 7)) {
            v = a + 7;
        } else if (!strncmp(a, "--since", 7) || !strncmp(a, "--until", 7) || !strcmp(a, "-t") ||
                   !strcmp(a, "--timestamps")) {
            die(EXIT_USAGE, "logs: %.*s: Aerie keeps no times with a container's output (its last 4 KiB, as "
                "written): --tail N shows its last N lines, -f what follows", (int)strcspn(a, "="), a);
        } else if (nrest < 9) {
            rest[nrest++] = !strcmp(a, "--follow") ? "-f" : argv[i];
            continue;
        } else {
            die(EXIT_USAGE, "logs: expected %s, got more (aerie logs --help)", cmd->args);
        }
        char *end;
        tail = !strcmp(v, "all") ? -1 : strtol(v, &end, 10);
        if (strcmp(v, "all") && (!v[0] || *end || tail < 0))
            die(EXIT_USAGE, "logs: --tail: '%s' is not a number of lines (or all)", v);
    }
    take_operands(cmd, nrest, rest, ops, &follow);
    uint64_t cid = container_id(cmd, ops[0]);
    conn_open(c);
    if (follow && tail < 0) {
        send_id(c, id, "follow", cid, NULL);
        stream(c, id, cid, false);
        return 0;
    }
    char *buf = NULL;
    size_t len = 0;
    send_id(c, id, "logs", cid, NULL);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "out"); conn_expect(c, id, &r)) {
        size_t n = 0;
        plain(r.rest, &n);
        if (!(buf = realloc(buf, len + n + 1)))
            die(EXIT_REFUSED, "logs: out of memory");
        memcpy(buf + len, r.rest, n);
        len += n;
    }
    if (strcmp(r.kind, "ok"))
        die(EXIT_REFUSED, "logs: %s", plain(r.rest, NULL));
    snprintf(next, sizeof next, "%s", r.rest);   /* where the log goes on from */
    size_t from = tail < 0 ? 0 : tail_start(buf, len, tail);
    fwrite(buf + from, 1, len - from, stdout);
    fflush(stdout);
    free(buf);
    if (follow) {
        send_id(c, id, "follow", cid, next);
        stream(c, id, cid, false);
    }
    return 0;
}

/* wait ID...: blocks until each has ended and prints its exit code (as
 * aerie run would exit: 128+N for a signal or a fault, 137 killed). */
static int cmd_wait(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[64], id[CTL_ID_MAX + 1], num[24];
    bool unused = false;
    int n = take_operands(cmd, argc, argv, ops, &unused), status = 0;
    uint64_t ids[64];
    for (int i = 0; i < n; i++)
        ids[i] = container_id(cmd, ops[i]);
    conn_open(c);
    for (int i = 0; i < n; i++) {
        const char *w[1] = { num };
        struct ctl_reply r;
        snprintf(num, sizeof num, "%llu", (unsigned long long)ids[i]);
        for (;;) {
            conn_send(c, id, "status", w, 1);
            conn_expect(c, id, &r);
            if (strcmp(r.kind, "ok") || (strncmp(r.rest, "running", 7) && strncmp(r.rest, "created", 7)))
                break;
            usleep(100000);
        }
        if (strcmp(r.kind, "ok")) {
            fprintf(stderr, "aerie: wait: %s\n", plain(r.rest, NULL));
            status = EXIT_REFUSED;
            continue;
        }
        plain(r.rest, NULL);
        int code = exit_status_of(ids[i], r.rest);
        printf("%d\n", code);
        fflush(stdout);
    }
    return status;
}

static void print_limit(const char *what, const char *rest, const char *key, bool size)
{
    char limit_key[32], a[16], b[16];
    snprintf(limit_key, sizeof limit_key, "%s_limit", key);
    uint64_t used = kv_num(rest, key), limit = kv_num(rest, limit_key);
    if (size)
        printf("%-8s %s of %s", what, human_size(used, a, sizeof a), human_size(limit, b, sizeof b));
    else
        printf("%-8s %llu of %llu", what, (unsigned long long)used, (unsigned long long)limit);
    printf(" (%.0f%%)\n", limit ? 100.0 * (double)used / (double)limit : 0.0);
}

/* The counters a stats reply gives, as numbers. */
struct sample {
    uint64_t id, cpu, uptime_ns, cpu_ns, mem, mem_limit, threads, threads_limit, objects, objects_limit;
    uint64_t ipc_calls, fs_read, fs_written, net_rx, net_tx, threads_live, mem_run, mem_log, mem_rest, debug;
    uint64_t fs_meta;
    char state[32], name[40];
};

static void sample_parse(const char *rest, uint64_t cid, struct sample *x)
{
    static const struct { const char *key; size_t off; } keys[] = {
#define K(f, k) { k, offsetof(struct sample, f) }
        K(cpu, "cpu"), K(uptime_ns, "uptime_ns"), K(cpu_ns, "cpu_ns"), K(mem, "mem"), K(mem_limit, "mem_limit"),
        K(threads, "threads"), K(threads_limit, "threads_limit"), K(objects, "objects"),
        K(objects_limit, "objects_limit"), K(ipc_calls, "ipc_calls"), K(fs_read, "fs_read"),
        K(fs_written, "fs_written"), K(net_rx, "net_rx"), K(net_tx, "net_tx"), K(threads_live, "threads_live"),
        K(mem_run, "mem_run"), K(mem_log, "mem_log"), K(mem_rest, "mem_rest"), K(debug, "debug"),
        K(fs_meta, "fs_meta"),
#undef K
    };
    x->id = cid;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        *(uint64_t *)((char *)x + keys[i].off) = kv_num(rest, keys[i].key);
    kv(rest, "state", x->state, sizeof x->state);
    if (!strcmp(x->state, "running") && x->debug)    /* its debugger stopped it, or holds its crash */
        snprintf(x->state, sizeof x->state, "%s", x->debug == 2 ? "held" : "stopped");
}

/* One stats request; false if the container is gone (removed meanwhile). */
static bool sample_get(struct conn *c, uint64_t cid, struct sample *x, bool must)
{
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    send_id(c, id, "stats", cid, NULL);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "ok")) {
        if (must)
            die(EXIT_REFUSED, "stats: %s", plain(r.rest, NULL));
        return false;
    }
    sample_parse(r.rest, cid, x);
    return true;
}

static void stats_json(const struct sample *x)
{
    printf("{\"id\": %llu, \"state\": \"%s\", \"cpu\": %llu, \"uptime_ns\": %llu, \"cpu_ns\": %llu, "
           "\"mem_used\": %llu, \"mem_limit\": %llu, \"mem_program\": %llu, \"mem_log\": %llu, "
           "\"mem_rest\": %llu, \"threads\": %llu, \"threads_live\": %llu, "
           "\"threads_limit\": %llu, \"objects\": %llu, \"objects_limit\": %llu, \"ipc_calls\": %llu, "
           "\"fs_read_bytes\": %llu, \"fs_written_bytes\": %llu, \"net_rx_packets\": %llu, "
           "\"net_tx_packets\": %llu, \"fs_meta_bytes\": %llu}\n",
           (unsigned long long)x->id, x->state, (unsigned long long)x->cpu, (unsigned long long)x->uptime_ns,
           (unsigned long long)x->cpu_ns, (unsigned long long)x->mem, (unsigned long long)x->mem_limit,
           (unsigned long long)x->mem_run, (unsigned long long)x->mem_log, (unsigned long long)x->mem_rest,
           (unsigned long long)x->threads, (unsigned long long)x->threads_live,
           (unsigned long long)x->threads_limit, (unsigned long long)x->objects,
           (unsigned long long)x->objects_limit, (unsigned long long)x->ipc_calls,
           (unsigned long long)x->fs_read, (unsigned long long)x->fs_written, (unsigned long long)x->net_rx,
           (unsigned long long)x->net_tx, (unsigned long long)x->fs_meta);
}

static int cmd_top(const struct command *cmd, struct conn *c, int argc, char **argv);

static int cmd_stats(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[8], id[CTL_ID_MAX + 1], state[32], t[32], *rest[10];
    bool json = false, once = false;
    int nrest = 0;
    struct ctl_reply r;
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {             /* docker's --no-stream: one table, then exit */
        if (!strcmp(argv[i], "--no-stream"))
            once = true;
        else if (nrest < 9)
            rest[nrest++] = argv[i];
        else
            die(EXIT_USAGE, "stats: expected %s, got more (aerie stats --help)", cmd->args);
    }
    struct command all = *cmd;                   /* no ID: every container, as docker stats shows them */
    all.min = 0;
    if (take_operands(&all, nrest, rest, ops, &json) == 0) {
        if (json)
            die(EXIT_USAGE, "stats: --json needs an ID (every container's figures: aerie top --once)");
        char *top[] = { argv[0], "--once" };
        return cmd_top(find_command("top"), c, once ? 2 : 1, top);
    }
    uint64_t cid = container_id(cmd, ops[0]);
    conn_open(c);
    if (json) {
        struct sample x;
        sample_get(c, cid, &x, true);
        stats_json(&x);
        return 0;
    }
    send_id(c, id, "stats", cid, NULL);
    expect_ok(cmd, c, id, &r);
    kv(r.rest, "state", state, sizeof state);
    printf("container %llu: %s on cpu %lld, %s %s\n", (unsigned long long)cid, state,
           (long long)kv_num(r.rest, "cpu"), strcmp(state, "running") ? "ran" : "up",
           human_time(kv_num(r.rest, "uptime_ms"), t, sizeof t));
    print_limit("memory", r.rest, "mem", true);
    char a[16], b[16], d[16], e[16];
    printf("         program %s, console log %s, files and records %s; cm's record %s (its own memory)\n",
           human_size(kv_num(r.rest, "mem_run"), a, sizeof a), human_size(kv_num(r.rest, "mem_log"), b, sizeof b),
           human_size(kv_num(r.rest, "mem_rest"), d, sizeof d), human_size(kv_num(r.rest, "mem_cm"), e, sizeof e));
    if (kv_num(r.rest, "fs_meta_limit"))
        printf("%-8s %s of %s (in fs's heap: a promise, then a shared pool)\n", "fs meta",
               human_size(kv_num(r.rest, "fs_meta"), a, sizeof a),
               human_size(kv_num(r.rest, "fs_meta_limit"), b, sizeof b));
    print_limit("threads", r.rest, "threads", false);
    print_limit("objects", r.rest, "objects", false);
    printf("%-8s %s, %llu IPC calls, files %s read %s written, %llu packets in %llu out\n", "activity",
           human_time(kv_num(r.rest, "cpu_ns") / 1000000, a, sizeof a),
           (unsigned long long)kv_num(r.rest, "ipc_calls"), human_size(kv_num(r.rest, "fs_read"), b, sizeof b),
           human_size(kv_num(r.rest, "fs_written"), d, sizeof d), (unsigned long long)kv_num(r.rest, "net_rx"),
           (unsigned long long)kv_num(r.rest, "net_tx"));
    return 0;
}

/* ---- inspect ---- */

/* inspect [--format json|text] ID|NAME...: every container asked for, in
 * order; those not found are named on stderr and make the status 1, as
 * docker's inspect does. JSON is one array of objects (docker's shape). */
static int cmd_inspect(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[64];
    int n = 0, status = 0, shown = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *fmt = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            command_help(cmd, stdout);
            exit(0);
        } else if (!strcmp(a, "--json")) {
            fmt = "json";
        } else if (!strcmp(a, "--format") || !strcmp(a, "-f")) {
            if (++i == argc)
                die(EXIT_USAGE, "inspect: %s needs json or text (aerie inspect --help)", a);
            fmt = argv[i];
        } else if (!strncmp(a, "--format=", 9)) {
            fmt = a + 9;
        } else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            unknown_option(cmd, a, "--format", "--json", (const char *)NULL);
        } else if (n == 64) {
            die(EXIT_USAGE, "inspect: at most 64 containers at once");
        } else {
            ops[n++] = argv[i];
        }
        if (fmt && strcmp(fmt, "json") && strcmp(fmt, "text") && strcmp(fmt, "{{json .}}"))
            die(EXIT_USAGE, "inspect: --format: '%s' is not json or text", fmt);
        if (fmt)
            json = strcmp(fmt, "text") != 0;
    }
    if (!n)
        die(EXIT_USAGE, "inspect: expected %s (aerie inspect --help)", cmd->args);
    uint64_t ids[64];
    for (int i = 0; i < n; i++)
        ids[i] = container_id(cmd, ops[i]);
    conn_open(c);
    if (json)
        printf("[");
    for (int i = 0; i < n; i++) {
        if (!json && shown)
            printf("\n");
        if (inspect_print(c, ids[i], json, shown == 0))
            shown++;
        else
            status = EXIT_REFUSED;
    }
    if (json)
        printf("%s]\n", shown ? "\n" : "");
    return status;
}

/* ---- top ---- */

#define TOP_MAX 256

/* Every container's sample now (ps, then stats of each); returns the count. */
static int top_sample(struct conn *c, struct sample *xs)
{
    static char names[TOP_MAX][40];
    uint64_t ids[TOP_MAX];
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    int n = 0;
    conn_send(c, id, "ps", NULL, 0);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "row"); conn_expect(c, id, &r)) {
        if (n < TOP_MAX) {
            ids[n] = kv_num(r.rest, "id");
            kv(r.rest, "name", names[n], sizeof names[n]);
            if (!names[n][0] || !strcmp(names[n], "-"))
                kv(r.rest, "image", names[n], sizeof names[n]);   /* unnamed: its image */
            n++;
        }
    }
    if (strcmp(r.kind, "ok"))
        die(EXIT_REFUSED, "top: %s", plain(r.rest, NULL));
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (sample_get(c, ids[i], &xs[m], false)) {
            snprintf(xs[m].name, sizeof xs[m].name, "%.39s", names[i]);
            m++;
        }
    }
    return m;
}

static const struct sample *top_find(const struct sample *xs, int n, uint64_t id)
{
    for (int i = 0; i < n; i++)
        if (xs[i].id == id)
            return &xs[i];
    return NULL;
}

/* Rate of a counter between two samples taken dt_ns apart. */
static double rate(uint64_t now, uint64_t before, uint64_t dt_ns)
{
    return now > before && dt_ns ? (double)(now - before) * 1e9 / (double)dt_ns : 0.0;
}

static void top_print(const struct sample *now, int n, const struct sample *prev, int np, uint64_t dt_ns)
{
    double per_cpu[64] = { 0 };
    unsigned ncpu = 0;
    for (int i = 0; i < n; i++) {                /* the containers' share of each CPU they run on */
        const struct sample *p = top_find(prev, np, now[i].id);
        if (now[i].cpu < 64 && p) {
            per_cpu[now[i].cpu] += rate(now[i].cpu_ns, p->cpu_ns, dt_ns) * 100.0 / 1e9;
            ncpu = ncpu > now[i].cpu + 1 ? ncpu : (unsigned)now[i].cpu + 1;
        }
    }
    printf("containers: %d", n);
    for (unsigned c = 0; c < ncpu; c++)
        printf("  cpu%u %.1f%%", c, per_cpu[c]);
    printf("\n");
    printf("%-5s %-14s %-8s %3s %6s %9s %9s %9s %4s %8s %9s %9s %9s\n", "ID", "NAME", "STATE", "CPU", "CPU%",
           "CPUTIME", "MEM", "LIMIT", "THR", "IPC/s", "FS-R/s", "FS-W/s", "NET-PK/s");
    for (int i = 0; i < n; i++) {
        const struct sample *x = &now[i], *p = top_find(prev, np, x->id);
        struct sample zero = *x;
        if (!p)
            p = &zero;                       /* new since the last round: no rate yet */
        char t[32], m[16], l[16], fr[16], fw[16];
        double share = rate(x->cpu_ns, p->cpu_ns, dt_ns) * 100.0 / 1e9;   /* % of one CPU */
        printf("%-5llu %-14.14s %-8.8s %3llu %5.1f%% %9s %9s %9s %4llu %8.0f %9s %9s %9.0f\n",
               (unsigned long long)x->id, x->name, x->state, (unsigned long long)x->cpu, share,
               human_time(x->cpu_ns / 1000000, t, sizeof t), human_size(x->mem, m, sizeof m),
               human_size(x->mem_limit, l, sizeof l), (unsigned long long)x->threads_live,
               rate(x->ipc_calls, p->ipc_calls, dt_ns),
               human_size((uint64_t)rate(x->fs_read, p->fs_read, dt_ns), fr, sizeof fr),
               human_size((uint64_t)rate(x->fs_written, p->fs_written, dt_ns), fw, sizeof fw),
               rate(x->net_rx + x->net_tx, p->net_rx + p->net_tx, dt_ns));
    }
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmd_top(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static struct sample a[TOP_MAX], b[TOP_MAX];
    char *ops[8];
    bool once = false;
    take_operands(cmd, argc, argv, ops, &once);
    conn_open(c);
    struct sample *prev = a, *now = b;
    int np = top_sample(c, prev);
    uint64_t t0 = mono_ns();
    for (;;) {
        sleep(1);
        int n = top_sample(c, now);
        uint64_t t1 = mono_ns();
        if (!once)
            printf("\033[H\033[J");           /* a fresh screen each round */
        top_print(now, n, prev, np, t1 - t0);
        fflush(stdout);
        if (once)
            return 0;
        struct sample *t = prev;
        prev = now;
        now = t;
        np = n;
        t0 = t1;
    }
}

/* ---- trace ---- */

static int cmd_trace(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    uint64_t bytes = 64 << 10, kinds = trace_kinds("all");
    bool summary = false;
    const char *idarg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help(cmd, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--summary") || !strcmp(argv[i], "-c")) {
            summary = true;
        } else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
            if (!(kinds = trace_kinds(argv[++i])))
                die(EXIT_USAGE, "trace: --kind: '%s' is not a list of call, fault, syscall, thread, all", argv[i]);
        } else if (!strcmp(argv[i], "--bytes") && i + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end == 'K' || *end == 'k')
                v <<= 10, end++;
            else if (*end == 'M' || *end == 'm')
                v <<= 20, end++;
            if (*end || v < (8u << 10) || v > (16u << 20))
                die(EXIT_USAGE, "trace: --bytes: '%s' is not a size from 8K to 16M", argv[i]);
            bytes = v;
        } else if (argv[i][0] == '-' || idarg) {
            die(EXIT_USAGE, "trace: expected [--kind LIST] [--summary] [--bytes SIZE] ID (aerie trace --help)");
        } else {
            idarg = argv[i];
        }
    }
    if (!idarg)
        die(EXIT_USAGE, "trace: expected [--kind LIST] [--summary] [--bytes SIZE] ID (aerie trace --help)");
    uint64_t cid = container_id(cmd, idarg);
    conn_open(c);
    return trace_run(c, cid, bytes, kinds, summary);
}

/* ---- debug ---- */

/* Listens on 127.0.0.1:port and takes one connection (gdb's). */
static int accept_gdb(int port)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1))
        die(EXIT_REFUSED, "debug: cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
    fprintf(stderr, "aerie: debug: waiting for gdb on 127.0.0.1:%d ('target remote :%d')\n", port, port);
    int fd = accept(ls, NULL, NULL);
    close(ls);
    if (fd < 0)
        die(EXIT_REFUSED, "debug: accept: %s", strerror(errno));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int cmd_debug(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    int port = 0;
    const char *idarg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help(cmd, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 65535)
                die(EXIT_USAGE, "debug: --port: '%s' is not a port number", argv[i]);
            port = (int)v;
        } else if (argv[i][0] == '-' || idarg) {
            die(EXIT_USAGE, "debug: expected [--port N] ID (aerie debug --help)");
        } else {
            idarg = argv[i];
        }
    }
    if (!idarg)
        die(EXIT_USAGE, "debug: expected [--port N] ID (aerie debug --help)");
    uint64_t cid = container_id(cmd, idarg);
    conn_open(c);
    signal(SIGPIPE, SIG_IGN);
    if (port) {
        int fd = accept_gdb(port);
        return debug_serve(c, cid, fd, fd);
    }
    return debug_serve(c, cid, 0, 1);
}

/* kill and rm: the verb for each id; 1 if any was refused. */
static int each_id(const struct command *cmd, struct conn *c, int argc, char **argv, const char *verb)
{
    char *ops[64], id[CTL_ID_MAX + 1];
    bool force = false;
    int status = 0;
    struct ctl_reply r;
    int n = take_operands(cmd, argc, argv, ops, &force);
    for (int i = 0; i < n; i++)
        id_syntax(cmd, ops[i]);
    conn_open(c);
    for (int i = 0; i < n; i++) {
        uint64_t cid = container_id_or_say(cmd, ops[i]);
        if (!cid) {
            status = EXIT_REFUSED;
            continue;
        }
        send_id(c, id, verb, cid, force ? "-f" : NULL);
        conn_expect(c, id, &r);
        if (!strcmp(r.kind, "ok")) {
            printf("%s\n", ops[i]);
        } else {
            fprintf(stderr, "aerie: %s: %s\n", cmd->name, plain(r.rest, NULL));
            status = EXIT_REFUSED;
        }
    }
    return status;
}

/* Whether container cid has ended (exited, faulted, killed); no such
 * container is not ended (the stop that follows names it). */
static bool has_ended(struct conn *c, uint64_t cid)
{
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    send_id(c, id, "status", cid, NULL);
    conn_expect(c, id, &r);
    return !strcmp(r.kind, "ok") && strncmp(r.rest, "running", 7) && strncmp(r.rest, "created", 7);
}

/* kill [-s SIG] [-t SECONDS] ID...: a Linux program gets SIG (TERM) and
 * SECONDS (10) to end before it is killed, as docker stop does; any other
 * program is killed at once. */
static int cmd_kill(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    const char *sig = "TERM";
    long grace = 10;
    char *rest[66];
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        /* -s SIG, --signal SIG, --signal=SIG; -t N, --time N, --timeout N, --time=N, as docker spells them */
        const char *a = argv[i], *eq = strchr(a, '='), *v = NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        char opt = 0;
        if ((len == 2 && !strncmp(a, "-s", 2)) || (len == 8 && !strncmp(a, "--signal", 8)))
            opt = 's';
        else if ((len == 2 && !strncmp(a, "-t", 2)) || (len == 6 && !strncmp(a, "--time", 6)) ||
                 (len == 9 && !strncmp(a, "--timeout", 9)))
            opt = 't';
        if (opt && (eq || i + 1 < argc))
            v = eq ? eq + 1 : argv[++i];
        if (opt && !v)
            die(EXIT_USAGE, "%s: %s needs %s (aerie %s --help)", cmd->name, a,
                opt == 's' ? "a signal (TERM, INT, HUP, KILL or a number)" : "a number of seconds", cmd->name);
        if (opt == 's') {
            sig = v;
        } else if (opt == 't') {
            char *end;
            grace = strtol(v, &end, 10);
            if (!v[0] || *end || grace < 0 || grace > 3600)
                die(EXIT_USAGE, "%s: -t takes seconds (0..3600), not '%s'", cmd->name, v);
        } else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9') && strcmp(a, "--help") && strcmp(a, "-h")) {
            unknown_option(cmd, a, "-s", "--signal", "-t", "--time", (const char *)NULL);
        } else if (n < 65) {
            rest[n++] = argv[i];
        } else {
            die(EXIT_USAGE, "%s: too many ids (at most 64)", cmd->name);
        }
    }
    char *ops[64];
    bool unused = false;
    int nops = take_operands(cmd, n, rest, ops, &unused);
    for (int i = 0; i < nops; i++)
        id_syntax(cmd, ops[i]);
    conn_open(c);
    int status = 0;
    for (int i = 0; i < nops; i++) {
        uint64_t cid = container_id_or_say(cmd, ops[i]);
        if (cid && !strcmp(cmd->name, "stop") && has_ended(c, cid)) {
            printf("%s\n", ops[i]);             /* docker's stop of a stopped one: done */
            continue;
        }
        int r = cid ? signal_or_kill(c, cmd->name, cid, sig) : -1;
        if (r < 0) {
            status = EXIT_REFUSED;
            continue;
        }
        if (r == 1 && strcmp(sig, "KILL") && strcmp(sig, "9")) {
            /* the program's grace: then it is killed if it still runs */
            char id[CTL_ID_MAX + 1], num[24];
            const char *w[1] = { num };
            struct ctl_reply rep;
            snprintf(num, sizeof num, "%llu", (unsigned long long)cid);
            bool running = true;
            for (long t = 0; running && t < grace * 10; t++) {
                conn_send(c, id, "status", w, 1);
                conn_expect(c, id, &rep);
                running = !strcmp(rep.kind, "ok") && !strncmp(rep.rest, "running", 7);
                if (running)
                    usleep(100000);
            }
            if (running) {
                conn_send(c, id, "kill", w, 1);
                conn_expect(c, id, &rep);
            }
        }
        printf("%s\n", ops[i]);
    }
    return status;
}

static int cmd_rm(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    return each_id(cmd, c, argc, argv, "rm");
}

static int cmd_images(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static char rows[256][4][160];
    char *ops[8], id[CTL_ID_MAX + 1], sz[16];
    bool quiet = false;
    struct ctl_reply r;
    int n = 0, w[4] = { 4, 4, 7, 8 };
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--quiet"))
            argv[i] = "-q";
    take_operands(cmd, argc, argv, ops, &quiet);
    conn_open(c);
    conn_send(c, id, "images", NULL, 0);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "row"); conn_expect(c, id, &r)) {
        if (n == 256)
            continue;
        time_t t = (time_t)kv_num(r.rest, "imported");
        kv(r.rest, "name", rows[n][0], sizeof rows[n][0]);
        snprintf(rows[n][1], sizeof rows[n][1], "%s", human_size(kv_num(r.rest, "bytes"), sz, sizeof sz));
        kv(r.rest, "prog", rows[n][2], sizeof rows[n][2]);
        if (t)
            strftime(rows[n][3], sizeof rows[n][3], "%Y-%m-%d %H:%M", localtime(&t));
        else
            snprintf(rows[n][3], sizeof rows[n][3], "boot image");
        for (int k = 0; k < 4; k++)
            w[k] = widest(w[k], rows[n][k]);
        n++;
    }
    if (strcmp(r.kind, "ok"))
        die(EXIT_REFUSED, "images: %s", plain(r.rest, NULL));
    for (int i = 0; quiet && i < n; i++)
        printf("%s\n", rows[i][0]);
    if (quiet)
        return 0;
    printf("%-*s  %-*s  %-*s  %s\n", w[0], "NAME", w[1], "SIZE", w[2], "PROGRAM", "IMPORTED");
    for (int i = 0; i < n; i++)
        printf("%-*s  %-*s  %-*s  %s\n", w[0], rows[i][0], w[1], rows[i][1], w[2], rows[i][2], rows[i][3]);
    return 0;
}

/* ---- import, rmi ---- */

static int cmd_import(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    struct import_options o = { 0 };
    char err[600], id[CTL_ID_MAX + 1], sizes[24];
    if (import_parse_args(argc - 1, argv + 1, &o, err, sizeof err)) {
        if (o.help) {
            command_help(cmd, stdout);
            exit(0);
        }
        die(EXIT_USAGE, "import: %s (aerie import --help)", err);
    }
    uint8_t *archive;
    uint64_t len;
    if (import_build(&o, &archive, &len, err, sizeof err))
        die(EXIT_REFUSED, "import: %s", err);
    conn_open(c);
    snprintf(sizes, sizeof sizes, "%llu", (unsigned long long)len);
    const char *w[] = { o.name, sizes };
    conn_send(c, id, "import", w, 2);
    conn_send_raw(c, archive, len);
    free(archive);
    struct ctl_reply r;
    expect_ok(cmd, c, id, &r);
    printf("%s\n", o.name);
    return 0;
}

static int cmd_rmi(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[64], id[CTL_ID_MAX + 1];
    bool unused = false;
    int status = 0, n = take_operands(cmd, argc, argv, ops, &unused);
    struct ctl_reply r;
    conn_open(c);
    for (int i = 0; i < n; i++) {
        const char *w[] = { ops[i] };
        conn_send(c, id, "rmi", w, 1);
        conn_expect(c, id, &r);
        if (!strcmp(r.kind, "ok")) {
            printf("%s\n", ops[i]);
        } else {
            const char *msg = plain(r.rest, NULL);
            if (strstr(msg, "is used by"))         /* which: ps shows them */
                fprintf(stderr, "aerie: rmi: %s (aerie ps --filter ancestor=%s lists them)\n", msg, ops[i]);
            else
                fprintf(stderr, "aerie: rmi: %s\n", msg);
            status = EXIT_REFUSED;
        }
    }
    return status;
}

/* Fault injection: the named boot service dies and root starts it again
 * (docs/RESTART.md). Prints how long that took. */
static int cmd_debug_kill_service(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[2], id[CTL_ID_MAX + 1];
    bool unused = false;
    struct ctl_reply r;
    take_operands(cmd, argc, argv, ops, &unused);
    conn_open(c);
    const char *w[] = { ops[0] };
    conn_send(c, id, "debug-kill-service", w, 1);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "ok"))
        die(EXIT_REFUSED, "debug-kill-service: %s", plain(r.rest, NULL));
    printf("%s: restarted in %.3f ms, answering after %.3f ms (killed %lld times)\n", ops[0],
           (double)kv_num(r.rest, "started_us") / 1000.0, (double)kv_num(r.rest, "answered_us") / 1000.0,
           (long long)kv_num(r.rest, "kills"));
    return 0;
}

/* fork ID [N]: prints the clones' ids, one a line (docs/FORK.md). */
static int cmd_fork(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[2] = { 0 }, id[CTL_ID_MAX + 1], ids[32 * 21];
    bool unused = false;
    struct ctl_reply r;
    int n = take_operands(cmd, argc, argv, ops, &unused);
    conn_open(c);
    const char *w[] = { ops[0], n > 1 ? ops[1] : "1" };
    conn_send(c, id, "fork", w, 2);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "ok"))
        die(EXIT_REFUSED, "fork: %s", plain(r.rest, NULL));
    kv(r.rest, "ids", ids, sizeof ids);
    for (char *p = strtok(ids, ","); p; p = strtok(NULL, ","))
        printf("%s\n", p);
    fprintf(stderr, "forked in %.3f ms\n", (double)kv_num(r.rest, "us") / 1000.0);
    return 0;
}

/* ---- the table and main ---- */

/* NAME:PATH, a container's name where cp takes its id: a name's letters
 * then ':' (docker's rule: what comes before a ':' is a container unless
 * it holds a '/', so ./a:b is a host file). */
static size_t named_operand(const char *arg)
{
    size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
    bool letter = (arg[0] >= 'a' && arg[0] <= 'z') || (arg[0] >= 'A' && arg[0] <= 'Z');
    return letter && arg[n] == ':' && n <= 31 ? n : 0;
}

static int cmd_cp(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static char resolved[2][4200];
    char *ops[2];
    bool unused = false;
    take_operands(cmd, argc, argv, ops, &unused);
    size_t d0 = strspn(ops[0], "0123456789"), d1 = strspn(ops[1], "0123456789");
    bool in0 = named_operand(ops[0]) || (d0 && ops[0][d0] == ':');
    bool in1 = named_operand(ops[1]) || (d1 && ops[1][d1] == ':');
    for (int k = 0; k < 2 && in0 != in1; k++) {     /* both or neither: aerie_cp says which is wrong */
        size_t n = named_operand(ops[k]);
        if (!n)
            continue;
        char name[32];
        memcpy(name, ops[k], n);
        name[n] = 0;
        if ((size_t)snprintf(resolved[k], sizeof resolved[k], "%llu:%s", (unsigned long long)id_of_name(cmd, name),
                             ops[k] + n + 1) >= sizeof resolved[k])
            die(EXIT_USAGE, "cp: '%s': the path is too long", ops[k]);
        ops[k] = resolved[k];
    }
    return aerie_cp(c, ops[0], ops[1]);
}

/* rename CONTAINER NEW_NAME: as docker rename; cm refuses a name another
 * container has (or had: until it is removed). */
static int cmd_rename(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[2], id[CTL_ID_MAX + 1];
    bool unused = false;
    struct ctl_reply r;
    take_operands(cmd, argc, argv, ops, &unused);
    uint64_t cid = container_id(cmd, ops[0]);
    conn_open(c);
    send_id(c, id, "rename", cid, ops[1]);
    expect_ok(cmd, c, id, &r);
    return 0;
}

/* container prune, system prune: every container that is not running
 * removed (ended ones, and made ones never started), as docker's; asks
 * first unless -f. */
static int cmd_prune(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[1], id[CTL_ID_MAX + 1], line[16];
    bool force = false;
    int status = 0, removed = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--force"))
            argv[i] = "-f";
    take_operands(cmd, argc, argv, ops, &force);
    if (!force) {
        fprintf(stderr, "WARNING! This will remove every container that is not running (ended, or made and never "
                "started).\nAre you sure you want to continue? [y/N] ");
        if (!fgets(line, sizeof line, stdin)) {
            fputc('\n', stderr);                 /* no answer: no */
            return 0;
        }
        if (strcmp(line, "y\n") && strcmp(line, "Y\n") && strcmp(line, "yes\n"))
            return 0;
    }
    conn_open(c);
    int n = ps_fetch(cmd->name, c, false);
    for (int i = 0; i < n; i++) {
        struct ctl_reply r;
        if (!strcmp(ps_rows[i].raw, "running"))
            continue;
        send_id(c, id, "rm", strtoull(ps_rows[i].id, NULL, 10), NULL);
        conn_expect(c, id, &r);
        if (strcmp(r.kind, "ok")) {              /* started meanwhile, say: left, and said */
            fprintf(stderr, "aerie: %s: %s\n", cmd->name, plain(r.rest, NULL));
            status = EXIT_REFUSED;
            continue;
        }
        printf("%s%s\n", removed++ ? "" : "Deleted Containers:\n", ps_rows[i].id);
    }
    printf("%sTotal: %d container%s removed\n", removed ? "\n" : "", removed, removed == 1 ? "" : "s");
    return status;
}

/* docker's two-word spellings: container ls, image rm, system prune...
 * (ARGS after them are the command's own). */
static int cmd_group(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    static const char *const map[][3] = {
        { "container", "ls", "ps" }, { "container", "list", "ps" }, { "container", "ps", "ps" },
        { "container", "prune", "container prune" }, { "system", "prune", "container prune" },
        { "image", "ls", "images" }, { "image", "list", "images" }, { "image", "rm", "rmi" },
        { "image", "remove", "rmi" }, { "image", "import", "import" }, { "image", "load", "import" },
        { "container", "run", "run" }, { "container", "start", "start" }, { "container", "create", "create" },
        { "container", "exec", "exec" }, { "container", "logs", "logs" }, { "container", "wait", "wait" },
        { "container", "stats", "stats" }, { "container", "inspect", "inspect" }, { "container", "kill", "kill" },
        { "container", "stop", "stop" }, { "container", "rm", "rm" }, { "container", "remove", "rm" },
        { "container", "rename", "rename" }, { "container", "cp", "cp" },
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        command_help(cmd, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *subs[sizeof map / sizeof map[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i][0], cmd->name))
            continue;
        if (!strcmp(map[i][1], argv[1])) {
            const struct command *to = find_command(map[i][2]);
            return to->fn(to, c, argc - 1, argv + 1);
        }
        subs[n++] = map[i][1];
    }
    char near[120];
    nearest_words(argv[1], subs, n, near, sizeof near);
    if (!strcmp(cmd->name, "image") && !strcmp(argv[1], "prune"))
        die(EXIT_USAGE, "image prune: Aerie has no dangling images to prune: an imported image stays until "
            "'aerie rmi NAME' (aerie images lists them)");
    die(EXIT_USAGE, "%s: no command '%s'%s%s (aerie %s --help)", cmd->name, argv[1], near[0] ? ": " : "", near,
        cmd->name);
}

static void usage(FILE *f);

static int cmd_version(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[1];
    bool unused = false;
    (void)c;
    take_operands(cmd, argc, argv, ops, &unused);
    printf("aerie %s\n", AERIE_VERSION);
    return 0;
}

static int cmd_help(const struct command *cmd, struct conn *c, int argc, char **argv)
{
    char *ops[8];
    bool unused = false;
    int n = take_operands(cmd, argc, argv, ops, &unused);
    const struct command *which = n ? find_command(ops[0]) : NULL;
    if (n && !which)
        die(EXIT_USAGE, "help: no command '%s' (aerie --help lists them)", ops[0]);
    if (which)
        command_help(which, stdout);
    else
        usage(stdout);
    return 0;
}

static const char container_details[] =
    "The commands are top-level (aerie ps, aerie rm...); these are docker's spellings of them:\n"
    "  container ls|list|ps   aerie ps\n"
    "  container prune [-f]   removes every container that is not running (asks first unless -f)\n"
    "  container run|start|create|exec|logs|wait|stats|inspect|kill|stop|rm|rename|cp ...\n"
    "                         the command of that name\n";

static const char image_details[] =
    "  image ls|list          aerie images\n"
    "  image rm|remove NAME   aerie rmi NAME\n"
    "  image import|load ...  aerie import NAME PATH (a directory, a tar, an OCI layout, a docker save)\n";

static const char system_details[] =
    "  system prune [-f]      as container prune: removes every container that is not running\n"
    "                         (imported images stay until aerie rmi)\n";

static const char run_details[] =
    "It streams the container's output to stdout and exits with the container's exit\n"
    "status (its low 8 bits). When it faults, aerie names the fault on stderr and exits\n"
    "with 128 + the matching Linux signal (139 for a page fault); killed: 137; when Aerie\n"
    "refuses to create it: 125 (127: its program is not in the image; 126: it is no program\n"
    "Aerie runs, a #! script say). Ctrl-C sends SIGINT to a Linux program (a second kills it)\n"
    "and kills any other container; the next Ctrl-C leaves at once.\n"
    "With -i our stdin is forwarded to the container's fd 0 as fast as it reads, and its\n"
    "end is the container's end of input (also when aerie is killed): printf 'a\\nb\\n' |\n"
    "aerie run --rm -i busybox wc -l prints 2. Without -i the container's fd 0 is empty.\n";

static const char start_details[] =
    "start IMAGE makes a container and starts it, as docker run -d (aerie run -d).\n"
    "start CONTAINER alone (an id, or the name of a container: it goes before an image\n"
    "of the name) starts one aerie create made, as docker start; an ended container is\n"
    "not started again (aerie run makes a new one).\n";

static const char create_details[] =
    "The container is made with every limit and grant (its memory is taken now) and\n"
    "waits in state created; aerie start ID starts it, aerie rm ID removes it.\n";

static const char rename_details[] =
    "NEW_NAME starts with a letter, then letters, digits, _ . - (at most 31 bytes), and no\n"
    "other container may have it: a name stays taken until its container is removed\n"
    "(aerie rm). Running or ended containers can be renamed; the prefix of its console\n"
    "lines on Aerie's own console keeps the name it started with.\n";

static const char ps_details[] =
    "Columns: ID, IMAGE, NAME (- when it has none), STATE (created, running, exited(N),\n"
    "faulted(KIND), killed: one word, for scripts), COMMAND (its program and arguments as it\n"
    "got them, cut to 20 characters unless --no-trunc), CREATED, STATUS (docker's words:\n"
    "'Up 5 seconds', 'Exited (0) 2 minutes ago', the code as aerie run or wait gives it:\n"
    "128+N for a signal or a fault, 137 killed) and MEM (used / limit).\n"
    "Ended containers are listed until removed (docker lists them only with -a, which is\n"
    "accepted). -q prints the ids alone, one a line.\n"
    "  -f, --filter KEY=VALUE  only those that match (repeatable: one key's filters match if any\n"
    "                       does, different keys' if all do): status=created|running|exited|faulted|killed\n"
    "                       (exited: any end, as docker's), name=PART, id=START, ancestor=IMAGE,\n"
    "                       exited=CODE (the code STATUS shows)\n";

static const char fork_details[] =
    "Each clone starts with the original's memory (shared copy-on-write: a page is copied,\n"
    "and charged to the clone, when either writes it), every thread with its registers\n"
    "(up to 64), its own console stream, a new fs session with a copy of its files, and\n"
    "fresh randomness. N is 1 to 32. Aerie programs without bound ports can be forked;\n"
    "Linux programs cannot yet (docs/FORK.md). Needs the operator's channel, as every\n"
    "command here.\n";

static const char kill_details[] =
    "A Linux program gets SIG (default TERM; a number or a name: INT, HUP, KILL...) and\n"
    "SECONDS (default 10) to end, then is killed, as 'docker stop' does; it is reported as\n"
    "the signal's end when the signal ended it. Any other program is killed at once.\n"
    "stop of a container that has ended already succeeds (as docker's); kill of one is refused.\n"
    "Several ids: each is tried, a wrong one named on stderr (exit status 1).\n"
    "  -s, --signal SIG    the signal (docker's spelling too)\n"
    "  -t, --time SECONDS  the grace (--timeout too)\n";

static const char import_details[] =
    "PATH is a directory (the image's root), a tar archive of one (plain or gzip), an OCI\n"
    "image layout (a directory or a tar of one) or a 'docker save' archive; layers are\n"
    "applied in order with their whiteouts. The program, its arguments, environment and\n"
    "working directory come from the image's config; a directory or root tar has none,\n"
    "so give --entrypoint. 'aerie run NAME ARGS' replaces the default arguments and\n"
    "--entrypoint replaces the program. The image is kept in the engine's store on the host\n"
    "(build/store/) and is there again after the next boot.\n"
    "  --entrypoint PATH   the program (an absolute path in the image), replacing the config's\n"
    "  --cmd WORD          a default argument (repeatable; replaces the config's)\n"
    "  --env K=V           an environment variable (repeatable; adds to the config's)\n"
    "  --workdir DIR       the working directory (replaces the config's)\n"
    "  --tag TAG           which image of an OCI layout that holds several (its ref.name)\n";

static const char cp_details[] =
    "The container must have been granted fs; its files stay readable after it ends,\n"
    "until 'aerie rm'. Directories are copied with everything below them. When the\n"
    "destination is an existing directory the source is copied into it under its own\n"
    "name, else it takes the destination's name. A symbolic link below a copied\n"
    "directory is copied as a link with its target unchanged (in the container it\n"
    "resolves inside the container's root); a link named as the source is followed.\n"
    "Nothing is written through a link below the destination. FIFOs, sockets and\n"
    "devices cannot be copied: they are skipped with a warning. Exit status 1 if\n"
    "anything was not copied (skipped ones included).\n";

static const char stats_details[] =
    "Every figure comes from what enforces the limits: memory, threads and objects from\n"
    "the container's own quota, CPU time and IPC calls from the kernel's counts for its\n"
    "threads, file bytes from its fs session, packets from its net client.\n"
    "With no ID it shows every container's, refreshed each second, as aerie top (and\n"
    "docker stats) does; --no-stream prints one table and exits.\n"
    "  --json   one JSON object with the raw counters, for scripts\n";

static const char logs_details[] =
    "  -f, --follow        go on printing what it writes until it ends\n"
    "  -n, --tail N        only the last N lines of what it wrote so far (all: every line)\n"
    "The console keeps a container's last 4 KiB: older output is gone.\n";

static const char wait_details[] =
    "The code is what 'aerie run' would have exited with: its exit status, 128 + the\n"
    "signal when a signal or a fault ended it, 137 when it was killed. A container that\n"
    "ended already answers at once. An unknown id is named on stderr (exit status 1).\n";

static const char inspect_details[] =
    "Each container's id, name, image, state and how it ended (exit code, fault, killed),\n"
    "when it was created, started and finished (the host's clock, UTC), its command and\n"
    "environment as its program got them, its grants and ports, its CPU, memory and thread\n"
    "use against its limits: one 'key: value' a line, a blank line between containers.\n"
    "  --format json   one JSON array of objects (args, env and ports as arrays), for scripts\n"
    "An unknown id or name is named on stderr and the exit status is 1.\n";

static const char top_details[] =
    "CPU% is of one CPU (100% = a CPU busy all the time); rates are per second over the\n"
    "last refresh. Ctrl-C leaves.\n"
    "  --once   print one table (after one second of counting) and exit, for scripts\n";

static const char trace_details[] =
    "Events come from a buffer the kernel fills, made from the container's own memory\n"
    "limit: IPC calls to the services it was granted (label, result, time taken), faults,\n"
    "the Linux system calls of a Linux program, threads starting and exiting. When the\n"
    "buffer is full the kernel counts what it drops, and the trace says how many. It ends\n"
    "when the container has ended and everything is read; Ctrl-C stops it sooner.\n"
    "  --kind LIST    only these: call, fault, syscall, thread, all (default all)\n"
    "  --summary, -c  count calls and time per call at the end instead, like strace -c\n"
    "  --bytes SIZE   the buffer (8K..16M, default 64K; 64 bytes an event)\n";

static const char exec_details[] =
    "The program runs in the container as one more of its processes: its files, its limits,\n"
    "its grants, charged to it, and it ends when the container ends. PROGRAM is a path in the\n"
    "container or a name looked up in its PATH. Its output joins the container's log (what\n"
    "the container writes meanwhile is shown too); the exit status is the program's (127: no\n"
    "such program, 126: it cannot run, 137: the container was killed). A container that is\n"
    "not running is not started. Only a Linux image's container runs one.\n"
    "  -i, --interactive   our standard input is its fd 0 (else fd 0 is empty)\n"
    "  -t, --tty           its fds 0-2 a terminal of its own (with -i: ours raw, keys to it)\n"
    "  -e, --env NAME=VALUE  added to the container's environment for it (repeatable)\n"
    "  -w, --workdir DIR   its working directory (an absolute path; else the container's)\n"
    "  -u, --user          refused: a Linux container has no users (everything runs as uid 0)\n";

static const char debug_details[] =
    "The container must have been started with --debug yes or --debug hold. With no option\n"
    "the protocol goes over stdin and stdout, for gdb's pipe target:\n"
    "  gdb build/apps/IMAGE.elf -ex 'target remote | ./aerie debug ID'\n"
    "  --port N   listen on 127.0.0.1:N for one gdb instead ('target remote :N')\n";

static const struct command commands[] = {
    { "run", "[OPTIONS] IMAGE [ARGS]", "Runs a container; streams its output to its end.", run_details,
      cmd_run, NULL, 0, 0 },
    { "start", "[OPTIONS] IMAGE [ARGS] | CONTAINER", "Starts a container in the background; prints its id.",
      start_details, cmd_start, NULL, 0, 0 },
    { "create", "[OPTIONS] IMAGE [ARGS]", "Makes a container without starting it; prints its id.", create_details,
      cmd_create, NULL, 0, 0 },
    { "exec", "[-i] [-e K=V] [-w DIR] ID PROGRAM [ARGS]",
      "Runs another program in a running Linux container; exits with its status.",
      exec_details, cmd_exec, NULL, 0, 0 },
    { "ps", "[-a] [-q] [--no-trunc] [--filter K=V]",
      "Lists containers (ended ones too, until removed; -q: ids only).", ps_details, cmd_ps, NULL, 0, 0 },
    { "logs", "[-f] [--tail N] ID", "Prints a container's output (-f: follows it to the end).", logs_details,
      cmd_logs, "-f", 1, 1 },
    { "wait", "ID...", "Waits for containers to end; prints each one's exit code.", wait_details,
      cmd_wait, NULL, 1, 64 },
    { "stats", "[--json] [--no-stream] [ID]", "Shows a container's memory, threads, CPU time... (no ID: all, as top).",
      stats_details, cmd_stats, "--json", 1, 1 },
    { "inspect", "[--format json|text] ID...", "Shows everything known about containers (JSON with --format json).",
      inspect_details, cmd_inspect, NULL, 1, 64 },
    { "top", "[--once]", "Shows every container's CPU, memory and activity, refreshed each second.",
      top_details, cmd_top, "--once", 0, 0 },
    { "trace", "[OPTIONS] ID", "Prints what a container's threads do: calls, faults, system calls.",
      trace_details, cmd_trace, NULL, 0, 0 },
    { "debug", "[--port N] ID", "Serves gdb's remote protocol for a container made with --debug.",
      debug_details, cmd_debug, NULL, 0, 0 },
    { "kill", "[-s SIG] [-t SECONDS] ID...", "Stops running containers.", kill_details,
      cmd_kill, NULL, 1, 64 },
    { "stop", "[-s SIG] [-t SECONDS] ID...", "The same as kill, as docker spells it.", kill_details,
      cmd_kill, NULL, 1, 64 },
    { "rm", "[-f] ID...", "Removes containers (-f: running ones too).", NULL,
      cmd_rm, "-f", 1, 64 },
    { "rename", "CONTAINER NEW_NAME", "Gives a container (an id or a name) another name.", rename_details,
      cmd_rename, NULL, 2, 2 },
    { "images", "[-q]", "Lists the images a container can run (-q: names only).", NULL, cmd_images, "-q", 0, 0 },
    { "import", "[OPTIONS] NAME PATH", "Imports an image: a directory, tar, OCI layout or docker save.",
      import_details, cmd_import, NULL, 0, 0 },
    { "rmi", "NAME...", "Removes imported images no container uses.", NULL, cmd_rmi, NULL, 1, 64 },
    { "cp", "ID:PATH HOSTPATH | HOSTPATH ID:PATH", "Copies files or trees out of or into a container's files.",
      cp_details, cmd_cp, NULL, 2, 2 },
    { "fork", "ID [N]", "Makes N clones of a running container (default 1); prints their ids.", fork_details,
      cmd_fork, NULL, 1, 2 },
    { "debug-kill-service", "NAME", "Kills a boot service (console, fs, net); root restarts it.", NULL,
      cmd_debug_kill_service, NULL, 1, 1 },
    { "container", "COMMAND [ARGS]", "docker's container ls, prune, rm...: the commands here.", container_details,
      cmd_group, NULL, 0, 0 },
    { "image", "COMMAND [ARGS]", "docker's image ls, rm, import: images, rmi, import.", image_details,
      cmd_group, NULL, 0, 0 },
    { "system", "prune [-f]", "docker's system prune: removes every container that is not running.",
      system_details, cmd_group, NULL, 0, 0 },
    { "container prune", "[-f]", "Removes every container that is not running (asks first unless -f).", NULL,
      cmd_prune, "-f", 0, 0 },
    { "version", "", "Prints the CLI's version.", NULL, cmd_version, NULL, 0, 0 },
    { "help", "[COMMAND]", "Shows this help, or a command's.", NULL, cmd_help, NULL, 0, 1 },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: aerie [--socket PATH] COMMAND [ARGS]\n\n"
               "Runs and watches containers on a running Aerie (start one with 'make run').\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char left[120];
        snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
        if (strlen(left) > 28)                   /* its summary on a line of its own, in the column */
            fprintf(f, "  %s\n  %-28s %s\n", left, "", commands[i].summary);
        else
            fprintf(f, "  %-28s %s\n", left, commands[i].summary);
    }
    fprintf(f, "\nThe control socket is --socket PATH, else $AERIE_SOCKET, else build/aerie.sock\n"
               "beside this program. 'aerie COMMAND --help' shows a command's options.\n");
}

/* What to do instead, for docker's commands Aerie has no twin of. */
static const char *const hints[][2] = {
    { "pull", "Aerie has no registry client: 'docker save IMAGE -o x.tar' on a machine with docker, then "
              "'aerie import NAME x.tar'" },
    { "load", "aerie import NAME ARCHIVE takes a 'docker save' archive" },
    { "restart", "a container is not started again: 'aerie rm -f ID' and 'aerie run' a new one" },
    { "pause", "'aerie debug ID' stops a container made with --debug yes (gdb's 'continue' lets it go)" },
    { "attach", "'aerie logs -f ID' follows its output" },
    { "build", "build the tree on the host and 'aerie import NAME DIR' it (a directory, tar or OCI layout)" },
    { "commit", "'aerie cp ID:/ DIR' copies its files out; 'aerie import NAME DIR' makes an image of them" },
    { "export", "'aerie cp ID:/ DIR' copies a container's files out" },
    { "volume", "Aerie has no volumes: 'aerie cp' copies files into and out of a container, 'aerie import "
                "NAME DIR' makes an image of a directory" },
    { "network", "a container has no network unless granted one: 'aerie run --grant net --ports tcp:80 ...' "
                 "(docs/NET.md)" },
    { "port", "'aerie inspect ID' lists the ports a container holds (port tcp:80-80); 'make run FORWARD=...' "
              "forwards host ports" },
    { "tag", "an image has one name: 'aerie import NEWNAME PATH' imports it again under another" },
    { "save", "an imported image is kept as build/store/NAME.img on the host (Aerie's archive format)" },
    { "push", "Aerie has no registry client: images come in with 'aerie import'" },
    { "login", "Aerie has no registry client: images come in with 'aerie import'" },
    { "search", "Aerie has no registry client: 'aerie images' lists the images it has" },
    { "info", "'aerie version', 'aerie images' and 'aerie top' say what there is" },
    { "unpause", "'aerie debug ID' (gdb's 'continue') lets a container made with --debug yes go on" },
    { "update", "a container's limits are fixed when it is made: 'aerie run' a new one with others" },
};
#define NHINTS (sizeof hints / sizeof hints[0])

static const char *docker_hint(const char *name)
{
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (!strcmp(hints[i][0], name))
            return hints[i][1];
    return NULL;
}

int main(int argc, char **argv)
{
    static struct conn c;
    const char *socket_path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("aerie %s\n", AERIE_VERSION);
            return 0;
        } else if (!strncmp(argv[i], "--socket=", 9)) {
            socket_path = argv[i] + 9;
        } else if (!strcmp(argv[i], "--socket")) {
            if (++i == argc)
                die(EXIT_USAGE, "--socket needs a path");
            socket_path = argv[i];
        } else {
            static const char *const globals[] = { "--help", "--version", "--socket" };
            char near[120];
            nearest_words(argv[i], globals, 3, near, sizeof near);
            die(EXIT_USAGE, "unknown option '%s'%s%s (aerie --help)", argv[i], near[0] ? ": " : "", near);
        }
    }
    if (i == argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const struct command *cmd = strchr(argv[i], ' ') ? NULL : find_command(argv[i]);
    if (!cmd && docker_hint(argv[i]))
        die(EXIT_USAGE, "unknown command '%s': %s", argv[i], docker_hint(argv[i]));
    if (!cmd) {
        const char *names[NCOMMANDS + NHINTS];
        char near[120];
        size_t n = 0;
        for (size_t k = 0; k < NCOMMANDS; k++)
            if (!strchr(commands[k].name, ' '))
                names[n++] = commands[k].name;
        for (size_t k = 0; k < NHINTS; k++)     /* docker's, which say what to do instead */
            names[n++] = hints[k][0];
        nearest_words(argv[i], names, n, near, sizeof near);
        die(EXIT_USAGE, "unknown command '%s'%s%s (aerie --help lists them)", argv[i], near[0] ? ": " : "", near);
    }
    conn_locate(&c, socket_path);
    located = &c;
    return cmd->fn(cmd, &c, argc - i, argv + i);
}
