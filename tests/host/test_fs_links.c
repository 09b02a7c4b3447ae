/*
 * test_fs_links.c — what a Linux program needs from the fs core beyond
 * files and directories: symbolic links (followed in the middle of a path
 * and at its end where POSIX says, never out of a session's root, loops
 * cut with ELOOP), hard links with their counts, rename per POSIX over
 * directories and links, mode, owner and times, fsync, and paths walked
 * from a directory handle — each with its errors, on sessions with and
 * without an image and with a shared volume. Every test ends by checking
 * the invariants and that destroying the sessions returns everything.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_test.h"
#include "check_more.h"

static struct fs_image *IMG;
static struct fs_session *S, *B;

static struct fs_session *session(struct fs_image *img, struct fs_limits lim, uint32_t flags)
{
    struct fs_session *s = NULL;
    CHECK_RC(fs_session_create(&T.env, img, &lim, flags, &s), 0);
    return s;
}

/* S (and B) over an image with a few files and directories. */
static void begin(void)
{
    test_env_init(&T);
    T.clock = 1000;
    IMG = make_image("etc/conf", "conf=1", "etc/hosts", "localhost", "x/d/a/deep", "deep",
                     "x/d/b", "b", "x/e/", "", "bin/app", "app", NULL);
    S = session(IMG, big_limits(), 0);
    B = session(IMG, big_limits(), 0);
}

static void check_ok(struct fs_session *s)
{
    const char *why = "";
    CHECK_STR(fs_session_check(s, &why) ? why : "ok", "ok");
}

static void end(void)
{
    check_ok(S);
    check_ok(B);
    fs_session_destroy(S);
    fs_session_destroy(B);
    fs_image_put(IMG);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

static int link_to(struct fs_session *s, const char *target, const char *at)
{
    return fs_symlink(s, target, strlen(target), P(at));
}

/* The file path names, read whole into a static buffer ("" on error). */
static const char *cat(struct fs_session *s, const char *path)
{
    static char buf[256];
    int64_t n = get_file(s, path, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    return n >= 0 ? buf : "<error>";
}

static int64_t readlink_str(struct fs_session *s, const char *path, char *out, size_t cap)
{
    int64_t n = fs_readlink(s, P(path), out, cap - 1);
    out[n >= 0 ? (n < (int64_t)cap - 1 ? n : (int64_t)cap - 1) : 0] = 0;
    return n;
}

static uint32_t type_of(struct fs_session *s, const char *path, bool follow)
{
    struct fs_stat st;
    int r = follow ? fs_stat(s, P(path), &st) : fs_lstat(s, P(path), &st);
    return r ? 0 : st.type;
}

static void symlink_is_read_and_followed(void)
{
    begin();
    CHECK_RC(put_file(S, "real", "contents", 8), 8);
    CHECK_RC(link_to(S, "real", "l"), 0);
    char t[64];
    CHECK_RC(readlink_str(S, "l", t, sizeof t), 4);
    CHECK_STR(t, "real");
    CHECK_RC(fs_readlink(S, P("l"), t, 2), 4);               /* the whole length, 2 bytes copied */
    CHECK_STR(cat(S, "l"), "contents");
    struct fs_stat st, lst;
    CHECK_RC(fs_stat(S, P("l"), &st), 0);
    CHECK_RC(st.type, FS_TYPE_FILE);
    CHECK_RC(st.size, 8);
    CHECK_RC(fs_lstat(S, P("l"), &lst), 0);
    CHECK_RC(lst.type, FS_TYPE_SYMLINK);
    CHECK_RC(lst.size, 4);
    CHECK_RC(lst.mode, 0777);
    CHECK_RC(lst.nlink, 1);
    CHECK(lst.ino != st.ino);
    CHECK_RC(fs_readlink(S, P("real"), t, sizeof t), AE_EINVAL);
    CHECK_RC(fs_readlink(S, P("none"), t, sizeof t), AE_ENOENT);
    CHECK_RC(fs_readlink(S, P("etc"), t, sizeof t), AE_EINVAL);
    CHECK_RC(link_to(S, "other", "l"), AE_EEXIST);
    CHECK_RC(link_to(S, "other", "real"), AE_EEXIST);
    CHECK_RC(link_to(S, "other", "etc"), AE_EEXIST);
    CHECK_RC(link_to(S, "x", "nodir/l"), AE_ENOENT);
    CHECK_RC(fs_symlink(S, "", 0, P("empty")), AE_ENOENT);
    CHECK_RC(fs_symlink(S, "a\0b", 3, P("nul")), AE_EINVAL);
    static char huge[FS_PATH_MAX];
    memset(huge, 'h', sizeof huge);
    CHECK_RC(fs_symlink(S, huge, FS_PATH_MAX, P("huge")), AE_ENAMETOOLONG);
    CHECK_RC(fs_symlink(S, huge, FS_PATH_MAX - 1, P("long")), 0);   /* the longest allowed */
    CHECK_RC(fs_stat(S, P("long"), &st), AE_ENAMETOOLONG);          /* its component is too long */
    end();
}

static void symlink_in_the_middle_of_a_path(void)
{
    begin();
    CHECK_RC(link_to(S, "x/d", "dl"), 0);                    /* to an image directory */
    CHECK_STR(cat(S, "dl/b"), "b");
    CHECK_STR(cat(S, "dl/a/deep"), "deep");
    CHECK_RC(link_to(S, "/etc", "x/e/abs"), 0);               /* absolute: from the root */
    CHECK_STR(cat(S, "x/e/abs/conf"), "conf=1");
    CHECK_RC(link_to(S, "../../etc/hosts", "x/e/rel"), 0);    /* relative to its directory */
    CHECK_STR(cat(S, "x/e/rel"), "localhost");
    CHECK_RC(link_to(S, "dl/a", "chain"), 0);                 /* a link through a link */
    CHECK_STR(cat(S, "chain/deep"), "deep");
    CHECK_RC(fs_mkdir(S, P("dl/new"), 0755), 0);              /* creating through it */
    CHECK_RC(type_of(S, "x/d/new", true), FS_TYPE_DIR);
    CHECK_RC(put_file(S, "chain/w", "w", 1), 1);
    CHECK_STR(cat(S, "x/d/a/w"), "w");
    CHECK_RC(put_file(S, "file", "f", 1), 1);
    CHECK_RC(link_to(S, "file", "fl"), 0);
    CHECK_RC(fs_stat(S, P("fl/x"), &(struct fs_stat){ 0 }), AE_ENOTDIR);
    CHECK_RC(fs_stat(S, P("fl/"), &(struct fs_stat){ 0 }), AE_ENOTDIR);
    CHECK_RC(type_of(S, "dl/", false), FS_TYPE_DIR);          /* a trailing '/' follows */
    CHECK_STR(cat(B, "x/d/b"), "b");                          /* B saw none of it */
    CHECK_RC(type_of(B, "dl", false), 0);
    end();
}

static void dotdot_after_a_link_is_its_targets_parent(void)
{
    begin();
    CHECK_RC(link_to(S, "x/d/a", "a"), 0);
    char names[128];
    CHECK_RC(list_dir(S, "a/..", names, sizeof names), 2);     /* x/d, not the root */
    CHECK_STR(names, "a b");
    CHECK_STR(cat(S, "a/../b"), "b");
    CHECK_STR(cat(S, "a/../../../etc/conf"), "conf=1");
    CHECK_RC(put_file(S, "f", "f", 1), 1);
    CHECK_RC(fs_stat(S, P("f/.."), &(struct fs_stat){ 0 }), AE_ENOTDIR);   /* as POSIX */
    end();
}

static void links_never_leave_the_session_root(void)
{
    begin();
    CHECK_RC(link_to(S, "../../../../../../../..", "up"), 0);
    CHECK_RC(link_to(S, "/../../..", "up2"), 0);
    CHECK_RC(link_to(S, "../../../../etc/conf", "x/e/esc"), 0);
    char names[128];
    CHECK_RC(list_dir(S, "up", names, sizeof names), 5);        /* the session's own root */
    CHECK_STR(names, "bin etc up up2 x");
    CHECK_RC(list_dir(S, "up2/..", names, sizeof names), 5);
    CHECK_STR(cat(S, "x/e/esc"), "conf=1");
    CHECK_STR(cat(S, "up/up/up2/etc/hosts"), "localhost");
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("up"), &st), 0);
    CHECK_RC(st.ino, 1);
    CHECK_RC(put_file(S, "up/../../outside", "o", 1), 1);
    CHECK_RC(type_of(S, "outside", true), FS_TYPE_FILE);        /* it landed at the root */
    CHECK_RC(type_of(B, "outside", true), 0);
    end();
}

