/*
 * test_fs_proto.c — the fs protocol decoder and the perform step: every
 * protocol error (opcode, word count, buffer ranges, paths, flags), whole
 * requests served through the shared buffer with their reply words, the
 * readdir record format, and a client rewriting the buffer while the
 * service decodes it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "decode.h"
#include "fs_test.h"
#include "check_more.h"

#define BUFSZ 65536

static uint8_t shared[BUFSZ];
static struct fs_shbuf SB = { shared, BUFSZ };
static struct fs_request REQ;
static struct fs_reply REP;
static struct fs_session *S;

static int decode(uint64_t op, uint32_t n, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
    uint64_t w[FS_MSG_WORDS] = { w0, w1, w2, w3 };
    return fs_decode(op, w, n, &SB, &REQ);
}

/* Serves one request; returns the reply status. */
static int64_t serve(uint64_t op, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
    uint64_t w[FS_MSG_WORDS] = { w0, w1, w2, w3 };
    fs_serve(S, op, w, 4, &SB, &REQ, &REP);
    return REP.status;
}

/* Puts a string in the shared buffer at off; returns its length. */
static uint64_t put(uint64_t off, const char *s)
{
    memcpy(shared + off, s, strlen(s));
    return strlen(s);
}

static void begin(void)
{
    test_env_init(&T);
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_session_create(&T.env, NULL, &lim, 0, &S), 0);
}

static void end(void)
{
    const char *why = "";
    CHECK_STR(fs_session_check(S, &why) ? why : "ok", "ok");
    fs_session_destroy(S);
    CHECK_RC(T.mem_live, 0);
    CHECK_RC(T.pages_live, 0);
}

static void proto_unknown_opcode_is_enosys(void)
{
    CHECK_RC(decode(0, 4, 0, 0, 0, 0), AE_ENOSYS);
    CHECK_RC(decode(FS_OP_COUNT, 4, 0, 0, 0, 0), AE_ENOSYS);
    CHECK_RC(decode(UINT64_MAX, 4, 0, 0, 0, 0), AE_ENOSYS);
    CHECK_RC(decode((1ull << 32) | FS_OP_OPEN, 4, 0, 0, 0, 0), AE_ENOSYS);
}

static void proto_too_few_words_is_eproto(void)
{
    static const uint32_t need[FS_OP_COUNT] = {
        [FS_OP_OPEN] = 4, [FS_OP_CLOSE] = 1, [FS_OP_READ] = 4, [FS_OP_WRITE] = 4,
        [FS_OP_SEEK] = 3, [FS_OP_FTRUNCATE] = 2, [FS_OP_TRUNCATE] = 3, [FS_OP_FSTAT] = 1,
        [FS_OP_STAT] = 2, [FS_OP_MKDIR] = 3, [FS_OP_UNLINK] = 2, [FS_OP_RMDIR] = 2,
        [FS_OP_RENAME] = 4, [FS_OP_READDIR] = 4, [FS_OP_STATFS] = 0,
        [FS_OP_SYMLINK] = 4, [FS_OP_READLINK] = 4, [FS_OP_LINK] = 5, [FS_OP_CHMOD] = 4,
        [FS_OP_CHOWN] = 5, [FS_OP_UTIMENS] = 5, [FS_OP_FCHMOD] = 2, [FS_OP_FCHOWN] = 3,
        [FS_OP_FUTIMENS] = 3, [FS_OP_FSYNC] = 1, [FS_OP_CREATE_RESERVED] = 5, [FS_OP_RESERVE] = 1,
        [FS_OP_MKNOD] = 4,
    };
    for (uint64_t op = 1; op < FS_OP_COUNT; op++) {
        if (need[op])
            CHECK_RC(decode(op, need[op] - 1, 0, 0, 0, 0) * 100 + (int)op, AE_EPROTO * 100 + (int)op);
        CHECK_RC(decode(op, need[op], 0, 0, 0, 0) == AE_EPROTO, 0);
        CHECK_RC(decode(op, FS_MSG_WORDS + 1, 0, 0, 0, 0) * 100 + (int)op, AE_EPROTO * 100 + (int)op);
    }
}

