/*
 * test_imgconfig.c — the config of an imported image as cm reads it
 * (services/cm/imgconfig.c): every key, repeats in order, the program,
 * and each mistake refused naming its line.
 */
#include <string.h>
#include "imgconfig.h"
#include "ktest_host.h"

static struct imgcfg cfg;
static char err[200];

static int parse(const char *text)
{
    err[0] = 0;
    return imgcfg_parse(text, strlen(text), &cfg, err, sizeof err);
}

static void imgcfg_every_key(void)
{
    CHECK_EQ(parse("entrypoint=/bin/sh\nentrypoint=-c\ncmd=echo hi\nenv=A=1\nenv=B=x=y\nworkdir=/srv\n"
                   "imported=1700000000\n"), 0);
    CHECK_EQ(cfg.nentry, 2);
    CHECK(!strcmp(cfg.entry[1], "-c"));
    CHECK_EQ(cfg.ncmd, 1);
    CHECK(!strcmp(cfg.cmd[0], "echo hi"));          /* a word may hold spaces */
    CHECK_EQ(cfg.nenv, 2);
    CHECK(!strcmp(cfg.env[1], "B=x=y"));
    CHECK(!strcmp(cfg.workdir, "/srv"));
    CHECK_EQ(cfg.imported, 1700000000);
    CHECK(!strcmp(imgcfg_program(&cfg), "/bin/sh"));
}

static void imgcfg_cmd_names_the_program_without_entrypoint(void)
{
    CHECK_EQ(parse("cmd=/bin/app\ncmd=arg\n\n"), 0);
    CHECK(!strcmp(imgcfg_program(&cfg), "/bin/app"));
    CHECK_EQ(parse("entrypoint=/e"), 0);             /* no newline at the end */
    CHECK(!strcmp(imgcfg_program(&cfg), "/e"));
}

static void imgcfg_mistakes_named(void)
{
    static const struct { const char *text, *why; } bad[] = {
        { "env=A=1\n", "names no program" },
        { "cmd=/x\nfoo=bar\n", "config line 2: unknown key" },
        { "cmd=/x\nnoequals\n", "config line 2: not key=value" },
        { "cmd=/x\nenv=NOVALUE\n", "env is not NAME=VALUE" },
        { "cmd=/x\nenv==v\n", "env is not NAME=VALUE" },
        { "cmd=/x\nworkdir=rel\n", "workdir is not an absolute path" },
        { "cmd=/x\nimported=soon\n", "imported is not a number" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(parse(bad[i].text), (unsigned long long)-1);
        CHECK(strstr(err, bad[i].why) != NULL);
    }
    char text[4000] = "";
    for (int i = 0; i < 17; i++)
        strcat(text, "cmd=/x\n");
    CHECK_EQ(parse(text), (unsigned long long)-1);
    CHECK(strstr(err, "more than 16 cmd words") != NULL);
    char longword[300] = "cmd=/";
    memset(longword + 5, 'a', 200);
    CHECK_EQ(parse(longword), (unsigned long long)-1);
    CHECK(strstr(err, "longer than 127 bytes") != NULL);
    CHECK_EQ(imgcfg_parse("cmd=/a\0b\n", 9, &cfg, err, sizeof err), (unsigned long long)-1);
}

int main(void)
{
    RUN(imgcfg_every_key);
    RUN(imgcfg_cmd_names_the_program_without_entrypoint);
    RUN(imgcfg_mistakes_named);
    return TESTS_DONE();
}
