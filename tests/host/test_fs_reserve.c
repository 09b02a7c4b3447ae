/*
 * test_fs_reserve.c — creates that do not wait, in the core (reserve.c,
 * docs/FS.md "Creates that do not wait"): RESERVE's grants and their
 * bounds, the charge to the session's limits and its return, and
 * CREATE_RESERVED refusing everything but a reserved slot of the caller's
 * own session and an absent name in a directory of its own layer —
 * through the protocol (fs_serve) as the service runs it.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "decode.h"
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

int main(void)
{
    RUN(reserve_charges_and_gives_back_exactly);
    RUN(reserve_is_bounded);
    RUN(create_reserved_refuses_what_is_not_its_own);
    RUN(create_reserved_survives_allocation_failures);
    return TESTS_DONE();
}