static void proto_ranges_outside_the_buffer_are_efault(void)
{
    put(0, "file");
    CHECK_RC(decode(FS_OP_STAT, 2, 0, 4, 0, 0), 0);
    CHECK_RC(decode(FS_OP_STAT, 2, BUFSZ - 3, 4, 0, 0), AE_EFAULT);
    CHECK_RC(decode(FS_OP_STAT, 2, BUFSZ + 1, 0, 0, 0), AE_EFAULT);
    CHECK_RC(decode(FS_OP_STAT, 2, UINT64_MAX, 4, 0, 0), AE_EFAULT);
    CHECK_RC(decode(FS_OP_STAT, 2, BUFSZ, 0, 0, 0), 0);            /* empty, at the end: the root */
    CHECK_RC(decode(FS_OP_RENAME, 4, 0, 4, UINT64_MAX - 2, 4), AE_EFAULT);
    CHECK_RC(decode(FS_OP_READ, 4, 1, 0, 0, BUFSZ), 0);
    CHECK_RC(decode(FS_OP_READ, 4, 1, 0, 1, BUFSZ), AE_EFAULT);
    CHECK_RC(decode(FS_OP_WRITE, 4, 1, 0, UINT64_MAX, 2), AE_EFAULT);
    CHECK_RC(decode(FS_OP_READDIR, 4, 1, 0, 8, UINT64_MAX - 4), AE_EFAULT);
}

static void proto_bad_paths(void)
{
    CHECK_RC(decode(FS_OP_STAT, 2, 0, FS_PATH_MAX + 1, 0, 0), AE_ENAMETOOLONG);
    CHECK_RC(decode(FS_OP_STAT, 2, 0, UINT64_MAX, 0, 0), AE_ENAMETOOLONG);
    memset(shared, 'n', 300);
    CHECK_RC(decode(FS_OP_UNLINK, 2, 0, 256, 0, 0), AE_ENAMETOOLONG);
    CHECK_RC(decode(FS_OP_UNLINK, 2, 0, 255, 0, 0), 0);
    memcpy(shared, "a\0b", 3);
    CHECK_RC(decode(FS_OP_MKDIR, 3, 0, 3, 0755, 0), AE_EINVAL);
    put(0, "../../x/./y//");
    CHECK_RC(decode(FS_OP_MKDIR, 3, 0, 13, 0755, 0), 0);
    CHECK_STR(REQ.path.name, "../../x/y");                         /* the walk resolves ".." */
    memcpy(shared + 100, "bad\0", 4);
    CHECK_RC(decode(FS_OP_RENAME, 4, 0, 3, 100, 4), AE_EINVAL);    /* the second path */
}

static void proto_bad_flags_modes_whence(void)
{
    put(0, "f");
    CHECK_RC(decode(FS_OP_OPEN, 4, 0, 1, FS_O_ACCMODE, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_OPEN, 4, 0, 1, 0x400, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_OPEN, 4, 0, 1, 1ull << 32, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_OPEN, 4, 0, 1, FS_O_CREAT, 010000), AE_EINVAL);
    CHECK_RC(decode(FS_OP_OPEN, 4, 0, 1, FS_O_CREAT, 1ull << 40), AE_EINVAL);
    CHECK_RC(decode(FS_OP_OPEN, 4, 0, 1, FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 07777), 0);
    CHECK_RC(decode(FS_OP_MKDIR, 3, 0, 1, 0170755, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_SEEK, 3, 1, 0, 3, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_SEEK, 3, 1, (uint64_t)-5, FS_SEEK_END, 0), 0);
}

/* MKNOD: FS_TYPE_FIFO only, a mode within 07777; a FIFO opened reads
 * nothing, and OPEN's read-ahead word reads nothing from it either. */
