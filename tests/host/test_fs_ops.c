/*
 * test_fs_ops.c — each fs operation and each of its errors, on a session
 * with no image. Every test ends by checking the session's invariants and
 * that destroying it returns every page and every byte of metadata.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_test.h"
#include "check_more.h"

static struct fs_session *S;

static void begin_limits(struct fs_limits lim, uint32_t flags)
{
    test_env_init(&T);
    CHECK_RC(fs_session_create(&T.env, NULL, &lim, flags, &S), 0);
}

static void begin(void)
{
    begin_limits(big_limits(), 0);
}

/* Invariants hold, and the session gives everything back. */
static void end(void)
{
    const char *why = "";
    CHECK_STR(fs_session_check(S, &why) ? why : "ok", "ok");
    fs_session_destroy(S);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
}

static uint64_t open_ok(const char *path, uint32_t flags)
{
    uint64_t h = 0;
    CHECK_RC(fs_open(S, P(path), flags, 0644, &h, NULL), 0);
    return h;
}

static int open_rc(const char *path, uint32_t flags)
{
    uint64_t h;
    int r = fs_open(S, P(path), flags, 0644, &h, NULL);
    if (r == 0)
        fs_close(S, h);
    return r;
}

static void fs_open_creat_write_read_back(void)
{
    begin();
    uint64_t h = open_ok("hello", FS_O_RDWR | FS_O_CREAT);
    CHECK_RC(fs_write(S, h, 0, "hello world", 11), 11);
    char buf[32] = { 0 };
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 11);
    CHECK_STR(buf, "hello world");
    CHECK_RC(fs_close(S, h), 0);
    memset(buf, 0, sizeof buf);
    CHECK_RC(get_file(S, "/hello", buf, sizeof buf), 11);
    CHECK_STR(buf, "hello world");
    end();
}

static void fs_open_missing_names(void)
{
    begin();
    CHECK_RC(open_rc("nothing", FS_O_RDONLY), AE_ENOENT);
    CHECK_RC(open_rc("no/dir/file", FS_O_RDWR | FS_O_CREAT), AE_ENOENT);
    CHECK_RC(put_file(S, "f", "x", 1), 1);
    CHECK_RC(open_rc("f/g", FS_O_RDONLY), AE_ENOTDIR);
    CHECK_RC(open_rc("f/g", FS_O_RDWR | FS_O_CREAT), AE_ENOTDIR);
    end();
}

static void fs_open_excl_on_existing_is_eexist(void)
{
    begin();
    CHECK_RC(open_rc("f", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL), 0);
    CHECK_RC(open_rc("f", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL), AE_EEXIST);
    CHECK_RC(open_rc("", FS_O_RDONLY | FS_O_CREAT | FS_O_EXCL), AE_EEXIST);
    CHECK_RC(open_rc("f", FS_O_RDWR | FS_O_CREAT), 0);   /* without EXCL: opens */
    end();
}

static void fs_open_trunc_empties_the_file(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "0123456789", 10), 10);
    uint64_t h = open_ok("f", FS_O_RDWR | FS_O_TRUNC);
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.size, 0);
    CHECK_RC(st.blocks, 0);
    fs_close(S, h);
    end();
}

static void fs_open_append_writes_at_the_end(void)
{
    begin();
    CHECK_RC(put_file(S, "log", "ab", 2), 2);
    uint64_t a = open_ok("log", FS_O_WRONLY | FS_O_APPEND);
    uint64_t b = open_ok("log", FS_O_WRONLY | FS_O_APPEND);
    CHECK_RC(fs_write(S, a, 0, "cd", 2), 2);          /* the offset is ignored */
    CHECK_RC(fs_write(S, b, FS_OFF_CURRENT, "ef", 2), 2);
    CHECK_RC(fs_write(S, a, FS_OFF_CURRENT, "gh", 2), 2);
    char buf[16] = { 0 };
    CHECK_RC(get_file(S, "log", buf, sizeof buf), 8);
    CHECK_STR(buf, "abcdefgh");
    fs_close(S, a);
    fs_close(S, b);
    end();
}