static void link_loops_are_eloop(void)
{
    begin();
    CHECK_RC(link_to(S, "self", "self"), 0);
    CHECK_RC(link_to(S, "pong", "ping"), 0);
    CHECK_RC(link_to(S, "ping", "pong"), 0);
    CHECK_RC(link_to(S, "loop/x", "loop"), 0);
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("self"), &st), AE_ELOOP);
    CHECK_RC(fs_stat(S, P("ping/x"), &st), AE_ELOOP);
    CHECK_RC(fs_stat(S, P("loop"), &st), AE_ELOOP);
    CHECK_RC(fs_lstat(S, P("self"), &st), 0);                   /* the link itself is fine */
    uint64_t h;
    CHECK_RC(fs_open(S, P("ping"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), AE_ELOOP);
    CHECK_RC(fs_unlink(S, P("self")), 0);                       /* and removable */
    /* a chain of exactly FS_SYMLOOP_MAX links resolves; one more does not */
    CHECK_RC(put_file(S, "end", "end", 3), 3);
    char name[16], target[16];
    for (unsigned i = 0; i <= FS_SYMLOOP_MAX; i++) {
        snprintf(name, sizeof name, "c%u", i);
        snprintf(target, sizeof target, i ? "c%u" : "end", i - 1);
        CHECK_RC(link_to(S, target, name), 0);
    }
    snprintf(name, sizeof name, "c%u", FS_SYMLOOP_MAX - 1);
    CHECK_STR(cat(S, name), "end");
    snprintf(name, sizeof name, "c%u", FS_SYMLOOP_MAX);
    CHECK_RC(fs_stat(S, P(name), &st), AE_ELOOP);
    end();
}

static void open_and_links_at_the_end(void)
{
    begin();
    uint64_t h;
    CHECK_RC(link_to(S, "made/by/link", "dangling"), 0);
    CHECK_RC(fs_open(S, P("dangling"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), AE_ENOENT);
    CHECK_RC(link_to(S, "target", "dang"), 0);
    CHECK_RC(fs_open(S, P("dang"), FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL), AE_EEXIST);
    CHECK_RC(type_of(S, "target", false), 0);                   /* EXCL never follows */
    CHECK_RC(fs_open(S, P("dang"), FS_O_RDWR | FS_O_CREAT, 0640, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "t", 1), 1);
    fs_close(S, h);
    CHECK_STR(cat(S, "target"), "t");                           /* created where it points */
    CHECK_RC(fs_open(S, P("dang"), FS_O_RDONLY | FS_O_NOFOLLOW, 0, &h, NULL), AE_ELOOP);
    CHECK_RC(fs_open(S, P("dang"), FS_O_RDWR | FS_O_CREAT | FS_O_NOFOLLOW, 0, &h, NULL), AE_ELOOP);
    CHECK_RC(fs_open(S, P("target"), FS_O_RDONLY | FS_O_NOFOLLOW, 0, &h, NULL), 0);
    fs_close(S, h);
    CHECK_RC(link_to(S, "x/d", "dir"), 0);
    CHECK_RC(fs_open(S, P("dir"), FS_O_RDONLY | FS_O_DIRECTORY, 0, &h, NULL), 0);
    fs_close(S, h);
    CHECK_RC(fs_open(S, P("dang/"), FS_O_RDONLY, 0, &h, NULL), AE_ENOTDIR);
    end();
}

static void name_calls_act_on_the_link(void)
{
    begin();
    CHECK_RC(put_file(S, "t", "t", 1), 1);
    CHECK_RC(link_to(S, "t", "l"), 0);
    CHECK_RC(link_to(S, "x/d", "dl"), 0);
    CHECK_RC(link_to(S, "nowhere", "dang"), 0);
    CHECK_RC(fs_mkdir(S, P("dang"), 0755), AE_EEXIST);
    CHECK_RC(fs_mkdir(S, P("dang/"), 0755), AE_EEXIST);
    CHECK_RC(type_of(S, "nowhere", false), 0);
    CHECK_RC(fs_rmdir(S, P("dl")), AE_ENOTDIR);
    CHECK_RC(fs_rmdir(S, P("dl/")), AE_ENOTDIR);
    CHECK_RC(fs_unlink(S, P("dl/")), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("l"), P("moved"), 0), 0);           /* the link moves, not t */
    CHECK_RC(type_of(S, "moved", false), FS_TYPE_SYMLINK);
    CHECK_STR(cat(S, "moved"), "t");
    CHECK_RC(fs_unlink(S, P("moved")), 0);
    CHECK_STR(cat(S, "t"), "t");
    CHECK_RC(fs_unlink(S, P("dl")), 0);
    CHECK_RC(type_of(S, "x/d", false), FS_TYPE_DIR);
    CHECK_RC(fs_rename(S, P("t"), P("dang"), 0), 0);            /* replaces the link itself */
    CHECK_RC(type_of(S, "dang", false), FS_TYPE_FILE);
    CHECK_RC(type_of(S, "nowhere", false), 0);
    end();
}

static void symlink_costs_one_page_and_one_inode(void)
{
    test_env_init(&T);
    IMG = NULL;
    struct fs_limits lim = { .data_bytes = 2 * 4096, .inodes = 2, .handles = 16 };
    S = session(NULL, lim, 0);
    B = session(NULL, lim, 0);
    struct fs_usage u;
    CHECK_RC(link_to(S, "a", "l1"), 0);
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.bytes_used, 4096);
    CHECK_RC(u.inodes_used, 1);
    CHECK_RC(T.pages_live, 1);
    CHECK_RC(link_to(S, "b", "l2"), 0);
    CHECK_RC(link_to(S, "c", "l3"), AE_ENOSPC);                 /* no page and no inode left */
    CHECK_RC(fs_unlink(S, P("l2")), 0);
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);                     /* the last inode */
    CHECK_RC(link_to(S, "c", "l3"), AE_ENOSPC);                 /* a page, but no inode */
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.bytes_used, 4096);                               /* the failure took nothing */
    CHECK_RC(T.pages_live, 1);
    CHECK_RC(type_of(S, "l3", false), 0);
    end();
}

static int count_links(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                       uint64_t cookie, const struct fs_stat *st)
{
    (void)st;
    (void)name, (void)len, (void)ino, (void)cookie;
    *(int *)ctx += type == FS_TYPE_SYMLINK;
    return 0;
}

static int count_fifos(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                       uint64_t cookie, const struct fs_stat *st)
{
    (void)name, (void)len, (void)ino, (void)cookie;
    *(int *)ctx += type == FS_TYPE_FIFO && st->type == FS_TYPE_FIFO;
    return 0;
}

/* MKNOD (FS_TYPE_FIFO): a node with a type, a mode and no data. stat and
 * readdir say FIFO; an open gives a handle that reads and writes nothing
 * (the pipe is the client's) and truncates nothing; it has hard links,
 * renames, chmods, unlinks while open (the handle still stats it), costs
 * an inode, and a session fork copies it (one node for two names) while
 * the other session of the same image never sees it. Other types and
 * modes past 07777 are EINVAL; an existing name EEXIST. */
static void fifo_nodes(void)
{
    begin();
    CHECK_RC(fs_mknod(S, P("f"), FS_TYPE_FIFO, 0640), 0);
    CHECK_RC(fs_mknod(S, P("f"), FS_TYPE_FIFO, 0640), AE_EEXIST);
    CHECK_RC(fs_mknod(S, P("etc/conf"), FS_TYPE_FIFO, 0640), AE_EEXIST);
    CHECK_RC(fs_mknod(S, P("nodir/f"), FS_TYPE_FIFO, 0640), AE_ENOENT);
    CHECK_RC(fs_mknod(S, P("g"), FS_TYPE_FILE, 0640), AE_EINVAL);
    CHECK_RC(fs_mknod(S, P("g"), FS_TYPE_DIR, 0640), AE_EINVAL);
    CHECK_RC(fs_mknod(S, P("g"), 99, 0640), AE_EINVAL);
    CHECK_RC(fs_mknod(S, P("g"), FS_TYPE_FIFO, 010000), AE_EINVAL);
    CHECK_RC(fs_mknod(S, P("x/d/f"), FS_TYPE_FIFO, 0600), 0);      /* in an image directory */
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.type, FS_TYPE_FIFO);
    CHECK_RC(st.mode, 0640);
    CHECK_RC(st.size, 0);
    CHECK_RC(st.nlink, 1);
    CHECK_RC(fs_stat(B, P("f"), &st), AE_ENOENT);                   /* another session of the image */
    uint64_t h, hw, hrw;
    CHECK_RC(fs_open(S, P("f"), FS_O_RDONLY, 0, &h, &st), 0);
    CHECK_RC(st.type, FS_TYPE_FIFO);
    CHECK_RC(fs_open(S, P("f"), FS_O_WRONLY | FS_O_TRUNC, 0, &hw, NULL), 0);
    CHECK_RC(fs_open(S, P("f"), FS_O_RDWR | FS_O_CREAT, 0600, &hrw, NULL), 0);
    CHECK_RC(fs_open(S, P("f"), FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0600, &hrw, NULL), AE_EEXIST);
    CHECK_RC(fs_open(S, P("f"), FS_O_RDONLY | FS_O_DIRECTORY, 0, &hrw, NULL), AE_ENOTDIR);
    char buf[8];
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), AE_EBADF);
    CHECK_RC(fs_write(S, hw, 0, "x", 1), AE_EBADF);
    CHECK_RC(fs_write(S, hrw, FS_OFF_CURRENT, "x", 1), AE_EBADF);
    CHECK_RC(fs_ftruncate(S, hw, 10), AE_EBADF);
    CHECK_RC(fs_truncate(S, P("f"), 10), AE_EINVAL);
    CHECK_RC(fs_readdir(S, h, 0, count_fifos, &(int){ 0 }, &(bool){ false }), AE_EBADF);   /* reads nothing */
    CHECK_RC(fs_fchmod(S, h, 0600), 0);
    CHECK_RC(fs_link(S, P("f"), P("f2"), 0), 0);
    CHECK_RC(fs_stat(S, P("f2"), &st), 0);
    CHECK_RC(st.nlink, 2);
    CHECK_RC(st.mode, 0600);
    int n = 0;
    bool eof;
    uint64_t d;
    CHECK_RC(fs_open(S, P(""), FS_O_RDONLY, 0, &d, NULL), 0);
    CHECK_RC(fs_readdir(S, d, 0, count_fifos, &n, &eof), 0);
    fs_close(S, d);
    CHECK_RC(n, 2);
    CHECK_RC(fs_rename(S, P("f2"), P("x/f3"), 0), 0);
    uint64_t ino = st.ino;
    CHECK_RC(fs_unlink(S, P("f")), 0);                             /* open: the handle keeps it */
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.type, FS_TYPE_FIFO);
    CHECK_RC(st.ino, ino);
    CHECK_RC(st.nlink, 1);
    for (uint64_t *p = (uint64_t[]){ h, hw, hrw }, i = 0; i < 3; i++)
        CHECK_RC(fs_close(S, p[i]), 0);
    check_ok(S);
    struct fs_session *c = session(IMG, big_limits(), 0);
    CHECK_RC(fs_session_fork(S, c), 0);
    CHECK_RC(fs_stat(c, P("x/f3"), &st), 0);
    CHECK_RC(st.type, FS_TYPE_FIFO);
    CHECK_RC(st.ino, ino);
    CHECK_RC(fs_stat(c, P("x/d/f"), &st), 0);
    CHECK_RC(st.type, FS_TYPE_FIFO);
    CHECK_RC(fs_unlink(c, P("x/f3")), 0);
    CHECK_RC(fs_stat(S, P("x/f3"), &st), 0);                       /* each its own from then on */
    check_ok(c);
    fs_session_destroy(c);
    end();
}