static void proto_mknod_makes_fifos_only(void)
{
    put(0, "p");
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, FS_TYPE_FIFO, 0644), 0);
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, FS_TYPE_FILE, 0644), AE_EINVAL);
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, FS_TYPE_DIR, 0644), AE_EINVAL);
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, FS_TYPE_SYMLINK, 0644), AE_EINVAL);
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, UINT64_MAX, 0644), AE_EINVAL);
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, FS_TYPE_FIFO, 010000), AE_EINVAL);
    CHECK_RC(decode(FS_OP_MKNOD, 4, 0, 1, FS_TYPE_FIFO, 1ull << 40), AE_EINVAL);
    begin();
    uint64_t n = put(0, "/p");
    CHECK_RC(serve(FS_OP_MKNOD, 0, n, FS_TYPE_FIFO, 0640), 0);
    CHECK_RC(REP.nwords, 0);
    CHECK_RC(serve(FS_OP_MKNOD, 0, n, FS_TYPE_FIFO, 0640), AE_EEXIST);
    uint64_t w[FS_MSG_WORDS] = { 0, n, FS_O_RDWR, 0, 4096 };
    fs_serve(S, FS_OP_OPEN, w, 5, &SB, &REQ, &REP);
    CHECK_RC(REP.status, 0);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_TYPE], FS_TYPE_FIFO);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_MODE], 0640);
    CHECK_RC(REP.w[FS_R_OPEN_READ], 0);
    uint64_t h = REP.w[FS_R_OPEN_HANDLE];
    CHECK_RC(serve(FS_OP_READ, h, 0, 2000, 16), AE_EBADF);
    CHECK_RC(serve(FS_OP_WRITE, h, 0, 2000, 16), AE_EBADF);
    CHECK_RC(serve(FS_OP_CLOSE, h, 0, 0, 0), 0);
    end();
}

static void proto_requests_round_trip(void)
{
    begin();
    uint64_t n = put(0, "/dir");
    CHECK_RC(serve(FS_OP_MKDIR, 0, n, 0750, 0), 0);
    CHECK_RC(REP.nwords, 2);                            /* the directory made, and where */
    uint64_t dir_ino = REP.w[FS_R_MKDIR_INO];
    CHECK_RC(REP.w[FS_R_MKDIR_PARENT], 1);
    n = put(0, "dir/file");
    CHECK_RC(serve(FS_OP_OPEN, 0, n, FS_O_RDWR | FS_O_CREAT, 0600), 0);
    CHECK_RC(REP.nwords, FS_R_OPEN_MADE_IN + 1);
    CHECK_RC(REP.w[FS_R_OPEN_READ], 0);                 /* nothing asked, nothing read */
    CHECK_RC(REP.w[FS_R_OPEN_MADE_IN], dir_ino);        /* made in dir */
    uint64_t h = REP.w[FS_R_OPEN_HANDLE];
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_TYPE], FS_TYPE_FILE);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_MODE], 0600);
    put(1000, "payload!");
    CHECK_RC(serve(FS_OP_WRITE, h, 0, 1000, 8), 0);
    CHECK_RC(REP.w[0], 8);
    CHECK_RC(serve(FS_OP_WRITE, h, FS_OFF_CURRENT, 1004, 3), 0);   /* "oad" at position 0 */
    CHECK_RC(serve(FS_OP_SEEK, h, (uint64_t)-2, FS_SEEK_CUR, 0), 0);
    CHECK_RC(REP.w[0], 1);
    memset(shared + 2000, 0, 16);
    CHECK_RC(serve(FS_OP_READ, h, 0, 2000, 16), 0);
    CHECK_RC(REP.w[0], 8);
    CHECK(memcmp(shared + 2000, "oadload!", 8) == 0);
    CHECK_RC(REP.nwords, 2);
    CHECK_RC(REP.w[FS_R_READ_AT], 0);
    CHECK_RC(serve(FS_OP_SEEK, h, 3, FS_SEEK_SET, 0), 0);
    CHECK_RC(serve(FS_OP_READ, h, FS_OFF_CURRENT, 2000, 2), 0);
    CHECK_RC(REP.w[FS_R_READ_AT], 3);                 /* where a read at the position began */
    CHECK_RC(serve(FS_OP_READ, h, FS_OFF_CURRENT, 2000, 2), 0);
    CHECK_RC(REP.w[FS_R_READ_AT], 5);
    CHECK(memcmp(shared + 2000, "ad", 2) == 0);
    CHECK_RC(serve(FS_OP_FSTAT, h, 0, 0, 0), 0);
    CHECK_RC(REP.nwords, FS_R_STAT_WORDS);
    CHECK_RC(REP.w[FS_R_STAT_SIZE], 8);
    CHECK_RC(REP.w[FS_R_STAT_NLINK], 1);
    CHECK_RC(serve(FS_OP_FTRUNCATE, h, 4, 0, 0), 0);
    CHECK_RC(serve(FS_OP_CLOSE, h, 0, 0, 0), 0);
    CHECK_RC(serve(FS_OP_CLOSE, h, 0, 0, 0), AE_EBADF);
    CHECK_RC(REP.nwords, 0);
    n = put(0, "dir/file");
    uint64_t m = put(100, "dir/renamed");
    CHECK_RC(serve(FS_OP_RENAME, 0, n, 100, m), 0);
    CHECK_RC(serve(FS_OP_STAT, 100, m, 0, 0), 0);
    CHECK_RC(REP.w[FS_R_STAT_SIZE], 4);
    CHECK_RC(serve(FS_OP_TRUNCATE, 100, m, 10, 0), 0);
    CHECK_RC(serve(FS_OP_STAT, 0, n, 0, 0), AE_ENOENT);
    CHECK_RC(serve(FS_OP_STATFS, 0, 0, 0, 0), 0);
    CHECK_RC(REP.nwords, 6);
    CHECK_RC(REP.w[2], 2);                                 /* inodes: dir and file */
    CHECK_RC(serve(FS_OP_UNLINK, 100, m, 0, 0), 0);
    n = put(0, "dir");
    CHECK_RC(serve(FS_OP_RMDIR, 0, n, 0, 0), 0);
    end();
}