static void fs_open_type_mismatches(void)
{
    begin();
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    CHECK_RC(put_file(S, "f", "x", 1), 1);
    CHECK_RC(open_rc("d", FS_O_WRONLY), AE_EISDIR);
    CHECK_RC(open_rc("d", FS_O_RDWR), AE_EISDIR);
    CHECK_RC(open_rc("d", FS_O_RDONLY | FS_O_TRUNC), AE_EISDIR);
    CHECK_RC(open_rc("", FS_O_RDWR), AE_EISDIR);
    CHECK_RC(open_rc("d", FS_O_RDONLY), 0);
    CHECK_RC(open_rc("d/", FS_O_RDONLY | FS_O_DIRECTORY), 0);
    CHECK_RC(open_rc("f", FS_O_RDONLY | FS_O_DIRECTORY), AE_ENOTDIR);
    CHECK_RC(open_rc("f/", FS_O_RDONLY), AE_ENOTDIR);
    CHECK_RC(open_rc("new/", FS_O_RDWR | FS_O_CREAT), AE_EISDIR);
    end();
}

static void fs_open_bad_flags_and_mode(void)
{
    begin();
    uint64_t h;
    CHECK_RC(fs_open(S, P("f"), FS_O_ACCMODE | FS_O_CREAT, 0644, &h, NULL), AE_EINVAL);
    CHECK_RC(fs_open(S, P("f"), 0x8000 | FS_O_CREAT, 0644, &h, NULL), AE_EINVAL);
    CHECK_RC(fs_open(S, P("f"), FS_O_CREAT, 010000, &h, NULL), AE_EINVAL);
    CHECK_RC(fs_mkdir(S, P("d"), 0170000), AE_EINVAL);
    CHECK_RC(open_rc("f", FS_O_RDONLY), AE_ENOENT);   /* nothing was created */
    end();
}

static void fs_read_write_at_offsets(void)
{
    begin();
    uint64_t h = open_ok("f", FS_O_RDWR | FS_O_CREAT);
    CHECK_RC(fs_write(S, h, FS_OFF_CURRENT, "abc", 3), 3);
    CHECK_RC(fs_write(S, h, FS_OFF_CURRENT, "def", 3), 3);
    CHECK_RC(fs_write(S, h, 10000, "Z", 1), 1);        /* leaves a hole */
    char buf[10001];
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 10001);
    CHECK(memcmp(buf, "abcdef", 6) == 0);
    bool zeros = true;
    for (int i = 6; i < 10000; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros);
    CHECK_RC(buf[10000], 'Z');
    CHECK_RC(fs_read(S, h, 10001, buf, 10), 0);         /* at the end */
    CHECK_RC(fs_read(S, h, UINT64_MAX - 1, buf, 10), 0);
    CHECK_RC(fs_seek(S, h, 1, FS_SEEK_SET), 1);
    CHECK_RC(fs_read(S, h, FS_OFF_CURRENT, buf, 2), 2);
    CHECK(memcmp(buf, "bc", 2) == 0);
    CHECK_RC(fs_read(S, h, FS_OFF_CURRENT, buf, 1), 1);  /* the position moved */
    CHECK_RC(buf[0], 'd');
    CHECK_RC(fs_write(S, h, 4095, "XY", 2), 2);          /* across a page boundary */
    CHECK_RC(fs_read(S, h, 4095, buf, 2), 2);
    CHECK(memcmp(buf, "XY", 2) == 0);
    CHECK_RC(fs_write(S, h, 0, "", 0), 0);
    fs_close(S, h);
    end();
}

static void fs_access_mode_enforced(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "abc", 3), 3);
    uint64_t r = open_ok("f", FS_O_RDONLY), w = open_ok("f", FS_O_WRONLY);
    char buf[4];
    CHECK_RC(fs_write(S, r, 0, "x", 1), AE_EBADF);
    CHECK_RC(fs_ftruncate(S, r, 0), AE_EBADF);
    CHECK_RC(fs_read(S, w, 0, buf, 1), AE_EBADF);
    uint64_t d = open_ok("", FS_O_RDONLY);
    CHECK_RC(fs_read(S, d, 0, buf, 1), AE_EISDIR);
    CHECK_RC(fs_write(S, d, 0, buf, 1), AE_EBADF);
    fs_close(S, r);
    fs_close(S, w);
    fs_close(S, d);
    end();
}

