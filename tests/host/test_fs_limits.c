/*
 * test_fs_limits.c — per-session limits (data bytes, inodes) enforced with
 * AE_ENOSPC without damage; sparse files up to and past 1 GiB; and the
 * core's behaviour when the allocator runs dry at every possible point.
 *
 * What a write does when space runs out (the rule these tests pin down):
 * it writes the pages that fit, in order, and returns that many bytes; if
 * not even the first page fits it returns AE_ENOSPC and the file is
 * unchanged. Bytes already in the file are never lost.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_test.h"
#include "check_more.h"

#define PG 4096

static struct fs_session *S;
static struct fs_image *IMG;

static void begin(uint64_t pages, uint32_t inodes, bool with_image)
{
    test_env_init(&T);
    IMG = with_image ? make_image("etc/conf", "conf=1", "etc/big", "0123456789", NULL) : NULL;
    struct fs_limits lim = { .data_bytes = pages * PG, .inodes = inodes, .handles = 64 };
    CHECK_RC(fs_session_create(&T.env, IMG, &lim, 0, &S), 0);
}

static void check_ok(void)
{
    const char *why = "";
    CHECK_STR(fs_session_check(S, &why) ? why : "ok", "ok");
}

static void end(void)
{
    check_ok();
    fs_session_destroy(S);
    fs_image_put(IMG);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

static uint64_t used_bytes(void)
{
    struct fs_usage u;
    CHECK_RC(fs_statfs(S, &u), 0);
    return u.bytes_used;
}

static char pattern[16 * PG];

static bool file_is(const char *path, const char *data, uint64_t len)
{
    static char buf[32 * PG];
    int64_t n = get_file(S, path, buf, sizeof buf);
    return n == (int64_t)len && memcmp(buf, data, len) == 0;
}

static void limits_write_stops_at_the_page_that_does_not_fit(void)
{
    begin(10, 100, false);
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (char)(i * 13 + 1);
    CHECK_RC(put_file(S, "a", pattern, 5 * PG), 5 * PG);     /* 5 data + 1 index page */
    CHECK_RC(used_bytes(), 6 * PG);
    CHECK_RC(put_file(S, "b", pattern, 8 * PG), 3 * PG);     /* 1 index + 3 data fit */
    CHECK_RC(used_bytes(), 10 * PG);
    uint64_t h;
    CHECK_RC(fs_open(S, P("b"), FS_O_WRONLY | FS_O_APPEND, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, pattern, 10), AE_ENOSPC);      /* a new page: nothing fits */
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.size, 3 * PG);                               /* unchanged by the failure */
    fs_close(S, h);
    CHECK(file_is("a", pattern, 5 * PG));                    /* the other file intact */
    CHECK(file_is("b", pattern, 3 * PG));
    check_ok();
    CHECK_RC(fs_unlink(S, P("b")), 0);
    CHECK_RC(used_bytes(), 6 * PG);                          /* and the space is back */
    CHECK_RC(put_file(S, "c", pattern, 3 * PG), 3 * PG);
    end();
}

static void limits_full_session_still_overwrites_in_place(void)
{
    begin(3, 100, false);
    CHECK_RC(put_file(S, "a", pattern, 2 * PG), 2 * PG);
    uint64_t h;
    CHECK_RC(fs_open(S, P("a"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 100, "overwrite", 9), 9);         /* pages it already has */
    CHECK_RC(fs_write(S, h, 2 * PG, "x", 1), AE_ENOSPC);
    CHECK_RC(fs_write(S, h, 5 * PG, "x", 1), AE_ENOSPC);      /* a hole needs a page too */
    CHECK_RC(fs_ftruncate(S, h, 1ull << 30), 0);              /* growing is free: sparse */
    CHECK_RC(fs_ftruncate(S, h, 2 * PG), 0);
    fs_close(S, h);
    char expect[2 * PG];
    memcpy(expect, pattern, sizeof expect);
    memcpy(expect + 100, "overwrite", 9);
    CHECK(file_is("a", expect, sizeof expect));
    end();
}

static void limits_inode_count_enforced(void)
{
    begin(100, 3, true);
    CHECK_RC(put_file(S, "f1", "1", 1), 1);
    CHECK_RC(put_file(S, "f2", "2", 1), 1);
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    CHECK_RC(put_file(S, "f3", "3", 1), AE_ENOSPC);
    CHECK_RC(fs_mkdir(S, P("e"), 0755), AE_ENOSPC);
    uint64_t h;
    CHECK_RC(fs_open(S, P("etc/conf"), FS_O_RDWR, 0, &h, NULL), AE_ENOSPC);  /* copy-up needs one */
    CHECK_RC(fs_unlink(S, P("etc/conf")), AE_ENOSPC);        /* so does its directory */
    CHECK(file_is("etc/conf", "conf=1", 6));                  /* reading needs none */
    CHECK_RC(fs_stat(S, P("f3"), &(struct fs_stat){ 0 }), AE_ENOENT);
    CHECK_RC(fs_unlink(S, P("f1")), 0);
    CHECK_RC(put_file(S, "f3", "3", 1), 1);
    struct fs_usage u;
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.inodes_used, 3);
    CHECK_RC(u.inodes_max, 3);
    end();
}