/* Serves a request of n words w[0..n). */
static int64_t serve_words(uint64_t op, const uint64_t *w, uint32_t n)
{
    uint64_t words[FS_MSG_WORDS] = { 0 };
    memcpy(words, w, n * sizeof *w);
    fs_serve(S, op, words, n, &SB, &REQ, &REP);
    return REP.status;
}

/* OPEN's word 4: the first read rides with a reader's open, into the
 * buffer's start, the position unmoved; not for a directory or a
 * write-only handle; a range past the buffer is AE_EFAULT. */
static void proto_open_reads_at_once(void)
{
    begin();
    uint64_t n = put(0, "f"), h;
    uint64_t w[5] = { 0, n, FS_O_RDWR | FS_O_CREAT, 0600, 0 };
    CHECK_RC(serve_words(FS_OP_OPEN, w, 4), 0);
    h = REP.w[FS_R_OPEN_HANDLE];
    put(1000, "payload!");
    CHECK_RC(serve(FS_OP_WRITE, h, 0, 1000, 8), 0);
    CHECK_RC(serve(FS_OP_CLOSE, h, 0, 0, 0), 0);
    w[2] = FS_O_RDONLY;
    w[4] = 64;
    memset(shared, 0, 64);
    n = put(0, "f");
    CHECK_RC(serve_words(FS_OP_OPEN, w, 5), 0);
    CHECK_RC(REP.w[FS_R_OPEN_READ], 8);
    CHECK(memcmp(shared, "payload!", 8) == 0);
    h = REP.w[FS_R_OPEN_HANDLE];
    CHECK_RC(serve(FS_OP_SEEK, h, 0, FS_SEEK_CUR, 0), 0);
    CHECK_RC(REP.w[0], 0);                              /* the position did not move */
    CHECK_RC(serve(FS_OP_CLOSE, h, 0, 0, 0), 0);
    w[2] = FS_O_WRONLY;
    put(0, "f");
    CHECK_RC(serve_words(FS_OP_OPEN, w, 5), 0);
    CHECK_RC(REP.w[FS_R_OPEN_READ], 0);                 /* a writer's open reads nothing */
    CHECK_RC(serve(FS_OP_CLOSE, REP.w[FS_R_OPEN_HANDLE], 0, 0, 0), 0);
    w[2] = FS_O_RDONLY;
    w[1] = put(0, "/");
    CHECK_RC(serve_words(FS_OP_OPEN, w, 5), 0);
    CHECK_RC(REP.w[FS_R_OPEN_READ], 0);                 /* nor a directory's */
    CHECK_RC(serve(FS_OP_CLOSE, REP.w[FS_R_OPEN_HANDLE], 0, 0, 0), 0);
    w[1] = put(0, "f");
    w[2] = FS_O_RDONLY;
    w[4] = 3;                                           /* a short read: nothing past it */
    memset(shared + 1, 0xAB, 16);
    CHECK_RC(serve_words(FS_OP_OPEN, w, 5), 0);
    CHECK_RC(REP.w[FS_R_OPEN_READ], 3);
    CHECK(memcmp(shared, "pay", 3) == 0);
    for (int i = 3; i < 17; i++)
        CHECK_RC(shared[i], 0xAB);
    CHECK_RC(serve(FS_OP_CLOSE, REP.w[FS_R_OPEN_HANDLE], 0, 0, 0), 0);
    w[1] = put(0, "f");
    w[4] = BUFSZ + 1;
    CHECK_RC(serve_words(FS_OP_OPEN, w, 5), AE_EFAULT);
    w[4] = ~0ull;
    CHECK_RC(serve_words(FS_OP_OPEN, w, 5), AE_EFAULT);
    end();
}