static void fs_truncate_shrinks_and_grows_with_zeros(void)
{
    begin();
    char data[9000];
    memset(data, 'q', sizeof data);
    CHECK_RC(put_file(S, "f", data, sizeof data), 9000);
    CHECK_RC(fs_truncate(S, P("f"), 5000), 0);
    CHECK_RC(fs_truncate(S, P("f"), 20000), 0);
    char buf[20000];
    CHECK_RC(get_file(S, "f", buf, sizeof buf), 20000);
    bool ok = true;
    for (int i = 0; i < 20000; i++)
        ok &= buf[i] == (i < 5000 ? 'q' : 0);
    CHECK(ok);
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.size, 20000);
    CHECK_RC(st.blocks, 3 * 8);                   /* index page + 2 data pages */
    CHECK_RC(fs_truncate(S, P("f"), 0), 0);
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.blocks, 0);
    uint64_t h = open_ok("f", FS_O_RDWR);
    CHECK_RC(fs_ftruncate(S, h, 100), 0);
    CHECK_RC(fs_ftruncate(S, h, FS_FILE_MAX + 1), AE_EFBIG);
    fs_close(S, h);
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    CHECK_RC(fs_truncate(S, P("d"), 0), AE_EISDIR);
    CHECK_RC(fs_truncate(S, P("none"), 0), AE_ENOENT);
    CHECK_RC(fs_truncate(S, P("f/"), 0), AE_ENOTDIR);
    CHECK_RC(fs_truncate(S, P("f"), FS_FILE_MAX + 1), AE_EFBIG);
    end();
}

static void fs_seek_positions_and_errors(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "0123456789", 10), 10);
    uint64_t h = open_ok("f", FS_O_RDONLY);
    CHECK_RC(fs_seek(S, h, 4, FS_SEEK_SET), 4);
    CHECK_RC(fs_seek(S, h, 2, FS_SEEK_CUR), 6);
    CHECK_RC(fs_seek(S, h, -3, FS_SEEK_CUR), 3);
    CHECK_RC(fs_seek(S, h, -1, FS_SEEK_END), 9);
    CHECK_RC(fs_seek(S, h, 100, FS_SEEK_END), 110);
    CHECK_RC(fs_seek(S, h, -11, FS_SEEK_END), AE_EINVAL);
    CHECK_RC(fs_seek(S, h, INT64_MIN, FS_SEEK_CUR), AE_EINVAL);
    CHECK_RC(fs_seek(S, h, INT64_MAX, FS_SEEK_SET), AE_EINVAL);
    CHECK_RC(fs_seek(S, h, 0, 3), AE_EINVAL);
    CHECK_RC(fs_seek(S, h, 0, FS_SEEK_CUR), 110);        /* unchanged by the failures */
    fs_close(S, h);
    end();
}

static void fs_stat_reports_each_field(void)
{
    begin();
    uint64_t h;
    struct fs_stat st, st2;
    CHECK_RC(fs_open(S, P("f"), FS_O_RDWR | FS_O_CREAT, 0640, &h, &st), 0);
    CHECK_RC(st.type, FS_TYPE_FILE);
    CHECK_RC(st.mode, 0640);
    CHECK_RC(st.size, 0);
    CHECK_RC(st.nlink, 1);
    CHECK_RC(st.dev, 0);
    CHECK_RC(fs_write(S, h, 0, "12345", 5), 5);
    CHECK_RC(fs_fstat(S, h, &st2), 0);
    CHECK_RC(st2.ino, st.ino);
    CHECK_RC(st2.size, 5);
    CHECK_RC(st2.blocks, 8);                      /* its one page, no index page */
    CHECK_RC(fs_mkdir(S, P("d"), 0700), 0);
    CHECK_RC(fs_stat(S, P("d/"), &st), 0);
    CHECK_RC(st.type, FS_TYPE_DIR);
    CHECK_RC(st.mode, 0700);
    CHECK_RC(fs_stat(S, P("f/"), &st), AE_ENOTDIR);
    CHECK_RC(fs_stat(S, P("none"), &st), AE_ENOENT);
    CHECK_RC(fs_stat(S, P(""), &st), 0);
    CHECK_RC(st.size, 2);                          /* the root lists f and d */
    fs_close(S, h);
    end();
}

