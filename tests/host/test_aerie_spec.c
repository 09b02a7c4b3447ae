/*
 * test_aerie_spec.c — `aerie run`/`start` options become spec words
 * (tools/aerie_spec.c), and every bad one is refused with a message that
 * names the option or argument at fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aerie_spec.h"
#include "spec.h"
#include "ktest_host.h"

static struct run_request rr;
static char err[300];

/* Parses a space-separated command line (no quoting). */
static int parse(const char *line, bool allow_rm)
{
    static char buf[1024];
    char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
        argv[argc++] = t;
    err[0] = 0;
    return run_parse(argc, argv, allow_rm, &rr, err, sizeof err);
}

static bool has_word(const char *w)
{
    for (int i = 0; i < rr.nwords; i++)
        if (!strcmp(rr.words[i], w))
            return true;
    return false;
}

static void run_options_become_spec_words(void)
{
    CHECK_EQ(parse("--mem 32M --cpus=0,1 --threads 4 --objects 100 --prio 12 --grant console --env A=1 "
                   "--name web ticker 5 20", true), 0);
    CHECK(has_word("mem=32M") && has_word("cpus=0,1") && has_word("threads=4") && has_word("objects=100"));
    CHECK(has_word("prio=12") && has_word("grant=console") && has_word("env=A=1") && has_word("name=web"));
    CHECK(has_word("image=ticker") && has_word("args=5") && has_word("args=20"));
    CHECK(!rr.rm && !rr.help);
    CHECK_EQ(parse("--grant net --ports tcp:80 --net-conns 200 web", true), 0);
    CHECK(has_word("net.conns=200") && has_word("ports=tcp:80"));
}

static void run_after_image_everything_is_an_argument(void)
{
    CHECK_EQ(parse("--rm hello --mem 1M", true), 0);
    CHECK(rr.rm);
    CHECK(has_word("args=--mem") && has_word("args=1M") && !has_word("mem=1M"));
    CHECK_EQ(parse("-- hello", true), 0);
    CHECK(has_word("image=hello"));
    CHECK_EQ(parse("--help", true), 0);
    CHECK(rr.help);
}

static void run_env_with_spaces_is_quoted(void)
{
    char *argv[] = { "--env", "GREETING=hello world", "hello" };
    CHECK_EQ(run_parse(3, argv, true, &rr, err, sizeof err), 0);
    CHECK(has_word("\"env=GREETING=hello world\""));
}

static void refused(const char *line, bool allow_rm, const char *needle)
{
    int r = parse(line, allow_rm);
    if (r == 0 || !strstr(err, needle))
        printf("  '%s' -> %d '%s' (expected '%s')\n", line, r, err, needle);
    CHECK(r != 0 && strstr(err, needle));
}

/* -i adds stdin=yes (the stdin grant beside whatever grant= or the image
 * gives); -t and -it are taken; start (allow_rm false) refuses them. */
static void run_i_adds_stdin_and_keeps_the_grant(void)
{
    CHECK_EQ(parse("-i busybox wc -l", true), 0);
    CHECK(rr.interactive && !rr.tty && has_word("stdin=yes") && !has_word("grant=console,self,stdin"));
    CHECK_EQ(parse("--grant console,fs -it --rm busybox sh", true), 0);
    CHECK(rr.interactive && rr.tty && rr.rm && has_word("stdin=yes") && has_word("grant=console,fs"));
    CHECK_EQ(parse("-t busybox sh", true), 0);
    CHECK(!rr.interactive && rr.tty && !has_word("stdin=yes"));
    CHECK(has_word("tty=yes") || has_word("tty=24x80") || rr.nwords > 0);   /* our stdin may be a terminal */
    CHECK_EQ(parse("-t --tty-size 30x100 busybox sh", true), 0);
    CHECK(has_word("tty=30x100") && !has_word("tty=yes"));    /* --tty-size wins over our own size */
    CHECK_EQ(parse("--tty-size no busybox sh", true), 0);
    refused("-t --tty-size 0x80 busybox sh", true, "--tty-size: '0x80' must be no, yes or ROWSxCOLS");
    refused("-t --tty-size 80x10000 busybox sh", true, "--tty-size: '80x10000' must be");
    refused("-t --tty-size 80x busybox sh", true, "--tty-size: '80x' must be");
    refused("--tty-size 24x80 --grant none busybox sh", true, "--grant: 'no console' cannot go with a terminal");
    CHECK_EQ(parse("--grant=stdin,console hello", true), 0);
    refused("--grant none -i hello", true, "grant: 'stdin' needs console");
    refused("-i hello", false, "unknown option '-i'");
}

