/*
 * test_spec.c — the container spec parser: every field, defaults, and
 * each mistake refused with a message naming the field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spec.h"
#include "ktest_host.h"

static struct spec s;
static char err[200];

static int parse(const char *t)
{
    spec_free(&s);
    spec_defaults(&s);
    return spec_parse(t, strlen(t), &s, err, sizeof err);
}

static void spec_every_field(void)
{
    CHECK_EQ(parse("# a comment\nimage=web name=front args=\"-p 80 --v\" env=A=1 env=B=two "
                   "grant=console,fs,net mem=64M stack=32K threads=16 objects=1000 prio=12 "
                   "cpus=0,2 ports=7000-7010,8000 fs.bytes=1G fs.inodes=5000\n"), 0);
    CHECK(!strcmp(s.image, "web") && !strcmp(s.name, "front"));
    CHECK_EQ(s.nargs, 3);
    CHECK(!strcmp(spec_arg(&s, 2), "--v"));
    CHECK_EQ(s.nenv, 2);
    CHECK(!strcmp(spec_env(&s, 1), "B=two"));
    CHECK_EQ(s.grants, SPEC_GRANT_CONSOLE | SPEC_GRANT_FS | SPEC_GRANT_NET | SPEC_GRANT_SELF);
    CHECK_EQ(s.mem, 64 << 20);
    CHECK_EQ(s.stack, 32 << 10);
    CHECK_EQ(s.threads, 16);
    CHECK_EQ(s.objects, 1000);
    CHECK_EQ(s.prio, 12);
    CHECK_EQ(s.cpus, 0x5);
    CHECK_EQ(s.nports, 2);
    CHECK_EQ(s.ports[0].first, 7000);
    CHECK_EQ(s.ports[1].last, 8000);
    CHECK_EQ(s.fs_bytes, 1ull << 30);
    CHECK_EQ(s.fs_inodes, 5000);
}

static void spec_ports_have_kinds(void)
{
    CHECK_EQ(parse("image=web grant=net ports=tcp:80,udp:53,7,out:5432-5433 net.conns=200"), 0);
    CHECK_EQ(s.nports, 4);
    CHECK_EQ(s.ports[0].kind, SPEC_PORTS_TCP);
    CHECK_EQ(s.ports[0].first, 80);
    CHECK_EQ(s.ports[1].kind, SPEC_PORTS_UDP);
    CHECK_EQ(s.ports[2].kind, SPEC_PORTS_UDP);    /* a bare port is UDP, as before */
    CHECK_EQ(s.ports[2].first, 7);
    CHECK_EQ(s.ports[3].kind, SPEC_PORTS_OUT);
    CHECK_EQ(s.ports[3].last, 5433);
    CHECK_EQ(s.net_conns, 200);
}

static void spec_defaults_hold(void)
{
    CHECK_EQ(parse("image=hello"), 0);
    CHECK_EQ(s.grants, SPEC_GRANT_CONSOLE | SPEC_GRANT_SELF);
    CHECK_EQ(s.mem, 16 << 20);
    CHECK_EQ(s.threads, 8);
    CHECK_EQ(s.prio, 10);
    CHECK_EQ(s.cpus, 0);
    CHECK_EQ(parse("image=hello grant=none"), 0);
    CHECK_EQ(s.grants, 0);
    /* ports and no grant=: the default grants and net (docker run -p) */
    CHECK_EQ(parse("image=hello ports=tcp:8000"), 0);
    CHECK_EQ(s.grants, SPEC_GRANT_CONSOLE | SPEC_GRANT_SELF | SPEC_GRANT_NET);
    CHECK_EQ(parse("image=hello grant=none ports=tcp:8000"), -1);
}

static void expect(const char *t, const char *needle)
{
    int r = parse(t);
    if (r == 0 || !strstr(err, needle))
        printf("  '%s' -> %d '%s' (expected '%s')\n", t, r, err, needle);
    CHECK(r != 0 && strstr(err, needle));
}