static void readdir_reports_links(void)
{
    begin();
    CHECK_RC(link_to(S, "x", "sl"), 0);
    CHECK_RC(link_to(S, "y", "x/e/sl"), 0);
    int links = 0;
    uint64_t h;
    bool eof;
    CHECK_RC(fs_open(S, P("x/e"), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_readdir(S, h, 0, count_links, &links, &eof), 0);
    fs_close(S, h);
    CHECK_RC(fs_open(S, P(""), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_readdir(S, h, 0, count_links, &links, &eof), 0);
    fs_close(S, h);
    CHECK_RC(links, 2);
    end();
}

/* ---- hard links -------------------------------------------------------- */

static void hard_link_is_a_second_name(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "one", 3), 3);
    CHECK_RC(fs_link(S, P("f"), P("x/e/g"), 0), 0);
    struct fs_stat a, b;
    CHECK_RC(fs_stat(S, P("f"), &a), 0);
    CHECK_RC(fs_stat(S, P("x/e/g"), &b), 0);
    CHECK_RC(a.ino, b.ino);
    CHECK_RC(a.nlink, 2);
    uint64_t h;
    CHECK_RC(fs_open(S, P("x/e/g"), FS_O_WRONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "two", 3), 3);
    CHECK_STR(cat(S, "f"), "two");
    CHECK_RC(fs_unlink(S, P("f")), 0);
    CHECK_RC(fs_fstat(S, h, &a), 0);
    CHECK_RC(a.nlink, 1);
    CHECK_STR(cat(S, "x/e/g"), "two");
    CHECK_RC(fs_unlink(S, P("x/e/g")), 0);
    CHECK_RC(fs_fstat(S, h, &a), 0);
    CHECK_RC(a.nlink, 0);                                       /* open, no name left */
    check_ok(S);
    fs_close(S, h);
    CHECK_RC(T.pages_live, 0);                                  /* freed with the last close */
    end();
}

static void hard_link_errors(void)
{
    begin();
    struct fs_volume *v;
    struct fs_limits vl = { .data_bytes = 1 << 20, .inodes = 100, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &vl, &v), 0);
    CHECK_RC(fs_session_mount(S, P("vol"), v, true), 0);
    fs_volume_put(v);
    CHECK_RC(put_file(S, "f", "f", 1), 1);
    CHECK_RC(put_file(S, "vol/vf", "v", 1), 1);
    CHECK_RC(fs_link(S, P("x"), P("x2"), 0), AE_EPERM);         /* a directory */
    CHECK_RC(fs_link(S, P("none"), P("n2"), 0), AE_ENOENT);
    CHECK_RC(fs_link(S, P("f"), P("etc/conf"), 0), AE_EEXIST);
    CHECK_RC(fs_link(S, P("f"), P(""), 0), AE_EEXIST);
    CHECK_RC(fs_link(S, P("f"), P("nodir/f"), 0), AE_ENOENT);
    CHECK_RC(fs_link(S, P("f"), P("vol/f"), 0), AE_EXDEV);
    CHECK_RC(fs_link(S, P("vol/vf"), P("g"), 0), AE_EXDEV);
    CHECK_RC(fs_link(S, P("vol/vf"), P("vol/vg"), 0), 0);       /* inside the volume: fine */
    CHECK_RC(fs_link(S, P("f"), P("f2"), 0x8), AE_EINVAL);
    CHECK_RC(link_to(S, "f", "sl"), 0);
    CHECK_RC(fs_link(S, P("sl"), P("sl2"), 0), 0);              /* the link itself */
    CHECK_RC(type_of(S, "sl2", false), FS_TYPE_SYMLINK);
    CHECK_RC(fs_link(S, P("sl"), P("f3"), FS_AT_FOLLOW), 0);    /* what it names */
    CHECK_RC(type_of(S, "f3", false), FS_TYPE_FILE);
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.nlink, 2);
    CHECK_RC(fs_lstat(S, P("sl"), &st), 0);
    CHECK_RC(st.nlink, 2);
    end();
}

static void hard_link_costs_an_inode(void)
{
    test_env_init(&T);
    IMG = NULL;
    struct fs_limits lim = { .data_bytes = 1 << 20, .inodes = 3, .handles = 16 };
    S = session(NULL, lim, 0);
    B = session(NULL, lim, 0);
    CHECK_RC(put_file(S, "f", "f", 1), 1);
    CHECK_RC(fs_link(S, P("f"), P("g"), 0), 0);
    CHECK_RC(fs_link(S, P("f"), P("h"), 0), 0);
    CHECK_RC(fs_link(S, P("f"), P("i"), 0), AE_ENOSPC);        /* each name costs one */
    struct fs_usage u;
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.inodes_used, 3);
    CHECK_RC(fs_rename(S, P("g"), P("g2"), 0), 0);              /* moving a name costs nothing */
    CHECK_RC(fs_unlink(S, P("h")), 0);
    CHECK_RC(fs_statfs(S, &u), 0);
    CHECK_RC(u.inodes_used, 2);
    CHECK_RC(fs_link(S, P("f"), P("i"), 0), 0);
    end();
}

static void hard_link_to_an_image_file(void)
{
    begin();
    CHECK_RC(fs_link(S, P("etc/conf"), P("c2"), 0), 0);         /* copies it up first */
    CHECK_STR(cat(S, "c2"), "conf=1");
    uint64_t h;
    CHECK_RC(fs_open(S, P("c2"), FS_O_WRONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 0, "CONF", 4), 4);
    fs_close(S, h);
    CHECK_STR(cat(S, "etc/conf"), "CONF=1");
    CHECK_STR(cat(B, "etc/conf"), "conf=1");
    struct fs_stat a, b;
    CHECK_RC(fs_stat(S, P("etc/conf"), &a), 0);
    CHECK_RC(fs_stat(B, P("etc/conf"), &b), 0);
    CHECK_RC(a.ino, b.ino);                                     /* the same file number */
    CHECK_RC(a.nlink, 2);
    CHECK_RC(b.nlink, 1);
    end();
}

/* ---- rename ------------------------------------------------------------- */

