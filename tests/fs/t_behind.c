/*
 * t_behind.c — write-behind (docs/FS.md, "Write-behind"): small writes and
 * unlinks queued in the client's buffer land in order, many to a request;
 * an error one of them gets is the next call's on its handle; a queued
 * unlink is done before a create of the same name; and a control block a
 * client forges (huge counts, ranges past its buffer, more bytes than the
 * buffer holds) gets errors for its own operations and harms nothing else.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define KiB 1024ull
#define MiB (1ull << 20)

static uint64_t requests(void)
{
    return ft_stat(FS_STAT_REQUESTS);
}

FSTEST(write_behind_keeps_order, "queued writes (at offsets and at the position) land in order, a few per request")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, 4 * MiB, 16));
    static uint8_t want[256 * KiB], got[256 * KiB], blk[4 * KiB];
    uint64_t h;
    CHECK_OK(ae_fs_open(&s.conn, "/w", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    uint64_t r0 = requests();
    uint64_t pos = 0, end = 0;
    for (unsigned i = 0; i < 48; i++) {                  /* 48 writes of 4 KiB: at the position ... */
        memset(blk, 'a' + i % 26, sizeof blk);
        CHECK_EQ(ae_fs_write_behind(&s.conn, h, FS_OFF_CURRENT, blk, sizeof blk), sizeof blk);
        memcpy(want + pos, blk, sizeof blk);
        pos += sizeof blk;
        end = pos > end ? pos : end;
        /* ... and one that overwrites part of an earlier one, at an offset */
        uint64_t at = (i * 7919) % pos;
        uint64_t n = 100 + i;
        memset(blk, 'A' + i % 26, n);
        CHECK_EQ(ae_fs_write_behind(&s.conn, h, at, blk, n), n);
        memcpy(want + at, blk, n);
        end = at + n > end ? at + n : end;
    }
    CHECK(s.conn.nbehind > 0);                           /* some still queued */
    uint64_t sent = requests() - r0;
    CHECK(sent < 20);                                    /* 96 writes, a handful of requests */
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st));              /* carries the rest: the size is right */
    CHECK_EQ(st.size, end);
    CHECK_EQ(s.conn.nbehind, 0);
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, got, end), end);
    CHECK(!memcmp(got, want, end));
    /* The position moved past every write at it: the next goes on from there. */
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, FS_OFF_CURRENT, "Z", 1), 1);
    CHECK_EQ(ae_fs_seek(&s.conn, h, 0, FS_SEEK_CUR), pos + 1);
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    /* Read-after-write through another handle of the same file. */
    uint64_t h2, h3;
    CHECK_OK(ae_fs_open(&s.conn, "/w", FS_O_RDWR, 0, &h2, NULL));
    CHECK_OK(ae_fs_open(&s.conn, "/w", FS_O_RDONLY, 0, &h3, NULL));
    char c = 0;
    CHECK_EQ(ae_fs_read(&s.conn, h3, 5, &c, 1), 1);     /* a read-ahead of the file */
    CHECK_EQ(ae_fs_write_behind(&s.conn, h2, 5, "#", 1), 1);
    CHECK_EQ(ae_fs_read(&s.conn, h3, 5, &c, 1), 1);
    CHECK_EQ(c, '#');
    CHECK_EQ(ae_fs_write_behind(&s.conn, h2, 6, "%", 1), 1);
    CHECK_OK(ae_fs_stat(&s.conn, "/w", &st));            /* a stat by name sees it too */
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    uint64_t size;
    char two[2];
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/w", 5, two, 2, &size), 2);
    CHECK(two[0] == '#' && two[1] == '%');
    CHECK_OK(ae_fs_close(&s.conn, h2));
    CHECK_OK(ae_fs_close(&s.conn, h3));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(write_behind_error_at_next_call, "ENOSPC is the write's own (the room is known); another queued error is the next call's")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, 32 * KiB, 16));   /* 8 pages: data and index */
    static uint8_t blk[8 * KiB];
    uint64_t h, ro, total = 0;
    CHECK_OK(ae_fs_open(&s.conn, "/full", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    bool full = false;
    for (int i = 0; i < 6; i++) {                        /* 48 KiB: more than fits */
        int64_t r = ae_fs_write_behind(&s.conn, h, (uint64_t)i * sizeof blk, blk, sizeof blk);
        if (full) {
            CHECK_EQ(r, AE_ENOSPC);                      /* as a write at once says */
        } else {
            CHECK(r > 0);
            total += (uint64_t)r;
            full = r < (int64_t)sizeof blk;
        }
    }
    CHECK(full);
    CHECK_OK(ae_fs_fsync(&s.conn, h));                   /* nothing else to tell */
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st));
    CHECK_EQ(st.size, total);
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    /* On a handle not open for writing: the next call on it says so, and
     * only that handle's: another handle's works. */
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    CHECK_OK(ae_fs_open(&s.conn, "/full", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_open(&s.conn, "/full", FS_O_RDONLY, 0, &ro, NULL));
    CHECK_OK(ae_fs_open(&s.conn, "/other", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_EQ(ae_fs_write_behind(&s.conn, ro, 0, "x", 1), 1);
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, 0, "y", 1), 1);
    char c;
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, &c, 1), 1);
    CHECK_EQ(c, 'y');
    CHECK_EQ(ae_fs_read(&s.conn, ro, 0, &c, 1), AE_EBADF);
    CHECK_EQ(ae_fs_read(&s.conn, ro, 0, &c, 1), 0);      /* told once; nothing was written */
    /* At close: the close is made, and says it. */
    CHECK_EQ(ae_fs_write_behind(&s.conn, ro, 0, "x", 1), 1);
    CHECK_EQ(ae_fs_close_deferred(&s.conn, ro), AE_EBADF);
    CHECK_EQ(ae_fs_close(&s.conn, ro), AE_EBADF);        /* closed anyway */
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(unlink_behind_then_create, "a queued unlink: gone for stat, done before a create of the same name")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 256));
    struct ae_fs_stat st, st2;
    uint64_t h, hf;
    CHECK_OK(ae_fs_open(&s.conn, "/u", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_stat(&s.conn, "/u", &st));            /* kept: the unlink may be queued */
    CHECK_OK(ae_fs_unlink_behind(&s.conn, "/u"));
    CHECK_EQ(s.conn.nbehind, 1);
    CHECK_EQ(ae_fs_stat(&s.conn, "/u", &st2), AE_ENOENT);
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st2));
    CHECK_OK(ae_fs_open(&s.conn, "/u", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_OK(ae_fs_stat(&s.conn, "/u", &st2));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_unlink_behind(&s.conn, "/u"));
    CHECK_EQ(s.conn.nbehind, 1);
    CHECK_OK(ae_fs_open(&s.conn, "/u", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK_EQ(s.conn.nbehind, 0);                         /* done before the create */
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st));
    CHECK(st.ino != st2.ino);
    /* Names it cannot prove: at once, with their errors. */
    CHECK_EQ(ae_fs_unlink_behind(&s.conn, "/nothing"), AE_ENOENT);
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));
    CHECK(ae_fs_unlink_behind(&s.conn, "/") < 0);
    CHECK_OK(ae_fs_stat(&s.conn, "/etc/motd", &st));         /* an image file: a whiteout, not queued */
    CHECK_OK(ae_fs_unlink_behind(&s.conn, "/etc/motd"));
    CHECK_EQ(s.conn.nbehind, 0);
    CHECK_EQ(ae_fs_stat(&s.conn, "/etc/motd", &st), AE_ENOENT);
    /* Many: a few requests. */
    char name[16];
    for (int i = 0; i < 100; i++) {
        name[0] = '/';
        name[1] = 'f';
        name[2] = (char)('0' + i / 10);
        name[3] = (char)('0' + i % 10);
        name[4] = 0;
        CHECK_OK(ae_fs_open(&s.conn, name, FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0600, &hf, NULL));
        CHECK_OK(ae_fs_close_deferred(&s.conn, hf));
    }
    for (int i = 0; i < 100; i++) {
        name[2] = (char)('0' + i / 10);
        name[3] = (char)('0' + i % 10);
        CHECK_OK(ae_fs_stat(&s.conn, name, &st));
    }
    uint64_t r0 = requests();
    for (int i = 0; i < 100; i++) {
        name[2] = (char)('0' + i / 10);
        name[3] = (char)('0' + i % 10);
        CHECK_OK(ae_fs_unlink_behind(&s.conn, name));
    }
    CHECK(requests() - r0 < 40);
    CHECK_EQ(ae_fs_stat(&s.conn, "/f00", &st), AE_ENOENT);
    CHECK_EQ(ae_fs_stat(&s.conn, "/f99", &st), AE_ENOENT);
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(unlink_reply_drops_only_its_node, "an unlink made at once drops the removed node's kept stats by any name, keeps the rest")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    uint64_t h;
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_open(&s.conn, "/a", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_open(&s.conn, "/b", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_link(&s.conn, "/b", "/c"));
    CHECK_OK(ae_fs_stat(&s.conn, "/a", &st));
    CHECK_OK(ae_fs_stat(&s.conn, "//c", &st));           /* kept under another spelling */
    CHECK_EQ(st.nlink, 2);
    CHECK_OK(ae_fs_unlink(&s.conn, "/b"));               /* at once: /b was never stat'ed */
    uint64_t r0 = requests();
    CHECK_OK(ae_fs_stat(&s.conn, "/a", &st));            /* still kept: no request */
    CHECK_EQ(requests(), r0);
    CHECK_OK(ae_fs_stat(&s.conn, "//c", &st));           /* dropped by its inode: asked again */
    CHECK_EQ(st.nlink, 1);
    CHECK_EQ(requests(), r0 + 1);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(forged_behind_block_harms_no_one, "a block with huge counts, ranges past the buffer, too many bytes: errors, nothing else")
{
    struct ft_session a, b;
    CHECK_OK(ft_session_open(&a, NULL, MiB, 16));
    CHECK_OK(ft_session_open(&b, NULL, MiB, 16));
    uint64_t ha, hb;
    CHECK_OK(ae_fs_open(&b.conn, "/secret", FS_O_RDWR | FS_O_CREAT, 0600, &hb, NULL));
    CHECK_EQ(ae_fs_write(&b.conn, hb, 0, "bee", 3), 3);
    CHECK_OK(ae_fs_open(&a.conn, "/mine", FS_O_RDWR | FS_O_CREAT, 0600, &ha, NULL));
    uint64_t cb = b.conn.ctl->changes;
    struct fs_shctl *c = a.conn.ctl;
    uint64_t bytes = a.conn.buf_bytes;
    CHECK(c != NULL);
    memset(a.conn.buf, 'q', bytes);
    /* The writes of a batch may name the buffer's bytes once in all. */
    uint64_t forged[][4] = {
        { FS_DEFER_WRITE, ha, 0, FS_DEFER_RANGE_OF(bytes - 8, 16) },       /* past the buffer */
        { FS_DEFER_WRITE, ha, 0, FS_DEFER_RANGE_OF(~0u, 0xFFFFFFFFu) },    /* huge */
        { FS_DEFER_WRITE, ha, FS_FILE_MAX, FS_DEFER_RANGE_OF(0, 16) },     /* past the file limit */
        { FS_DEFER_WRITE, hb, 0, FS_DEFER_RANGE_OF(0, 16) },               /* b's handle value */
        { FS_DEFER_WRITE, ha, 0, FS_DEFER_RANGE_OF(0, bytes - 48) },       /* the rest: fine */
        { FS_DEFER_WRITE, ha, 0, FS_DEFER_RANGE_OF(0, 4096) },             /* but no more */
        { FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(bytes, 8), 0, 0 },            /* a path past the buffer */
        { FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(0, 5000), 0, 0 },             /* too long */
        { FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(0, 4), hb, 0 },              /* from b's handle */
    };
    unsigned nf = sizeof forged / sizeof forged[0];
    for (unsigned i = 0; i < FS_SHCTL_OPS_MAX; i++)
        for (unsigned j = 0; j < 4; j++)
            c->ops[i][j] = i < nf ? forged[i][j] : FS_DEFER_WRITE;    /* the rest: more writes */
    c->nops = ~0ull;
    ae_utcb()->mr[0] = ha;                               /* a request as is: the block as we left it */
    int64_t r = ae_call(a.cap, AERIE_INFO(FS_OP_FSTAT, 1, 0), AERIE_TIMEOUT_FOREVER);
    CHECK(r >= 0);
    CHECK_EQ(c->nops, 0);
    CHECK_EQ(c->res[0], AE_EFAULT);
    CHECK_EQ(c->res[1], AE_EINVAL);
    CHECK_EQ(c->res[2], AE_EFBIG);
    CHECK(c->res[3] == AE_EBADF || c->res[3] == 16);     /* nothing of b's, or a's own handle */
    CHECK_EQ(c->res[4], (int64_t)(bytes - 48));
    CHECK_EQ(c->res[5], AE_EINVAL);                      /* the batch's bytes are spent */
    CHECK_EQ(c->res[6], AE_EFAULT);
    CHECK_EQ(c->res[7], AE_ENAMETOOLONG);
    CHECK(c->res[8] < 0);
    CHECK_EQ(c->res[FS_SHCTL_OPS_MAX - 1], AE_EINVAL);
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_fstat(&a.conn, ha, &st));
    CHECK_EQ(st.size, bytes - 48);
    char got[4] = { 0 };
    CHECK_EQ(ae_fs_read(&b.conn, hb, 0, got, 3), 3);
    CHECK(!memcmp(got, "bee", 3));
    CHECK_EQ(b.conn.ctl->changes, cb);                   /* nothing of b's changed */
    CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    CHECK_OK(ae_fs_close(&a.conn, ha));
    CHECK_OK(ae_fs_close(&b.conn, hb));
    ft_session_close(&a);
    ft_session_close(&b);
}