static void fs_unlink_and_its_errors(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "x", 1), 1);
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    CHECK_RC(fs_unlink(S, P("d")), AE_EISDIR);
    CHECK_RC(fs_unlink(S, P("")), AE_EISDIR);
    CHECK_RC(fs_unlink(S, P("f/")), AE_ENOTDIR);
    CHECK_RC(fs_unlink(S, P("none")), AE_ENOENT);
    CHECK_RC(fs_unlink(S, P("f/x")), AE_ENOTDIR);
    CHECK_RC(fs_unlink(S, P("f")), 0);
    CHECK_RC(fs_unlink(S, P("f")), AE_ENOENT);
    CHECK_RC(open_rc("f", FS_O_RDONLY), AE_ENOENT);
    end();
}

static void fs_unlinked_open_file_lives_until_closed(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "still here", 10), 10);
    uint64_t h = open_ok("f", FS_O_RDWR);
    CHECK_RC(fs_unlink(S, P("f")), 0);
    CHECK_RC(fs_write(S, h, 10, "!", 1), 1);
    char buf[16] = { 0 };
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 11);
    CHECK_STR(buf, "still here!");
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.nlink, 0);
    const char *why = "";
    CHECK_STR(fs_session_check(S, &why) ? why : "ok", "ok");
    long pages = T.pages_live;
    CHECK(pages > 0);
    CHECK_RC(fs_close(S, h), 0);
    CHECK_RC(T.pages_live, 0);                    /* freed on the last close */
    end();
}