static void rename_per_posix(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "f", 1), 1);
    CHECK_RC(fs_link(S, P("f"), P("g"), 0), 0);
    CHECK_RC(fs_rename(S, P("f"), P("g"), 0), 0);               /* two names of one file: nothing */
    CHECK_RC(type_of(S, "f", false), FS_TYPE_FILE);
    CHECK_RC(fs_mkdir(S, P("d1"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("d2"), 0755), 0);
    CHECK_RC(put_file(S, "d1/in", "in", 2), 2);
    CHECK_RC(fs_rename(S, P("d1"), P("d2"), 0), 0);             /* over an empty directory */
    CHECK_STR(cat(S, "d2/in"), "in");
    CHECK_RC(fs_rename(S, P("x/e"), P("d2"), 0), AE_ENOTEMPTY);
    CHECK_RC(fs_rename(S, P("d2"), P("f"), 0), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("f"), P("d2"), 0), AE_EISDIR);
    CHECK_RC(fs_rename(S, P("f"), P("etc/conf"), FS_RENAME_NOREPLACE), AE_EEXIST);
    CHECK_RC(fs_rename(S, P("f"), P("fresh"), FS_RENAME_NOREPLACE), 0);
    CHECK_RC(fs_rename(S, P("fresh"), P("f"), 0x80), AE_EINVAL);
    CHECK_RC(link_to(S, "d2", "via"), 0);
    CHECK_RC(fs_rename(S, P("d2"), P("via/sub"), 0), AE_EINVAL); /* own subtree, through a link */
    CHECK_RC(fs_mkdir(S, P("d2/deeper"), 0755), 0);
    CHECK_RC(link_to(S, "../../d2/deeper", "x/e/back"), 0);
    CHECK_RC(fs_rename(S, P("d2"), P("x/e/back/y"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x"), P("x/d/b2"), 0), AE_EINVAL);   /* an image directory too */
    CHECK_RC(fs_rename(S, P("x"), P("x/d/a/deeper"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x/d"), P("dd"), 0), 0);             /* an image directory moves */
    CHECK_STR(cat(S, "dd/a/deep"), "deep");
    CHECK_RC(fs_rename(S, P("dd/.."), P("zz"), 0), AE_EBUSY);
    end();
}

/* ---- attributes ---------------------------------------------------------- */

static void chmod_chown_utimens_by_path(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "f", 1), 1);
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.mtime, 1000);
    CHECK_RC(st.ctime, 1000);
    T.clock = 2000;
    CHECK_RC(fs_chmod(S, P("f"), 06755, 0), 0);
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.mode, 06755);
    CHECK_RC(st.ctime, 2000);
    CHECK_RC(st.mtime, 1000);
    T.clock = 3000;
    CHECK_RC(fs_chown(S, P("f"), 1001, FS_ID_KEEP, 0), 0);
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.uid, 1001);
    CHECK_RC(st.gid, 0);
    CHECK_RC(st.mode, 0755);                                     /* set-id bits go, as on Linux */
    CHECK_RC(st.ctime, 3000);
    CHECK_RC(fs_chown(S, P("f"), FS_ID_KEEP, 42, 0), 0);
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.uid, 1001);
    CHECK_RC(st.gid, 42);
    T.clock = 4000;
    CHECK_RC(fs_utimens(S, P("f"), 123, FS_TIME_OMIT, 0), 0);
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.atime, 123);
    CHECK_RC(st.mtime, 1000);
    CHECK_RC(st.ctime, 4000);
    T.clock = 5000;
    CHECK_RC(fs_utimens(S, P("f"), FS_TIME_OMIT, FS_TIME_NOW, 0), 0);
    CHECK_RC(fs_stat(S, P("f"), &st), 0);
    CHECK_RC(st.atime, 123);
    CHECK_RC(st.mtime, 5000);
    CHECK_RC(fs_utimens(S, P("f"), FS_TIME_OMIT, FS_TIME_OMIT, 0), 0);
    CHECK_RC(fs_chmod(S, P("f"), 010000, 0), AE_EINVAL);
    CHECK_RC(fs_chmod(S, P("none"), 0644, 0), AE_ENOENT);
    CHECK_RC(fs_chmod(S, P("f/"), 0644, 0), AE_ENOTDIR);
    CHECK_RC(fs_chmod(S, P("f"), 0644, 0x8), AE_EINVAL);
    CHECK_RC(link_to(S, "f", "l"), 0);
    CHECK_RC(fs_chmod(S, P("l"), 0600, FS_AT_NOFOLLOW), AE_ENOTSUP);
    CHECK_RC(fs_chmod(S, P("l"), 0600, 0), 0);                   /* follows to f */
    CHECK_RC(fs_chown(S, P("l"), 7, 7, FS_AT_NOFOLLOW), 0);      /* lchown */
    CHECK_RC(fs_lstat(S, P("l"), &st), 0);
    CHECK_RC(st.uid, 7);
    CHECK_RC(fs_stat(S, P("l"), &st), 0);
    CHECK_RC(st.uid, 1001);
    CHECK_RC(st.mode, 0600);
    CHECK_RC(fs_utimens(S, P("l"), 9, 9, FS_AT_NOFOLLOW), 0);
    CHECK_RC(fs_lstat(S, P("l"), &st), 0);
    CHECK_RC(st.mtime, 9);
    end();
}

static void attributes_of_image_files_copy_them_up(void)
{
    begin();
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("etc/conf"), &st), 0);
    CHECK_RC(st.mtime, 0);                                       /* image files have no times */
    CHECK_RC(st.uid, 0);
    CHECK_RC(fs_chmod(S, P("etc/conf"), 0600, 0), 0);
    CHECK_RC(fs_chown(S, P("x/d/a"), 5, 6, 0), 0);
    CHECK_RC(fs_stat(S, P("etc/conf"), &st), 0);
    CHECK_RC(st.mode, 0600);
    CHECK_RC(st.blocks, 8);                                      /* still the image's page */
    CHECK_RC(T.pages_live, 0);                                   /* no data was copied */
    CHECK_STR(cat(S, "etc/conf"), "conf=1");
    CHECK_RC(fs_stat(S, P("x/d/a"), &st), 0);
    CHECK_RC(st.uid, 5);
    CHECK_STR(cat(S, "x/d/a/deep"), "deep");
    CHECK_RC(fs_stat(B, P("etc/conf"), &st), 0);
    CHECK_RC(st.mode, 0644);                                     /* B's stays the image's */
    struct fs_session *ro = session(IMG, big_limits(), FS_SESSION_RDONLY);
    CHECK_RC(fs_chmod(ro, P("etc/conf"), 0600, 0), AE_EROFS);
    CHECK_RC(fs_chown(ro, P("etc/conf"), 1, 1, 0), AE_EROFS);
    CHECK_RC(fs_utimens(ro, P("etc/conf"), 1, 1, 0), AE_EROFS);
    CHECK_RC(fs_symlink(ro, "x", 1, P("l")), AE_EROFS);
    CHECK_RC(fs_link(ro, P("etc/conf"), P("c"), 0), AE_EROFS);
    uint64_t h;
    CHECK_RC(fs_open(ro, P("etc/conf"), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_fchmod(ro, h, 0600), AE_EROFS);
    CHECK_RC(fs_fsync(ro, h), 0);
    fs_close(ro, h);
    check_ok(ro);
    fs_session_destroy(ro);
    end();
}

static void handle_attribute_calls_and_fsync(void)
{
    begin();
    uint64_t h, img, gone, dir;
    CHECK_RC(fs_open(S, P("new"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), 0);
    CHECK_RC(fs_fchmod(S, h, 0700), 0);
    CHECK_RC(fs_fchown(S, h, 3, 4), 0);
    CHECK_RC(fs_futimens(S, h, 11, 12), 0);
    struct fs_stat st;
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK(st.mode == 0700 && st.uid == 3 && st.gid == 4 && st.atime == 11 && st.mtime == 12);
    CHECK_RC(fs_fsync(S, h), 0);
    CHECK_RC(fs_fchmod(S, h, 070000), AE_EINVAL);
    fs_close(S, h);
    CHECK_RC(fs_fsync(S, h), AE_EBADF);
    CHECK_RC(fs_fchmod(S, h, 0644), AE_EBADF);
    /* a read-only handle on an image file: the file is copied up */
    CHECK_RC(fs_open(S, P("x/d/b"), FS_O_RDONLY, 0, &img, NULL), 0);
    CHECK_RC(fs_fchmod(S, img, 0400), 0);
    CHECK_RC(fs_stat(S, P("x/d/b"), &st), 0);
    CHECK_RC(st.mode, 0400);
    CHECK_RC(fs_fstat(S, img, &st), 0);
    CHECK_RC(st.mode, 0400);
    /* a handle on an image directory */
    CHECK_RC(fs_open(S, P("x/e"), FS_O_RDONLY, 0, &dir, NULL), 0);
    CHECK_RC(fs_futimens(S, dir, 77, 77), 0);
    CHECK_RC(fs_stat(S, P("x/e"), &st), 0);
    CHECK_RC(st.mtime, 77);
    /* an image file no longer visible (its directory moved away and replaced) */
    CHECK_RC(fs_open(S, P("bin/app"), FS_O_RDONLY, 0, &gone, NULL), 0);
    CHECK_RC(fs_rename(S, P("bin"), P("bin.old"), 0), 0);
    CHECK_RC(fs_unlink(S, P("bin.old/app")), 0);
    CHECK_RC(fs_fchmod(S, gone, 0500), 0);                       /* a copy only the handle sees */
    CHECK_RC(fs_fstat(S, gone, &st), 0);
    CHECK_RC(st.mode, 0500);
    CHECK_RC(st.nlink, 0);
    char buf[8] = { 0 };
    CHECK_RC(fs_read(S, gone, 0, buf, sizeof buf), 3);
    CHECK_STR(buf, "app");
    CHECK_RC(type_of(S, "bin.old/app", false), 0);
    check_ok(S);
    fs_close(S, img);
    fs_close(S, dir);
    fs_close(S, gone);
    end();
}

static void times_follow_changes(void)
{
    begin();
    T.clock = 10;
    CHECK_RC(fs_mkdir(S, P("d"), 0755), 0);
    T.clock = 20;
    uint64_t h;
    CHECK_RC(fs_open(S, P("d/f"), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL), 0);
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("d"), &st), 0);
    CHECK_RC(st.mtime, 20);                                       /* an entry was added */
    T.clock = 30;
    CHECK_RC(fs_write(S, h, 0, "x", 1), 1);
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK(st.mtime == 30 && st.ctime == 30 && st.atime == 20);
    char c;
    T.clock = 40;
    CHECK_RC(fs_read(S, h, 0, &c, 1), 1);
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.atime, 20);                                       /* reads leave atime (noatime) */
    CHECK_RC(fs_ftruncate(S, h, 0), 0);
    CHECK_RC(fs_fstat(S, h, &st), 0);
    CHECK_RC(st.mtime, 40);
    fs_close(S, h);
    T.clock = 50;
    CHECK_RC(fs_rename(S, P("d/f"), P("g"), 0), 0);
    CHECK_RC(fs_stat(S, P("d"), &st), 0);
    CHECK_RC(st.mtime, 50);
    CHECK_RC(fs_stat(S, P("g"), &st), 0);
    CHECK(st.ctime == 50 && st.mtime == 40);
    end();
}

