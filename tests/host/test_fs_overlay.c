/*
 * test_fs_overlay.c — sessions over a shared image: the image layer is
 * read in place (a reader allocates no pages), writes copy up privately,
 * deletions leave whiteouts, two sessions of one image never see each
 * other, ".." never leaves a root, and volumes are shared only where
 * granted, read-only or read-write.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_test.h"
#include "check_more.h"

static struct fs_image *IMG;
static struct fs_session *A, *B;
static char big[3 * 4096 + 100];

static struct fs_session *session(void)
{
    struct fs_session *s = NULL;
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_session_create(&T.env, IMG, &lim, 0, &s), 0);
    return s;
}

/* An image with files in directories; two sessions A and B over it. */
static void begin(void)
{
    test_env_init(&T);
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = 0;
    IMG = make_image("bin/app", "#!app", "etc/conf", "conf=1", "etc/hosts", "localhost",
                     "etc/big", big, "var/", "", "var/empty/", "", NULL);
    A = session();
    B = session();
}

static void check_ok(struct fs_session *s)
{
    const char *why = "";
    CHECK_STR(fs_session_check(s, &why) ? why : "ok", "ok");
}

static void end(void)
{
    check_ok(A);
    check_ok(B);
    fs_session_destroy(A);
    fs_session_destroy(B);
    fs_image_put(IMG);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

static void overlay_reads_image_files(void)
{
    begin();
    char buf[sizeof big];
    CHECK_RC(get_file(A, "etc/conf", buf, sizeof buf), 6);
    CHECK(memcmp(buf, "conf=1", 6) == 0);
    CHECK_RC(get_file(A, "/etc/big", buf, sizeof buf), sizeof big - 1);
    CHECK(memcmp(buf, big, sizeof big - 1) == 0);
    char names[256];
    CHECK_RC(list_dir(A, "", names, sizeof names), 3);
    CHECK_STR(names, "bin etc var");
    CHECK_RC(list_dir(A, "etc", names, sizeof names), 3);
    CHECK_STR(names, "big conf hosts");
    struct fs_stat st;
    CHECK_RC(fs_stat(A, P("etc/hosts"), &st), 0);
    CHECK_RC(st.size, 9);
    CHECK_RC(st.mode, 0644);
    CHECK_RC(st.blocks, 8);                       /* the page its 9 bytes fill */
    CHECK_RC(T.pages_live, 0);                    /* no private memory */
    end();
}

static void overlay_reader_allocates_no_pages(void)
{
    begin();
    char buf[sizeof big], names[256];
    CHECK_RC(get_file(A, "etc/conf", buf, sizeof buf), 6);  /* the handle table exists now */
    long mem_before = T.mem_live;
    const char *files[] = { "bin/app", "etc/conf", "etc/hosts", "etc/big" };
    for (int i = 0; i < 4; i++)
        CHECK(get_file(A, files[i], buf, sizeof buf) > 0);
    CHECK_RC(list_dir(A, "etc", names, sizeof names), 3);
    CHECK_RC(list_dir(A, "var/empty", names, sizeof names), 0);
    uint64_t h;
    CHECK_RC(fs_open(A, P("etc/big"), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_read(A, h, 5000, buf, 10), 10);
    fs_close(A, h);
    CHECK_RC(T.pages_total, 0);                   /* not one page, ever */
    CHECK_RC(T.mem_live, mem_before);             /* and no metadata left behind */
    struct fs_usage u;
    CHECK_RC(fs_statfs(A, &u), 0);
    CHECK_RC(u.bytes_used, 0);
    CHECK_RC(u.inodes_used, 0);
    end();
}

static void overlay_image_data_is_not_copied(void)
{
    test_env_init(&T);
    static char huge[1 << 20];
    memset(huge, 'h', sizeof huge - 1);
    IMG = make_image("huge", huge, NULL);
    CHECK(T.mem_live < 4096);                     /* the index, not the megabyte */
    A = session();
    B = session();
    CHECK(T.mem_live < 4 * 4096);
    CHECK_RC(T.pages_live, 0);
    end();
}

static void overlay_write_copies_up_one_page(void)
{
    begin();
    uint64_t h;
    CHECK_RC(fs_open(A, P("etc/big"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(T.pages_total, 0);                   /* opening for write copies no data */
    CHECK_RC(fs_write(A, h, 5000, "XYZ", 3), 3);
    CHECK_RC(T.pages_live, 2);                    /* one data page and its index page */
    char buf[sizeof big];
    CHECK_RC(fs_read(A, h, 0, buf, sizeof buf), sizeof big - 1);
    bool same = true;
    for (size_t i = 0; i < sizeof big - 1; i++)
        same &= buf[i] == (i >= 5000 && i < 5003 ? "XYZ"[i - 5000] : big[i]);
    CHECK(same);
    fs_close(A, h);
    CHECK_RC(get_file(B, "etc/big", buf, sizeof buf), sizeof big - 1);
    CHECK(memcmp(buf, big, sizeof big - 1) == 0); /* B still sees the image */
    struct fs_stat sa, sb;
    CHECK_RC(fs_stat(A, P("etc/big"), &sa), 0);
    CHECK_RC(fs_stat(B, P("etc/big"), &sb), 0);
    CHECK_RC(sa.ino, sb.ino);                     /* a copy-up keeps the inode number */
    CHECK_RC(sa.blocks, 32);                      /* its 4 pages: 1 copied, 3 still the image's */
    end();
}

static void overlay_truncate_then_extend_hides_image_bytes(void)
{
    begin();
    CHECK_RC(fs_truncate(A, P("etc/conf"), 2), 0);
    CHECK_RC(fs_truncate(A, P("etc/conf"), 6), 0);
    char buf[8];
    CHECK_RC(get_file(A, "etc/conf", buf, sizeof buf), 6);
    CHECK(memcmp(buf, "co\0\0\0\0", 6) == 0);
    CHECK_RC(T.pages_total, 0);                   /* sparse: still no page */
    CHECK_RC(get_file(B, "etc/conf", buf, sizeof buf), 6);
    CHECK(memcmp(buf, "conf=1", 6) == 0);
    end();
}

static void overlay_read_handle_follows_copy_up(void)
{
    begin();
    uint64_t r, w;
    CHECK_RC(fs_open(A, P("etc/conf"), FS_O_RDONLY, 0, &r, NULL), 0);
    CHECK_RC(fs_open(A, P("etc/conf"), FS_O_WRONLY, 0, &w, NULL), 0);
    CHECK_RC(fs_write(A, w, 0, "CONF", 4), 4);
    char buf[8] = { 0 };
    CHECK_RC(fs_read(A, r, 0, buf, 6), 6);        /* the same file, so the new bytes */
    CHECK(memcmp(buf, "CONF=1", 6) == 0);
    fs_close(A, r);
    fs_close(A, w);
    end();
}

static void overlay_unlink_image_file_leaves_whiteout(void)
{
    begin();
    CHECK_RC(fs_unlink(A, P("etc/conf")), 0);
    char buf[16], names[256];
    CHECK_RC(get_file(A, "etc/conf", buf, sizeof buf), AE_ENOENT);
    CHECK_RC(fs_unlink(A, P("etc/conf")), AE_ENOENT);
    CHECK_RC(list_dir(A, "etc", names, sizeof names), 2);
    CHECK_STR(names, "big hosts");
    CHECK_RC(get_file(B, "etc/conf", buf, sizeof buf), 6);   /* B unaffected */
    CHECK_RC(put_file(A, "etc/conf", "new", 3), 3);          /* over the whiteout */
    CHECK_RC(get_file(A, "etc/conf", buf, sizeof buf), 3);
    CHECK_RC(list_dir(A, "etc", names, sizeof names), 3);
    CHECK_STR(names, "big conf hosts");
    CHECK_RC(fs_unlink(A, P("etc/conf")), 0);               /* and away again */
    CHECK_RC(list_dir(A, "etc", names, sizeof names), 2);
    end();
}

static void overlay_rmdir_image_dir_then_mkdir_is_empty(void)
{
    begin();
    CHECK_RC(fs_rmdir(A, P("etc")), AE_ENOTEMPTY);
    CHECK_RC(fs_rmdir(A, P("var")), AE_ENOTEMPTY);
    CHECK_RC(fs_rmdir(A, P("var/empty")), 0);
    CHECK_RC(fs_rmdir(A, P("var")), 0);
    CHECK_RC(fs_unlink(A, P("etc/conf")), 0);
    CHECK_RC(fs_unlink(A, P("etc/hosts")), 0);
    CHECK_RC(fs_unlink(A, P("etc/big")), 0);
    CHECK_RC(fs_rmdir(A, P("etc")), 0);
    CHECK_RC(fs_mkdir(A, P("etc"), 0700), 0);
    char names[256];
    CHECK_RC(list_dir(A, "etc", names, sizeof names), 0);   /* the image's files stay hidden */
    CHECK_RC(list_dir(A, "", names, sizeof names), 2);
    CHECK_STR(names, "bin etc");
    CHECK_RC(list_dir(B, "etc", names, sizeof names), 3);
    end();
}

static void overlay_rename_image_dir_keeps_its_files(void)
{
    begin();
    CHECK_RC(fs_rename(A, P("etc"), P("etc2"), 0), 0);
    char buf[16], names[256];
    CHECK_RC(get_file(A, "etc2/conf", buf, sizeof buf), 6);
    CHECK_RC(get_file(A, "etc/conf", buf, sizeof buf), AE_ENOENT);
    CHECK_RC(list_dir(A, "etc2", names, sizeof names), 3);
    CHECK_RC(list_dir(A, "", names, sizeof names), 3);
    CHECK_STR(names, "bin etc2 var");
    CHECK_RC(fs_rename(A, P("bin/app"), P("etc2/app"), 0), 0); /* an image file, copied up */
    CHECK_RC(get_file(A, "etc2/app", buf, sizeof buf), 5);
    CHECK_RC(fs_rename(A, P("etc2/hosts"), P("bin"), 0), AE_EISDIR);
    CHECK_RC(fs_rename(A, P("etc2/hosts"), P("var/empty/hosts"), 0), 0);
    CHECK_RC(fs_rename(A, P("var"), P("bin"), 0), 0);  /* over bin: its only file moved away */
    CHECK_RC(list_dir(A, "bin/empty", names, sizeof names), 1);
    CHECK_STR(names, "hosts");
    CHECK_RC(list_dir(B, "", names, sizeof names), 3);
    CHECK_STR(names, "bin etc var");
    end();
}

static void overlay_sessions_are_isolated(void)
{
    begin();
    CHECK_RC(put_file(A, "secret", "A's", 3), 3);
    CHECK_RC(put_file(A, "etc/secret", "A's", 3), 3);
    CHECK_RC(fs_mkdir(A, P("private"), 0700), 0);
    char buf[8], names[256];
    const char *guesses[] = { "secret", "/secret", "etc/secret", "../secret", "etc/../secret",
                              "private", "../../../../secret", "etc/../../etc/secret" };
    for (int i = 0; i < 8; i++) {
        CHECK_RC(get_file(B, guesses[i], buf, sizeof buf), AE_ENOENT);
        CHECK_RC(fs_stat(B, P(guesses[i]), &(struct fs_stat){ 0 }), AE_ENOENT);
    }
    CHECK_RC(list_dir(B, "", names, sizeof names), 3);
    CHECK_STR(names, "bin etc var");
    CHECK_RC(list_dir(B, "etc", names, sizeof names), 3);
    /* A's handle values mean nothing in B: B has no handle there ... */
    uint64_t ha, hb;
    CHECK_RC(fs_open(A, P("secret"), FS_O_RDONLY, 0, &ha, NULL), 0);
    CHECK_RC(fs_read(B, ha, 0, buf, 3), AE_EBADF);
    /* ... and where the same value names a handle of B's, it is B's own file. */
    CHECK_RC(fs_open(B, P("etc/hosts"), FS_O_RDONLY, 0, &hb, NULL), 0);
    for (int i = 0; i < 10 && ha != hb; i++) {
        fs_close(A, ha);
        CHECK_RC(fs_open(A, P("secret"), FS_O_RDONLY, 0, &ha, NULL), 0);
    }
    CHECK_RC(hb, ha);
    CHECK_RC(fs_read(B, ha, 0, buf, 3), 3);
    CHECK(memcmp(buf, "loc", 3) == 0);
    CHECK_RC(fs_read(A, ha, 0, buf, 3), 3);
    CHECK(memcmp(buf, "A's", 3) == 0);
    CHECK_RC(fs_unlink(B, P("secret")), AE_ENOENT);
    CHECK_RC(fs_rename(B, P("secret"), P("mine"), 0), AE_ENOENT);
    fs_close(A, ha);
    fs_close(B, hb);
    end();
}

static void overlay_dotdot_never_leaves_the_root(void)
{
    begin();
    char buf[16];
    CHECK_RC(get_file(A, "../../../../etc/conf", buf, sizeof buf), 6);
    CHECK_RC(get_file(A, "bin/../../etc/./conf", buf, sizeof buf), 6);
    CHECK_RC(put_file(A, "../../escape", "e", 1), 1);
    char names[256];
    CHECK_RC(list_dir(A, "..", names, sizeof names), 4);
    CHECK_STR(names, "bin escape etc var");                  /* it landed in A's root */
    CHECK_RC(get_file(B, "escape", buf, sizeof buf), AE_ENOENT);
    end();
}

/* Stops after `max` entries; does something between calls. */
struct walker {
    int max, n;
    uint64_t last;
    char names[64][16];
    int count;
};

static int walk_take(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                     uint64_t cookie, const struct fs_stat *st)
{
    (void)st;
    struct walker *w = ctx;
    if (w->n == w->max)
        return 1;
    w->n++;
    snprintf(w->names[w->count++ % 64], 16, "%.*s", (int)len, name);
    w->last = cookie;
    return 0;
}

/* Keeps every entry's stat as readdir gave it (READDIR's FS_READDIR_STATS). */
struct stat_taker {
    int n;
    char names[16][16];
    struct fs_stat st[16];
};

static int stat_take(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                     uint64_t cookie, const struct fs_stat *st)
{
    struct stat_taker *t = ctx;
    (void)type;
    (void)ino;
    (void)cookie;
    if (t->n == 16)
        return 1;
    snprintf(t->names[t->n], 16, "%.*s", (int)len, name);
    t->st[t->n++] = *st;
    return 0;
}

/* What readdir says of each entry is what lstat of its name says, for
 * image entries, copied-up ones, fresh ones, directories and links alike
 * (the client keeps them as such: docs/FS.md, "Client caches"). */
static void overlay_readdir_stats_are_lstats(void)
{
    test_env_init(&T);
    IMG = make_image("d/a", "1", "d/b", "22", "d/sub/x", "3", NULL);
    A = session();
    B = session();
    CHECK_RC(put_file(A, "d/a", "xyz", 3), 3);              /* copied up */
    CHECK_RC(put_file(A, "d/new", "n", 1), 1);              /* fresh */
    CHECK_RC(fs_mkdir(A, P("d/dir"), 0750), 0);
    CHECK_RC(fs_symlink(A, "new", 3, P("d/ln")), 0);
    uint64_t d;
    CHECK_RC(fs_open(A, P("d"), FS_O_RDONLY, 0, &d, NULL), 0);
    struct stat_taker t = { 0 };
    bool eof = false;
    CHECK_RC(fs_readdir(A, d, 0, stat_take, &t, &eof), 0);
    CHECK(eof);
    CHECK_EQ(t.n, 6);
    for (int i = 0; i < t.n; i++) {
        char path[32];
        struct fs_stat st;
        snprintf(path, sizeof path, "d/%s", t.names[i]);
        CHECK_RC(fs_lstat(A, P(path), &st), 0);
        CHECK(!memcmp(&st, &t.st[i], sizeof st));
    }
    CHECK_RC(fs_close(A, d), 0);
    end();
}

static void overlay_readdir_stable_across_copy_up_and_whiteouts(void)
{
    test_env_init(&T);
    IMG = make_image("d/f0", "0", "d/f1", "1", "d/f2", "2", "d/f3", "3", "d/f4", "4",
                     "d/f5", "5", "d/f6", "6", "d/f7", "7", NULL);
    A = session();
    B = session();
    uint64_t d;
    CHECK_RC(fs_open(A, P("d"), FS_O_RDONLY, 0, &d, NULL), 0);   /* an image directory */
    struct walker w = { .max = 2 };
    uint64_t cookie = 0;
    bool eof = false;
    for (int round = 0; !eof && round < 50; round++) {
        w.n = 0;
        CHECK_RC(fs_readdir(A, d, cookie, walk_take, &w, &eof), 0);
        if (w.n)
            cookie = w.last;
        if (round == 0) {                          /* seen: f0 f1 */
            CHECK_RC(put_file(A, "d/f0", "x", 1), 1);     /* copy-up of a seen entry */
            CHECK_RC(put_file(A, "d/f5", "x", 1), 1);     /* and of an unseen one */
            CHECK_RC(fs_unlink(A, P("d/f6")), 0);         /* whiteout before reached */
            CHECK_RC(fs_unlink(A, P("d/f1")), 0);         /* whiteout after */
            CHECK_RC(put_file(A, "d/new", "n", 1), 1);
        }
    }
    CHECK(eof);
    char all[512] = "";
    for (int i = 0; i < w.count; i++)
        strcat(strcat(all, w.names[i]), " ");
    CHECK_STR(all, "f0 f1 f2 f3 f4 f5 f7 new ");
    fs_close(A, d);
    end();
}

static void overlay_volume_shared_only_where_granted(void)
{
    begin();
    struct fs_session *C = session();
    struct fs_volume *v;
    struct fs_limits lim = { .data_bytes = 1 << 20, .inodes = 100, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &lim, &v), 0);
    CHECK_RC(fs_session_mount(A, P("data"), v, true), 0);
    CHECK_RC(fs_session_mount(B, P("var/shared"), v, false), 0);
    fs_volume_put(v);                              /* the mounts hold it now */
    CHECK_RC(put_file(A, "data/x", "vol", 3), 3);
    CHECK_RC(fs_mkdir(A, P("data/sub"), 0755), 0);
    char buf[8], names[256];
    CHECK_RC(get_file(B, "var/shared/x", buf, sizeof buf), 3);
    CHECK(memcmp(buf, "vol", 3) == 0);
    CHECK_RC(put_file(B, "var/shared/y", "no", 2), AE_EROFS);
    CHECK_RC(fs_unlink(B, P("var/shared/x")), AE_EROFS);
    CHECK_RC(fs_mkdir(B, P("var/shared/z"), 0755), AE_EROFS);
    uint64_t h;
    CHECK_RC(fs_open(B, P("var/shared/x"), FS_O_RDWR, 0, &h, NULL), AE_EROFS);
    CHECK_RC(get_file(C, "data/x", buf, sizeof buf), AE_ENOENT);   /* C was granted nothing */
    CHECK_RC(get_file(C, "var/shared/x", buf, sizeof buf), AE_ENOENT);
    CHECK_RC(list_dir(A, "data", names, sizeof names), 2);
    CHECK_STR(names, "sub x");
    struct fs_stat st;
    CHECK_RC(fs_stat(A, P("data/x"), &st), 0);
    CHECK_RC(st.dev, 1);
    /* the volume pays for its data, not the session */
    struct fs_usage u;
    CHECK_RC(fs_statfs(A, &u), 0);
    CHECK_RC(u.bytes_used, 0);
    CHECK_RC(u.inodes_used, 1);                    /* the mount point directory */
    const char *why = "";
    CHECK_STR(fs_session_check(C, &why) ? why : "ok", "ok");
    fs_session_destroy(C);
    end();
}

static void overlay_volume_boundaries(void)
{
    begin();
    struct fs_volume *v, *w;
    struct fs_limits lim = { .data_bytes = 1 << 20, .inodes = 100, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &lim, &v), 0);
    CHECK_RC(fs_volume_create(&T.env, &lim, &w), 0);
    CHECK_RC(fs_session_mount(A, P("mnt/v"), v, true), 0);
    CHECK_RC(fs_session_mount(A, P("mnt/v/inner"), w, true), AE_EBUSY);
    CHECK_RC(fs_session_mount(A, P("mnt"), w, true), AE_EBUSY);
    CHECK_RC(fs_session_mount(A, P(""), w, true), AE_EINVAL);
    CHECK_RC(fs_session_mount(A, P("etc/conf"), w, true), AE_ENOTDIR);
    CHECK_RC(fs_session_mount(A, P("etc/w"), w, true), 0);
    CHECK_RC(put_file(A, "mnt/v/f", "f", 1), 1);
    CHECK_RC(put_file(A, "etc/w/g", "g", 1), 1);
    CHECK_RC(fs_rename(A, P("mnt/v/f"), P("f"), 0), AE_EXDEV);
    CHECK_RC(fs_rename(A, P("etc/hosts"), P("mnt/v/hosts"), 0), AE_EXDEV);
    CHECK_RC(fs_rename(A, P("mnt/v/f"), P("etc/w/f"), 0), AE_EXDEV);
    CHECK_RC(fs_rename(A, P("mnt/v/f"), P("mnt/v/f2"), 0), 0);
    CHECK_RC(fs_rmdir(A, P("mnt/v")), AE_EBUSY);
    CHECK_RC(fs_rename(A, P("mnt/v"), P("x"), 0), AE_EBUSY);
    CHECK_RC(fs_rename(A, P("mnt"), P("x"), 0), AE_EBUSY);      /* holds a mount point */
    CHECK_RC(fs_rename(A, P("etc/hosts"), P("mnt/v"), 0), AE_EBUSY);
    CHECK_RC(fs_unlink(A, P("mnt/v")), AE_EISDIR);
    /* ".." inside a volume leads back to the session's tree, never above it */
    char buf[8];
    CHECK_RC(get_file(A, "mnt/v/../../etc/conf", buf, sizeof buf), 6);
    CHECK_RC(get_file(A, "mnt/v/../../../../etc/w/g", buf, sizeof buf), 1);
    fs_volume_put(v);
    fs_volume_put(w);
    end();
}

static void overlay_volume_outlives_a_session(void)
{
    begin();
    struct fs_volume *v;
    struct fs_limits lim = { .data_bytes = 1 << 20, .inodes = 100, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &lim, &v), 0);
    CHECK_RC(fs_session_mount(A, P("v"), v, true), 0);
    CHECK_RC(fs_session_mount(B, P("v"), v, true), 0);
    uint64_t h;
    CHECK_RC(fs_open(A, P("v/f"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), 0);
    CHECK_RC(fs_write(A, h, 0, "kept", 4), 4);
    CHECK_RC(fs_unlink(B, P("v/f")), 0);                     /* B removes what A has open */
    struct fs_usage u;
    fs_volume_statfs(v, &u);
    CHECK_RC(u.bytes_used, 4096);                            /* still held by A's handle: its one page */
    CHECK_RC(u.inodes_used, 1);
    fs_session_destroy(A);                                   /* A dies with it open */
    fs_volume_statfs(v, &u);
    CHECK_RC(u.bytes_used, 0);                               /* and its pages come back */
    CHECK_RC(u.inodes_used, 0);
    A = session();
    CHECK_RC(put_file(B, "v/g", "g", 1), 1);
    fs_volume_statfs(v, &u);
    CHECK_RC(u.inodes_used, 1);
    CHECK_RC(u.inodes_max, 100);
    fs_volume_put(v);
    end();
}

/* Random sequences over a few names, some from the image, with handles
 * held across steps: after every step the invariants hold, and no result
 * is an error outside the operations' documented ones. */
static void overlay_random_sequences_keep_invariants(void)
{
    static const char *names[] = { "x/a", "x/b", "x/d", "x/d/a", "x/e", "x/d/a/b", "y" };
    for (unsigned seed = 1; seed <= 150 && host_test_ok; seed++) {
        test_env_init(&T);
        IMG = make_image("x/a", "image a", "x/b", "image b", "x/d/a", "image d/a", "x/e/", "", NULL);
        A = session();
        B = session();
        srand(seed);
        uint64_t held[4] = { 0 };
        for (int step = 0; step < 80 && host_test_ok; step++) {
            const char *p = names[rand() % 7], *q = names[rand() % 7];
            int64_t r = 0;
            switch (rand() % 12) {
            case 0: r = fs_rename(A, P(p), P(q), 0); break;
            case 1: r = fs_unlink(A, P(p)); break;
            case 2: r = fs_rmdir(A, P(p)); break;
            case 3: r = fs_mkdir(A, P(p), 0755); break;
            case 4: r = put_file(A, p, "data", 4); break;
            case 5: r = fs_truncate(A, P(p), (uint64_t)(rand() % 9000)); break;
            case 6: {
                int k = rand() % 4;
                if (held[k])
                    fs_close(A, held[k]);
                held[k] = 0;
                r = fs_open(A, P(p), rand() % 2 ? FS_O_RDONLY : FS_O_RDWR, 0, &held[k], NULL);
                break;
            }
            case 7: {
                int k = rand() % 4;
                r = held[k] ? fs_write(A, held[k], (uint64_t)(rand() % 5000), "w", 1) : 0;
                r = r == AE_EBADF ? 0 : r;          /* opened read-only */
                break;
            }
            case 9: r = fs_symlink(A, q, strlen(q), P(p)); break;
            case 10: r = fs_link(A, P(p), P(q), 0); break;
            case 11: r = fs_chmod(A, P(p), 0700, 0); break;
            default: {
                char listing[256];
                r = list_dir(A, p, listing, sizeof listing);
                break;
            }
            }
            if (r < 0 && r != AE_ENOENT && r != AE_EEXIST && r != AE_ENOTDIR && r != AE_EISDIR &&
                r != AE_ENOTEMPTY && r != AE_EINVAL && r != AE_ELOOP && r != AE_EPERM)
                CHECK_RC(r, 0);
            check_ok(A);
        }
        char buf[16];
        CHECK_RC(get_file(B, "x/d/a", buf, sizeof buf), 9);   /* B never changed */
        end();
    }
}

static void overlay_bad_archive_is_refused(void)
{
    test_env_init(&T);
    uint8_t junk[8192] = { 0 };
    struct fs_image *img;
    struct img_error err;
    CHECK_RC(fs_image_create(&T.env, junk, sizeof junk, &img, &err), AE_EINVAL);
    CHECK_STR(err.field, "magic");
    CHECK_RC(T.mem_live, 0);
}

/* A container image is a subtree of the boot image: its directory is the
 * root, nothing beside or above it can be named, inode numbers stay
 * distinct, and a prefix that is a file or nothing is refused. */
static void overlay_image_subtree_is_a_root(void)
{
    test_env_init(&T);
    struct fs_image *whole = make_image("boot.conf", "x", "images/a/prog", "ELF-a",
                                        "images/a/files/etc/conf", "a=1", "images/a/files/bin/",
                                        "", "images/a!", "not a dir below", "images/b/files/x",
                                        "bee", NULL);
    uint64_t len;
    uint8_t *arch = test_last_archive(&len);
    struct fs_image *sub;
    struct img_error err;
    CHECK_RC(fs_image_create_at(&T.env, arch, len, "images/a/files", 14, &sub, &err), 0);
    struct fs_session *s = NULL;
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_session_create(&T.env, sub, &lim, 0, &s), 0);
    char names[256], buf[16];
    CHECK_RC(list_dir(s, "", names, sizeof names), 2);
    CHECK_STR(names, "bin etc");
    CHECK_RC(get_file(s, "/etc/conf", buf, sizeof buf), 3);
    CHECK(memcmp(buf, "a=1", 3) == 0);
    struct fs_stat st, st2;
    CHECK_RC(fs_stat(s, P("../prog"), &st), AE_ENOENT);         /* above the root */
    CHECK_RC(fs_stat(s, P("../../b/files/x"), &st), AE_ENOENT);
    CHECK_RC(fs_stat(s, P("etc"), &st), 0);
    CHECK_RC(fs_stat(s, P("etc/conf"), &st2), 0);
    CHECK(st.ino != st2.ino && st.ino > 1 && st2.ino > 1);
    CHECK_RC(put_file(s, "etc/new", "n", 1), 1);                 /* writable over it */
    const char *why = "";
    CHECK_STR(fs_session_check(s, &why) ? why : "ok", "ok");
    fs_session_destroy(s);
    CHECK_RC(fs_image_create_at(&T.env, arch, len, "images/a/prog", 13, &sub, &err), AE_ENOTDIR);
    CHECK_RC(fs_image_create_at(&T.env, arch, len, "images/c", 8, &sub, &err), AE_ENOENT);
    CHECK_STR(err.field, "prefix");
    fs_image_put(sub);
    fs_image_put(whole);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

int main(void)
{
    RUN(overlay_reads_image_files);
    RUN(overlay_reader_allocates_no_pages);
    RUN(overlay_image_data_is_not_copied);
    RUN(overlay_write_copies_up_one_page);
    RUN(overlay_truncate_then_extend_hides_image_bytes);
    RUN(overlay_read_handle_follows_copy_up);
    RUN(overlay_unlink_image_file_leaves_whiteout);
    RUN(overlay_rmdir_image_dir_then_mkdir_is_empty);
    RUN(overlay_rename_image_dir_keeps_its_files);
    RUN(overlay_sessions_are_isolated);
    RUN(overlay_dotdot_never_leaves_the_root);
    RUN(overlay_readdir_stable_across_copy_up_and_whiteouts);
    RUN(overlay_readdir_stats_are_lstats);
    RUN(overlay_volume_shared_only_where_granted);
    RUN(overlay_volume_boundaries);
    RUN(overlay_volume_outlives_a_session);
    RUN(overlay_random_sequences_keep_invariants);
    RUN(overlay_bad_archive_is_refused);
    RUN(overlay_image_subtree_is_a_root);
    return TESTS_DONE();
}