static void fs_mkdir_and_its_errors(void)
{
    begin();
    CHECK_RC(fs_mkdir(S, P("a"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("a/b/"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("a"), 0755), AE_EEXIST);
    CHECK_RC(fs_mkdir(S, P(""), 0755), AE_EEXIST);
    CHECK_RC(fs_mkdir(S, P("x/y"), 0755), AE_ENOENT);
    CHECK_RC(put_file(S, "f", "", 0), 0);
    CHECK_RC(fs_mkdir(S, P("f"), 0755), AE_EEXIST);
    CHECK_RC(fs_mkdir(S, P("f/y"), 0755), AE_ENOTDIR);
    CHECK_RC(fs_mkdir(S, P("a/b/../c"), 0755), 0);
    char names[256];
    CHECK_RC(list_dir(S, "a", names, sizeof names), 2);
    CHECK_STR(names, "b c");
    end();
}

static void fs_rmdir_and_its_errors(void)
{
    begin();
    CHECK_RC(fs_mkdir(S, P("a"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("a/b"), 0755), 0);
    CHECK_RC(put_file(S, "f", "", 0), 0);
    CHECK_RC(fs_rmdir(S, P("a")), AE_ENOTEMPTY);
    CHECK_RC(fs_rmdir(S, P("f")), AE_ENOTDIR);
    CHECK_RC(fs_rmdir(S, P("")), AE_EBUSY);
    CHECK_RC(fs_rmdir(S, P("/..")), AE_EBUSY);
    CHECK_RC(fs_rmdir(S, P("none")), AE_ENOENT);
    CHECK_RC(fs_rmdir(S, P("a/b")), 0);
    CHECK_RC(fs_rmdir(S, P("a/")), 0);
    CHECK_RC(fs_stat(S, P("a"), &(struct fs_stat){ 0 }), AE_ENOENT);
    end();
}

static void fs_rename_moves_and_replaces(void)
{
    begin();
    CHECK_RC(put_file(S, "a", "AAA", 3), 3);
    CHECK_RC(put_file(S, "b", "B", 1), 1);
    CHECK_RC(fs_rename(S, P("a"), P("c"), 0), 0);
    CHECK_RC(open_rc("a", FS_O_RDONLY), AE_ENOENT);
    CHECK_RC(fs_rename(S, P("c"), P("b"), 0), 0);    /* replaces b */
    char buf[8] = { 0 };
    CHECK_RC(get_file(S, "b", buf, sizeof buf), 3);
    CHECK_STR(buf, "AAA");
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("e"), 0755), 0);
    CHECK_RC(fs_rename(S, P("b"), P("d/b"), 0), 0);
    CHECK_RC(fs_rename(S, P("d"), P("e"), 0), 0);    /* a directory over an empty one */
    CHECK_RC(get_file(S, "e/b", buf, sizeof buf), 3);
    CHECK_RC(fs_rename(S, P("e"), P("e"), 0), 0);    /* itself: nothing happens */
    CHECK_RC(fs_rename(S, P("e/b"), P("e/./b"), 0), 0);
    char names[64];
    CHECK_RC(list_dir(S, "", names, sizeof names), 1);
    CHECK_STR(names, "e");
    end();
}

static void fs_rename_errors(void)
{
    begin();
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("d/sub"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("full"), 0755), 0);
    CHECK_RC(put_file(S, "full/x", "", 0), 0);
    CHECK_RC(put_file(S, "f", "", 0), 0);
    CHECK_RC(fs_rename(S, P("none"), P("x"), 0), AE_ENOENT);
    CHECK_RC(fs_rename(S, P("f"), P("nodir/x"), 0), AE_ENOENT);
    CHECK_RC(fs_rename(S, P("f"), P("f/x"), 0), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("d"), P("full"), 0), AE_ENOTEMPTY);
    CHECK_RC(fs_rename(S, P("d"), P("f"), 0), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("f"), P("d"), 0), AE_EISDIR);
    CHECK_RC(fs_rename(S, P("d"), P("d/sub/x"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("d"), P("d/x"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P(""), P("x"), 0), AE_EBUSY);
    CHECK_RC(fs_rename(S, P("d"), P(".."), 0), AE_EBUSY);
    CHECK_RC(fs_rename(S, P("f/"), P("g"), 0), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("f"), P("g/"), 0), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("d/sub"), P("d"), 0), AE_ENOTEMPTY);  /* over its own parent */
    CHECK_RC(fs_mkdir(S, P("e"), 0755), 0);
    CHECK_RC(fs_rename(S, P("e"), P("d"), 0), AE_ENOTEMPTY);      /* names of equal length */
    CHECK_RC(fs_rmdir(S, P("e")), 0);
    char names[64];
    CHECK_RC(list_dir(S, "", names, sizeof names), 3);
    CHECK_STR(names, "d f full");
    end();
}

static void fs_rename_over_open_file_keeps_it_readable(void)
{
    begin();
    CHECK_RC(put_file(S, "old", "old", 3), 3);
    CHECK_RC(put_file(S, "new", "new", 3), 3);
    uint64_t h = open_ok("old", FS_O_RDONLY);
    CHECK_RC(fs_rename(S, P("new"), P("old"), 0), 0);
    char buf[4] = { 0 };
    CHECK_RC(fs_read(S, h, 0, buf, 3), 3);
    CHECK_STR(buf, "old");
    CHECK_RC(get_file(S, "old", buf, 3), 3);
    CHECK_STR(buf, "new");
    fs_close(S, h);
    end();
}

/* Takes at most max entries per readdir call, remembering the last cookie. */
struct batch {
    char names[16][32];
    int n, max;
    uint64_t last;
};

static int take(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                uint64_t cookie, const struct fs_stat *st)
{
    (void)st;
    struct batch *b = ctx;
    if (b->n == b->max)
        return 1;                                 /* refused: not consumed */
    snprintf(b->names[b->n++], sizeof b->names[0], "%.*s", (int)len, name);
    b->last = cookie;
    return 0;
}

static void mutate(const char *op, const char *name)
{
    CHECK_RC(op[0] == 'u' ? fs_unlink(S, P(name)) : put_file(S, name, "", 0), 0);
}