static void run_mistakes_name_the_argument(void)
{
    refused("--mem banana hello", true, "--mem: 'banana' must be a size");
    refused("--prio 99 hello", true, "--prio: '99' must be a number from 1 to 15");
    refused("--cpus x hello", true, "--cpus: 'x'");
    refused("--grant root hello", true, "--grant: 'root' is not");
    refused("--env =x hello", true, "--env: '=x' must be NAME=VALUE");
    refused("--threads 0 hello", true, "--threads: '0'");
    refused("--grant net --ports tcp:80 --net-conns 5000 hello", true, "--net-conns: '5000'");
    refused("--grant console --ports tcp:8000 hello", true, "lacks net, which the ports given need");
    refused("--colour red hello", true, "unknown option '--colour'");
    refused("--mem", true, "--mem needs a value (SIZE)");
    refused("", true, "no IMAGE given");
    refused("--mem 1M", true, "no IMAGE given");
    refused("Hello", true, "IMAGE: 'Hello' must be an image name");
    refused("--rm hello", false, "unknown option '--rm'");
    refused("--grant net hello", true, "--ports: '' must name at least one port");
}

/* What a docker user types: -w, --env-file, -e NAME, -dit; the options
 * Aerie has no twin of are refused saying what it does instead; a typo
 * names the option meant. */
static void run_docker_options(void)
{
    CHECK_EQ(parse("-w /srv hello", true), 0);
    CHECK(has_word("env=PWD=/srv"));
    CHECK_EQ(parse("--workdir=/a/b hello", true), 0);
    CHECK(has_word("env=PWD=/a/b"));
    refused("-w rel hello", true, "--workdir: 'rel' is not an absolute path");
    refused("-w", true, "--workdir needs a value (DIR)");
    setenv("AERIE_T_HOST", "from host", 1);
    unsetenv("AERIE_T_UNSET");
    CHECK_EQ(parse("-e AERIE_T_HOST -e AERIE_T_UNSET hello", true), 0);
    CHECK(has_word("\"env=AERIE_T_HOST=from host\"") && rr.nwords == 2);   /* the unset one left out */
    const char *path = "build/test_aerie_spec.env";
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fprintf(f, "# a comment\n\nA=1\nB=two words\n  C=3\r\nAERIE_T_HOST\nAERIE_T_UNSET\n");
    fclose(f);
    char line[200];
    snprintf(line, sizeof line, "--env-file %s hello", path);
    CHECK_EQ(parse(line, true), 0);
    CHECK(has_word("env=A=1") && has_word("\"env=B=two words\"") && has_word("env=C=3"));
    CHECK(has_word("\"env=AERIE_T_HOST=from host\"") && rr.nwords == 5);
    f = fopen(path, "w");
    fprintf(f, "A=1\n=x\n");
    fclose(f);
    refused(line, true, "line 2: '=x' has no NAME before its '='");
    remove(path);
    refused(line, true, "--env-file: cannot read 'build/test_aerie_spec.env'");
    CHECK_EQ(parse("-dit hello", true), 0);
    CHECK(rr.detach && rr.interactive && rr.tty);
    refused("-dit hello", false, "unknown option '-dit'");
    refused("-p 8080:80 httpd", true, "-p: Aerie maps no ports per container: --ports tcp:80");
    refused("--publish=8080:80 httpd", true, "--publish: Aerie maps no ports");
    refused("-v /a:/b hello", true, "-v: Aerie has no volumes or bind mounts");
    refused("--restart always hello", true, "--restart: Aerie does not start a container again");
    CHECK_EQ(parse("--restart no hello", true), 0);
    CHECK(has_word("image=hello"));
    CHECK_EQ(parse("--restart=no hello", true), 0);
    refused("-u 1000 hello", true, "-u: a container has no users");
    refused("--nmae x hello", true, "unknown option '--nmae': did you mean '--name'?");
    refused("--mme 1M hello", true, "unknown option '--mme': did you mean '--mem'?");
    refused("--cpus 1.5 hello", true, "--cpus: '1.5': Aerie's --cpus (and --cpuset-cpus) lists the CPUs");
    refused("--zzzzzz hello", true, "unknown option '--zzzzzz'");
    CHECK_EQ(parse("busybox:latest echo", true), 0);
    CHECK(has_word("image=busybox") && has_word("args=echo"));
    refused("busybox:1.36 echo", true, "IMAGE: 'busybox:1.36': an image here is one name, with no registry or tag");
    refused("docker.io/library/busybox echo", true, "an image here is one name");
    CHECK(strstr(err, "did you mean") == NULL);
}