static void proto_link_and_attribute_words_are_checked(void)
{
    uint64_t n = put(0, "f"), t = put(100, "target");
    CHECK_RC(decode(FS_OP_SYMLINK, 4, 0, n, 100, t), 0);
    CHECK_RC(REQ.target_len, 6);
    CHECK(memcmp(REQ.scratch, "target", 6) == 0);
    memcpy(shared + 200, "ta\0get", 6);
    CHECK_RC(decode(FS_OP_SYMLINK, 4, 0, n, 200, 6), AE_EINVAL);        /* a NUL in the target */
    CHECK_RC(decode(FS_OP_SYMLINK, 4, 0, n, 100, FS_PATH_MAX), AE_ENAMETOOLONG);
    CHECK_RC(decode(FS_OP_SYMLINK, 4, 0, n, BUFSZ - 2, 6), AE_EFAULT);
    CHECK_RC(decode(FS_OP_READLINK, 4, 0, n, BUFSZ - 2, 6), AE_EFAULT);
    uint64_t w[8] = { 0, n, 0, n, 0x80 };
    CHECK_RC(fs_decode(FS_OP_LINK, w, 5, &SB, &REQ), AE_EINVAL);        /* unknown flag */
    w[4] = FS_AT_FOLLOW;
    CHECK_RC(fs_decode(FS_OP_LINK, w, 5, &SB, &REQ), 0);
    CHECK_RC(fs_decode(FS_OP_RENAME, w, 5, &SB, &REQ), AE_EINVAL);      /* not one of RENAME's */
    w[4] = FS_RENAME_NOREPLACE;
    CHECK_RC(fs_decode(FS_OP_RENAME, w, 5, &SB, &REQ), 0);
    CHECK_RC(decode(FS_OP_STAT, 3, 0, n, 2, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_STAT, 3, 0, n, FS_AT_NOFOLLOW, 0), 0);
    CHECK_RC(decode(FS_OP_CHMOD, 4, 0, n, 010000, 0), AE_EINVAL);
    CHECK_RC(decode(FS_OP_CHMOD, 4, 0, n, 0644, 4), AE_EINVAL);
    CHECK_RC(decode(FS_OP_FCHMOD, 2, 7, 1ull << 33, 0, 0), AE_EINVAL);
    uint64_t c[5] = { 0, n, 1ull << 32, 0, 0 };
    CHECK_RC(fs_decode(FS_OP_CHOWN, c, 5, &SB, &REQ), AE_EINVAL);       /* ids are 32 bits */
    c[2] = FS_ID_KEEP;
    c[3] = 1ull << 40;
    CHECK_RC(fs_decode(FS_OP_CHOWN, c, 5, &SB, &REQ), AE_EINVAL);
    c[3] = 5;
    CHECK_RC(fs_decode(FS_OP_CHOWN, c, 5, &SB, &REQ), 0);
    CHECK_RC(REQ.uid, FS_ID_KEEP);
    CHECK_RC(REQ.gid, 5);
    CHECK_RC(decode(FS_OP_FCHOWN, 3, 7, 0, UINT64_MAX, 0), AE_EINVAL);
    uint64_t b[8] = { 0, n, 0, n, 0, 0, 41, 42 };
    CHECK_RC(fs_decode(FS_OP_RENAME, b, 8, &SB, &REQ), 0);              /* the directory handles */
    CHECK_RC(REQ.path.base, 41);
    CHECK_RC(REQ.path2.base, 42);
    CHECK_RC(fs_decode(FS_OP_RENAME, b, 6, &SB, &REQ), 0);
    CHECK_RC(REQ.path.base, 0);
}

