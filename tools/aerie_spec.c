/*
 * aerie_spec.c — `aerie run`/`start` options to spec words (see
 * aerie_spec.h). Validation is cm's spec parser itself (services/cm/
 * spec.c, linked in), so the CLI and the container manager can never
 * disagree about what a value means; this file only maps its messages
 * back to the option that caused them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/proto/cm.h>
#include "aerie_spec.h"
#include "aerie_tty.h"
#include "spec.h"

_Static_assert(RUN_WORDS_MAX >= SPEC_MAX_ARGS + 32, "room for every argument and the options");

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
    { "--tty-size", "tty", "ROWSxCOLS", "-t's terminal size instead of ours (OCI consoleSize; no: no terminal)" },
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
    fprintf(f, "  %-20s %s\n", "-w, --workdir DIR", "its working directory (an absolute path; its PWD)");
    fprintf(f, "  %-20s %s\n", "--env-file FILE", "NAME=VALUE lines (# comments; a bare NAME: ours), as --env");
    fprintf(f, "  (docker's -m and --memory are --mem, -e is --env, --cpuset-cpus is --cpus; -e NAME passes ours.\n"
               "   -p, -v, --restart, -u and --network are refused, each saying what Aerie does instead)\n");
}

/* ---- near words: what a typo was probably meant to be ---- */

/* The optimal string alignment distance of a and b: inserts, deletes,
 * replacements and swaps of neighbours ("nmae" is one from "name");
 * words over 31 bytes are far from everything. */