static void limits_copy_up_page_charged_to_the_session(void)
{
    begin(1, 100, true);
    uint64_t h;
    CHECK_RC(fs_open(S, P("etc/big"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 3, "X", 1), 1);                   /* the first page alone: the one allowed */
    CHECK_RC(fs_write(S, h, 4096, "Y", 1), AE_ENOSPC);        /* a second data page and an index page */
    char buf[16] = { 0 };
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 10);
    CHECK_STR(buf, "012X456789");
    fs_close(S, h);
    CHECK_RC(T.pages_live, 1);
    end();
}

/* attack19 on the one-page root (data.c, SECURITY 78d): a file copied up
 * from the image, cut inside its lower bytes and grown again, then grown
 * past its first page with exactly the pages that needs, cut inside the
 * second page and grown again — every byte past each cut reads zero (the
 * image's bytes never come back), each growth is all or nothing, and the
 * session's bytes used go back to zero at the unlink. */
static void one_page_root_cut_and_grown_shows_no_old_bytes(void)
{
    begin(3, 100, true);
    uint64_t h;
    char buf[3 * PG];
    CHECK_RC(fs_open(S, P("etc/big"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(fs_ftruncate(S, h, 3), 0);                       /* before any copy-up: the image's bytes cut */
    CHECK_RC(fs_ftruncate(S, h, 10), 0);
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 10);
    CHECK(!memcmp(buf, "012\0\0\0\0\0\0\0", 10));
    CHECK_RC(used_bytes(), 0);
    CHECK_RC(fs_write(S, h, 1, "X", 1), 1);                   /* the copy-up: the root is the data page */
    CHECK_RC(used_bytes(), PG);
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 10);
    CHECK(!memcmp(buf, "0X2\0\0\0\0\0\0\0", 10));
    CHECK_RC(fs_write(S, h, PG + 100, "Y", 1), 1);            /* the index above the root, page 1 */
    CHECK_RC(used_bytes(), 3 * PG);
    CHECK_RC(fs_write(S, h, 2 * PG, "Z", 1), AE_ENOSPC);     /* a fourth page: the file unchanged */
    CHECK_RC(used_bytes(), 3 * PG);
    CHECK_RC(fs_ftruncate(S, h, PG + 50), 0);                 /* inside page 1: its Y gone */
    CHECK_RC(fs_ftruncate(S, h, 2 * PG), 0);
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 2 * PG);
    CHECK(buf[1] == 'X' && buf[PG + 100] == 0);
    check_ok();
    CHECK_RC(fs_ftruncate(S, h, 0), 0);
    CHECK_RC(used_bytes(), 0);                                /* the index page goes with its last page */
    CHECK_RC(fs_write(S, h, 0, "A", 1), 1);
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 1);
    fs_close(S, h);
    CHECK_RC(fs_unlink(S, P("etc/big")), 0);
    CHECK_RC(used_bytes(), 0);
    CHECK_RC(T.pages_live, 0);
    end();
}

