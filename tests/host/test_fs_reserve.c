/*
 * test_fs_reserve.c — creates that do not wait, in the core (reserve.c,
 * docs/FS.md "Creates that do not wait"): RESERVE's grants and their
 * bounds, the charge to the session's limits and its return, and
 * CREATE_RESERVED refusing everything but a reserved slot of the caller's
 * own session and an absent name in a directory of its own layer —
 * through the protocol (fs_serve) as the service runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "decode.h"
#include "fs_impl.h"
#include "fs_test.h"
#include "check_more.h"

#define BUFSZ 8192

static uint8_t shared[BUFSZ];
static struct fs_shbuf SB = { shared, BUFSZ };
static struct fs_request REQ;
static struct fs_reply REP;

static const char *check(struct fs_session *s)
{
    const char *why = "ok";
    return fs_session_check(s, &why) ? why : "ok";
}

/* RESERVE n through the protocol; the handle values into h (k of them). */
static int64_t reserve(struct fs_session *s, uint64_t n, uint64_t *h, uint64_t *ino)
{
    uint64_t w[1] = { n };
    fs_serve(s, FS_OP_RESERVE, w, 1, &SB, &REQ, &REP);
    if (REP.status)
        return REP.status;
    for (uint64_t i = 0; h && i < REP.w[FS_R_RESERVE_COUNT]; i++)
        h[i] = REP.w[FS_R_RESERVE_H + i];
    if (ino)
        *ino = REP.w[FS_R_RESERVE_INO];
    return (int64_t)REP.w[FS_R_RESERVE_COUNT];
}

/* CREATE_RESERVED of path with handle h (flags with FS_O_CREAT). */
static int64_t create(struct fs_session *s, const char *path, uint64_t flags, uint64_t h)
{
    size_t n = strlen(path);
    memcpy(shared, path, n);
    uint64_t w[5] = { 0, n, flags, 0644, h };
    fs_serve(s, FS_OP_CREATE_RESERVED, w, 5, &SB, &REQ, &REP);
    return REP.status;
}

static struct fs_usage usage(struct fs_session *s)
{
    struct fs_usage u;
    CHECK_RC(fs_statfs(s, &u), 0);
    return u;
}

static struct fs_session *session(struct fs_image *img, uint32_t inodes, uint32_t handles,
                                  uint32_t flags)
{
    struct fs_limits lim = big_limits();
    lim.inodes = inodes;
    lim.handles = handles;
    struct fs_session *s;
    CHECK_RC(fs_session_create(&T.env, img, &lim, flags, &s), 0);
    return s;
}