static void near_words_suggested(void)
{
    static const char *const cmds[] = { "run", "rm", "ps", "images", "inspect" };
    char out[120];
    nearest_words("rn", cmds, 5, out, sizeof out);
    CHECK(!strcmp(out, "did you mean 'run' or 'rm'?"));
    nearest_words("imagse", cmds, 5, out, sizeof out);
    CHECK(!strcmp(out, "did you mean 'images'?"));
    nearest_words("x", cmds, 5, out, sizeof out);
    CHECK(!strcmp(out, ""));
    nearest_words("run", cmds, 5, out, sizeof out);      /* itself: no advice */
    CHECK(!strcmp(out, "did you mean 'rm'?") || !strcmp(out, ""));
}

/* The words run_parse made, joined and parsed as cm will parse them. */
static int parse_words(struct spec *s)
{
    static char text[2 * SPEC_TEXT_MAX];
    char msg[200];
    text[0] = 0;
    for (int i = 0; i < rr.nwords; i++) {
        strcat(text, rr.words[i]);
        strcat(text, " ");
    }
    CHECK(!strncmp(text, rr.text, rr.text_len));     /* what is sent is these words */
    spec_free(s);
    spec_defaults(s);
    return spec_parse(text, strlen(text), s, msg, sizeof msg);
}

static void run_argument_with_spaces_is_one_argument(void)
{
    char *argv[] = { "busybox", "sh", "-c", "echo hi | wc -c" };
    CHECK_EQ(run_parse(4, argv, true, &rr, err, sizeof err), 0);
    static struct spec s;
    CHECK_EQ(parse_words(&s), 0);
    CHECK_EQ(s.nargs, 3);
    CHECK(!strcmp(spec_arg(&s, 2), "echo hi | wc -c"));
}

/* What a shell user types reaches the container byte for byte: quotes
 * of both kinds, backslashes, empty arguments (the CLI escapes them for
 * the spec, the spec parser undoes it). */
static void run_arguments_arrive_as_typed(void)
{
    char *argv[] = { "--env", "A=say \"hi\" \\o/", "busybox", "sh", "-c",
                     "for f in *; do echo \"$f\" 'it''s'; done", "it's two words", "printf a\\nb",
                     "", "\\", "'", "\"" };
    int argc = (int)(sizeof argv / sizeof argv[0]);
    CHECK_EQ(run_parse(argc, argv, true, &rr, err, sizeof err), 0);
    static struct spec s;
    CHECK_EQ(parse_words(&s), 0);
    CHECK_EQ(s.nargs, (unsigned)(argc - 3));
    for (int i = 3; i < argc && (unsigned)(i - 3) < s.nargs; i++)
        if (strcmp(spec_arg(&s, i - 3), argv[i])) {
            printf("  argument %d: '%s' arrived as '%s'\n", i - 3, argv[i], spec_arg(&s, i - 3));
            CHECK(0);
        }
    CHECK_EQ(s.nenv, 1u);
    CHECK(!strcmp(spec_env(&s, 0), "A=say \"hi\" \\o/"));
}