static void limits_volume_full_for_everyone(void)
{
    begin(100, 100, false);
    struct fs_volume *v;
    struct fs_limits lim = { .data_bytes = 3 * PG, .inodes = 2, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &lim, &v), 0);
    struct fs_session *B;
    struct fs_limits big = big_limits();
    CHECK_RC(fs_session_create(&T.env, NULL, &big, 0, &B), 0);
    CHECK_RC(fs_session_mount(S, P("v"), v, true), 0);
    CHECK_RC(fs_session_mount(B, P("v"), v, true), 0);
    CHECK_RC(put_file(S, "v/a", pattern, 2 * PG), 2 * PG);
    CHECK_RC(put_file(B, "v/b", pattern, PG), AE_ENOSPC);    /* created, but no page left */
    CHECK_RC(put_file(B, "v/c", "c", 1), AE_ENOSPC);          /* and no third inode */
    CHECK_RC(put_file(B, "v/b", pattern, 0), 0);
    fs_session_destroy(B);
    fs_volume_put(v);
    end();
}

static void sparse_file_of_one_gib(void)
{
    begin(1ull << 20, 100, false);
    const uint64_t GiB = 1ull << 30;
    uint64_t h;
    CHECK_RC(fs_open(S, P("sparse"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, GiB - 1, "E", 1), 1);
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.size, GiB);
    CHECK_RC(T.pages_live, 3);                    /* two index levels and one data page */
    CHECK_RC(st.blocks, 3 * 8);
    char buf[PG];
    uint64_t offsets[] = { 0, 12345, GiB / 2, GiB - PG - 7, 777777777 };
    for (int i = 0; i < 5; i++) {
        memset(buf, 1, sizeof buf);
        CHECK_RC(fs_read(S, h, offsets[i], buf, 100), 100);
        bool zero = true;
        for (int j = 0; j < 100; j++)
            zero &= buf[j] == 0;
        CHECK(zero);
    }
    CHECK_RC(fs_read(S, h, GiB - 2, buf, 10), 2);
    CHECK(buf[0] == 0 && buf[1] == 'E');
    CHECK_RC(fs_write(S, h, 0, "S", 1), 1);       /* another level-1 index page and data */
    CHECK_RC(T.pages_live, 5);
    CHECK_RC(fs_write(S, h, 5 * GiB, "F", 1), 1); /* past 1 GiB: a new root, 2 index, data */
    CHECK_RC(T.pages_live, 9);
    CHECK_RC(fs_read(S, h, GiB - 1, buf, 1), 1);
    CHECK_RC(buf[0], 'E');
    check_ok();
    CHECK_RC(fs_ftruncate(S, h, GiB), 0);         /* drops the far page and its index */
    CHECK_RC(T.pages_live, 6);
    CHECK_RC(fs_ftruncate(S, h, 0), 0);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(fs_ftruncate(S, h, 100 * GiB), 0);   /* sparse all the way */
    CHECK_RC(T.pages_live, 0);
    fs_close(S, h);
    end();
}

static void sparse_file_size_limit_is_efbig(void)
{
    begin(1ull << 20, 100, false);
    uint64_t h;
    CHECK_RC(fs_open(S, P("f"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, FS_FILE_MAX - 1, "ab", 2), 1);    /* what fits */
    CHECK_RC(fs_write(S, h, FS_FILE_MAX, "a", 1), AE_EFBIG);
    CHECK_RC(fs_write(S, h, UINT64_MAX - 1, "a", 1), AE_EFBIG);
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.size, FS_FILE_MAX);
    CHECK_RC(T.pages_live, 5);                    /* four index levels and one data page */
    CHECK_RC(fs_ftruncate(S, h, FS_FILE_MAX + 1), AE_EFBIG);
    fs_close(S, h);
    end();
}

/* The client's quota is full: its memory says ENOSPC, not ENOMEM, and the
 * rule for writes is the same as for the session's own limit. */