/* ---- walks from a directory handle ------------------------------------ */

static void paths_from_a_directory_handle(void)
{
    begin();
    uint64_t d, f, h;
    CHECK_RC(fs_open(S, P("x/d"), FS_O_RDONLY | FS_O_DIRECTORY, 0, &d, NULL), 0);
    struct fs_path *p = calloc(1, sizeof *p);
    CHECK_RC(fs_path_parse("b", 1, p), 0);
    p->base = d;
    char buf[16] = { 0 };
    CHECK_RC(fs_open(S, p, FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_read(S, h, 0, buf, sizeof buf), 1);
    fs_close(S, h);
    CHECK_RC(fs_path_parse("../e/made", 9, p), 0);
    p->base = d;
    CHECK_RC(fs_mkdir(S, p, 0755), 0);
    CHECK_RC(type_of(S, "x/e/made", false), FS_TYPE_DIR);
    CHECK_RC(fs_path_parse("/etc/conf", 9, p), 0);                 /* absolute: the base is ignored */
    p->base = d;
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), 0);
    CHECK_RC(fs_path_parse("a/new", 5, p), 0);                     /* a copy-up below the handle */
    p->base = d;
    CHECK_RC(put_file(S, "x/d/a/sib", "s", 1), 1);
    CHECK_RC(fs_mkdir(S, p, 0755), 0);
    CHECK_RC(type_of(S, "x/d/a/new", false), FS_TYPE_DIR);
    CHECK_RC(fs_path_parse("a/../a/sib", 10, p), 0);
    p->base = d;
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), 0);
    CHECK_RC(put_file(S, "plain", "p", 1), 1);
    CHECK_RC(fs_open(S, P("plain"), FS_O_RDONLY, 0, &f, NULL), 0);
    CHECK_RC(fs_path_parse("x", 1, p), 0);
    p->base = f;
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), AE_ENOTDIR);   /* the base is a file */
    p->base = f + (1ull << 32);
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), AE_EBADF);
    fs_close(S, f);
    fs_close(S, d);
    free(p);
    end();
}

/* A directory handle whose image directory's chain got copied up above
 * it (by changes next to it) still finds the changes there. */
static void image_directory_handle_sees_later_copy_ups(void)
{
    begin();
    uint64_t a;
    CHECK_RC(fs_open(S, P("x/d/a"), FS_O_RDONLY, 0, &a, NULL), 0);  /* image-only down to it */
    CHECK_RC(put_file(S, "x/d/sibling", "s", 1), 1);               /* copies x and x/d up */
    struct fs_path *p = calloc(1, sizeof *p);
    CHECK_RC(fs_path_parse("../sibling", 10, p), 0);
    p->base = a;
    char buf[4] = { 0 };
    uint64_t h;
    CHECK_RC(fs_open(S, p, FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_read(S, h, 0, buf, 1), 1);
    CHECK_STR(buf, "s");
    fs_close(S, h);
    CHECK_RC(fs_rmdir(S, P("x/e")), 0);
    CHECK_RC(fs_rename(S, P("x/d"), P("moved"), 0), 0);            /* the handle moves with it */
    CHECK_RC(fs_path_parse("../../e", 7, p), 0);
    p->base = a;
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), AE_ENOENT);
    CHECK_RC(fs_path_parse("../sibling", 10, p), 0);
    p->base = a;
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), 0);
    CHECK_RC(fs_path_parse("..", 2, p), 0);
    p->base = a;
    struct fs_stat st, st2;
    CHECK_RC(fs_stat(S, p, &st), 0);
    CHECK_RC(fs_stat(S, P("moved"), &st2), 0);
    CHECK_RC(st.ino, st2.ino);
    /* removed: the handle's directory is gone, nothing is created in it */
    CHECK_RC(fs_unlink(S, P("moved/a/deep")), 0);
    CHECK_RC(fs_rmdir(S, P("moved/a")), 0);
    CHECK_RC(fs_path_parse("x", 1, p), 0);
    p->base = a;
    CHECK_RC(fs_mkdir(S, p, 0755), AE_ENOENT);
    CHECK_RC(fs_path_parse("..", 2, p), 0);
    p->base = a;
    CHECK_RC(fs_stat(S, p, &st), AE_ENOENT);
    check_ok(S);
    fs_close(S, a);
    free(p);
    end();
}

/* ---- volumes and links -------------------------------------------------- */

static void links_cross_mounts_and_resolve_in_each_sessions_root(void)
{
    begin();
    struct fs_volume *v;
    struct fs_limits vl = { .data_bytes = 1 << 20, .inodes = 100, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &vl, &v), 0);
    CHECK_RC(fs_session_mount(S, P("data"), v, true), 0);
    CHECK_RC(fs_session_mount(B, P("mnt/v"), v, false), 0);
    fs_volume_put(v);
    CHECK_RC(put_file(S, "data/file", "vol", 3), 3);
    CHECK_RC(link_to(S, "data/file", "into"), 0);
    CHECK_STR(cat(S, "into"), "vol");
    CHECK_RC(link_to(S, "data", "dl"), 0);
    CHECK_STR(cat(S, "dl/file"), "vol");
    struct fs_stat st;
    CHECK_RC(fs_stat(S, P("dl/file"), &st), 0);
    CHECK_RC(st.dev, 1);
    CHECK_RC(fs_rmdir(S, P("dl/")), AE_ENOTDIR);
    CHECK_RC(fs_rename(S, P("dl/file"), P("here"), 0), AE_EXDEV);
    CHECK_RC(fs_rename(S, P("data"), P("elsewhere"), 0), AE_EBUSY);
    CHECK_RC(fs_rename(S, P("etc"), P("data"), 0), AE_EBUSY);
    /* a link in the shared volume resolves in the root of whoever follows it */
    CHECK_RC(put_file(S, "mine", "S's", 3), 3);
    CHECK_RC(put_file(B, "mine", "B's", 3), 3);
    CHECK_RC(link_to(S, "/mine", "data/abs"), 0);
    CHECK_RC(link_to(S, "../../../../../etc/hosts", "data/rel"), 0);
    CHECK_STR(cat(S, "data/abs"), "S's");
    CHECK_STR(cat(B, "mnt/v/abs"), "B's");
    CHECK_STR(cat(S, "data/rel"), "localhost");
    CHECK_STR(cat(B, "mnt/v/rel"), "localhost");
    CHECK_STR(cat(S, "data/../etc/conf"), "conf=1");
    CHECK_RC(put_file(B, "mnt/v/abs", "no", 2), 2);               /* B's /mine: B's own file */
    CHECK_STR(cat(S, "mine"), "S's");
    CHECK_RC(fs_symlink(B, "x", 1, P("mnt/v/new")), AE_EROFS);
    CHECK_RC(fs_unlink(B, P("mnt/v/abs")), AE_EROFS);
    end();
}

static void long_expansions_are_enametoolong(void)
{
    begin();
    static char t[FS_PATH_MAX];
    for (int i = 0; i < 3000; i += 2)
        t[i] = 'a', t[i + 1] = '/';
    CHECK_RC(fs_symlink(S, t, 3000, P("l")), 0);
    static char path[2000];
    memset(path, 'b', sizeof path);
    memcpy(path, "l/", 2);
    for (size_t i = 10; i < sizeof path; i += 10)
        path[i] = '/';
    struct fs_path *p = calloc(1, sizeof *p);
    CHECK_RC(fs_path_parse(path, sizeof path, p), 0);
    CHECK_RC(fs_stat(S, p, &(struct fs_stat){ 0 }), AE_ENAMETOOLONG);   /* 3000 + 2000 bytes */
    free(p);
    end();
}