static void reserve_charges_and_gives_back_exactly(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 1000, 256, 0);
    CHECK_RC(fs_mkdir(s, P("d"), 0755), 0);
    struct fs_usage u0 = usage(s);
    uint64_t h[FS_RESERVE_MAX], ino;
    CHECK_RC(reserve(s, 10, h, &ino), 10);
    struct fs_usage u1 = usage(s);
    CHECK_RC(u1.inodes_used, u0.inodes_used + 10);         /* charged at once */
    CHECK_RC(u1.handles_used, u0.handles_used + 10);
    CHECK_STR(check(s), "ok");
    /* A reserved value is no handle to any other request. */
    struct fs_stat st;
    CHECK_RC(fs_fstat(s, h[0], &st), AE_EBADF);
    CHECK_RC(fs_close(s, h[0]), AE_EBADF);
    CHECK_RC(fs_write(s, h[0], 0, "x", 1), AE_EBADF);
    /* Used: the file has the reserved inode number and the handle is open. */
    CHECK_RC(create(s, "d/a", FS_O_CREAT | FS_O_EXCL | FS_O_WRONLY, h[0]), 0);
    CHECK_RC(REP.w[FS_R_OPEN_HANDLE], h[0]);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_INO], ino);
    CHECK_RC(fs_write(s, h[0], 0, "hello", 5), 5);
    CHECK_RC(fs_stat(s, P("d/a"), &st), 0);
    CHECK_RC(st.ino, ino);
    CHECK_RC(st.size, 5);
    CHECK_RC(st.mode, 0644);
    CHECK_RC(usage(s).inodes_used, u1.inodes_used);         /* nothing more charged */
    CHECK_RC(usage(s).handles_used, u1.handles_used);
    /* Consecutive numbers. */
    CHECK_RC(create(s, "d/b", FS_O_CREAT | FS_O_TRUNC | FS_O_RDWR, h[1]), 0);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_INO], ino + 1);
    CHECK_STR(check(s), "ok");
    /* The next RESERVE gives back the 8 unused: their values go stale. */
    uint64_t h2[FS_RESERVE_MAX];
    CHECK_RC(reserve(s, 0, h2, NULL), 0);
    CHECK_RC(usage(s).inodes_used, u0.inodes_used + 2);
    CHECK_RC(usage(s).handles_used, u0.handles_used + 2);
    CHECK_RC(create(s, "d/c", FS_O_CREAT, h[2]), AE_EBADF);
    CHECK_RC(fs_close(s, h[0]), 0);
    CHECK_RC(fs_close(s, h[1]), 0);
    CHECK_RC(usage(s).handles_used, u0.handles_used);
    /* Held at the end: the session's end frees them (every byte back). */
    CHECK_RC(reserve(s, 32, h, NULL), 32);
    CHECK_STR(check(s), "ok");
    CHECK_STR(fs_session_recount(s, &(const char *){ "" }) ? "recount" : "ok", "ok");
    CHECK_RC(usage(s).handles_used, u0.handles_used + 32);
    fs_session_destroy(s);
    CHECK_RC(T.mem_live, 0);
    CHECK_RC(T.pages_live, 0);
}

static void reserve_is_bounded(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 20, 256, 0);
    uint64_t h[FS_RESERVE_MAX];
    uint64_t w[1] = { FS_RESERVE_MAX + 1 };
    fs_serve(s, FS_OP_RESERVE, w, 1, &SB, &REQ, &REP);
    CHECK_RC(REP.status, AE_EINVAL);                         /* huge n: refused in decoding */
    w[0] = UINT64_MAX;
    fs_serve(s, FS_OP_RESERVE, w, 1, &SB, &REQ, &REP);
    CHECK_RC(REP.status, AE_EINVAL);
    fs_serve(s, FS_OP_RESERVE, w, 0, &SB, &REQ, &REP);
    CHECK_RC(REP.status, AE_EPROTO);
    CHECK_RC(reserve(s, 32, h, NULL), 10);                   /* only while 2n inodes are left */
    CHECK_RC(usage(s).inodes_used, 10);
    CHECK_RC(reserve(s, 32, h, NULL), 10);                   /* given back first, then 10 again */
    CHECK_RC(usage(s).inodes_used, 10);
    fs_session_destroy(s);
    /* The handle limit bounds it the same way. */
    s = session(NULL, 1000, 9, 0);
    CHECK_RC(reserve(s, 32, h, NULL), 4);
    CHECK_RC(usage(s).handles_used, 4);
    fs_session_destroy(s);
    /* A read-only session, and one that mounts a volume: nothing. */
    s = session(NULL, 1000, 256, FS_SESSION_RDONLY);
    CHECK_RC(reserve(s, 8, h, NULL), 0);
    CHECK_RC(usage(s).inodes_used, 0);
    fs_session_destroy(s);
    struct fs_limits vl = big_limits();
    struct fs_volume *v;
    CHECK_RC(fs_volume_create(&T.env, &vl, &v), 0);
    s = session(NULL, 1000, 256, 0);
    CHECK_RC(fs_session_mount(s, P("vol"), v, true), 0);
    CHECK_RC(reserve(s, 8, h, NULL), 0);
    CHECK_RC(usage(s).handles_used, 0);
    fs_session_destroy(s);
    fs_volume_put(v);
    CHECK_RC(T.mem_live, 0);
}