static void refused_argv(int argc, char **argv, const char *needle)
{
    int r = run_parse(argc, argv, true, &rr, err, sizeof err);
    if (r == 0 || !strstr(err, needle))
        printf("  %d arguments -> %d '%s' (expected '%s')\n", argc, r, err, needle);
    CHECK(r != 0 && strstr(err, needle));
}

static void run_argument_limits(void)
{
    /* a 16383-byte script is one argument; 16384 bytes is refused by name */
    static char script[16400], too_long[16400];
    memset(script, 'e', 16383);
    memcpy(script, "echo \"", 6);
    memset(too_long, 'x', 16384);
    char *longest[] = { "busybox", "sh", "-c", script };
    CHECK_EQ(run_parse(4, longest, true, &rr, err, sizeof err), 0);
    static struct spec s;
    CHECK_EQ(parse_words(&s), 0);
    CHECK(s.nargs == 3 && !strcmp(spec_arg(&s, 2), script));
    char *over[] = { "busybox", too_long };
    CHECK(run_parse(2, over, true, &rr, err, sizeof err) != 0);
    if (!strstr(err, "over the 16383 an argument may have"))
        printf("  16384 bytes: %s\n", err);
    CHECK(strstr(err, "over the 16383 an argument may have") != NULL);
    char *lines[] = { "hello", "two\nlines" };
    CHECK(run_parse(2, lines, true, &rr, err, sizeof err) != 0);
    CHECK(strstr(err, "no line breaks") != NULL);
    /* 256 arguments with quotes and spaces, a 2 KiB script among them */
    static char *many[300];
    static char bufs[300][32], big[2100];
    int n = 0;
    many[n++] = "busybox";
    many[n++] = "sh";
    many[n++] = "-c";
    memset(big, 'x', 2048);
    memcpy(big, "echo 'it''s' \"$@\" #", 19);
    many[n++] = big;
    while (n < SPEC_MAX_ARGS + 1) {
        snprintf(bufs[n], sizeof bufs[n], "a %d 'q\\", n);
        many[n] = bufs[n];
        n++;
    }
    CHECK_EQ(run_parse(n, many, true, &rr, err, sizeof err), 0);
    CHECK_EQ(parse_words(&s), 0);
    CHECK_EQ(s.nargs, (unsigned)(n - 1));
    CHECK(!strcmp(spec_arg(&s, 2), big));
    CHECK(!strcmp(spec_arg(&s, 255), bufs[256]));
    many[n] = "one more";
    refused_argv(n + 1, many, "ARGS: 257 arguments, more than the 256 a container takes");
    /* a whole spec past 64 KiB: five arguments of 15000 bytes */
    static char parts[5][15001];
    char *five[6] = { "busybox" };
    for (int i = 0; i < 5; i++) {
        memset(parts[i], 'p', 15000);
        five[i + 1] = parts[i];
    }
    refused_argv(6, five, "more than the 65536 Aerie takes");
    spec_free(&s);
    run_free(&rr);
}

int main(void)
{
    RUN(run_options_become_spec_words);
    RUN(run_after_image_everything_is_an_argument);
    RUN(run_env_with_spaces_is_quoted);
    RUN(run_i_adds_stdin_and_keeps_the_grant);
    RUN(run_mistakes_name_the_argument);
    RUN(run_argument_with_spaces_is_one_argument);
    RUN(run_arguments_arrive_as_typed);
    RUN(run_argument_limits);
    RUN(run_docker_options);
    RUN(near_words_suggested);
    return TESTS_DONE();
}