static void spec_mistakes_name_the_field(void)
{
    expect("", "image: '' is required");
    expect("image=Hello", "spec: image: 'Hello' must be an image name");
    expect("image=a mem=lots", "spec: mem: 'lots' must be a size");
    expect("image=a mem=1K", "spec: mem: '1K' must be a size from 128K");
    expect("image=a threads=0", "spec: threads: '0' must be a number from 1 to 4096");
    expect("image=a prio=16", "spec: prio: '16' must be a number from 1 to 15");
    expect("image=a cpus=0,x", "spec: cpus: 'x'");
    expect("image=a cpus=64", "spec: cpus: '64'");
    expect("image=a grant=console,root", "spec: grant: 'root' is not");
    expect("image=a ports=0", "spec: ports: '0' must be a port or range");
    expect("image=a ports=9-3", "spec: ports: '9-3'");
    expect("image=a ports=1,2,3,4,5,6,7,8,9", "is more than 8 ranges");
    expect("image=a grant=net", "spec: ports: '' must name at least one port");
    expect("image=a ports=ftp:21", "spec: ports: 'ftp:21' must be a port");
    expect("image=a ports=tcp:", "spec: ports: 'tcp:' must be a port");
    expect("image=a net.conns=0", "net.conns");
    expect("image=a net.conns=5000", "net.conns");
    expect("image=a env=NOEQUALS", "spec: env: 'NOEQUALS' must be NAME=VALUE");
    expect("image=a args=\"open", "unterminated quote");
    expect("image=a args=\"sh -c 'echo\"", "unterminated single quote");
    expect("image=a colour=red", "spec: colour: 'red' is not a spec field");
    expect("image=a justaword", "spec: spec: 'justaword' is not key=value");
    expect("image=a =x", "is not key=value");
    expect("image=a fs.inodes=0", "spec: fs.inodes");
    expect("image=a grant=console,self ports=tcp:8000,9000",
           "spec: grant: 'console,self' lacks net, which the ports given need");
    expect("image=a grant=console,fs ports=7000-7010", "lacks net, which the ports given need");
}

/* attack19 (SECURITY 78e): a name is how the CLI, ps and inspect name a
 * container, so it must read back as that container: a letter first (a
 * name of digits would be taken for another container's id: `aerie rm 12`),
 * then letters, digits, '_', '.', '-' — no space, quote, control byte or
 * escape sequence to break ps's columns or the operator's terminal. */