static void create_reserved_refuses_what_is_not_its_own(void)
{
    test_env_init(&T);
    struct fs_image *img = make_image("etc/conf", "c=1", "bin/app", "x", NULL);
    struct fs_session *a = session(img, 1000, 256, 0), *b = session(img, 1000, 256, 0);
    CHECK_RC(fs_mkdir(a, P("d"), 0755), 0);
    CHECK_RC(fs_mkdir(b, P("d"), 0755), 0);
    CHECK_RC(put_file(a, "d/there", "x", 1), 1);
    CHECK_RC(fs_symlink(a, "nowhere", 7, P("d/dangling")), 0);
    uint64_t ha[4], hb[4];
    CHECK_RC(reserve(a, 4, ha, NULL), 4);
    CHECK_RC(reserve(b, 4, hb, NULL), 4);
    /* A session that was given no reservation: nothing it names works. */
    struct fs_session *c = session(img, 1000, 256, 0);
    uint64_t open_c;
    CHECK_RC(fs_open(c, P("mine"), FS_O_CREAT | FS_O_WRONLY, 0644, &open_c, NULL), 0);
    CHECK_RC(create(c, "x", FS_O_CREAT, ha[0]), AE_EBADF);      /* another session's value */
    CHECK_RC(create(c, "x", FS_O_CREAT, open_c), AE_EBADF);     /* its own open handle, elsewhere */
    CHECK_RC(create(c, "x", FS_O_CREAT, 0), AE_EBADF);          /* forged values */
    CHECK_RC(create(c, "x", FS_O_CREAT, UINT64_MAX), AE_EBADF);
    CHECK_RC(create(c, "x", FS_O_CREAT, (uint64_t)7 << 32 | 3), AE_EBADF);
    /* b's values in a's session; a's own forged ones (a slot, another generation). */
    CHECK_RC(create(a, "d/x", FS_O_CREAT, hb[1] + (1ull << 32)), AE_EBADF);
    CHECK_RC(create(a, "d/x", FS_O_CREAT, ha[0] ^ (1ull << 32)), AE_EBADF);
    /* Names that exist (a dangling link counts), the root, "..". */
    CHECK_RC(create(a, "d/there", FS_O_CREAT, ha[0]), AE_EEXIST);
    CHECK_RC(create(a, "d/dangling", FS_O_CREAT, ha[0]), AE_EEXIST);
    CHECK_RC(create(a, "etc/conf", FS_O_CREAT, ha[0]), AE_EEXIST);
    CHECK_RC(create(a, "", FS_O_CREAT, ha[0]), AE_EEXIST);
    CHECK_RC(create(a, "d/..", FS_O_CREAT, ha[0]), AE_EEXIST);
    /* Outside its own layer: an image directory not copied up; no directory. */
    CHECK_RC(create(a, "etc/new", FS_O_CREAT, ha[0]), AE_EINVAL);
    CHECK_RC(create(a, "nodir/x", FS_O_CREAT, ha[0]), AE_ENOENT);
    CHECK_RC(create(a, "d/there/x", FS_O_CREAT, ha[0]), AE_ENOTDIR);
    CHECK_RC(create(a, "../../d/up", FS_O_CREAT, ha[0]), 0);   /* ".." stops at its root */
    /* Flags beyond a plain create, or without O_CREAT. */
    CHECK_RC(create(a, "d/f", FS_O_WRONLY, ha[1]), AE_EINVAL);
    CHECK_RC(create(a, "d/f", FS_O_CREAT | FS_O_DIRECTORY, ha[1]), AE_EINVAL);
    CHECK_RC(create(a, "d/f", FS_O_CREAT | FS_O_ACCMODE, ha[1]), AE_EINVAL);
    /* A used slot: the same create again is a no-op (a retry), any other AE_EBADF. */
    CHECK_RC(create(a, "d/up", FS_O_CREAT, ha[0]), 0);
    CHECK_RC(create(a, "d/other", FS_O_CREAT, ha[0]), AE_EBADF);
    CHECK_RC(fs_close(a, ha[0]), 0);
    CHECK_RC(create(a, "d/up", FS_O_CREAT, ha[0]), AE_EBADF);   /* closed: stale */
    /* None of it touched b or c. */
    char names[256];
    CHECK_RC(list_dir(b, "d", names, sizeof names), 0);
    CHECK_RC(list_dir(c, "", names, sizeof names), 3);
    CHECK_STR(names, "bin etc mine");
    CHECK_RC(usage(c).inodes_used, 1);
    CHECK_RC(create(b, "d/x", FS_O_CREAT, hb[0]), 0);
    CHECK_STR(check(a), "ok");
    CHECK_STR(check(b), "ok");
    CHECK_STR(check(c), "ok");
    fs_session_destroy(a);
    fs_session_destroy(b);
    fs_session_destroy(c);
    fs_image_put(img);
    test_archives_free();
    CHECK_RC(T.mem_live, 0);
}