static void fs_readdir_is_stable_while_entries_change(void)
{
    begin();
    char name[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "n%d", i);
        CHECK_RC(put_file(S, name, "", 0), 0);
    }
    uint64_t d = open_ok("", FS_O_RDONLY);
    int seen_n[40] = { 0 }, seen_m[10] = { 0 }, rounds = 0;
    uint64_t cookie = 0;
    bool eof = false;
    while (!eof && rounds < 100) {
        struct batch b = { .max = 5 };
        CHECK_RC(fs_readdir(S, d, cookie, take, &b, &eof), 0);
        for (int i = 0; i < b.n; i++)
            (b.names[i][0] == 'n' ? seen_n : seen_m)[atoi(b.names[i] + 1)]++;
        if (b.n)
            cookie = b.last;
        if (rounds == 0) {                        /* seen so far: n0..n4 */
            const char *gone[] = { "n30", "n31", "n32", "n33", "n34", "n1", "n2" };
            for (int i = 0; i < 7; i++)
                mutate("u", gone[i]);
            for (int i = 0; i < 5; i++)
                snprintf(name, sizeof name, "m%d", i), mutate("c", name);
        }
        if (rounds == 3) {                        /* seen so far: up to n19 */
            mutate("u", "n20");
            for (int i = 5; i < 10; i++)
                snprintf(name, sizeof name, "m%d", i), mutate("c", name);
        }
        rounds++;
    }
    CHECK(eof);
    for (int i = 0; i < 40; i++) {
        int want = (i >= 30 && i <= 34) || i == 20 ? 0 : 1;   /* removed before reached */
        if (seen_n[i] != want)
            CHECK_RC(seen_n[i] * 1000 + i, want * 1000 + i);
    }
    for (int i = 0; i < 10; i++)
        CHECK_RC(seen_m[i] * 1000 + i, 1000 + i);  /* added at the end: seen once */
    fs_close(S, d);
    end();
}

static void fs_readdir_on_a_file_is_enotdir(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "", 0), 0);
    uint64_t h = open_ok("f", FS_O_RDONLY);
    struct batch b = { .max = 5 };
    bool eof;
    CHECK_RC(fs_readdir(S, h, 0, take, &b, &eof), AE_ENOTDIR);
    fs_close(S, h);
    end();
}

static void fs_stale_and_forged_handles_are_ebadf(void)
{
    begin();
    CHECK_RC(put_file(S, "a", "a", 1), 1);
    CHECK_RC(put_file(S, "b", "b", 1), 1);
    uint64_t h = open_ok("a", FS_O_RDONLY);
    CHECK_RC(fs_close(S, h), 0);
    CHECK_RC(fs_close(S, h), AE_EBADF);
    uint64_t h2 = open_ok("b", FS_O_RDONLY);        /* reuses the slot */
    CHECK_RC((uint32_t)h2, (uint32_t)h);
    CHECK(h2 != h);
    char c;
    CHECK_RC(fs_read(S, h, 0, &c, 1), AE_EBADF);    /* never b's contents */
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), AE_EBADF);
    CHECK_RC(fs_read(S, h2, 0, &c, 1), 1);
    CHECK_RC(c, 'b');
    uint64_t forged[] = { 0, 1, h2 + 1, h2 ^ (1ull << 32), h2 + (1ull << 32), UINT64_MAX,
                          (uint64_t)1 << 32 | 5000, (uint64_t)1 << 32 | 16 };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        CHECK_RC(fs_read(S, forged[i], 0, &c, 1), AE_EBADF);
        CHECK_RC(fs_write(S, forged[i], 0, &c, 1), AE_EBADF);
        CHECK_RC(fs_seek(S, forged[i], 0, FS_SEEK_SET), AE_EBADF);
        CHECK_RC(fs_ftruncate(S, forged[i], 0), AE_EBADF);
    }
    fs_close(S, h2);
    end();
}