/* attack6: queued unlinks whose paths try to leave the session's root
 * ("/../", "../../", the neighbour's absolute name), a position past the
 * file limit; then a second thread of the client rewriting every word of
 * the block (counts, operations, handles, ranges) as fast as it can while
 * the first sends requests, so fs reads words the client is changing.
 * Each word is read once: fs survives, answers every request, and nothing
 * of the neighbouring session changes. */
static volatile int racer_stop;

static void *racer(void *arg)
{
    struct fs_shctl *c = arg;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    while (!__atomic_load_n(&racer_stop, __ATOMIC_RELAXED)) {
        for (unsigned i = 0; i < FS_SHCTL_OPS_MAX; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            c->ops[i][0] = 1 + x % 5;                    /* the four kinds, and one unknown */
            c->ops[i][1] = (x >> 8) % 3 ? (x >> 20) % 64 : x;
            c->ops[i][2] = (x >> 12) % 2 ? (x >> 24) % 8192 : ~x;
            c->ops[i][3] = (x >> 16) % 2 ? FS_DEFER_RANGE_OF((x >> 28) % 8192, (x >> 40) % 8192) : x;
            c->nops = (x >> 4) % 4 ? (x >> 32) % (FS_SHCTL_OPS_MAX + 8) : x;
        }
    }
    return NULL;
}