/* A reserved node's metadata failing (the service's heap full) fails that
 * create alone, and leaves the reservation to be given back. */
static void create_reserved_survives_allocation_failures(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 1000, 256, 0);
    CHECK_RC(fs_mkdir(s, P("d"), 0755), 0);
    uint64_t h[8];
    CHECK_RC(reserve(s, 8, h, NULL), 8);
    int ok = 0;
    for (long i = 0; i < 8; i++) {
        char name[16] = "d/n0";
        name[3] = (char)('0' + i);
        T.fail_mem_after = i % 2 ? 0 : -1;
        int64_t r = create(s, name, FS_O_CREAT, h[i]);
        CHECK(r == 0 || r == AE_ENOMEM);
        ok += r == 0;
        T.fail_mem_after = -1;
        CHECK_STR(check(s), "ok");
    }
    CHECK(ok >= 4);
    CHECK_RC(reserve(s, 0, NULL, NULL), 0);
    CHECK_STR(check(s), "ok");
    fs_session_destroy(s);
    CHECK_RC(T.mem_live, 0);
}


/* ---- attack11: a hostile client's CREATE_RESERVED and RESERVE -------- */

/* CREATE_RESERVED with every word: a base directory handle (0: the root)
 * and the carried instant. */
static int64_t create_full(struct fs_session *s, const char *path, uint64_t flags, uint64_t h,
                           uint64_t time, uint64_t base)
{
    size_t n = strlen(path);
    memcpy(shared, path, n);
    uint64_t w[7] = { 0, n, flags, 0644, h, time, base };
    fs_serve(s, FS_OP_CREATE_RESERVED, w, 7, &SB, &REQ, &REP);
    return REP.status;
}

static uint64_t open_dir(struct fs_session *s, const char *path)
{
    uint64_t h = 0;
    CHECK_RC(fs_open(s, P(path), FS_O_RDONLY | FS_O_DIRECTORY, 0, &h, NULL), 0);
    return h;
}

/* Links (the session's own and the image's), base handles of every kind,
 * an ordinary handle passed as a reserved one, names at and past
 * FS_NAME_MAX: the create lands in a directory of its own layer or fails
 * alone, and an ordinary handle gains nothing. */