static void spec_names_are_words(void)
{
    CHECK_EQ(parse("image=a name=web-1.blue_2"), 0);
    CHECK(!strcmp(s.name, "web-1.blue_2"));
    CHECK_EQ(parse("image=a name=X"), 0);
    const char *bad[] = { "image=a name=12", "image=a name=7up", "image=a name=-", "image=a name=-x",
                          "image=a name=.hidden", "image=a \"name=two words\"", "image=a \"name=a\x1b[2Jb\"",
                          "image=a name=caf\xc3\xa9", "image=a name=a/b", "image=a name=a,b", "image=a name=a:b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], "spec: name: ");
    expect("image=a name=12", "must start with a letter");
}

/* In double quotes \" and \\ are a quote and a backslash; in an args
 * word's single quotes \' and \\ are; any other backslash is itself. */
static void spec_escapes(void)
{
    CHECK_EQ(parse("image=a \"env=Q=say \\\"hi\\\"\" \"args='it\\\\'s' 'a\\\\\\\\b' 'printf x\\n' ''\""), 0);
    CHECK_EQ(s.nenv, 1);
    CHECK(!strcmp(spec_env(&s, 0), "Q=say \"hi\""));
    CHECK_EQ(s.nargs, 4);
    CHECK(!strcmp(spec_arg(&s, 0), "it's"));
    CHECK(!strcmp(spec_arg(&s, 1), "a\\b"));
    CHECK(!strcmp(spec_arg(&s, 2), "printf x\\n"));
    CHECK(!strcmp(spec_arg(&s, 3), ""));
    expect("image=a \"args='open\\\\'\"", "unterminated single quote");
}

static void spec_nul_and_long(void)
{
    char t[] = "image=a\0mem=1M";
    spec_free(&s);
    spec_defaults(&s);
    CHECK(spec_parse(t, sizeof t - 1, &s, err, sizeof err) != 0);
    CHECK(strstr(err, "NUL") != NULL);
    char longw[600];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = 0;
    memcpy(longw, "name=", 5);
    CHECK(parse(longw) != 0);
}

/* Realistic sizes (docs/SPEC.md, "Sizes"): 256 arguments, 64
 * environment variables, one argument of 16383 bytes, in one spec. */
static void spec_long_args_and_env(void)
{
    static char t[SPEC_TEXT_MAX + 1];
    size_t n = (size_t)sprintf(t, "image=a \"args='");
    for (int i = 0; i < 16383; i++)
        t[n++] = (char)('a' + i % 26);
    n += (size_t)sprintf(t + n, "'\"");
    for (int i = 1; i < SPEC_MAX_ARGS; i++)
        n += (size_t)sprintf(t + n, " args=w%d", i);
    for (int i = 0; i < SPEC_MAX_ENV; i++)
        n += (size_t)sprintf(t + n, " env=V%d=value%d", i, i);
    spec_free(&s);
    spec_defaults(&s);
    int r = spec_parse(t, n, &s, err, sizeof err);
    if (r)
        printf("  %s\n", err);
    CHECK_EQ(r, 0);
    CHECK_EQ(s.nargs, SPEC_MAX_ARGS);
    CHECK_EQ(s.nenv, SPEC_MAX_ENV);
    CHECK_EQ(strlen(spec_arg(&s, 0)), 16383u);
    CHECK(spec_arg(&s, 0)[16382] == (char)('a' + 16382 % 26));
    CHECK(!strcmp(spec_arg(&s, 255), "w255"));
    CHECK(!strcmp(spec_env(&s, 63), "V63=value63"));
    /* what it keeps is what the text wrote, not the bounds */
    CHECK(s.strs_cap <= 2 * (uint32_t)n);
    CHECK_EQ(parse("image=a args=x env=A=b"), 0);
    CHECK(s.strs_cap <= 256);
}

/* Past each bound: refused with the field and the limit named. */
static void spec_limits_name_field_and_limit(void)
{
    static char t[SPEC_TEXT_MAX + 64];
    size_t n = (size_t)sprintf(t, "image=a");
    for (int i = 0; i <= SPEC_MAX_ARGS; i++)
        n += (size_t)sprintf(t + n, " args=w%d", i);
    expect(t, "spec: args: 'w256' has more than 256 words");
    n = (size_t)sprintf(t, "image=a");
    for (int i = 0; i <= SPEC_MAX_ENV; i++)
        n += (size_t)sprintf(t + n, " env=V%d=v", i);
    expect(t, "spec: env: 'V64=v' is more than 64 variables");
    n = (size_t)sprintf(t, "image=a args=");
    memset(t + n, 'x', 16384);
    t[n + 16384] = 0;
    expect(t, "has a word over 16383 bytes");
    n = (size_t)sprintf(t, "image=a env=A=");
    memset(t + n, 'x', 16383);
    t[n + 16383] = 0;
    expect(t, "spec: env: 'A=xxx");
    expect(t, "is over 16383 bytes");
    memset(t + n, 'x', 16381);                 /* "A=" and 16381: 16383 bytes, the most */
    t[n + 16381] = 0;
    CHECK_EQ(parse(t), 0);
    /* a whole spec past 64 KiB, however it is made */
    n = (size_t)sprintf(t, "image=a");
    while (n <= SPEC_TEXT_MAX)
        n += (size_t)sprintf(t + n, " # a comment that makes it long\n");
    spec_free(&s);
    spec_defaults(&s);
    CHECK(spec_parse(t, n, &s, err, sizeof err) != 0);
    CHECK(strstr(err, "is longer than the 65536 bytes a spec may have") != NULL);
    /* exactly the bound parses */
    memset(t, ' ', SPEC_TEXT_MAX);
    memcpy(t, "image=a", 7);
    spec_free(&s);
    spec_defaults(&s);
    CHECK_EQ(spec_parse(t, SPEC_TEXT_MAX, &s, err, sizeof err), 0);
    /* NUL and garbage bytes anywhere in a long one */
    memset(t, 'z', 40000);
    memcpy(t, "image=a args=", 13);
    t[30000] = 0;
    spec_free(&s);
    spec_defaults(&s);
    CHECK(spec_parse(t, 40000, &s, err, sizeof err) != 0);
    CHECK(strstr(err, "NUL") != NULL);
    for (int i = 0; i < 40000; i++)
        t[i] = (char)(rand() & 0xff);
    spec_free(&s);
    spec_defaults(&s);
    CHECK(spec_parse(t, 40000, &s, err, sizeof err) != 0 && err[0]);
    spec_free(&s);
}

int main(void)
{
    RUN(spec_every_field);
    RUN(spec_ports_have_kinds);
    RUN(spec_defaults_hold);
    RUN(spec_mistakes_name_the_field);
    RUN(spec_names_are_words);
    RUN(spec_escapes);
    RUN(spec_nul_and_long);
    RUN(spec_long_args_and_env);
    RUN(spec_limits_name_field_and_limit);
    return TESTS_DONE();
}