static void proto_link_and_attribute_requests_round_trip(void)
{
    begin();
    uint64_t f = put(0, "file"), l = put(100, "link"), t = put(200, "file");
    CHECK_RC(put_file(S, "file", "data", 4), 4);
    CHECK_RC(serve(FS_OP_SYMLINK, 100, l, 200, t), 0);
    CHECK_RC(serve(FS_OP_READLINK, 100, l, 4096, 3), 0);
    CHECK_RC(REP.nwords, 1);
    CHECK_RC(REP.w[0], 4);                                             /* its length; 3 bytes copied */
    CHECK(memcmp(shared + 4096, "fil", 3) == 0);
    uint64_t st[3] = { 100, l, FS_AT_NOFOLLOW };
    CHECK_RC(serve_words(FS_OP_STAT, st, 3), 0);
    CHECK_RC(REP.w[FS_R_STAT_TYPE], FS_TYPE_SYMLINK);
    CHECK_RC(serve_words(FS_OP_STAT, st, 2), 0);
    CHECK_RC(REP.w[FS_R_STAT_TYPE], FS_TYPE_FILE);
    uint64_t h2 = put(300, "hard");
    uint64_t lk[5] = { 0, f, 300, h2, 0 };
    CHECK_RC(serve_words(FS_OP_LINK, lk, 5), 0);
    uint64_t ch[5] = { 300, h2, 7, 8, 0 };
    CHECK_RC(serve_words(FS_OP_CHOWN, ch, 5), 0);
    uint64_t ut[5] = { 300, h2, 11, FS_TIME_OMIT, 0 };
    CHECK_RC(serve_words(FS_OP_UTIMENS, ut, 5), 0);
    CHECK_RC(serve(FS_OP_OPEN, 0, f, FS_O_RDONLY, 0), 0);
    uint64_t h = REP.w[FS_R_OPEN_HANDLE];
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_NLINK], 2);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_UID], 7);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_GID], 8);
    CHECK_RC(REP.w[FS_R_OPEN_STAT + FS_R_STAT_ATIME], 11);
    CHECK_RC(serve(FS_OP_FCHMOD, h, 0600, 0, 0), 0);
    CHECK_RC(serve(FS_OP_FUTIMENS, h, FS_TIME_OMIT, 99, 0), 0);
    CHECK_RC(serve(FS_OP_FSYNC, h, 0, 0, 0), 0);
    CHECK_RC(serve(FS_OP_FSTAT, h, 0, 0, 0), 0);
    CHECK_RC(REP.w[FS_R_STAT_MODE], 0600);
    CHECK_RC(REP.w[FS_R_STAT_MTIME], 99);
    uint64_t d = put(400, "/");
    CHECK_RC(serve(FS_OP_OPEN, 400, d, FS_O_RDONLY | FS_O_DIRECTORY, 0), 0);
    uint64_t dir = REP.w[FS_R_OPEN_HANDLE];
    uint64_t rel[8] = { 0, f, 0, 0, 0, 0, dir };
    CHECK_RC(serve_words(FS_OP_STAT, rel, 8), 0);                       /* from the directory */
    rel[6] = h;
    CHECK_RC(serve_words(FS_OP_STAT, rel, 8), AE_ENOTDIR);              /* a file is no base */
    rel[6] = 12345;
    CHECK_RC(serve_words(FS_OP_STAT, rel, 8), AE_EBADF);
    CHECK_RC(serve(FS_OP_CLOSE, h, 0, 0, 0), 0);
    CHECK_RC(serve(FS_OP_FSYNC, h, 0, 0, 0), AE_EBADF);
    CHECK_RC(serve(FS_OP_CLOSE, dir, 0, 0, 0), 0);
    end();
}

/* Reads the records in the shared buffer at off; names joined with ' '. */
static int records(uint64_t off, uint64_t bytes, char *out, uint64_t *last_cookie)
{
    int n = 0;
    for (uint64_t at = off; at < off + bytes; n++) {
        struct fs_dirent_rec h;
        memcpy(&h, shared + at, sizeof h);
        CHECK(h.rec_len % 8 == 0 && h.rec_len >= sizeof h + h.name_len + 1);
        CHECK_RC(shared[at + sizeof h + h.name_len], 0);
        strncat(out, (char *)shared + at + sizeof h, h.name_len);
        strcat(out, " ");
        *last_cookie = h.cookie;
        at += h.rec_len;
    }
    return n;
}