static void create_reserved_through_links_and_bases(void)
{
    test_env_init(&T);
    struct fs_image *img = make_image("etc/conf", "c=1", "@img_etc", "etc", "@img_up", "../../..",
                                      NULL);
    struct fs_session *s = session(img, 1000, 256, 0);
    CHECK_RC(fs_mkdir(s, P("d"), 0755), 0);
    CHECK_RC(fs_mkdir(s, P("gone"), 0755), 0);
    CHECK_RC(fs_symlink(s, "d", 1, P("own")), 0);
    CHECK_RC(fs_symlink(s, "/../../d", 8, P("climb")), 0);
    uint64_t h[16];
    CHECK_RC(reserve(s, 16, h, NULL), 16);
    /* Through links: an image directory is refused, its own one is fine,
     * and ".." in a link stops at the root as in a path. */
    CHECK_RC(create(s, "img_etc/x", FS_O_CREAT, h[0]), AE_EINVAL);
    CHECK_RC(create(s, "img_up/d/x1", FS_O_CREAT, h[0]), 0);
    CHECK_RC(create(s, "climb/x2", FS_O_CREAT, h[1]), 0);
    CHECK_RC(create(s, "own/x3", FS_O_CREAT, h[2]), 0);
    CHECK_RC(create(s, "own", FS_O_CREAT, h[3]), AE_EEXIST);        /* a final link */
    CHECK_RC(create(s, "img_etc", FS_O_CREAT, h[3]), AE_EEXIST);
    CHECK_RC(create(s, "own/", FS_O_CREAT, h[3]), AE_EEXIST);
    char names[256];
    CHECK_RC(list_dir(s, "d", names, sizeof names), 3);
    CHECK_STR(names, "x1 x2 x3");
    /* Base handles: its own directory, an image directory, a reserved
     * value, a file, a directory removed since. */
    uint64_t hd = open_dir(s, "d"), he = open_dir(s, "etc"), hg = open_dir(s, "gone");
    uint64_t hf;
    CHECK_RC(fs_open(s, P("d/x1"), FS_O_RDONLY, 0, &hf, NULL), 0);
    CHECK_RC(create_full(s, "b1", FS_O_CREAT, h[3], 0, hd), 0);
    CHECK_RC(create_full(s, "b2", FS_O_CREAT, h[4], 0, he), AE_EINVAL);
    CHECK_RC(create_full(s, "b2", FS_O_CREAT, h[4], 0, h[5]), AE_EBADF);
    CHECK_RC(create_full(s, "b2", FS_O_CREAT, h[4], 0, hf), AE_ENOTDIR);
    CHECK_RC(fs_rmdir(s, P("gone")), 0);
    CHECK_RC(create_full(s, "b2", FS_O_CREAT, h[4], 0, hg), AE_ENOENT);
    CHECK_RC(create_full(s, "../b3", FS_O_CREAT, h[4], 0, hg), AE_ENOENT); /* it has no ".." */
    struct fs_stat st;
    CHECK_RC(fs_stat(s, P("d/b1"), &st), 0);
    /* An ordinary read-only handle passed as the reserved one, naming its
     * own file: the retry's answer, and nothing gained (still no write). */
    CHECK_RC(create(s, "d/x1", FS_O_CREAT | FS_O_RDWR, hf), 0);
    CHECK_RC(fs_write(s, hf, 0, "x", 1), AE_EBADF);
    CHECK_RC(create(s, "d/x9", FS_O_CREAT | FS_O_RDWR, hf), AE_EBADF);
    /* Names: FS_NAME_MAX is a name, one more is not. */
    char name[300] = "d/";
    memset(name + 2, 'n', 255);
    CHECK_RC(create(s, name, FS_O_CREAT, h[6]), 0);
    memset(name + 2, 'm', 256);
    CHECK_RC(create(s, name, FS_O_CREAT, h[7]), AE_ENAMETOOLONG);
    CHECK_STR(check(s), "ok");
    CHECK_RC(fs_close(s, hd), 0);
    CHECK_RC(fs_close(s, he), 0);
    CHECK_RC(fs_close(s, hg), 0);
    CHECK_RC(fs_close(s, hf), 0);
    fs_session_destroy(s);
    fs_image_put(img);
    test_archives_free();
    CHECK_RC(T.mem_live, 0);
}

/* A queued create between unlinks and renames of its name and its
 * directory (what one batch of a lying client can hold): each step
 * answers as the tree is at that moment, and every count stays exact. */