static void fs_handle_table_full_is_emfile(void)
{
    struct fs_limits lim = big_limits();
    lim.handles = 20;
    begin_limits(lim, 0);
    CHECK_RC(put_file(S, "f", "", 0), 0);
    uint64_t h[21];
    for (int i = 0; i < 20; i++)
        h[i] = open_ok("f", FS_O_RDONLY);
    CHECK_RC(open_rc("f", FS_O_RDONLY), AE_EMFILE);
    CHECK_RC(open_rc("g", FS_O_RDWR | FS_O_CREAT), AE_EMFILE);
    CHECK_RC(fs_stat(S, P("g"), &(struct fs_stat){ 0 }), AE_ENOENT);   /* not created */
    fs_close(S, h[7]);
    h[7] = open_ok("f", FS_O_RDONLY);
    struct fs_usage u;
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.handles_used, 20);
    CHECK_RC(u.handles_max, 20);
    for (int i = 0; i < 20; i++)
        fs_close(S, h[i]);
    end();
}

static void fs_names_may_hold_any_byte_but_nul(void)
{
    begin();
    const char weird[] = "\xff\xfe\x01 \t\n\\\"\xc3\x28";
    CHECK_RC(put_file(S, weird, "w", 1), 1);
    char longname[256];
    memset(longname, 'L', 255);
    longname[255] = 0;
    CHECK_RC(put_file(S, longname, "l", 1), 1);
    char names[600];
    CHECK_RC(list_dir(S, "", names, sizeof names), 2);
    CHECK(strstr(names, weird) != NULL);
    CHECK(strstr(names, longname) != NULL);
    end();
}

static void fs_readonly_session_is_erofs(void)
{
    test_env_init(&T);
    struct fs_image *img = make_image("etc/conf", "c", "d/", "", NULL);
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_session_create(&T.env, img, &lim, FS_SESSION_RDONLY, &S), 0);
    fs_image_put(img);
    char buf[4];
    CHECK_RC(get_file(S, "etc/conf", buf, 4), 1);
    CHECK_RC(open_rc("etc/conf", FS_O_RDWR), AE_EROFS);
    CHECK_RC(open_rc("etc/conf", FS_O_RDONLY | FS_O_TRUNC), AE_EROFS);
    CHECK_RC(open_rc("etc/new", FS_O_RDWR | FS_O_CREAT), AE_EROFS);
    CHECK_RC(fs_mkdir(S, P("x"), 0755), AE_EROFS);
    CHECK_RC(fs_mkdir(S, P("d"), 0755), AE_EEXIST);
    CHECK_RC(fs_unlink(S, P("etc/conf")), AE_EROFS);
    CHECK_RC(fs_rmdir(S, P("d")), AE_EROFS);
    CHECK_RC(fs_rename(S, P("etc/conf"), P("x"), 0), AE_EROFS);
    CHECK_RC(fs_truncate(S, P("etc/conf"), 0), AE_EROFS);
    CHECK_RC(T.pages_live, 0);
    end();
}

static void fs_deep_tree_is_torn_down(void)
{
    begin();
    struct fs_path *p = calloc(1, sizeof *p);
    char path[4096];
    size_t n = 0;
    for (int depth = 0; depth < 2000; depth++) {  /* "d/d/d/...": 2000 levels */
        if (n)
            path[n++] = '/';
        path[n++] = 'd';
        CHECK_RC(fs_path_parse(path, n, p), 0);
        CHECK_RC(fs_mkdir(S, p, 0755), 0);
    }
    struct fs_usage u;
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.inodes_used, 2000);
    memcpy(path + n, "/f", 2);
    CHECK_RC(fs_path_parse(path, n + 2, p), 0);
    uint64_t h;
    CHECK_RC(fs_open(S, p, FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "deep", 4), 4);
    fs_close(S, h);
    free(p);
    end();                                        /* frees 2000 levels without recursion */
}

static void fs_calls_after_destroy_are_edead(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "x", 1), 1);
    uint64_t h = open_ok("f", FS_O_RDONLY);
    fs_session_get(S);                            /* a caller still in flight */
    fs_session_destroy(S);
    char c;
    CHECK_RC(fs_read(S, h, 0, &c, 1), AE_EDEAD);
    CHECK_RC(fs_open(S, P("f"), FS_O_RDONLY, 0, &h, NULL), AE_EDEAD);
    CHECK_RC(fs_stat(S, P("f"), &(struct fs_stat){ 0 }), AE_EDEAD);
    CHECK_RC(fs_statfs(S, &(struct fs_usage){ 0 }), AE_EDEAD);
    CHECK_RC(T.pages_live, 0);                    /* freed at destroy, not at the last put */
    fs_session_destroy(S);                        /* twice: harmless */
    fs_session_put(S);
    CHECK_RC(T.mem_live, 0);
}