static unsigned distance(const char *a, const char *b)
{
    size_t m = strlen(a), n = strlen(b);
    unsigned d[33][33];
    if (m > 31 || n > 31)
        return 99;
    for (size_t i = 0; i <= m; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= n; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= m; i++)
        for (size_t j = 1; j <= n; j++) {
            unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[m][n];
}

void nearest_words(const char *word, const char *const *cands, size_t n, char *out, size_t cap)
{
    const char *a = word;
    size_t skip = 0;
    while (a[skip] == '-')               /* "--nmae" against "--name": the dashes are no clue */
        skip++;
    size_t len = strlen(a + skip);
    unsigned best = len <= 3 ? 1 : len <= 6 ? 2 : 3, found = 0;
    const char *pick[3];
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t cs = 0;
        while (cands[i][cs] == '-')
            cs++;
        unsigned d = distance(a + skip, cands[i] + cs);
        if (d == 0 || d > best || d >= strlen(cands[i] + cs))
            continue;
        if (d < best || found == 0)
            found = 0, best = d;
        if (found < 3)
            pick[found++] = cands[i];
    }
    if (found == 0)
        return;
    size_t at = (size_t)snprintf(out, cap, "did you mean '%s'", pick[0]);
    for (unsigned i = 1; i < found && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s'%s'", i + 1 == found ? " or " : ", ", pick[i]);
    if (at < cap)
        snprintf(out + at, cap - at, "?");
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

void run_explain(const char *msg, char *out, size_t cap)
{
    explain(msg, out, cap);
    if (out[0] != '-')                   /* IMAGE, ARGS: cm's words say it best ("image: no image 'x'") */
        snprintf(out, cap, "%s", msg);
}

/* Parses text as a whole spec; 0, or -1 with the explained message. */
static int check(const char *text, char *err, size_t errlen)
{
    static struct spec s;
    char msg[200];
    spec_defaults(&s);
    int r = spec_parse(text, strlen(text), &s, msg, sizeof msg);
    spec_free(&s);
    if (r == 0)
        return 0;
    explain(msg, err, errlen);
    return -1;
}

/* src with a backslash before each character of `special`, malloc'd
 * (NULL when out of memory: the caller says so). */
static char *escape(const char *src, const char *special)
{
    char *out = malloc(2 * strlen(src) + 1), *o = out;
    if (!out)
        return NULL;
    for (; *src; src++) {
        if (strchr(special, *src))
            *o++ = '\\';
        *o++ = *src;
    }
    *o = 0;
    return out;
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
    char *body = escape(value, quote ? "\"\\" : "");
    size_t n = body ? strlen(field) + strlen(body) + 4 : 0;
    char *w = body ? malloc(n) : NULL;
    if (!w) {
        free(body);
        snprintf(err, errlen, "%s: no memory for '%.40s...'", arg, value);
        return -1;
    }
    snprintf(w, n, quote ? "\"%s=%s\"" : "%s=%s", field, body);
    free(body);
    rr->words[rr->nwords++] = w;
    return 0;
}

/* One option and its value, checked alone against the spec parser. */
static int add_option(struct run_request *rr, const struct option *o, const char *value, char *err, size_t errlen)
{
    if (add_word(rr, o->name, o->field, value, err, errlen))
        return -1;
    const char *w = rr->words[rr->nwords - 1];
    size_t n = strlen(w) + 16;
    char *text = malloc(n);
    if (!text) {
        snprintf(err, errlen, "%s: no memory", o->name);
        return -1;
    }
    snprintf(text, n, "image=x %s", w);
    int r = check(text, err, errlen) && !strncmp(err, o->name, strlen(o->name)) ? -1 : 0;
    free(text);
    return r;                        /* errors about other fields show in the final check */
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
        if (strlen(argv[i]) >= SPEC_STR_MAX) {
            snprintf(err, errlen, "ARGS: '%.40s...' is %zu bytes, over the %d an argument may have",
                     argv[i], strlen(argv[i]), SPEC_STR_MAX - 1);
            return -1;
        }
        bool quote = !argv[i][0] || strpbrk(argv[i], " \t'\"\\") != NULL;
        char *body = quote ? escape(argv[i], "'\\") : NULL, *quoted = NULL;
        if (body && (quoted = malloc(strlen(body) + 3)))
            snprintf(quoted, strlen(body) + 3, "'%s'", body);
        free(body);
        if (quote && !quoted) {
            snprintf(err, errlen, "ARGS: no memory for '%.40s...'", argv[i]);
            return -1;
        }
        int r = add_word(rr, "ARGS", "args", quote ? quoted : argv[i], err, errlen);
        free(quoted);
        if (r)
            return -1;
    }
    return 0;
}

/* The whole spec, joined into rr->text: it must parse and fit what
 * Aerie takes (CM_SPEC_MAX bytes; past a request line it travels as a
 * payload, docs/ENGINE.md). */
static int check_all(struct run_request *rr, char *err, size_t errlen)
{
    size_t n = 0;
    for (int i = 0; i < rr->nwords; i++)
        n += strlen(rr->words[i]) + 1;
    if (n > CM_SPEC_MAX) {
        snprintf(err, errlen, "the container spec is %zu bytes, more than the %d Aerie takes: "
                 "use fewer or shorter options and arguments", n - 1, CM_SPEC_MAX);
        return -1;
    }
    rr->text = malloc(n + 1);
    if (!rr->text) {
        snprintf(err, errlen, "no memory for the container spec");
        return -1;
    }
    size_t at = 0;
    for (int i = 0; i < rr->nwords; i++)
        at += (size_t)sprintf(rr->text + at, "%s%s", i ? " " : "", rr->words[i]);
    rr->text_len = at;
    return check(rr->text, err, errlen);
}

void run_free(struct run_request *rr)
{
    for (int i = 0; i < rr->nwords; i++)
        free(rr->words[i]);
    free(rr->text);
    memset(rr, 0, sizeof *rr);
}

/* docker run's options that Aerie has no twin of, and what it does
 * instead: refused with that, never dropped. */
static const char *const docker_only[] = {
    "-p", "--publish", "-P", "--publish-all", "--expose", "-v", "--volume", "--mount", "--volumes-from", "--tmpfs",
    "--restart", "-u", "--user", "--network", "--net", "--privileged", "--cap-add", "--cap-drop", "--security-opt",
};

/* a's first n bytes are the option name. */
static bool named(const char *a, size_t n, const char *name)
{
    return strlen(name) == n && !strncmp(a, name, n);
}

static const char *docker_only_why(const char *name)
{
    if (!strcmp(name, "-p") || !strcmp(name, "--publish") || !strcmp(name, "-P") || !strcmp(name, "--publish-all") ||
        !strcmp(name, "--expose"))
        return "Aerie maps no ports per container: --ports tcp:80 (UDP: --ports 5353) lets it listen on that "
               "guest port, and 'make run FORWARD=\"tcp:8080:80\"' forwards a host port to it (docs/NET.md)";
    if (!strcmp(name, "--restart"))
        return "Aerie does not start a container again when it ends (its end stays in aerie ps and inspect "
               "until aerie rm): run it again with aerie run, or from a loop on the host";
    if (!strcmp(name, "-u") || !strcmp(name, "--user"))
        return "a container has no users to switch to (a Linux program runs as uid 0 in it): its authority is "
               "its grants (--grant)";
    if (!strcmp(name, "--network") || !strcmp(name, "--net"))
        return "a container has no network unless granted one: --grant net with --ports (docs/NET.md)";
    if (!strcmp(name, "--privileged") || !strcmp(name, "--cap-add") || !strcmp(name, "--cap-drop") ||
        !strcmp(name, "--security-opt"))
        return "a container holds exactly the capabilities it is granted: --grant console,fs,net,self,stdin";
    return "Aerie has no volumes or bind mounts: a container's files are its image's plus a writable layer "
           "of its own; 'aerie cp HOSTPATH ID:/PATH' copies files in (and out), 'aerie import NAME DIR' makes an "
           "image of a host directory";
}

/* Every option name run, start and create take, for "did you mean". */
static void option_hint(const char *a, bool allow_rm, char *out, size_t cap)
{
    static const char *const all[] = { "--help", "-m", "--memory", "-e", "--cpuset-cpus", "-w", "--workdir",
                                       "--env-file" };
    static const char *const run_only[] = { "--rm", "-d", "--detach", "-i", "--interactive", "-t", "--tty" };
    const char *cands[NOPTIONS + sizeof all / sizeof all[0] + sizeof run_only / sizeof run_only[0]];
    size_t n = 0;
    for (size_t i = 0; i < NOPTIONS; i++)
        cands[n++] = options[i].name;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        cands[n++] = all[i];
    for (size_t i = 0; allow_rm && i < sizeof run_only / sizeof run_only[0]; i++)
        cands[n++] = run_only[i];
    nearest_words(a, cands, n, out, cap);
}

/* The environment words of --env-file FILE (docker's format: NAME=VALUE
 * a line, # comments and blank lines skipped, a bare NAME takes our
 * environment's value, or is left out when we have none). */
static int add_env_file(struct run_request *rr, const struct option *env, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[SPEC_STR_MAX + 2];
    unsigned no = 0;
    if (!f) {
        snprintf(err, errlen, "--env-file: cannot read '%.200s': %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        no++;
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            snprintf(err, errlen, "--env-file: %.200s line %u: longer than the %d bytes a variable may have",
                     path, no, SPEC_STR_MAX - 1);
            fclose(f);
            return -1;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        if (*p == '=') {
            snprintf(err, errlen, "--env-file: %.200s line %u: '%.40s' has no NAME before its '='", path, no, p);
            fclose(f);
            return -1;
        }
        char *word = p, both[SPEC_STR_MAX + 2];
        if (!strchr(p, '=')) {
            const char *v = getenv(p);
            if (!v)
                continue;
            snprintf(both, sizeof both, "%s=%s", p, v);
            word = both;
        }
        if (add_option(rr, env, word, err, errlen)) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* An option at argv[*i] (--opt VALUE or --opt=VALUE); advances *i. */
static int parse_option(struct run_request *rr, int argc, char **argv, int *i, bool allow_rm,
                        char *err, size_t errlen)
{
    /* docker's spellings of the same fields */
    static const char *const aliases[][2] = { { "-m", "--mem" }, { "--memory", "--mem" }, { "-e", "--env" },
                                              { "--cpuset-cpus", "--cpus" } };
    const char *a = argv[*i], *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    const struct option *o = find_option(a, n);
    for (size_t k = 0; !o && k < sizeof aliases / sizeof aliases[0]; k++)
        if (strlen(aliases[k][0]) == n && !strncmp(a, aliases[k][0], n))
            o = find_option(aliases[k][1], strlen(aliases[k][1]));
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
    /* -i, -t, -d and their combinations (-it, -dit...), as docker spells them */
    if (allow_rm && (!strcmp(a, "--interactive") || !strcmp(a, "--tty") ||
                     (a[0] == '-' && a[1] && strspn(a + 1, "dit") == strlen(a + 1)))) {
        rr->interactive |= !strcmp(a, "--interactive") || (a[1] != '-' && strchr(a, 'i'));
        rr->tty |= !strcmp(a, "--tty") || (a[1] != '-' && strchr(a, 't'));
        rr->detach |= a[1] != '-' && strchr(a, 'd');
        return 0;
    }
    for (size_t k = 0; !o && k < sizeof docker_only / sizeof docker_only[0]; k++)
        if (named(a, n, docker_only[k])) {
            const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[*i + 1] : "";
            if (named(a, n, "--restart") && !strcmp(v, "no")) {      /* docker's default */
                *i += !eq;
                return 0;
            }
            snprintf(err, errlen, "%s: %s", docker_only[k], docker_only_why(docker_only[k]));
            return -1;
        }
    bool workdir = named(a, n, "-w") || named(a, n, "--workdir");
    bool env_file = named(a, n, "--env-file");
    if (!o && !workdir && !env_file) {
        char near[120];
        option_hint(a, allow_rm, near, sizeof near);
        snprintf(err, errlen, "unknown option '%s'%s%s", a, near[0] ? ": " : "", near);
        return -1;
    }
    const char *name = o ? o->name : workdir ? "--workdir" : "--env-file";
    if (!eq && *i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value (%s)", name, o ? o->arg : workdir ? "DIR" : "FILE");
        return -1;
    }
    const char *v = eq ? eq + 1 : argv[++*i];
    const struct option *env = find_option("--env", 5);
    if (env_file)
        return add_env_file(rr, env, v, err, errlen);
    if (workdir) {                             /* the working directory reaches the program as PWD */
        char pwd[SPEC_PATH_MAX + 8];
        if (v[0] != '/' || strlen(v) >= SPEC_PATH_MAX) {
            snprintf(err, errlen, "--workdir: '%.60s' is not an absolute path under %d bytes", v, SPEC_PATH_MAX);
            return -1;
        }
        snprintf(pwd, sizeof pwd, "PWD=%s", v);
        return add_option(rr, env, pwd, err, errlen);
    }
    if (o == env && !strchr(v, '=') && v[0]) {
        /* -e NAME: our value of it, as docker passes it on; none: left out */
        const char *have = getenv(v);
        if (!have)
            return 0;
        char *both = malloc(strlen(v) + strlen(have) + 2);
        if (!both) {
            snprintf(err, errlen, "--env: no memory");
            return -1;
        }
        sprintf(both, "%s=%s", v, have);
        int r = add_option(rr, o, both, err, errlen);
        free(both);
        return r;
    }
    if (!strcmp(o->name, "--cpus") && strchr(v, '.')) {
        snprintf(err, errlen, "--cpus: '%.40s': Aerie's --cpus (and --cpuset-cpus) lists the CPUs it may run on "
                 "(0 or 0,1), not a share of CPU time", v);
        return -1;
    }
    return add_option(rr, o, v, err, errlen);
}

int run_parse(int argc, char **argv, bool allow_rm, struct run_request *rr, char *err, size_t errlen)
{
    run_free(rr);
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
    /* docker's IMAGE:TAG and REGISTRY/IMAGE: an image here is one name */
    char image[SPEC_NAME_MAX + 8];
    const char *tag = strchr(argv[i], ':'), *name = argv[i];
    if (tag && !strcmp(tag, ":latest") && !strchr(argv[i], '/') && (size_t)(tag - argv[i]) < sizeof image) {
        snprintf(image, sizeof image, "%.*s", (int)(tag - argv[i]), argv[i]);
        name = image;                              /* docker's default tag: the name */
    } else if (tag || strchr(argv[i], '/')) {
        snprintf(err, errlen, "IMAGE: '%.60s': an image here is one name, with no registry or tag ('aerie "
                 "images' lists them; 'aerie import NAME ARCHIVE' imports a 'docker save' archive under NAME)",
                 argv[i]);
        return -1;
    }
    if (add_word(rr, "IMAGE", "image", name, err, errlen) || add_args(rr, argc - i - 1, argv + i + 1, err, errlen))
        return -1;
    if (rr->interactive && add_word(rr, "-i", "stdin", "yes", err, errlen))
        return -1;                       /* stdin joins whatever grant the image and options give */
    bool sized = false;                  /* --tty-size said it */
    for (int k = 0; k < rr->nwords; k++)
        sized |= !strncmp(rr->words[k], "tty=", 4);
    if (rr->tty && !sized) {             /* a terminal the size of ours, if stdin is one */
        unsigned rows, cols;
        char size[24] = "yes";
        if (tty_host_size(&rows, &cols))
            snprintf(size, sizeof size, "%ux%u", rows < SPEC_TTY_MAX ? rows : SPEC_TTY_MAX,
                     cols < SPEC_TTY_MAX ? cols : SPEC_TTY_MAX);
        if (add_word(rr, "-t", "tty", size, err, errlen))
            return -1;
    }
    return check_all(rr, err, errlen);
}