/* A fork (fs_session_fork: docs/FORK.md, "Files"): B gets S's private
 * layer — files with their pages (a sparse one too), a file half read
 * from the image, a hard link kept one node, a symbolic link, an image
 * file S deleted — with the same inode numbers and accounting, and from
 * then on each changes alone; S can go first. */
static void session_fork_copies_the_private_layer(void)
{
    begin();
    static char big[3 * 4096 + 100];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 23);
    CHECK_RC(put_file(S, "f", big, sizeof big), sizeof big);
    uint64_t h;
    CHECK_RC(fs_open(S, P("f"), FS_O_WRONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 5ull << 20, "far", 3), 3);           /* index pages of a sparse file */
    CHECK_RC(fs_close(S, h), 0);
    CHECK_RC(fs_mkdir(S, P("dir"), 0750), 0);
    CHECK_RC(put_file(S, "dir/g", "gee", 3), 3);
    CHECK_RC(fs_link(S, P("f"), P("dir/f2"), 0), 0);
    CHECK_RC(link_to(S, "etc/conf", "ln"), 0);
    CHECK_RC(fs_unlink(S, P("etc/hosts")), 0);                    /* a whiteout */
    CHECK_RC(put_file(S, "gone", "x", 1), 1);
    CHECK_RC(fs_unlink(S, P("gone")), 0);                         /* a cookie left unused */
    CHECK_RC(put_file(S, "late", "l", 1), 1);
    CHECK_RC(fs_open(S, P("bin/app"), FS_O_WRONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_write(S, h, 1, "X", 1), 1);                       /* a page over image data */
    CHECK_RC(fs_close(S, h), 0);
    CHECK_RC(fs_mkdir(S, P("x/d/new"), 0700), 0);                 /* under a copied-up image directory */
    uint64_t held[3];
    for (int i = 0; i < 3; i++)
        CHECK_RC(fs_open(S, P("dir/g"), FS_O_RDONLY, 0, &held[i], NULL), 0);
    CHECK_RC(fs_close(S, held[1]), 0);
    CHECK_RC(fs_session_fork(S, B), 0);
    /* B hands out none of the values S's handles have: one a clone still
     * holds from its original names nothing in B, never a file B opened. */
    uint64_t hb[4];
    for (int i = 0; i < 4; i++) {
        CHECK_RC(fs_open(B, P("f"), FS_O_RDONLY, 0, &hb[i], NULL), 0);
        CHECK(hb[i] != held[0] && hb[i] != held[2]);
    }
    struct fs_stat hs;
    CHECK_RC(fs_fstat(B, held[0], &hs), AE_EBADF);
    for (int i = 0; i < 4; i++)
        CHECK_RC(fs_close(B, hb[i]), 0);
    CHECK_RC(fs_close(S, held[0]), 0);
    CHECK_RC(fs_close(S, held[2]), 0);
    check_ok(B);
    struct fs_usage us, ub;
    CHECK_RC(fs_statfs(S, &us), 0);
    CHECK_RC(fs_statfs(B, &ub), 0);
    CHECK_RC(ub.bytes_used, us.bytes_used);
    CHECK_RC(ub.inodes_used, us.inodes_used);
    static char got[sizeof big];
    CHECK_RC(get_file(B, "f", got, sizeof big), sizeof big);
    CHECK(!memcmp(got, big, sizeof big));
    struct fs_stat a, b, c;
    CHECK_RC(fs_stat(B, P("f"), &a), 0);
    CHECK_RC(fs_stat(B, P("dir/f2"), &b), 0);
    CHECK_RC(fs_stat(S, P("f"), &c), 0);
    CHECK_RC(a.ino, b.ino);
    CHECK_RC(a.ino, c.ino);
    CHECK_RC(a.nlink, 2);
    CHECK_RC(a.size, (5ull << 20) + 3);
    CHECK_RC(a.mtime, c.mtime);
    CHECK_RC(fs_stat(B, P("dir"), &a), 0);
    CHECK_RC(a.mode, 0750);
    CHECK_STR(cat(B, "dir/g"), "gee");
    char t[64];
    CHECK_RC(readlink_str(B, "ln", t, sizeof t), 8);
    CHECK_STR(t, "etc/conf");
    CHECK_STR(cat(B, "ln"), "conf=1");
    CHECK_RC(fs_stat(B, P("etc/hosts"), &a), AE_ENOENT);
    CHECK_RC(fs_stat(B, P("gone"), &a), AE_ENOENT);
    CHECK_STR(cat(B, "bin/app"), "aXp");
    CHECK_RC(fs_stat(B, P("x/d/new"), &a), 0);
    char ls[256], ls2[256];
    CHECK_RC(list_dir(B, "/", ls, sizeof ls), list_dir(S, "/", ls2, sizeof ls2));
    CHECK_STR(ls, ls2);
    CHECK_RC(list_dir(B, "x/d", ls, sizeof ls), 3);
    /* From now on each alone; a new node of B's gets a number of its own. */
    CHECK_RC(put_file(B, "dir/g", "bee", 3), 3);
    CHECK_STR(cat(S, "dir/g"), "gee");
    CHECK_RC(put_file(B, "newer", "n", 1), 1);
    CHECK_RC(fs_stat(B, P("newer"), &a), 0);
    CHECK_RC(fs_stat(S, P("late"), &b), 0);
    CHECK(a.ino > b.ino);
    check_ok(S);
    fs_session_destroy(S);                                        /* the original goes first */
    CHECK_RC(get_file(B, "f", got, sizeof big), sizeof big);
    CHECK(!memcmp(got, big, sizeof big));
    S = session(IMG, big_limits(), 0);
    end();
}

/* ---- a fork that shares pages: sessions over arenas ----------------------
 * An environment whose pages come from an arena of its own, with the
 * optional fork hooks: pages_share copies the source's arena into this
 * one (an "image" at a fixed distance), page_adopt and page_own keep
 * count. The core must move every pointer into its own arena (a pointer
 * left in the source's would make a change of one show in the other),
 * adopt exactly the pages the copy names, own each index page before it
 * writes it, and give every page back at the end. */
#define ARENA_PAGES 2048

struct arena {
    struct fs_env env;
    uint8_t *base;
    uint8_t used[ARENA_PAGES];
    uint8_t shared[ARENA_PAGES];     /* an image not yet owned */
    long live, mem_live, owned, adopted;
};

static unsigned arena_index(struct arena *a, void *page)
{
    uint64_t off = (uint64_t)((uint8_t *)page - a->base);
    if (off % 4096 || off / 4096 >= ARENA_PAGES)
        abort();                     /* not a page of this arena */
    return (unsigned)(off / 4096);
}

static int a_page_alloc(void *ctx, void **page)
{
    struct arena *a = ctx;
    for (unsigned i = 0; i < ARENA_PAGES; i++)
        if (!a->used[i]) {
            a->used[i] = 1;
            a->shared[i] = 0;        /* handed out owned */
            a->live++;
            *page = a->base + (uint64_t)i * 4096;
            memset(*page, 0xee, 4096);
            return 0;
        }
    return AE_ENOSPC;
}

static void a_page_free(void *ctx, void *page)
{
    struct arena *a = ctx;
    unsigned i = arena_index(a, page);
    if (!a->used[i])
        abort();                     /* freed twice, or never adopted */
    a->used[i] = 0;
    a->live--;
}

static void *a_mem_alloc(void *ctx, size_t size)
{
    ((struct arena *)ctx)->mem_live += (long)size;
    return malloc(size);
}

static void a_mem_free(void *ctx, void *p, size_t size)
{
    ((struct arena *)ctx)->mem_live -= (long)size;
    free(p);
}

static void *a_lock_new(void *ctx)
{
    (void)ctx;
    pthread_mutex_t *m = malloc(sizeof *m);
    if (m)
        pthread_mutex_init(m, NULL);
    return m;
}

static void a_lock_free(void *ctx, void *lock)
{
    (void)ctx;
    pthread_mutex_destroy(lock);
    free(lock);
}

static void a_lock(void *l) { pthread_mutex_lock(l); }
static void a_unlock(void *l) { pthread_mutex_unlock(l); }

static int a_pages_share(void *ctx, void *src_ctx, intptr_t *delta)
{
    struct arena *d = ctx, *s = src_ctx;
    if (d->live)
        return AE_ENOTSUP;
    memcpy(d->base, s->base, (size_t)ARENA_PAGES * 4096);
    memset(d->shared, 1, sizeof d->shared);
    memset(s->shared, 1, sizeof s->shared);
    *delta = (intptr_t)(d->base - s->base);
    return 0;
}

static void a_page_adopt(void *ctx, void *page)
{
    struct arena *a = ctx;
    unsigned i = arena_index(a, page);
    if (a->used[i])
        abort();                     /* adopted twice */
    a->used[i] = 1;
    a->live++;
    a->adopted++;
}

static int a_page_own(void *ctx, void *page)
{
    struct arena *a = ctx;
    unsigned i = arena_index(a, page);
    a->owned += a->shared[i];
    a->shared[i] = 0;
    return 0;
}

