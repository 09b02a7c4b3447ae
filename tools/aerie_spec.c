/*
 * aerie_spec.c — `aerie run`/`start` options to spec words (see
 * aerie_spec.h). Validation is cm's spec parser itself (services/cm/
 * spec.c, linked in), so the CLI and the container manager can never
 * disagree about what a value means; this file only maps its messages
 * back to the option that caused them.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/proto/cm.h>
#include "aerie_spec.h"
#include "spec.h"

struct option {
    const char *name, *field;      /* --name and the spec field it sets */
    const char *arg, *help;
};

static const struct option options[] = {
    { "--mem",     "mem",     "SIZE", "memory limit: everything the container costs (default 16M)" },
    { "--cpus",    "cpus",    "LIST", "CPUs it may run on, e.g. 0,1 (default: any)" },
    { "--threads", "threads", "N",    "thread limit (default 8)" },
    { "--objects", "objects", "N",    "kernel object limit (default 256)" },
    { "--prio",    "prio",    "N",    "priority 1..15 (default 10)" },
    { "--grant",   "grant",   "LIST", "capabilities: console,fs,net,self,stdin or none (default console,self; an imported image: console,fs,self)" },
    { "--env",     "env",     "K=V",  "an environment variable (repeatable)" },
    { "--name",    "name",    "NAME", "a name for it" },
    { "--stack",   "stack",   "SIZE", "first thread's stack (default 16K)" },
    { "--ports",   "ports",   "LIST", "ports for net: 7000-7010 (UDP), tcp:80, out:5432 (without --grant: net is added)" },
    { "--net-conns", "net.conns", "N", "TCP connections at once with tcp:/out: ports (default 32)" },
    { "--fs-bytes", "fs.bytes", "SIZE", "file data it may write with an fs grant (default 8M)" },
    { "--fs-inodes", "fs.inodes", "N", "files and directories it may make with an fs grant (default 1024)" },
    { "--entrypoint", "entrypoint", "PATH", "an imported image's program instead of its own" },
    { "--debug", "debug", "no|yes|hold", "yes: aerie debug may attach; hold: and a crash waits for it (default no)" },
};
#define NOPTIONS (sizeof options / sizeof options[0])

void run_print_options(FILE *f)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[40];
        snprintf(left, sizeof left, "%s %s", options[i].name, options[i].arg);
        fprintf(f, "  %-20s %s\n", left, options[i].help);
    }
}

static const struct option *find_option(const char *arg, size_t n)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].name) == n && !strncmp(options[i].name, arg, n))
            return &options[i];
    return NULL;
}

/* What names field on the command line: "--mem", or IMAGE, ARGS. */
static const char *arg_of_field(const char *field, size_t n)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].field) == n && !strncmp(options[i].field, field, n))
            return options[i].name;
    if (n == 5 && !strncmp(field, "image", 5))
        return "IMAGE";
    if (n == 4 && !strncmp(field, "args", 4))
        return "ARGS";
    return NULL;
}

/* Rewrites cm's "spec: FIELD: 'v' why" as "ARG: 'v' why". */
static void explain(const char *msg, char *err, size_t errlen)
{
    const char *field = !strncmp(msg, "spec: ", 6) ? msg + 6 : msg;
    const char *colon = strchr(field, ':');
    const char *arg = colon ? arg_of_field(field, (size_t)(colon - field)) : NULL;
    if (arg)
        snprintf(err, errlen, "%s:%s", arg, colon + 1);
    else
        snprintf(err, errlen, "%s", msg);
}

/* Parses text as a whole spec; 0, or -1 with the explained message. */
static int check(const char *text, char *err, size_t errlen)
{
    static struct spec s;
    char msg[200];
    spec_defaults(&s);
    if (spec_parse(text, strlen(text), &s, msg, sizeof msg) == 0)
        return 0;
    explain(msg, err, errlen);
    return -1;
}

/* Copies src to out with a backslash before each character of `special`;
 * false if it does not fit in cap. */
static bool escape(char *out, size_t cap, const char *src, const char *special)
{
    size_t n = 0;
    for (; *src; src++) {
        if (strchr(special, *src) && n + 1 < cap)
            out[n++] = '\\';
        if (n + 1 >= cap)
            return false;
        out[n++] = *src;
    }
    out[n] = 0;
    return true;
}

/* Adds the word FIELD=VALUE, in double quotes (with \" and \\ escaped)
 * if VALUE has white space, a double quote or a backslash. */
static int add_word(struct run_request *rr, const char *arg, const char *field, const char *value,
                    char *err, size_t errlen)
{
    bool quote = strpbrk(value, " \t\r\n\"\\") != NULL;
    if (rr->nwords == RUN_WORDS_MAX) {
        snprintf(err, errlen, "%s: more than %d options and arguments", arg, RUN_WORDS_MAX);
        return -1;
    }
    char body[RUN_WORD_MAX];
    char *w = rr->words[rr->nwords];
    if (!escape(body, sizeof body, value, quote ? "\"\\" : "") ||
        snprintf(w, RUN_WORD_MAX, quote ? "\"%s=%s\"" : "%s=%s", field, body) >= RUN_WORD_MAX) {
        snprintf(err, errlen, "%s: '%.40s...' is too long", arg, value);
        return -1;
    }
    rr->nwords++;
    return 0;
}