static void create_reserved_interleaved_with_names(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 1000, 256, 0);
    CHECK_RC(fs_mkdir(s, P("d"), 0755), 0);
    struct fs_usage u0 = usage(s);
    uint64_t h[8];
    CHECK_RC(reserve(s, 8, h, NULL), 8);
    CHECK_RC(create(s, "d/x", FS_O_CREAT | FS_O_RDWR, h[0]), 0);
    CHECK_RC(fs_unlink(s, P("d/x")), 0);
    CHECK_RC(create(s, "d/x", FS_O_CREAT | FS_O_RDWR, h[1]), 0);     /* the name again */
    CHECK_RC(create(s, "d/x", FS_O_CREAT | FS_O_RDWR, h[0]), AE_EBADF); /* h[0]: open, unlinked */
    CHECK_RC(fs_write(s, h[0], 0, "orphan", 6), 6);
    CHECK_RC(fs_rename(s, P("d"), P("e"), 0), 0);
    CHECK_RC(create(s, "d/y", FS_O_CREAT, h[2]), AE_ENOENT);
    CHECK_RC(create(s, "e/y", FS_O_CREAT, h[2]), 0);
    CHECK_RC(fs_unlink(s, P("e/x")), 0);
    CHECK_RC(fs_unlink(s, P("e/y")), 0);
    CHECK_RC(fs_rmdir(s, P("e")), 0);
    CHECK_RC(create(s, "e/z", FS_O_CREAT, h[3]), AE_ENOENT);
    CHECK_STR(check(s), "ok");
    /* Three handles open on three unlinked files, five reservations held. */
    CHECK_RC(usage(s).handles_used, u0.handles_used + 8);
    CHECK_RC(usage(s).inodes_used, u0.inodes_used - 1 + 8);
    for (int i = 0; i < 3; i++)
        CHECK_RC(fs_close(s, h[i]), 0);
    CHECK_RC(reserve(s, 0, NULL, NULL), 0);
    CHECK_RC(usage(s).handles_used, 0);
    CHECK_RC(usage(s).inodes_used, u0.inodes_used - 1);
    CHECK_STR(check(s), "ok");
    fs_session_destroy(s);
    CHECK_RC(T.mem_live, 0);
}

/* RESERVE in a loop, with and without creates between: the heap, the
 * counts and the handle table come back to the same figures each round. */
static void reserve_loops_leak_nothing(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 1000, 256, 0);
    CHECK_RC(fs_mkdir(s, P("d"), 0755), 0);
    uint64_t h[FS_RESERVE_MAX];
    CHECK_RC(reserve(s, 32, h, NULL), 32);
    long mem0 = T.mem_live;
    struct fs_usage u0 = usage(s);
    uint32_t slots0 = s->nslots;
    for (int i = 0; i < 20000; i++)
        CHECK_RC(reserve(s, 32, h, NULL), 32);
    CHECK_RC(T.mem_live, mem0);
    CHECK_RC(usage(s).inodes_used, u0.inodes_used);
    CHECK_RC(usage(s).handles_used, u0.handles_used);
    CHECK_RC(s->nslots, slots0);
    /* Creates and closes between: each round's file stays, nothing else. */
    for (int i = 0; i < 200; i++) {
        char name[16];
        name[0] = 'd', name[1] = '/', name[2] = (char)('a' + i % 26), name[3] = (char)('a' + i / 26);
        name[4] = 0;
        CHECK_RC(reserve(s, 32, h, NULL), 32);
        CHECK_RC(create(s, name, FS_O_CREAT, h[i % 32]), 0);
        CHECK_RC(fs_close(s, h[i % 32]), 0);
    }
    CHECK_RC(reserve(s, 0, NULL, NULL), 0);
    CHECK_RC(usage(s).inodes_used, u0.inodes_used - 32 + 200);
    CHECK_RC(usage(s).handles_used, 0);
    CHECK(s->nslots <= 64);
    CHECK_STR(check(s), "ok");
    fs_session_destroy(s);
    CHECK_RC(T.mem_live, 0);
}

/* A fork (FS_ADMIN_FORK_SESSION) while the original holds reservations:
 * the clone holds none of them — its values are stale there, its counts
 * are its files' — and the original's still work. */