static void arena_init(struct arena *a)
{
    memset(a, 0, sizeof *a);
    a->base = aligned_alloc(4096, (size_t)ARENA_PAGES * 4096);
    if (!a->base)
        abort();
    memset(a->base, 0xdd, (size_t)ARENA_PAGES * 4096);
    a->env = (struct fs_env){
        .ctx = a, .page_alloc = a_page_alloc, .page_free = a_page_free, .mem_alloc = a_mem_alloc,
        .mem_free = a_mem_free, .lock_new = a_lock_new, .lock_free = a_lock_free, .lock = a_lock,
        .unlock = a_unlock, .pages_share = a_pages_share, .page_adopt = a_page_adopt, .page_own = a_page_own,
    };
}

/* A fork between sessions whose memory can share pages: the copy adopts
 * the images (pointers moved into its own arena) instead of copying, owns
 * each index page it rewrites, leaves a page only an unlinked open file
 * holds unadopted, and each side then changes alone; every page and byte
 * comes back. */
static void session_fork_adopts_shared_pages(void)
{
    static struct arena aa, ab;
    arena_init(&aa);
    arena_init(&ab);
    struct fs_image *img = make_image("etc/conf", "conf=1", "etc/hosts", "localhost", "bin/app", "app", NULL);
    struct fs_limits lim = big_limits();
    struct fs_session *s = NULL, *b = NULL;
    CHECK_RC(fs_session_create(&aa.env, img, &lim, 0, &s), 0);
    CHECK_RC(fs_session_create(&ab.env, img, &lim, 0, &b), 0);
    static char big[3 * 4096 + 100];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 23);
    CHECK_RC(put_file(s, "f", big, sizeof big), sizeof big);
    uint64_t h;
    CHECK_RC(fs_open(s, P("f"), FS_O_WRONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_write(s, h, 5ull << 20, "far", 3), 3);            /* a taller tree: index pages */
    CHECK_RC(fs_close(s, h), 0);
    CHECK_RC(fs_link(s, P("f"), P("f2"), 0), 0);
    CHECK_RC(link_to(s, "etc/conf", "ln"), 0);
    CHECK_RC(fs_unlink(s, P("etc/hosts")), 0);
    CHECK_RC(fs_open(s, P("bin/app"), FS_O_WRONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_write(s, h, 1, "X", 1), 1);
    CHECK_RC(fs_close(s, h), 0);
    CHECK_RC(put_file(s, "gone", "held open", 9), 9);
    uint64_t held;
    CHECK_RC(fs_open(s, P("gone"), FS_O_RDONLY, 0, &held, NULL), 0);
    CHECK_RC(fs_unlink(s, P("gone")), 0);                         /* its page: named by no copied file */
    long source_pages = aa.live;
    CHECK_RC(fs_session_fork(s, b), 0);
    CHECK_RC(ab.adopted, source_pages - 1);                       /* its one data page, its tree's root */
    CHECK_RC(ab.live, source_pages - 1);
    CHECK(ab.owned >= 3);                                         /* f's index pages, before they moved */
    struct fs_stat st;
    CHECK_RC(fs_stat(b, P("gone"), &st), AE_ENOENT);
    static char got[sizeof big];
    CHECK_RC(get_file(b, "f2", got, sizeof big), sizeof big);
    CHECK(!memcmp(got, big, sizeof big));
    char t[64];
    CHECK_RC(readlink_str(b, "ln", t, sizeof t), 8);
    CHECK_STR(t, "etc/conf");
    CHECK_STR(cat(b, "bin/app"), "aXp");
    CHECK_RC(fs_stat(b, P("etc/hosts"), &st), AE_ENOENT);
    char far[3];
    CHECK_RC(fs_open(b, P("f"), FS_O_RDWR, 0, &h, NULL), 0);
    CHECK_RC(fs_read(b, h, 5ull << 20, far, 3), 3);
    CHECK(!memcmp(far, "far", 3));
    /* Each alone: a rewrite, a page added, a truncation. */
    long owned = ab.owned;
    CHECK_RC(fs_write(b, h, 10, "BBBB", 4), 4);
    CHECK(ab.owned == owned + 1);                                 /* the data page owned before the write */
    CHECK_RC(fs_write(b, h, 3ull << 20, "new", 3), 3);
    CHECK_RC(fs_close(b, h), 0);
    CHECK_RC(fs_truncate(b, P("f"), 4096 + 7), 0);
    CHECK_RC(put_file(s, "bin/app", "SSS", 3), 3);
    CHECK_RC(get_file(s, "f", got, sizeof big), sizeof big);
    CHECK(!memcmp(got, big, sizeof big));                         /* S's f untouched */
    CHECK_STR(cat(b, "bin/app"), "aXp");
    CHECK_RC(fs_stat(s, P("f"), &st), 0);
    CHECK_RC(st.size, (5ull << 20) + 3);
    CHECK_RC(fs_stat(b, P("f"), &st), 0);
    CHECK_RC(st.size, 4096 + 7);
    CHECK_RC(fs_close(s, held), 0);
    check_ok(s);
    check_ok(b);
    fs_session_destroy(s);                                        /* the source first */
    CHECK_RC(get_file(b, "f", got, sizeof big), 4096 + 7);
    CHECK(!memcmp(got, "abcdefghijBBBB", 14));
    fs_session_destroy(b);
    fs_image_put(img);
    test_archives_free();
    CHECK_RC(aa.live, 0);
    CHECK_RC(ab.live, 0);
    CHECK_RC(aa.mem_live, 0);
    CHECK_RC(ab.mem_live, 0);
    free(aa.base);
    free(ab.base);
}

static void session_fork_refusals(void)
{
    begin();
    CHECK_RC(put_file(S, "f", "data", 4), 4);
    CHECK_RC(fs_session_fork(S, S), AE_EINVAL);
    struct fs_session *none = session(NULL, big_limits(), 0);
    CHECK_RC(fs_session_fork(S, none), AE_EINVAL);                /* another image */
    CHECK_RC(fs_session_fork(none, S), AE_EINVAL);
    fs_session_destroy(none);
    struct fs_session *ro = session(IMG, big_limits(), FS_SESSION_RDONLY);
    CHECK_RC(fs_session_fork(S, ro), AE_EROFS);
    fs_session_destroy(ro);
    uint64_t h;
    CHECK_RC(fs_open(B, P("etc/conf"), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_session_fork(S, B), AE_EBUSY);                    /* a handle open in B */
    CHECK_RC(fs_close(B, h), 0);
    CHECK_RC(put_file(B, "mine", "m", 1), 1);
    CHECK_RC(fs_session_fork(S, B), AE_ENOTEMPTY);
    CHECK_STR(cat(B, "mine"), "m");
    struct fs_limits small = { .data_bytes = 4096, .inodes = 64, .handles = 16 };
    static char big[3 * 4096];
    CHECK_RC(put_file(S, "big", big, sizeof big), sizeof big);
    struct fs_session *tiny = session(IMG, small, 0);
    CHECK_RC(fs_session_fork(S, tiny), AE_ENOSPC);                /* a part copied: its opener closes it */
    check_ok(tiny);
    fs_session_destroy(tiny);
    end();
}

/* ---- symbolic links of the image (the lower layer) ---------------------- */

/* An Alpine-like image: /bin/sh -> busybox, /bin/ls -> /bin/busybox, a
 * directory link, one climbing with "..", loops, a dangling one. */
static struct fs_image *link_image(void)
{
    return make_image("bin/busybox", "BB", "@bin/sh", "busybox", "@bin/ls", "/bin/busybox",
                      "usr/lib/libc", "libc", "@lib", "usr/lib", "@up", "../../../..",
                      "@bin/abs", "/../../../bin/busybox", "@loop1", "loop2", "@loop2", "/loop1",
                      "@self", "./self", "@dang", "/nothing", "@bin/updir", "../lib/../../up/usr", NULL);
}

static void image_links_are_followed_inside_the_root(void)
{
    test_env_init(&T);
    struct fs_image *im = link_image();
    struct fs_session *s = session(im, big_limits(), 0);
    char t[64];
    struct fs_stat st;
    CHECK_RC(type_of(s, "bin/sh", true), FS_TYPE_FILE);
    CHECK_RC(type_of(s, "bin/sh", false), FS_TYPE_SYMLINK);
    CHECK_RC(fs_lstat(s, P("bin/sh"), &st), 0);
    CHECK_RC(st.size, 7);
    CHECK_RC(st.mode, 0777);
    CHECK_RC(readlink_str(s, "bin/ls", t, sizeof t), 12);
    CHECK_STR(t, "/bin/busybox");
    CHECK_RC(readlink_str(s, "/up", t, sizeof t), 11);            /* stored as given */
    CHECK_STR(t, "../../../..");
    CHECK_STR(cat(s, "bin/sh"), "BB");
    CHECK_STR(cat(s, "/bin/ls"), "BB");
    CHECK_STR(cat(s, "bin/abs"), "BB");                          /* "/.." is "/" */
    CHECK_STR(cat(s, "lib/libc"), "libc");                        /* a directory link */
    CHECK_STR(cat(s, "up/up/up/bin/sh"), "BB");                   /* ".." never leaves the root */
    CHECK_STR(cat(s, "bin/updir/lib/libc"), "libc");
    CHECK_RC(type_of(s, "up", true), FS_TYPE_DIR);
    CHECK_RC(fs_stat(s, P("loop1"), &st), AE_ELOOP);
    CHECK_RC(fs_stat(s, P("self"), &st), AE_ELOOP);
    CHECK_RC(fs_stat(s, P("loop2/x"), &st), AE_ELOOP);
    CHECK_RC(type_of(s, "loop1", false), FS_TYPE_SYMLINK);        /* lstat does not follow */
    CHECK_RC(fs_stat(s, P("dang"), &st), AE_ENOENT);
    CHECK_RC(type_of(s, "dang", false), FS_TYPE_SYMLINK);
    uint64_t h;
    CHECK_RC(fs_open(s, P("bin/sh"), FS_O_RDONLY | FS_O_NOFOLLOW, 0, &h, NULL), AE_ELOOP);
    CHECK_RC(fs_open(s, P("lib"), FS_O_RDONLY | FS_O_DIRECTORY, 0, &h, NULL), 0);
    fs_close(s, h);
    CHECK_RC(fs_readlink(s, P("bin/busybox"), t, sizeof t), AE_EINVAL);
    /* readdir gives the links' type: sh, ls, abs, updir in bin; up, lib, loop1,
     * loop2, self, dang at the root */
    int links = 0;
    bool eof;
    CHECK_RC(fs_open(s, P("bin"), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_readdir(s, h, 0, count_links, &links, &eof), 0);
    fs_close(s, h);
    CHECK_RC(links, 4);
    CHECK_RC(fs_open(s, P("/"), FS_O_RDONLY, 0, &h, NULL), 0);
    CHECK_RC(fs_readdir(s, h, 0, count_links, &links, &eof), 0);
    fs_close(s, h);
    CHECK_RC(links, 10);
    check_ok(s);
    fs_session_destroy(s);
    fs_image_put(im);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

static void image_links_copy_up_and_whiteouts(void)
{
    test_env_init(&T);
    struct fs_image *im = link_image();
    struct fs_session *s = session(im, big_limits(), 0), *b = session(im, big_limits(), 0);
    char t[64];
    struct fs_stat st, before;
    CHECK_RC(fs_lstat(s, P("bin/ls"), &before), 0);
    /* renamed: the same link (inode, target) under a new name */
    CHECK_RC(fs_rename(s, P("bin/ls"), P("ls2"), 0), 0);
    CHECK_RC(fs_lstat(s, P("ls2"), &st), 0);
    CHECK_RC(st.ino, before.ino);
    CHECK_RC(readlink_str(s, "ls2", t, sizeof t), 12);
    CHECK_STR(t, "/bin/busybox");
    CHECK_STR(cat(s, "ls2"), "BB");
    CHECK_RC(type_of(s, "bin/ls", false), 0);                     /* a whiteout hides it */
    /* removed, then made again with another target */
    CHECK_RC(fs_unlink(s, P("bin/sh")), 0);
    CHECK_RC(type_of(s, "bin/sh", false), 0);
    CHECK_RC(link_to(s, "/lib/libc", "bin/sh"), 0);
    CHECK_STR(cat(s, "bin/sh"), "libc");
    /* a link's attributes changed without following: a copy-up */
    CHECK_RC(fs_chown(s, P("dang"), 5, 6, FS_AT_NOFOLLOW), 0);
    CHECK_RC(fs_lstat(s, P("dang"), &st), 0);
    CHECK_RC(st.uid, 5);
    CHECK_RC(readlink_str(s, "dang", t, sizeof t), 8);
    CHECK_STR(t, "/nothing");
    /* writing through a link copies up its target, not the link */
    CHECK_RC(put_file(s, "lib/libc", "new", 3), 3);
    CHECK_RC(type_of(s, "lib", false), FS_TYPE_SYMLINK);
    CHECK_STR(cat(s, "usr/lib/libc"), "new");
    /* the other session of the image sees none of it */
    CHECK_RC(readlink_str(b, "bin/sh", t, sizeof t), 7);
    CHECK_STR(t, "busybox");
    CHECK_STR(cat(b, "bin/ls"), "BB");
    CHECK_STR(cat(b, "lib/libc"), "libc");
    CHECK_RC(fs_lstat(b, P("dang"), &st), 0);
    CHECK_RC(st.uid, 0);
    /* a fork copies the copied-up links */
    struct fs_session *f = session(im, big_limits(), 0);
    CHECK_RC(fs_session_fork(s, f), 0);
    CHECK_STR(cat(f, "bin/sh"), "new");                           /* -> /lib/libc, written above */
    CHECK_STR(cat(f, "ls2"), "BB");
    check_ok(s);
    check_ok(b);
    check_ok(f);
    fs_session_destroy(f);
    fs_session_destroy(s);
    fs_session_destroy(b);
    fs_image_put(im);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

/* attack10: a directory renamed below itself through a link (to an
 * upper directory, to an image directory never copied up, to one half
 * copied up, through a mounted volume's ".."), or a link renamed over a
 * directory that holds it: never a cycle, never a lost subtree. */
static void rename_through_links_makes_no_cycle(void)
{
    begin();
    struct fs_volume *v;
    struct fs_limits vl = { .data_bytes = 1 << 20, .inodes = 100, .handles = 0 };
    CHECK_RC(fs_volume_create(&T.env, &vl, &v), 0);
    CHECK_RC(fs_session_mount(S, P("vol"), v, true), 0);
    fs_volume_put(v);
    CHECK_RC(fs_mkdir(S, P("a"), 0755), 0);
    CHECK_RC(fs_mkdir(S, P("a/b"), 0755), 0);
    CHECK_RC(link_to(S, "/a/b", "lb"), 0);
    CHECK_RC(link_to(S, "x/d", "ld"), 0);                        /* an image directory */
    CHECK_RC(link_to(S, "../x/d/a", "a/lda"), 0);
    CHECK_RC(link_to(S, "../..", "vol/up"), 0);
    CHECK_RC(fs_rename(S, P("a"), P("lb/a2"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("a"), P("lb/../b/./a2"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x"), P("ld/a/x2"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x/d"), P("a/lda/d2"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x"), P("vol/up/x/d/b2"), 0), AE_EINVAL); /* vol/up: the volume's link back to our root */
    CHECK_RC(put_file(S, "x/d/a/new", "n", 1), 1);               /* x, x/d, x/d/a copied up */
    CHECK_RC(fs_rename(S, P("x"), P("ld/a/x2"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x/d"), P("a/lda/x3"), 0), AE_EINVAL);
    CHECK_RC(fs_rename(S, P("x"), P("x/e/x4"), 0), AE_EINVAL);    /* x/e never copied up */
    /* the link itself may move anywhere: it is a name, not its target */
    CHECK_RC(fs_rename(S, P("lb"), P("a/b/lb"), 0), 0);
    CHECK_RC(type_of(S, "a/b/lb", false), FS_TYPE_SYMLINK);
    CHECK_RC(fs_rename(S, P("a/b/lb"), P("a"), 0), AE_EISDIR);    /* a link over a directory */
    CHECK_STR(cat(S, "x/d/a/deep"), "deep");
    CHECK_STR(cat(S, "ld/a/new"), "n");
    char names[128];
    CHECK_RC(list_dir(S, "/", names, sizeof names), 6);
    CHECK_STR(names, "a bin etc ld vol x");
    end();
}

int main(void)
{
    RUN(symlink_is_read_and_followed);
    RUN(symlink_in_the_middle_of_a_path);
    RUN(dotdot_after_a_link_is_its_targets_parent);
    RUN(links_never_leave_the_session_root);
    RUN(rename_through_links_makes_no_cycle);
    RUN(link_loops_are_eloop);
    RUN(open_and_links_at_the_end);
    RUN(name_calls_act_on_the_link);
    RUN(symlink_costs_one_page_and_one_inode);
    RUN(readdir_reports_links);
    RUN(fifo_nodes);
    RUN(hard_link_is_a_second_name);
    RUN(hard_link_errors);
    RUN(hard_link_costs_an_inode);
    RUN(hard_link_to_an_image_file);
    RUN(rename_per_posix);
    RUN(chmod_chown_utimens_by_path);
    RUN(attributes_of_image_files_copy_them_up);
    RUN(handle_attribute_calls_and_fsync);
    RUN(times_follow_changes);
    RUN(paths_from_a_directory_handle);
    RUN(image_directory_handle_sees_later_copy_ups);
    RUN(links_cross_mounts_and_resolve_in_each_sessions_root);
    RUN(long_expansions_are_enametoolong);
    RUN(session_fork_copies_the_private_layer);
    RUN(session_fork_refusals);
    RUN(session_fork_adopts_shared_pages);
    RUN(image_links_are_followed_inside_the_root);
    RUN(image_links_copy_up_and_whiteouts);
    return TESTS_DONE();
}