static void proto_readdir_records_and_continuation(void)
{
    begin();
    const char *files[] = { "alpha", "b", "a-name-of-some-length", "z" };
    for (int i = 0; i < 4; i++)
        CHECK_RC(put_file(S, files[i], "", 0), 0);
    uint64_t n = put(0, "/");
    CHECK_RC(serve(FS_OP_OPEN, 0, n, FS_O_RDONLY | FS_O_DIRECTORY, 0), 0);
    uint64_t h = REP.w[0], cookie = 0;
    char all[256] = "";
    int total = 0;
    for (int round = 0; round < 10; round++) {
        CHECK_RC(serve(FS_OP_READDIR, h, cookie, 4096, 64), 0);   /* room for one or two */
        total += records(4096, REP.w[FS_R_READDIR_BYTES], all, &cookie);
        CHECK_RC(REP.w[FS_R_READDIR_NEXT], cookie);
        if (REP.w[FS_R_READDIR_EOF])
            break;
    }
    CHECK_RC(total, 4);
    CHECK_STR(all, "alpha b a-name-of-some-length z ");
    CHECK_RC(serve(FS_OP_READDIR, h, 0, 4096, 24), AE_EINVAL);      /* not one record fits */
    CHECK_RC(serve(FS_OP_READDIR, h, 0, 4096, 32), 0);              /* "alpha" exactly */
    CHECK_RC(REP.w[FS_R_READDIR_COUNT], 1);
    CHECK_RC(REP.w[FS_R_READDIR_BYTES], 32);
    CHECK_RC(serve(FS_OP_READDIR, h, cookie, 4096, 24), 0);          /* at the end: eof */
    CHECK_RC(REP.w[FS_R_READDIR_EOF], 1);
    CHECK_RC(REP.w[FS_R_READDIR_COUNT], 0);
    serve(FS_OP_CLOSE, h, 0, 0, 0);
    end();
}

/* READDIR's FS_READDIR_STATS (attack7, SECURITY 46g): unknown flag bits
 * are AE_EINVAL; a range with room for a bare record but not its stat
 * gets nothing written past it (AE_EINVAL: not one record fits); a
 * record that fits carries its own entry's stat, and nothing is written
 * past the range asked for. */
static void proto_readdir_stats_stay_in_their_range(void)
{
    begin();
    CHECK_RC(put_file(S, "alpha", "12345", 5), 5);
    uint64_t n = put(0, "/");
    CHECK_RC(serve(FS_OP_OPEN, 0, n, FS_O_RDONLY | FS_O_DIRECTORY, 0), 0);
    uint64_t h = REP.w[0];
    uint64_t w[5] = { h, 0, 4096, 512, 0x2 };
    CHECK_RC(serve_words(FS_OP_READDIR, w, 5), AE_EINVAL);        /* unknown flag */
    w[4] = 1ull << 40;
    CHECK_RC(serve_words(FS_OP_READDIR, w, 5), AE_EINVAL);
    w[4] = FS_READDIR_STATS | (1ull << 63);
    CHECK_RC(serve_words(FS_OP_READDIR, w, 5), AE_EINVAL);
    uint64_t bare = 32, with = bare + FS_R_STAT_WORDS * 8;   /* "alpha": 24 + 6, rounded */
    memset(shared + 4096, 0xAB, 512);
    w[3] = with - 1;
    w[4] = FS_READDIR_STATS;
    CHECK_RC(serve_words(FS_OP_READDIR, w, 5), AE_EINVAL);        /* the bare one would fit */
    for (int i = 0; i < 512; i++)
        CHECK_RC(shared[4096 + i], 0xAB);
    w[3] = with;
    CHECK_RC(serve_words(FS_OP_READDIR, w, 5), 0);
    CHECK_RC(REP.w[FS_R_READDIR_FLAGS], FS_READDIR_R_STATS);
    CHECK_RC(REP.w[FS_R_READDIR_COUNT], 1);
    CHECK_RC(REP.w[FS_R_READDIR_BYTES], with);
    for (uint64_t i = with; i < 512; i++)
        CHECK_RC(shared[4096 + i], 0xAB);                         /* nothing past the range */
    struct fs_dirent_rec r;
    memcpy(&r, shared + 4096, sizeof r);
    CHECK_RC(r.rec_len, with);
    uint64_t st[FS_R_STAT_WORDS];
    memcpy(st, shared + 4096 + bare, sizeof st);
    CHECK_RC(st[FS_R_STAT_INO], r.ino);
    CHECK_RC(st[FS_R_STAT_SIZE], 5);
    CHECK_RC(st[FS_R_STAT_TYPE], FS_TYPE_FILE);
    w[2] = BUFSZ - with + 1;                                      /* past the buffer's end */
    CHECK_RC(serve_words(FS_OP_READDIR, w, 5), AE_EFAULT);
    serve(FS_OP_CLOSE, h, 0, 0, 0);
    end();
}