/* One option and its value, checked alone against the spec parser. */
static int add_option(struct run_request *rr, const struct option *o, const char *value, char *err, size_t errlen)
{
    char text[RUN_WORD_MAX + 16];
    if (add_word(rr, o->name, o->field, value, err, errlen))
        return -1;
    snprintf(text, sizeof text, "image=x %s", rr->words[rr->nwords - 1]);
    if (check(text, err, errlen) && !strncmp(err, o->name, strlen(o->name)))
        return -1;                   /* errors about other fields show in the final check */
    return 0;
}

/* Each argument is one args= word; one with spaces, quotes or
 * backslashes goes in single quotes with \' and \\ escaped (the spec
 * parser keeps a single-quoted word whole and undoes them). */
static int add_args(struct run_request *rr, int argc, char **argv, char *err, size_t errlen)
{
    if (argc > SPEC_MAX_ARGS) {
        snprintf(err, errlen, "ARGS: %d arguments, more than the %d a container takes", argc, SPEC_MAX_ARGS);
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strpbrk(argv[i], "\r\n")) {
            snprintf(err, errlen, "argument '%.40s...': a container argument is one line (no line breaks)",
                     argv[i]);
            return -1;
        }
        bool quote = !argv[i][0] || strpbrk(argv[i], " \t'\"\\") != NULL;
        char body[RUN_WORD_MAX], quoted[RUN_WORD_MAX];
        if (quote && (!escape(body, sizeof body, argv[i], "'\\") ||
                      snprintf(quoted, sizeof quoted, "'%s'", body) >= (int)sizeof quoted)) {
            snprintf(err, errlen, "ARGS: '%.40s...' is too long", argv[i]);
            return -1;
        }
        if (add_word(rr, "ARGS", "args", quote ? quoted : argv[i], err, errlen))
            return -1;
    }
    return 0;
}

/* The whole spec: it must parse and fit in one cm message. */
static int check_all(struct run_request *rr, char *err, size_t errlen)
{
    char text[RUN_WORDS_MAX * (RUN_WORD_MAX + 1)];
    size_t n = 0;
    for (int i = 0; i < rr->nwords; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", i ? " " : "", rr->words[i]);
    if (n > CM_TEXT_MAX) {
        snprintf(err, errlen, "the container spec is %zu bytes, more than the %d one request carries: "
                 "use fewer or shorter options and arguments", n, CM_TEXT_MAX);
        return -1;
    }
    return check(text, err, errlen);
}

/* An option at argv[*i] (--opt VALUE or --opt=VALUE); advances *i. */
static int parse_option(struct run_request *rr, int argc, char **argv, int *i, bool allow_rm,
                        char *err, size_t errlen)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    const struct option *o = find_option(a, n);
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        rr->help = true;
        return 0;
    }
    if (allow_rm && !strcmp(a, "--rm")) {
        rr->rm = true;
        return 0;
    }
    if (allow_rm && (!strcmp(a, "-d") || !strcmp(a, "--detach"))) {
        rr->detach = true;                     /* docker run -d: aerie start */
        return 0;
    }
    /* -i, -t and the combined -it/-ti, as docker spells them */
    if (allow_rm && (!strcmp(a, "-i") || !strcmp(a, "--interactive") || !strcmp(a, "-t") ||
                     !strcmp(a, "--tty") || !strcmp(a, "-it") || !strcmp(a, "-ti"))) {
        rr->interactive |= strchr(a, 'i') != NULL && strcmp(a, "--tty");
        rr->tty |= !strcmp(a, "-t") || !strcmp(a, "--tty") || strlen(a) == 3;
        return 0;
    }
    if (!o) {
        snprintf(err, errlen, "unknown option '%s'", a);
        return -1;
    }
    if (!eq && *i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value (%s)", o->name, o->arg);
        return -1;
    }
    return add_option(rr, o, eq ? eq + 1 : argv[++*i], err, errlen);
}

int run_parse(int argc, char **argv, bool allow_rm, struct run_request *rr, char *err, size_t errlen)
{
    memset(rr, 0, sizeof *rr);
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && !rr->help; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (parse_option(rr, argc, argv, &i, allow_rm, err, errlen))
            return -1;
    }
    if (rr->help)
        return 0;
    if (i == argc) {
        snprintf(err, errlen, "no IMAGE given ('aerie images' lists them)");
        return -1;
    }
    if (add_word(rr, "IMAGE", "image", argv[i], err, errlen) || add_args(rr, argc - i - 1, argv + i + 1, err, errlen))
        return -1;
    if (rr->interactive && add_word(rr, "-i", "stdin", "yes", err, errlen))
        return -1;                       /* stdin joins whatever grant the image and options give */
    return check_all(rr, err, errlen);
}