FSTEST(forged_behind_block_raced_and_escaping, "queued unlinks out of the root fail; a block rewritten while fs reads it harms no one")
{
    struct ft_session a, b;
    CHECK_OK(ft_session_open(&a, NULL, MiB, 16));
    CHECK_OK(ft_session_open(&b, NULL, MiB, 16));
    uint64_t ha, hb;
    CHECK_OK(ae_fs_open(&b.conn, "/secret", FS_O_RDWR | FS_O_CREAT, 0600, &hb, NULL));
    CHECK_EQ(ae_fs_write(&b.conn, hb, 0, "bee", 3), 3);
    CHECK_OK(ae_fs_open(&a.conn, "/mine", FS_O_RDWR | FS_O_CREAT, 0600, &ha, NULL));
    uint64_t cb = b.conn.ctl->changes;
    struct fs_shctl *c = a.conn.ctl;
    CHECK(c != NULL);
    char *buf = (char *)a.conn.buf;
    memcpy(buf, "/../secret", 10);
    memcpy(buf + 64, "../../secret", 12);
    memcpy(buf + 128, "/secret", 7);
    uint64_t ops[][4] = {
        { FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(0, 10), 0, 0 },
        { FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(64, 12), 0, 0 },
        { FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(128, 7), 0, 0 },
        { FS_DEFER_SEEK, ha, FS_FILE_MAX + 1, 0 },
        { FS_DEFER_SEEK, ha, ~0ull, 0 },
    };
    unsigned n = sizeof ops / sizeof ops[0];
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < 4; j++)
            c->ops[i][j] = ops[i][j];
    c->nops = n;
    ae_utcb()->mr[0] = ha;
    CHECK(ae_call(a.cap, AERIE_INFO(FS_OP_FSTAT, 1, 0), AERIE_TIMEOUT_FOREVER) >= 0);
    CHECK_EQ(c->nops, 0);
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(c->res[i], AE_ENOENT);                  /* its root has no /secret */
    CHECK_EQ(c->res[3], AE_EINVAL);
    CHECK_EQ(c->res[4], AE_EINVAL);
    /* The race: every request still answered, the neighbour untouched. */
    memset(buf, 'q', a.conn.buf_bytes);
    pthread_t rt;
    racer_stop = 0;
    CHECK_OK(pthread_create(&rt, NULL, racer, c));
    unsigned answered = 0;
    for (unsigned i = 0; i < 300; i++) {
        ae_utcb()->mr[0] = ha;
        if (ae_call(a.cap, AERIE_INFO(FS_OP_FSTAT, 1, 0), AERIE_TIMEOUT_FOREVER) >= 0)
            answered++;
    }
    __atomic_store_n(&racer_stop, 1, __ATOMIC_RELAXED);
    CHECK_OK(pthread_join(rt, NULL));
    CHECK_EQ(answered, 300);
    c->nops = 0;
    char got[4] = { 0 };
    CHECK_EQ(ae_fs_read(&b.conn, hb, 0, got, 3), 3);
    CHECK(!memcmp(got, "bee", 3));
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&b.conn, "/secret", &st));
    CHECK_EQ(st.size, 3);
    CHECK_EQ(b.conn.ctl->changes, cb);                   /* nothing of b's changed */
    CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    CHECK_OK(ae_fs_close(&b.conn, hb));
    ft_session_close(&a);
    ft_session_close(&b);
}

