/*
 * test_bootconf.c — the boot configuration parser: every key, defaults,
 * and each kind of mistake reported with its line while good lines stay.
 */
#include <stdio.h>
#include <string.h>
#include "bootconf.h"
#include "ktest_host.h"

static struct bootconf bc;
static char err[2048];

static int parse(const char *text)
{
    return bootconf_parse(text, strlen(text), &bc, err, sizeof err);
}

static void bootconf_full_line(void)
{
    CHECK_EQ(parse("# comment\n\n service  fs bin/fs mem=16M threads=8 objects=1000 prio=12 cpu=1 "
                   "restart=yes grant=console,kdebug,ioport:0x3f8-0x3ff serve=fs args=\"-v --x 3\"  # tail\n"), 0);
    CHECK_EQ(bc.nservices, 1);
    struct bc_service *s = &bc.services[0];
    CHECK(!strcmp(s->name, "fs") && !strcmp(s->program, "bin/fs"));
    CHECK_EQ(s->mem, 16 << 20);
    CHECK_EQ(s->threads, 8);
    CHECK_EQ(s->objects, 1000);
    CHECK_EQ(s->prio, 12);
    CHECK_EQ(s->cpu, 1);
    CHECK(s->restart);
    CHECK_EQ(s->ngrants, 3);
    CHECK(!strcmp(s->grants[2], "ioport:0x3f8-0x3ff"));
    CHECK(!strcmp(s->serve, "fs"));
    CHECK_EQ(s->nargs, 3);
    CHECK(!strcmp(s->args[1], "--x"));
}

/* "NAME?" is an optional grant: kept with its mark for root to see. */
static void bootconf_optional_grant(void)
{
    CHECK_EQ(parse("service ctl bin/ctl grant=cm.admin,pci:1af4:1043?\n"), 0);
    CHECK_EQ(bc.services[0].ngrants, 2);
    CHECK(!strcmp(bc.services[0].grants[1], "pci:1af4:1043?"));
}

static void bootconf_defaults_and_percent(void)
{
    CHECK_EQ(parse("service a bin/a\nservice cm bin/cm mem=90%\n"), 0);
    CHECK_EQ(bc.services[0].mem, 1 << 20);
    CHECK_EQ(bc.services[0].cpu, -1);
    CHECK(!bc.services[0].restart);
    CHECK(bc.services[1].mem_percent);
    CHECK_EQ(bc.services[1].mem, 90);
}

static void expect_error(const char *text, const char *needle, unsigned good)
{
    int bad = parse(text);
    if (bad == 0 || !strstr(err, needle) || bc.nservices != good) {
        printf("  for %s got %d errors '%s', %u services\n", text, bad, err, bc.nservices);
        CHECK(bad > 0 && strstr(err, needle) && bc.nservices == good);
    }
}

static void bootconf_mistakes_named(void)
{
    expect_error("service a bin/a\nservce b bin/b\n", "line 2: expected 'service': 'servce'", 1);
    expect_error("service a\n", "line 1: expected: service NAME PROGRAM", 0);
    expect_error("service a bin/a colour=blue\n", "unknown key: 'colour'", 0);
    expect_error("service a bin/a mem=lots\n", "mem= must be a size", 0);
    expect_error("service a bin/a mem=12\n", "at least 64K", 0);
    expect_error("service a bin/a mem=0%\n", "percent must be 1..100", 0);
    expect_error("service a bin/a threads=0\n", "threads= must be", 0);
    expect_error("service a bin/a prio=99\n", "prio= must be 1..31", 0);
    expect_error("service a bin/a restart=maybe\n", "restart= must be yes or no", 0);
    expect_error("service a bin/a grant=x,,y\n", "an empty name in grant=", 0);
    expect_error("service a \"\"\n", "the program path is empty", 0);
    expect_error("service a bin/a grant=we$ird\n", "a bad capability name", 0);
    expect_error("service a bin/a grant=x??\n", "a bad capability name", 0);
    expect_error("service a bin/a grant=?\n", "a bad capability name", 0);
    expect_error("service a bin/a args=\"open\n", "unterminated quote", 0);
    expect_error("service a/b bin/a\n", "a bad service name", 0);
    expect_error("service a bin/a\nservice a bin/b\n", "a second service with this name", 1);
    expect_error("service a bin/a mem\n", "expected key=value", 0);
    expect_error("service a bin/a\nservice b bin/b mem=1\nservice c bin/c\n", "line 2", 2);
}

static void bootconf_binary_garbage(void)
{
    const char bad[] = "service a bin/a\n\0\0\xff\nservice b bin/b\n";
    int n = bootconf_parse(bad, sizeof bad - 1, &bc, err, sizeof err);
    CHECK_EQ(n, 1);
    CHECK_EQ(bc.nservices, 2);
    char longline[2000];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = 0;
    CHECK_EQ(parse(longline), 1);
    CHECK(strstr(err, "longer than 511") != NULL);
}

static void bootconf_sizes(void)
{
    uint64_t v;
    CHECK(bootconf_size("4096", 4, &v) && v == 4096);
    CHECK(bootconf_size("64K", 3, &v) && v == 65536);
    CHECK(bootconf_size("2g", 2, &v) && v == 2ull << 30);
    CHECK(!bootconf_size("", 0, &v));
    CHECK(!bootconf_size("K", 1, &v));
    CHECK(!bootconf_size("12Q", 3, &v));
    CHECK(!bootconf_size("99999999999999999999", 20, &v));
    CHECK(!bootconf_size("18446744073709551615G", 21, &v));
}

int main(void)
{
    RUN(bootconf_full_line);
    RUN(bootconf_optional_grant);
    RUN(bootconf_defaults_and_percent);
    RUN(bootconf_mistakes_named);
    RUN(bootconf_binary_garbage);
    RUN(bootconf_sizes);
    return TESTS_DONE();
}