static void limits_quota_full_is_enospc(void)
{
    begin(1000, 100, true);
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (char)(i * 7 + 3);
    CHECK_RC(put_file(S, "keep", pattern, 2 * PG), 2 * PG);
    T.fail_pages_error = AE_ENOSPC;
    T.fail_pages_after = 3;                       /* an index page and two data pages */
    CHECK_RC(put_file(S, "big", pattern, 8 * PG), 2 * PG);
    uint64_t h;
    CHECK_RC(fs_open(S, P("big"), FS_O_WRONLY | FS_O_APPEND, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "x", 1), AE_ENOSPC);
    fs_close(S, h);
    CHECK_RC(fs_symlink(S, "keep", 4, P("l")), AE_ENOSPC);
    CHECK_RC(fs_open(S, P("etc/big"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "X", 1), AE_ENOSPC);            /* a copy-on-write page too */
    fs_close(S, h);
    T.fail_pages_after = -1;
    CHECK(file_is("keep", pattern, 2 * PG));
    CHECK(file_is("big", pattern, 2 * PG));
    CHECK(file_is("etc/big", "0123456789", 10));
    CHECK_RC(fs_stat(S, P("l"), &(struct fs_stat){ 0 }), AE_ENOENT);
    end();
}

/* The pages' memory vanished (the client's quota destroyed): every call
 * fails cleanly and destroying the session frees the metadata without
 * touching a page (they are gone). */
static void lost_pages_end_the_session_cleanly(void)
{
    begin(1000, 100, true);
    CHECK_RC(put_file(S, "a", pattern, 5 * PG), 5 * PG);
    CHECK_RC(fs_symlink(S, "a", 1, P("l")), 0);
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    uint64_t h, orphan;
    CHECK_RC(fs_open(S, P("etc/big"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "X", 1), 1);
    CHECK_RC(fs_open(S, P("a"), FS_O_RDONLY, 0, &orphan, NULL), 0);
    CHECK_RC(fs_unlink(S, P("a")), 0);                        /* open, unlinked */
    static struct test_env T2;                               /* the neighbour's own memory */
    test_env_init(&T2);
    struct fs_session *other;
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_session_create(&T2.env, IMG, &lim, 0, &other), 0);
    CHECK_RC(put_file(other, "mine", "other", 5), 5);
    fs_session_lose_pages(S);
    long calls = T.page_calls;
    char buf[8];
    CHECK_RC(fs_read(S, h, 0, buf, 1), AE_EDEAD);
    CHECK_RC(fs_write(S, h, 0, "y", 1), AE_EDEAD);
    CHECK_RC(fs_stat(S, P("etc/conf"), &(struct fs_stat){ 0 }), AE_EDEAD);
    CHECK_RC(put_file(S, "new", "n", 1), AE_EDEAD);
    CHECK_RC(fs_close(S, orphan), AE_EDEAD);
    struct fs_usage u;
    CHECK_RC(fs_statfs(S, &u), AE_EDEAD);
    const char *why = "";
    CHECK_RC(fs_session_check(S, &why), 0);                  /* (a lost session is not checked) */
    fs_session_destroy(S);
    CHECK_RC(T.page_calls, calls);                           /* not one page touched */
    test_env_vanish_pages(&T);                               /* what the kernel did */
    char back[8] = { 0 };
    CHECK_RC(get_file(other, "mine", back, sizeof back), 5);  /* the neighbour is untouched */
    CHECK_STR(back, "other");
    CHECK_RC(fs_session_check(other, &why), 0);
    fs_session_destroy(other);
    CHECK_RC(T2.pages_live, 0);
    CHECK_RC(T2.mem_live, 0);
    fs_image_put(IMG);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

/* A sequence of operations that allocates at many different points. */
static int script(void)
{
    /* running out, and what follows from an earlier step having run out */
    static const int ok[] = { AE_ENOMEM, AE_ENOSPC, AE_ENOENT, AE_ENOTEMPTY };
    int failures = 0;
    int64_t r[40];
    int n = 0;
    uint64_t h;
    r[n++] = put_file(S, "a", pattern, 3 * PG);
    r[n++] = fs_mkdir(S, P("d"), 0755);
    r[n++] = put_file(S, "d/x", pattern, 10);
    r[n++] = fs_rename(S, P("a"), P("d/a"), 0);
    r[n++] = fs_unlink(S, P("etc/conf"));
    r[n++] = fs_open(S, P("etc/big"), FS_O_RDWR, 0, &h, NULL);
    if (r[n - 1] == 0) {
        r[n++] = fs_write(S, h, 2, "XY", 2);
        fs_close(S, h);
    }
    char name[16];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "d/f%d", i);
        r[n++] = put_file(S, name, name, 4);
    }
    r[n++] = fs_symlink(S, "../etc/big", 10, P("d/link"));
    r[n++] = fs_link(S, P("etc/big"), P("d/hard"), 0);
    r[n++] = fs_chmod(S, P("d/link"), 0600, 0);
    r[n++] = fs_utimens(S, P("etc/conf"), 1, 2, 0);
    r[n++] = fs_rename(S, P("etc"), P("d/etc"), 0);
    r[n++] = fs_rmdir(S, P("d/etc"));
    char names[512];
    r[n++] = list_dir(S, "d", names, sizeof names);
    for (int i = 0; i < n; i++) {
        bool good = r[i] >= 0;
        for (int k = 0; k < 4; k++)
            good |= r[i] == ok[k];
        if (!good)
            CHECK_RC(r[i] * 100 + i, 0 * 100 + i);   /* an error other than running out */
        failures += r[i] == AE_ENOMEM || r[i] == AE_ENOSPC;
    }
    return failures;
}