/* A raw admin call of RUN_QUEUED with n words (w0 = id) through cap. */
static int run_queued_raw(uint64_t cap, uint64_t id, unsigned n)
{
    ae_utcb()->mr[0] = id;
    int64_t r = ae_call(cap, AERIE_INFO(FS_ADMIN_RUN_QUEUED, n, 0), AERIE_TIMEOUT_FOREVER);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

FSTEST(admin_runs_queued_ops_once, "FS_ADMIN_RUN_QUEUED runs what a client queued and did not send (a fork's copy "
       "needs it); the client then runs none of it twice; only the admin may, on a known session")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, 4 * MiB, 16));
    uint64_t h, h2, ran = 99, size = 99;
    uint32_t type, mode;
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_open(&s.conn, "/q", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));
    CHECK_OK(ae_fs_open(&s.conn, "/u", FS_O_RDWR | FS_O_CREAT, 0600, &h2, NULL));
    CHECK_OK(ae_fs_admin_run_queued(ft_admin, s.id, &ran));
    CHECK_EQ(ran, 0);                                      /* nothing queued yet */
    char rec[100], got[100];
    memset(rec, 'a', sizeof rec);                          /* the first learns the room, then queues */
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, FS_OFF_CURRENT, rec, sizeof rec), sizeof rec);
    CHECK_OK(ae_fs_stat(&s.conn, "/u", &st));              /* sends it; /u kept: its unlink may queue */
    CHECK_OK(ae_fs_unlink_behind(&s.conn, "/u"));
    CHECK_EQ(s.conn.nbehind, 1);
    CHECK_OK(ae_fs_close_deferred(&s.conn, h2));
    for (unsigned k = 1; k < 20; k++) {
        memset(rec, 'a' + k, sizeof rec);
        CHECK_EQ(ae_fs_write_behind(&s.conn, h, FS_OFF_CURRENT, rec, sizeof rec), sizeof rec);
    }
    CHECK_EQ(s.conn.nbehind, 20);                          /* all still here, none sent */
    CHECK_OK(ae_fs_admin_stat(ft_admin, s.id, "/q", &type, &size, &mode));
    CHECK_EQ(size, 100);
    /* What a fork does to the stopped container: the service runs them. */
    CHECK_OK(ae_fs_admin_run_queued(ft_admin, s.id, &ran));
    CHECK_EQ(ran, 21);
    CHECK_OK(ae_fs_admin_stat(ft_admin, s.id, "/q", &type, &size, &mode));
    CHECK_EQ(size, 2000);
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/q", 1900, got, sizeof got, &size), sizeof got);
    memset(rec, 'a' + 19, sizeof rec);
    CHECK(!memcmp(got, rec, sizeof rec));
    CHECK_EQ(ae_fs_admin_stat(ft_admin, s.id, "/u", &type, &size, &mode), AE_ENOENT);
    CHECK_OK(ae_fs_admin_run_queued(ft_admin, s.id, &ran));
    CHECK_EQ(ran, 0);                                      /* once */
    /* The client finds its queue run (nops 0) at its next queueing,
     * settles it, and goes on: no write lands twice, the close and the
     * unlink are not made again (EBADF, ENOENT would say so). */
    memset(rec, 'Z', sizeof rec);
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, FS_OFF_CURRENT, rec, sizeof rec), sizeof rec);
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st));
    CHECK_EQ(st.size, 2100);
    CHECK_EQ(s.conn.nbehind, 0);
    CHECK_EQ(s.conn.unlink_err, 0);
    CHECK_EQ(ae_fs_read(&s.conn, h, 2000, got, sizeof got), sizeof got);
    CHECK(!memcmp(got, rec, sizeof rec));
    CHECK_EQ(ae_fs_close(&s.conn, h2), AE_EBADF);          /* the queued close ran */
    /* Queued, run, and the client's next request (not a queueing) sees it. */
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, 0, "Y", 1), 1);
    CHECK_OK(ae_fs_admin_run_queued(ft_admin, s.id, &ran));
    CHECK_EQ(ran, 1);
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st));
    CHECK_EQ(st.size, 2100);
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, got, 2), 2);
    CHECK(got[0] == 'Y' && got[1] == 'a');
    CHECK_OK(ae_fs_close(&s.conn, h));
    /* Refusals, nothing run: a session capability (this program's own, or
     * the session's) is not the admin; unknown and huge ids; no words. */
    CHECK_EQ(ae_fs_admin_run_queued(ft_fs, s.id, &ran), AE_EPERM);
    CHECK_EQ(ae_fs_admin_run_queued(s.cap, s.id, &ran), AE_EPERM);
    CHECK_EQ(ran, 0);
    CHECK_EQ(ae_fs_admin_run_queued(ft_admin, 0x7fffffff, &ran), AE_ENOENT);
    CHECK_EQ(run_queued_raw(ft_admin, 1ull << 40 | s.id, 1), AE_ENOENT);
    CHECK_EQ(run_queued_raw(ft_admin, ~0ull, 1), AE_ENOENT);
    CHECK_EQ(run_queued_raw(ft_admin, s.id, 0), AE_EPROTO);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