static void fork_does_not_carry_reservations(void)
{
    test_env_init(&T);
    struct fs_image *img = make_image("etc/conf", "c=1", NULL);
    struct fs_session *a = session(img, 1000, 256, 0), *b = session(img, 1000, 256, 0);
    CHECK_RC(fs_mkdir(a, P("d"), 0755), 0);
    uint64_t h[8], ino;
    CHECK_RC(reserve(a, 8, h, &ino), 8);
    CHECK_RC(create(a, "d/made", FS_O_CREAT | FS_O_RDWR, h[0]), 0);
    CHECK_RC(fs_session_fork(a, b), 0);
    CHECK_RC(usage(b).inodes_used, 2);                      /* d and d/made */
    CHECK_RC(usage(b).handles_used, 0);
    for (int i = 0; i < 8; i++)
        CHECK_RC(create(b, "d/x", FS_O_CREAT, h[i]), AE_EBADF);
    CHECK_RC(create(b, "d/made", FS_O_CREAT, h[0]), AE_EBADF);
    CHECK_STR(check(b), "ok");
    uint64_t hb[8], inob;
    CHECK_RC(reserve(b, 8, hb, &inob), 8);
    CHECK(inob >= ino + 8);                                  /* numbers go above the original's */
    CHECK_RC(create(b, "d/x", FS_O_CREAT, hb[0]), 0);
    CHECK_RC(create(a, "d/x", FS_O_CREAT, h[1]), 0);
    struct fs_stat sa, sb;
    CHECK_RC(fs_stat(a, P("d/x"), &sa), 0);
    CHECK_RC(fs_stat(b, P("d/x"), &sb), 0);
    CHECK(sa.ino != sb.ino);
    CHECK_STR(check(a), "ok");
    CHECK_STR(check(b), "ok");
    fs_session_destroy(a);
    fs_session_destroy(b);
    fs_image_put(img);
    test_archives_free();
    CHECK_RC(T.mem_live, 0);
}

/* The carried instant: any value stamps only the caller's new file and
 * its own directory (what utimens cannot do for ctime; docs/SECURITY.md
 * 46j), and the special values mean now. */
static void create_reserved_carried_instant(void)
{
    test_env_init(&T);
    T.clock = 5000000000ull;
    struct fs_session *s = session(NULL, 1000, 256, 0), *o = session(NULL, 1000, 256, 0);
    CHECK_RC(fs_mkdir(s, P("d"), 0755), 0);
    CHECK_RC(fs_mkdir(o, P("d"), 0755), 0);
    struct fs_stat od0, st;
    CHECK_RC(fs_stat(o, P("d"), &od0), 0);
    uint64_t h[4];
    CHECK_RC(reserve(s, 4, h, NULL), 4);
    CHECK_RC(create_full(s, "d/past", FS_O_CREAT, h[0], 1, 0), 0);
    CHECK_RC(fs_stat(s, P("d/past"), &st), 0);
    CHECK_RC(st.ctime, 1);
    CHECK_RC(create_full(s, "d/future", FS_O_CREAT, h[1], FS_TIME_OMIT - 1, 0), 0);
    CHECK_RC(fs_stat(s, P("d/future"), &st), 0);
    CHECK_RC(st.mtime, FS_TIME_OMIT - 1);
    CHECK_RC(fs_stat(s, P("d"), &st), 0);
    CHECK_RC(st.ctime, FS_TIME_OMIT - 1);
    CHECK_RC(create_full(s, "d/now", FS_O_CREAT, h[2], FS_TIME_NOW, 0), 0);
    CHECK_RC(fs_stat(s, P("d/now"), &st), 0);
    CHECK_RC(st.ctime, T.clock);
    CHECK_RC(create_full(s, "d/omit", FS_O_CREAT, h[3], FS_TIME_OMIT, 0), 0);
    CHECK_RC(fs_stat(s, P("d/omit"), &st), 0);
    CHECK_RC(st.atime, T.clock);
    struct fs_stat od1;
    CHECK_RC(fs_stat(o, P("d"), &od1), 0);                  /* the neighbour's directory: as it was */
    CHECK_RC(od1.ctime, od0.ctime);
    CHECK_RC(od1.mtime, od0.mtime);
    fs_session_destroy(s);
    fs_session_destroy(o);
    CHECK_RC(T.mem_live, 0);
}