static void oom_at_every_allocation_leaves_a_consistent_tree(void)
{
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (char)(i * 13 + 1);
    for (int kind = 0; kind < 2; kind++) {
        for (long n = 0; n < 400; n++) {
            begin(1000, 1000, true);
            if (kind == 0)
                T.fail_pages_after = n;
            else
                T.fail_mem_after = n;
            int failures = script();
            T.fail_pages_after = T.fail_mem_after = -1;
            check_ok();
            end();
            if (!host_test_ok || failures == 0) {
                CHECK(n >= 10);                   /* the script did meet failures first */
                break;                            /* past the last allocation */
            }
            if (n == 399)
                CHECK(!"the script still failed after 400 allocations");
        }
    }
}

/* Creating images, volumes, sessions and mounts fails cleanly wherever
 * memory (or a lock) cannot be had, and leaks nothing. */
static void oom_while_creating_objects(void)
{
    int completed = 0;
    for (long n = 0; n < 40 && !completed && host_test_ok; n++) {
        test_env_init(&T);
        struct fs_image *img = make_image("etc/conf", "c", "a/b/c", "abc", NULL);
        T.fail_mem_after = n;
        struct fs_image *img2 = NULL;
        struct fs_volume *v = NULL;
        struct fs_session *s = NULL;
        struct fs_limits lim = big_limits();
        struct img_error err;
        uint64_t len;
        uint8_t *arch = test_last_archive(&len);
        int r1 = fs_image_create(&T.env, arch, len, &img2, &err);
        int r2 = fs_volume_create(&T.env, &lim, &v);
        int r3 = fs_session_create(&T.env, img, &lim, 0, &s);
        int r4 = s && v ? fs_session_mount(s, P("a/b/m"), v, true) : AE_ENOMEM;
        T.fail_mem_after = -1;
        int rs[] = { r1, r2, r3, r4 };
        completed = 1;
        for (int i = 0; i < 4; i++) {
            if (rs[i] != 0 && rs[i] != AE_ENOMEM)
                CHECK_RC(rs[i], AE_ENOMEM);
            completed &= rs[i] == 0;
        }
        if (s) {
            const char *why = "";
            CHECK_STR(fs_session_check(s, &why) ? why : "ok", "ok");
            fs_session_destroy(s);
        }
        fs_volume_put(v);
        fs_image_put(img2);
        fs_image_put(img);
        CHECK_RC(T.mem_live, 0);
        CHECK_RC(T.pages_live, 0);
        test_archives_free();
        if (completed)
            CHECK(n >= 8);                        /* it did fail at each step first */
    }
    CHECK(completed);
}

int main(void)
{
    RUN(limits_write_stops_at_the_page_that_does_not_fit);
    RUN(limits_full_session_still_overwrites_in_place);
    RUN(limits_inode_count_enforced);
    RUN(limits_copy_up_page_charged_to_the_session);
    RUN(limits_volume_full_for_everyone);
    RUN(sparse_file_of_one_gib);
    RUN(sparse_file_size_limit_is_efbig);
    RUN(limits_quota_full_is_enospc);
    RUN(lost_pages_end_the_session_cleanly);
    RUN(oom_at_every_allocation_leaves_a_consistent_tree);
    RUN(oom_while_creating_objects);
    RUN(one_page_root_cut_and_grown_shows_no_old_bytes);
    return TESTS_DONE();
}