/* The kept stats' index (which slots hold a directory, a node of each
 * inode class: fs_client.c): with the table full and slots reused by
 * other nodes, a write of ours, a create and a mkdir still drop every
 * stat they change. Values are checked, not requests: eviction from a
 * full table may ask again at any time. */
FSTEST(kept_stats_dropped_after_slots_reused, "a full stat table with slots reused: own writes, creates and mkdirs leave no stale stat")
{
    enum { N = 700 };
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, 4 * MiB, N + 16));
    char path[32];
    uint64_t h;
    struct ae_fs_stat st, dst;
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    for (unsigned i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/d/f%u", i);
        CHECK_OK(ae_fs_open(&s.conn, path, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL));
        ae_fs_close_deferred(&s.conn, h);
    }
    for (unsigned round = 0; round < 2; round++)         /* more names than slots: every slot reused */
        for (unsigned i = 0; i < N; i++) {
            snprintf(path, sizeof path, "/d/f%u", i);
            CHECK_OK(ae_fs_stat(&s.conn, path, &st));
            CHECK_EQ(st.size, 0);
        }
    static const unsigned pick[] = { 0, 1, 33, 137, 299, 512, 650, N - 1 };
    for (unsigned k = 0; k < sizeof pick / sizeof pick[0]; k++) {
        snprintf(path, sizeof path, "/d/f%u", pick[k]);
        CHECK_OK(ae_fs_stat(&s.conn, path, &st));        /* kept again, if it was not */
        CHECK_OK(ae_fs_open(&s.conn, path, FS_O_WRONLY, 0, &h, NULL));
        CHECK_EQ(ae_fs_write_behind_node(&s.conn, h, st.ino, 0, "abcde", 1 + k % 5), 1 + k % 5);
        CHECK_OK(ae_fs_stat(&s.conn, path, &st));
        CHECK_EQ(st.size, 1 + k % 5);
        ae_fs_close_deferred(&s.conn, h);
    }
    CHECK_OK(ae_fs_stat(&s.conn, "/d", &dst));
    ft_sleep_ms(2);
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d/sub", 0755));
    CHECK_OK(ae_fs_stat(&s.conn, "/d", &st));
    CHECK(st.mtime != dst.mtime);                        /* the parent's kept stat was dropped */
    CHECK_OK(ae_fs_open(&s.conn, "/d/f1", FS_O_WRONLY | FS_O_TRUNC, 0, &h, NULL));
    ae_fs_close_deferred(&s.conn, h);
    CHECK_OK(ae_fs_stat(&s.conn, "/d/f1", &st));        /* truncated by our own open */
    CHECK_EQ(st.size, 0);
    CHECK_OK(ae_fs_stat(&s.conn, "/d/f33", &st));       /* another node: its write stands */
    CHECK_EQ(st.size, 3);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}