static void proto_decoded_path_is_a_private_copy(void)
{
    begin();
    uint64_t n = put(0, "victim");
    CHECK_RC(put_file(S, "victim", "v", 1), 1);
    uint64_t w[FS_MSG_WORDS] = { 0, n };
    CHECK_RC(fs_decode(FS_OP_UNLINK, w, 2, &SB, &REQ), 0);
    put(0, "other!");                              /* the client rewrites the buffer */
    fs_perform(S, &REQ, &SB, &REP);
    CHECK_RC(REP.status, 0);
    CHECK_RC(fs_stat(S, P("victim"), &(struct fs_stat){ 0 }), AE_ENOENT);
    end();
}

static int flipping;

/* A hostile client: rewrites the path bytes while the service decodes them. */
static void *flipper(void *arg)
{
    static const char alphabet[] = { 'a', '/', '.', 0, 'b', '.' };
    volatile uint8_t *p = shared + 8192;
    unsigned x = 1;
    while (__atomic_load_n(&flipping, __ATOMIC_RELAXED)) {
        x = x * 1103515245 + 12345;
        p[(x >> 8) % 300] = (uint8_t)alphabet[(x >> 20) % 6];
    }
    return NULL;
}

static bool path_is_normal(const struct fs_path *p)
{
    size_t pos = 0, clen;
    const char *c;
    if (p->len > FS_PATH_MAX || strlen(p->name) != p->len)
        return false;                              /* no NUL inside */
    if (p->len && (p->name[0] == '/' || p->name[p->len - 1] == '/'))
        return false;
    while (fs_path_next(p->name, p->len, &pos, &c, &clen)) {
        if (clen > FS_NAME_MAX || (c[0] == '.' && clen == 1))
            return false;                          /* ("..", the walk's business, stays) */
        if (pos < p->len && p->name[pos + 1] == '/')
            return false;                          /* an empty component */
    }
    return true;
}

static void proto_buffer_rewritten_during_decode(void)
{
    memset(shared + 8192, 'a', 300);
    __atomic_store_n(&flipping, 1, __ATOMIC_RELAXED);
    pthread_t t;
    pthread_create(&t, NULL, flipper, NULL);
    int bad = 0, ok = 0;
    for (int i = 0; i < 200000; i++) {
        int r = decode(FS_OP_STAT, 2, 8192, 1 + i % 300, 0, 0);
        if (r == 0) {
            ok++;
            bad += !path_is_normal(&REQ.path);
        } else {
            bad += r != AE_EINVAL && r != AE_ENAMETOOLONG;
        }
    }
    __atomic_store_n(&flipping, 0, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    CHECK_RC(bad, 0);
    CHECK(ok > 0);
}

int main(void)
{
    RUN(proto_unknown_opcode_is_enosys);
    RUN(proto_too_few_words_is_eproto);
    RUN(proto_ranges_outside_the_buffer_are_efault);
    RUN(proto_bad_paths);
    RUN(proto_bad_flags_modes_whence);
    RUN(proto_mknod_makes_fifos_only);
    RUN(proto_requests_round_trip);
    RUN(proto_open_reads_at_once);
    RUN(proto_link_and_attribute_words_are_checked);
    RUN(proto_link_and_attribute_requests_round_trip);
    RUN(proto_readdir_records_and_continuation);
    RUN(proto_readdir_stats_stay_in_their_range);
    RUN(proto_decoded_path_is_a_private_copy);
    RUN(proto_buffer_rewritten_during_decode);
    return TESTS_DONE();
}