/* The service died in CREATE_RESERVED between linking the reserved node
 * and opening its handle (a restart takes the heap over as it was): the
 * restart's recount accepts the state, the client's retry of the create
 * finishes it, and giving reservations back leaves the file. */
static void create_cut_off_by_a_restart_is_finished(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 1000, 256, 0);
    uint64_t h[2];
    CHECK_RC(reserve(s, 2, h, NULL), 2);
    struct fs_handle *hd = &s->handles[(uint32_t)h[0]];
    CHECK_RC(hd->kind, FS_H_RESV);
    CHECK_RC(dir_link(s->layer.root, "cut", 3, hd->u), 0);     /* the first half, then death */
    const char *why = "";
    CHECK_RC(fs_session_recount(s, &why), 0);
    CHECK_STR(check(s), "ok");
    CHECK_RC(create(s, "cut", FS_O_CREAT | FS_O_RDWR, h[0]), 0);  /* the client's retry */
    CHECK_RC(fs_write(s, h[0], 0, "x", 1), 1);
    CHECK_STR(check(s), "ok");
    /* The same state given back instead of retried: the file stays. */
    hd = &s->handles[(uint32_t)h[1]];
    CHECK_RC(dir_link(s->layer.root, "cut2", 4, hd->u), 0);
    CHECK_STR(check(s), "ok");
    CHECK_RC(reserve(s, 0, NULL, NULL), 0);
    struct fs_stat st;
    CHECK_RC(fs_stat(s, P("cut2"), &st), 0);
    CHECK_RC(usage(s).inodes_used, 2);
    CHECK_RC(usage(s).handles_used, 1);
    CHECK_STR(check(s), "ok");
    CHECK_RC(fs_close(s, h[0]), 0);
    fs_session_destroy(s);
    CHECK_RC(T.mem_live, 0);
}

/* The service's heap a session holds follows the names it has now: a
 * directory filled and emptied gives its table back, so filling and
 * emptying one directory after another (an inode each) holds no more of
 * the heap than the names alive (a queued create meets ENOMEM there). */
static void emptied_directories_give_their_tables_back(void)
{
    test_env_init(&T);
    struct fs_session *s = session(NULL, 1100, 256, 0);
    long mem0 = T.mem_live;
    char name[32];
    for (int d = 0; d < 20; d++) {
        snprintf(name, sizeof name, "d%02d", d);
        CHECK_RC(fs_mkdir(s, P(name), 0755), 0);
        for (int i = 0; i < 1000; i++) {
            snprintf(name, sizeof name, "d%02d/f%04d", d, i);
            uint64_t h;
            CHECK_RC(fs_open(s, P(name), FS_O_CREAT | FS_O_WRONLY, 0600, &h, NULL), 0);
            CHECK_RC(fs_close(s, h), 0);
        }
        for (int i = 0; i < 1000; i++) {
            snprintf(name, sizeof name, "d%02d/f%04d", d, i);
            CHECK_RC(fs_unlink(s, P(name)), 0);
        }
    }
    CHECK_STR(check(s), "ok");
    /* 20 empty directories and the root: a node and a small table each
     * (8 KiB each when the tables kept their size). */
    CHECK(T.mem_live - mem0 < 21 * 512);
    fs_session_destroy(s);
    CHECK_RC(T.mem_live, 0);
}

int main(void)
{
    RUN(reserve_charges_and_gives_back_exactly);
    RUN(reserve_is_bounded);
    RUN(create_reserved_refuses_what_is_not_its_own);
    RUN(create_reserved_survives_allocation_failures);
    RUN(create_reserved_through_links_and_bases);
    RUN(create_reserved_interleaved_with_names);
    RUN(reserve_loops_leak_nothing);
    RUN(fork_does_not_carry_reservations);
    RUN(create_reserved_carried_instant);
    RUN(create_cut_off_by_a_restart_is_finished);
    RUN(emptied_directories_give_their_tables_back);
    return TESTS_DONE();
}
