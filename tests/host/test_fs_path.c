/*
 * test_fs_path.c — the fs path parser: collapsing, "..", limits, bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "path.h"
#include "check_more.h"

static struct fs_path p;

/* Parses in (length n, or strlen) and expects out (with must_dir) or an error. */
static int parse(const char *in, size_t n)
{
    return fs_path_parse(in, n, &p);
}

#define NORM(in, out, dir) do { CHECK_RC(parse(in, strlen(in)), 0); CHECK_STR(p.name, out); \
    CHECK_EQ(p.len, strlen(out)); CHECK_EQ(p.must_dir, dir); } while (0)

static void fs_path_collapses_slashes_and_dots(void)
{
    NORM("", "", false);
    NORM("/", "", false);
    NORM("a", "a", false);
    NORM("/a/b", "a/b", false);
    NORM("//a///b//", "a/b", true);
    NORM("./a/./b/.", "a/b", true);
    NORM("a/.", "a", true);
    NORM(".", "", false);
    NORM("...", "...", false);
    NORM(".a/a./..a/a..", ".a/a./..a/a..", false);
}

/* ".." is a component the walk resolves (after symbolic links, which
 * text alone cannot know); parsing keeps it and marks the path a directory. */
static void fs_path_dotdot_is_kept_for_the_walk(void)
{
    NORM("..", "..", true);
    NORM("/../../..", "../../..", true);
    NORM("../etc/passwd", "../etc/passwd", false);
    NORM("a/../b", "a/../b", false);
    NORM("a/b/../c/", "a/b/../c", true);
    NORM("a/./../.", "a/..", true);
    CHECK_RC(parse("/a", 2), 0);
    CHECK(p.absolute);
    CHECK_RC(parse("a", 1), 0);
    CHECK(!p.absolute);
    CHECK_EQ(p.base, 0);
}

static void fs_path_name_too_long(void)
{
    char buf[5000];
    memset(buf, 'n', sizeof buf);
    CHECK_RC(parse(buf, 255), 0);
    CHECK_EQ(p.len, 255);
    CHECK_RC(parse(buf, 256), AE_ENAMETOOLONG);
    memcpy(buf + 256, "/..", 3);                 /* removed again, still too long */
    CHECK_RC(parse(buf, 259), AE_ENAMETOOLONG);
}

static void fs_path_path_too_long(void)
{
    char buf[5000];
    for (int i = 0; i < 5000; i += 2)
        memcpy(buf + i, "a/", 2);
    CHECK_RC(parse(buf, 4096), 0);
    CHECK_EQ(p.len, 4095);                       /* 2048 components, trailing '/' */
    CHECK_EQ(p.must_dir, true);
    CHECK_RC(parse(buf, 4097), AE_ENAMETOOLONG);
    memset(buf, '/', 4097);
    CHECK_RC(parse(buf, 4097), AE_ENAMETOOLONG); /* even when it would collapse to "" */
}

static void fs_path_nul_is_invalid(void)
{
    CHECK_RC(parse("a\0b", 3), AE_EINVAL);
    CHECK_RC(parse("\0", 1), AE_EINVAL);
    CHECK_RC(parse("a/..\0", 5), AE_EINVAL);
    CHECK_RC(parse("a/", 2), 0);                 /* the length decides, not a terminator */
}

static void fs_path_any_other_byte_allowed(void)
{
    const char in[] = "\xff\xfe/\x01\x7f/ \t\n/\xc3\x28";
    CHECK_RC(parse(in, sizeof in - 1), 0);
    CHECK_EQ(p.len, sizeof in - 1);
    CHECK(memcmp(p.name, in, sizeof in - 1) == 0);
}

static void fs_path_within_is_by_component(void)
{
    CHECK(fs_path_within("a/b", 3, "a", 1));
    CHECK(fs_path_within("a", 1, "a", 1));
    CHECK(!fs_path_within("ab", 2, "a", 1));
    CHECK(!fs_path_within("a", 1, "a/b", 3));
    CHECK(fs_path_within("x", 1, "", 0));
}

static void fs_path_next_steps_components(void)
{
    const char *s = "ab/c/def";
    size_t pos = 0, n;
    const char *c;
    CHECK(fs_path_next(s, 8, &pos, &c, &n) && n == 2 && c == s);
    CHECK(fs_path_next(s, 8, &pos, &c, &n) && n == 1 && c == s + 3);
    CHECK(fs_path_next(s, 8, &pos, &c, &n) && n == 3 && c == s + 5);
    CHECK(!fs_path_next(s, 8, &pos, &c, &n));
    pos = 0;
    CHECK(!fs_path_next("", 0, &pos, &c, &n));
}

int main(void)
{
    RUN(fs_path_collapses_slashes_and_dots);
    RUN(fs_path_dotdot_is_kept_for_the_walk);
    RUN(fs_path_name_too_long);
    RUN(fs_path_path_too_long);
    RUN(fs_path_nul_is_invalid);
    RUN(fs_path_any_other_byte_allowed);
    RUN(fs_path_within_is_by_component);
    RUN(fs_path_next_steps_components);
    return TESTS_DONE();
}