/* A file of one page keeps it as its tree's root, with no index page
 * (data.c); writing past it puts an index page above it, with the first
 * page's bytes kept; trimming and unlinking give back every page. */
static void one_page_file_grows_and_shrinks(void)
{
    begin();
    uint64_t h = open_ok("f", FS_O_RDWR | FS_O_CREAT);
    long before = T.pages_live;
    CHECK_RC(fs_write(S, h, 0, "first", 5), 5);
    CHECK_RC(T.pages_live, before + 1);           /* the data page alone */
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.blocks, 8);
    CHECK_RC(fs_write(S, h, 4093, "across", 6), 6);   /* pages 0 and 1 */
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.blocks, 3 * 8);                   /* index page + 2 data pages */
    CHECK_RC(T.pages_live, before + 3);
    char buf[4096 + 96];
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 4099);
    CHECK(!memcmp(buf, "first", 5) && !memcmp(buf + 4093, "across", 6));
    bool zeros = true;
    for (int i = 5; i < 4093; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros);
    CHECK_RC(fs_ftruncate(S, h, 100), 0);         /* page 1 goes; the index page stays */
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.blocks, 2 * 8);
    CHECK_RC(T.pages_live, before + 2);
    CHECK_RC(fs_ftruncate(S, h, 0), 0);
    CHECK_RC(T.pages_live, before);
    CHECK_RC(fs_write(S, h, 2 * 4096, "x", 1), 1);  /* page 2 first: an index page at once */
    CHECK_RC(T.pages_live, before + 2);
    CHECK_RC(fs_ftruncate(S, h, 0), 0);
    CHECK_RC(fs_write(S, h, 7, "y", 1), 1);       /* page 0 alone again */
    CHECK_RC(T.pages_live, before + 1);
    const char *why = "";
    CHECK_STR(fs_session_check(S, &why) ? why : "ok", "ok");
    fs_close(S, h);
    CHECK_RC(fs_unlink(S, P("f")), 0);
    CHECK_RC(T.pages_live, before);
    end();
}

int main(void)
{
    RUN(fs_open_creat_write_read_back);
    RUN(fs_open_missing_names);
    RUN(fs_open_excl_on_existing_is_eexist);
    RUN(fs_open_trunc_empties_the_file);
    RUN(fs_open_append_writes_at_the_end);
    RUN(fs_open_type_mismatches);
    RUN(fs_open_bad_flags_and_mode);
    RUN(fs_read_write_at_offsets);
    RUN(fs_access_mode_enforced);
    RUN(fs_truncate_shrinks_and_grows_with_zeros);
    RUN(fs_seek_positions_and_errors);
    RUN(fs_stat_reports_each_field);
    RUN(one_page_file_grows_and_shrinks);
    RUN(fs_unlink_and_its_errors);
    RUN(fs_unlinked_open_file_lives_until_closed);
    RUN(fs_mkdir_and_its_errors);
    RUN(fs_rmdir_and_its_errors);
    RUN(fs_rename_moves_and_replaces);
    RUN(fs_rename_errors);
    RUN(fs_rename_over_open_file_keeps_it_readable);
    RUN(fs_readdir_is_stable_while_entries_change);
    RUN(fs_readdir_on_a_file_is_enotdir);
    RUN(fs_stale_and_forged_handles_are_ebadf);
    RUN(fs_handle_table_full_is_emfile);
    RUN(fs_names_may_hold_any_byte_but_nul);
    RUN(fs_readonly_session_is_erofs);
    RUN(fs_deep_tree_is_torn_down);
    RUN(fs_calls_after_destroy_are_edead);
    test_archives_free();
    return TESTS_DONE();
}
