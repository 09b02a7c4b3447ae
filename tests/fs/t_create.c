/*
 * t_create.c — creates that do not wait (docs/FS.md, "Creates that do not
 * wait"): in a directory the connection made, creates are queued with
 * reserved handles, many to a request; reservations are charged to the
 * session and counted in its figures; a create the client cannot prove
 * is the round trip, with EEXIST, ENOENT or EMFILE at its open (at the
 * same count as without reservations); the admin's create of a queued
 * name comes after it; a session with a volume gets nothing; and queued
 * creates a client forges (values never reserved, another session's,
 * used slots, names that exist, paths out of its layer) fail alone.
 */
#include <stdio.h>
#include <string.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define MiB (1ull << 20)

static uint64_t requests(void)
{
    return ft_stat(FS_STAT_REQUESTS);
}

static uint64_t sstat(uint32_t id, unsigned word)
{
    uint64_t out[FS_SSTAT_WORDS] = { 0 };
    if (ae_fs_admin_session_stats(ft_admin, id, out))
        return UINT64_MAX;
    return out[word];
}

/* Reservations the connection holds unused. */
static uint64_t held(const struct ae_fs *c)
{
    return c->resv_n - c->resv_used;
}

FSTEST(queued_creates_many_to_a_request, "creates in a directory we made are queued: a request per 32 or so, "
                                          "the files there with their reserved inode numbers")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, 4 * MiB, 1000));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    uint64_t inodes0 = sstat(s.id, FS_SSTAT_INODES), r0 = requests();
    uint64_t hs[200], inos[200];
    for (unsigned i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "/d/f%03u", i);
        struct ae_fs_stat st;
        CHECK_OK(ae_fs_open(&s.conn, name, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0640, &hs[i], &st));
        CHECK_EQ(st.type, FS_TYPE_FILE);
        inos[i] = st.ino;
        CHECK_OK(ae_fs_close_deferred(&s.conn, hs[i]));
    }
    uint64_t sent = requests() - r0;
    CHECK(sent <= 16);                                   /* 200 creates: a RESERVE per 32, a flush or two */
    /* What the program was told is what the service made. */
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&s.conn, "/d/f007", &st));
    CHECK_EQ(st.ino, inos[7]);
    CHECK_EQ(st.mode, 0640);
    CHECK_EQ(st.size, 0);
    CHECK_OK(ae_fs_stat(&s.conn, "/d/f199", &st));
    CHECK_EQ(st.ino, inos[199]);
    CHECK(st.mtime != 0);
    /* The stat kept at the queued open is the one the service gives. */
    struct ae_fs_stat kept, real;
    uint64_t hr;
    CHECK_OK(ae_fs_stat(&s.conn, "/d/f100", &kept));
    CHECK_OK(ae_fs_open(&s.conn, "/d/f100", FS_O_RDONLY, 0, &hr, &real));
    CHECK_OK(ae_fs_close(&s.conn, hr));
    CHECK_EQ(kept.ino, real.ino);
    CHECK_EQ(kept.mode, real.mode);
    CHECK_EQ(kept.nlink, real.nlink);
    CHECK_EQ(kept.size, real.size);
    CHECK_EQ(kept.mtime, real.mtime);
    CHECK_EQ(kept.ctime, real.ctime);
    CHECK_EQ(kept.atime, real.atime);
    CHECK_EQ(kept.blocks, real.blocks);
    uint32_t type, mode;
    uint64_t asize;
    CHECK_OK(ae_fs_admin_stat(ft_admin, s.id, "/d/f199", &type, &asize, &mode));
    CHECK_EQ(type, FS_TYPE_FILE);                        /* the service has it as we kept it */
    CHECK_EQ(mode, 0640);
    /* Charged exactly: the files, the directory, and the reservations held. */
    CHECK_EQ(sstat(s.id, FS_SSTAT_INODES), inodes0 + 200 + held(&s.conn));
    CHECK_EQ(sstat(s.id, FS_SSTAT_HANDLES), held(&s.conn));
    uint64_t fsst[6];
    CHECK_OK(ae_fs_statfs(&s.conn, fsst));
    CHECK_EQ(fsst[2], inodes0 + 200 + held(&s.conn));    /* and the program sees them counted */
    CHECK_EQ(fsst[4], held(&s.conn));
    /* Data written through a queued create's handle lands. */
    uint64_t h;
    CHECK_OK(ae_fs_open(&s.conn, "/d/data", FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0600, &h, NULL));
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, FS_OFF_CURRENT, "queued", 6), 6);
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    char buf[8] = { 0 };
    uint64_t size;
    CHECK_OK(ae_fs_flush(&s.conn));
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/d/data", 0, buf, 6, &size), 6);
    CHECK(!memcmp(buf, "queued", 6));
    /* Unlinked by a round trip, a name can be queued again. */
    CHECK_OK(ae_fs_unlink(&s.conn, "/d/f003"));
    r0 = requests();
    CHECK_OK(ae_fs_open(&s.conn, "/d/f003", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    CHECK(requests() - r0 <= 1);
    CHECK_OK(ae_fs_flush(&s.conn));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    CHECK_EQ(sstat(s.id, FS_SSTAT_INODES), UINT64_MAX);  /* closed: nothing left of it */
}

FSTEST(unproven_create_is_the_round_trip, "a create the client cannot prove waits, and EEXIST, ENOENT "
                                          "and EMFILE are its open's")
{
    struct ft_session s;
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = 4 * MiB, .inodes = 1000,
                                       .handles = 24 };
    CHECK_OK(ft_session_open_spec(&s, &spec));
    uint64_t h, h2;
    /* Names that exist, in directories we did not make, and a missing one. */
    CHECK_EQ(ae_fs_open(&s.conn, "/etc/motd", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL),
             AE_EEXIST);
    CHECK_EQ(ae_fs_open(&s.conn, "/nodir/x", FS_O_WRONLY | FS_O_CREAT, 0600, &h, NULL), AE_ENOENT);
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    CHECK_OK(ae_fs_open(&s.conn, "/d/a", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK(held(&s.conn) > 0);                            /* it was queued */
    CHECK_EQ(ae_fs_open(&s.conn, "/d/a", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h2, NULL),
             AE_EEXIST);                                 /* ours, queued: not provable, asked */
    CHECK_EQ(ae_fs_open(&s.conn, "/d/nodir/x", FS_O_WRONLY | FS_O_CREAT, 0600, &h2, NULL), AE_ENOENT);
    CHECK_EQ(ae_fs_open(&s.conn, "/d/../d/a", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h2, NULL),
             AE_EEXIST);                                 /* spelt otherwise */
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    /* The admin made a name there: nothing is proven any more. */
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/d/adm", 0, "x", 1, FS_ADMIN_W_CREATE, 0600), 1);
    CHECK_EQ(ae_fs_open(&s.conn, "/d/adm", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL),
             AE_EEXIST);
    /* EMFILE at the 24th handle, as without reservations (the ones held are
     * given back when the limit is met). */
    CHECK_OK(ae_fs_mkdir(&s.conn, "/e", 0755));
    uint64_t hs[32];
    int n = 0, r = 0;
    while (n < 32 && !(r = ae_fs_open(&s.conn, (char[]){ '/', 'e', '/', (char)('a' + n), 0 },
                                      FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0600, &hs[n], NULL)))
        n++;
    CHECK_EQ(r, AE_EMFILE);
    CHECK_EQ(n, 24);
    for (int i = 0; i < n; i++)
        CHECK_OK(ae_fs_close(&s.conn, hs[i]));
    CHECK_EQ(sstat(s.id, FS_SSTAT_HANDLES), held(&s.conn));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    /* The inode limit the same way: 10 inodes, 10 names. */
    CHECK_OK(ft_session_open(&s, NULL, MiB, 10));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    n = 0;
    while (n < 32 && !(r = ae_fs_open(&s.conn, (char[]){ '/', 'd', '/', (char)('a' + n), 0 },
                                      FS_O_WRONLY | FS_O_CREAT, 0600, &hs[n], NULL)))
        CHECK_OK(ae_fs_close_deferred(&s.conn, hs[n++]));
    CHECK_EQ(r, AE_ENOSPC);
    CHECK_EQ(n, 9);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(admin_create_comes_after_a_queued_one, "the admin's create of a name the program queued runs the "
                                              "queue first: it writes into the program's file")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 100));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    uint64_t h;
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_open(&s.conn, "/d/r", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0600, &h, &st));
    CHECK_EQ(s.conn.nbehind, 1);                         /* queued, not sent */
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/d/r", 0, "adm", 3, FS_ADMIN_W_CREATE, 0644), 3);
    struct ae_fs_stat st2;
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st2));             /* no error kept: the create ran first */
    CHECK_EQ(st2.ino, st.ino);
    CHECK_EQ(st2.size, 3);
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(no_reservations_with_a_volume, "a session that mounts a volume gets no reservation and queues no create")
{
    CHECK_OK(ae_fs_admin_volume_create(ft_admin, "resv", MiB, 32));
    struct ae_fs_grant g = { "resv", "/vol", true };
    struct ae_fs_session_spec spec = { .data_bytes = MiB, .inodes = 100, .grants = &g, .ngrants = 1 };
    struct ft_session s;
    CHECK_OK(ft_session_open_spec(&s, &spec));
    uint64_t w = FS_RESERVE_MAX, out[FS_REPLY_WORDS_MAX];
    CHECK_OK(ae_fs_request(&s.conn, FS_OP_RESERVE, &w, 1, out, FS_REPLY_WORDS_MAX));
    CHECK_EQ(out[FS_R_RESERVE_COUNT], 0);
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    uint64_t r0 = requests(), h;
    CHECK_OK(ae_fs_open(&s.conn, "/d/x", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK_EQ(requests() - r0, 1);                        /* the round trip */
    CHECK_EQ(held(&s.conn), 0);
    CHECK_EQ(sstat(s.id, FS_SSTAT_HANDLES), 1);
    CHECK_OK(ae_fs_close(&s.conn, h));
    ft_session_close(&s);
    /* A read-only session: nothing either. */
    struct ae_fs_session_spec ro = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 100,
                                     .read_only = true };
    CHECK_OK(ft_session_open_spec(&s, &ro));
    CHECK_OK(ae_fs_request(&s.conn, FS_OP_RESERVE, &w, 1, out, FS_REPLY_WORDS_MAX));
    CHECK_EQ(out[FS_R_RESERVE_COUNT], 0);
    CHECK_EQ(sstat(s.id, FS_SSTAT_INODES), 0);
    ft_session_close(&s);
}

/* Sends one request with the block as forged (nops n). */
static int64_t send_forged(struct ft_session *x, struct fs_shctl *c, unsigned n)
{
    c->nops = n;
    return ae_call(x->cap, AERIE_INFO(FS_OP_STATFS, 0, 0), AERIE_TIMEOUT_FOREVER);
}

FSTEST(forged_creates_fail_alone, "queued creates with values never reserved, another session's, used "
                                  "slots, names that exist, paths out of the layer: errors, nothing else")
{
    struct ft_session a, b, c;
    CHECK_OK(ft_session_open(&a, FT_IMAGE, MiB, 100));
    CHECK_OK(ft_session_open(&b, FT_IMAGE, MiB, 100));
    CHECK_OK(ft_session_open(&c, FT_IMAGE, MiB, 100));
    uint64_t w = 4, ra[FS_REPLY_WORDS_MAX], rb[FS_REPLY_WORDS_MAX], rc[FS_REPLY_WORDS_MAX];
    CHECK_OK(ae_fs_request(&a.conn, FS_OP_RESERVE, &w, 1, ra, FS_REPLY_WORDS_MAX));
    CHECK_OK(ae_fs_request(&b.conn, FS_OP_RESERVE, &w, 1, rb, FS_REPLY_WORDS_MAX));
    CHECK_EQ(ra[FS_R_RESERVE_COUNT], 4);
    CHECK_EQ(rb[FS_R_RESERVE_COUNT], 4);
    w = 1000;                                            /* huge n: refused */
    CHECK_EQ(ae_fs_request(&c.conn, FS_OP_RESERVE, &w, 1, rc, FS_REPLY_WORDS_MAX), AE_EINVAL);
    CHECK_OK(ae_fs_mkdir(&b.conn, "/d", 0755));
    CHECK_OK(ae_fs_mkdir(&c.conn, "/d", 0755));
    uint64_t hb;
    CHECK_OK(ae_fs_open(&b.conn, "/d/keep", FS_O_RDWR | FS_O_CREAT, 0600, &hb, NULL));
    CHECK_EQ(ae_fs_write(&b.conn, hb, 0, "bee", 3), 3);
    uint64_t bchanges = b.conn.ctl->changes;
    uint64_t binodes = sstat(b.id, FS_SSTAT_INODES), bhandles = sstat(b.id, FS_SSTAT_HANDLES);
    /* c was given no reservation: every value it names fails. */
    struct fs_shctl *cc = c.conn.ctl;
    uint8_t *buf = c.conn.buf;
    memcpy(buf + 9000, "/d/x", 4);
    memcpy(buf + 9100, "/d", 2);
    memcpy(buf + 9200, "/etc/new", 8);
    memcpy(buf + 9300, "/../../../d/y", 13);
#define A(off, len, flags) FS_DEFER_C_A(off, len, flags, 0600)
    const uint64_t fl = FS_O_WRONLY | FS_O_CREAT;
    uint64_t forged[][4] = {
        { FS_DEFER_CREATE, A(9000, 4, fl), rb[FS_R_RESERVE_H], 0 },    /* b's value */
        { FS_DEFER_CREATE, A(9000, 4, fl), ra[FS_R_RESERVE_H + 1], 0 }, /* a's */
        { FS_DEFER_CREATE, A(9000, 4, fl), 0, 0 },                      /* forged */
        { FS_DEFER_CREATE, A(9000, 4, fl), UINT64_MAX, 0 },
        { FS_DEFER_CREATE, A(9000, 4, fl), 1ull << 32, 0 },
        { FS_DEFER_CREATE, A(0xFFFFF, 4, fl), 1ull << 32, 0 },         /* past the buffer */
        { FS_DEFER_CREATE, A(9000, 4, FS_O_WRONLY), 1ull << 32, 0 },  /* no O_CREAT */
        { FS_DEFER_CREATE, A(9000, 4, fl) | 1u << 24, 1ull << 32, 0 }, /* bits that must be 0 */
    };
    unsigned nf = sizeof forged / sizeof forged[0];
    for (unsigned i = 0; i < nf; i++)
        for (unsigned j = 0; j < 4; j++)
            cc->ops[i][j] = forged[i][j];
    CHECK(send_forged(&c, cc, nf) >= 0);
    CHECK_EQ(cc->nops, 0);
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ(cc->res[i], AE_EBADF);
    CHECK_EQ(cc->res[5], AE_EFAULT);
    CHECK_EQ(cc->res[6], AE_EINVAL);
    CHECK_EQ(cc->res[7], AE_EINVAL);
    /* c reserves now: its own values, but names that exist, a directory of
     * the image, a path climbing out (it stays in its root), a slot used. */
    w = 4;
    CHECK_OK(ae_fs_request(&c.conn, FS_OP_RESERVE, &w, 1, rc, FS_REPLY_WORDS_MAX));
    CHECK_EQ(rc[FS_R_RESERVE_COUNT], 4);
    uint64_t h0 = rc[FS_R_RESERVE_H], h1 = rc[FS_R_RESERVE_H + 1];
    uint64_t forged2[][4] = {
        { FS_DEFER_CREATE, A(9100, 2, fl), h0, 0 },       /* "/d": exists */
        { FS_DEFER_CREATE, A(9200, 8, fl), h0, 0 },       /* an image directory */
        { FS_DEFER_CREATE, A(9300, 13, fl), h0, 0 },      /* "/d/y", in its root */
        { FS_DEFER_CREATE, A(9000, 4, fl), h0, 0 },       /* a slot used */
        { FS_DEFER_CREATE, A(9300, 13, fl), h0, 0 },      /* the same again: a retry */
        { FS_DEFER_CREATE, A(9300, 13, fl), h1, 0 },      /* a name that exists now */
    };
    nf = sizeof forged2 / sizeof forged2[0];
    for (unsigned i = 0; i < nf; i++)
        for (unsigned j = 0; j < 4; j++)
            cc->ops[i][j] = forged2[i][j];
    CHECK(send_forged(&c, cc, nf) >= 0);
    CHECK_EQ(cc->res[0], AE_EEXIST);
    CHECK_EQ(cc->res[1], AE_EINVAL);
    CHECK_EQ(cc->res[2], 0);
    CHECK_EQ(cc->res[3], AE_EBADF);
    CHECK_EQ(cc->res[4], 0);
    CHECK_EQ(cc->res[5], AE_EEXIST);
    uint32_t type;
    uint64_t size;
    uint32_t mode;
    CHECK_OK(ae_fs_admin_stat(ft_admin, c.id, "/d/y", &type, &size, &mode));
    CHECK_EQ(ae_fs_admin_stat(ft_admin, c.id, "/etc/new", &type, &size, &mode), AE_ENOENT);
    /* Nothing of b's changed; a and b keep their reservations. */
    CHECK_EQ(b.conn.ctl->changes, bchanges);
    CHECK_EQ(sstat(b.id, FS_SSTAT_INODES), binodes);
    CHECK_EQ(sstat(b.id, FS_SSTAT_HANDLES), bhandles);
    CHECK_EQ(ae_fs_admin_stat(ft_admin, b.id, "/d/x", &type, &size, &mode), AE_ENOENT);
    char got[4] = { 0 };
    CHECK_EQ(ae_fs_read(&b.conn, hb, 0, got, 3), 3);
    CHECK(!memcmp(got, "bee", 3));
    CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, c.id));
    /* c's own handle from the forged create is a handle of c's. */
    CHECK_OK(ae_fs_close(&c.conn, h0));
    CHECK_OK(ae_fs_close(&b.conn, hb));
    ft_session_close(&a);
    ft_session_close(&b);
    ft_session_close(&c);
}

/* attack11: what an honest program's open must still be told at the open.
 * A name longer than FS_NAME_MAX in a directory the connection made, and
 * a path into a kept directory whose spelling went through a symbolic
 * link that is gone (unlinked by a round trip, or queued), were queued:
 * the open said 0 and the service's ENAMETOOLONG or ENOENT came at the
 * next call on the handle. */
FSTEST(queued_create_keeps_the_opens_errors, "names past FS_NAME_MAX, and paths through an unlinked link, "
                                             "get their error at the open, not later")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 200));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    char name[300] = "/d/";
    memset(name + 3, 'n', 255);
    uint64_t h;
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_open(&s.conn, name, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    memset(name + 3, 'm', 256);
    CHECK_EQ(ae_fs_open(&s.conn, name, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL),
             AE_ENAMETOOLONG);
    CHECK_OK(ae_fs_flush(&s.conn));
    /* A kept directory made through a link; the link unlinked at once. */
    CHECK_OK(ae_fs_mkdir(&s.conn, "/x", 0755));
    CHECK_OK(ae_fs_symlink(&s.conn, "/x", "/a"));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/a/b", 0755));
    CHECK_OK(ae_fs_open(&s.conn, "/a/b/f1", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK(held(&s.conn) > 0);                            /* proven: queued */
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    CHECK_OK(ae_fs_unlink(&s.conn, "/a"));
    CHECK_EQ(ae_fs_open(&s.conn, "/a/b/f2", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL),
             AE_ENOENT);
    CHECK_OK(ae_fs_mkdir(&s.conn, "/a", 0755));           /* another /a, without b */
    CHECK_EQ(ae_fs_open(&s.conn, "/a/b/f3", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL),
             AE_ENOENT);
    /* The same with the link's unlink queued (its kept stat says a link). */
    CHECK_OK(ae_fs_symlink(&s.conn, "/x", "/l"));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/l/c", 0755));
    CHECK_OK(ae_fs_open(&s.conn, "/l/c/g1", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK_OK(ae_fs_close_deferred(&s.conn, h));
    CHECK_OK(ae_fs_lstat(&s.conn, "/l", &st));
    CHECK_EQ(st.type, FS_TYPE_SYMLINK);
    CHECK_OK(ae_fs_unlink_behind(&s.conn, "/l"));
    CHECK_EQ(ae_fs_open(&s.conn, "/l/c/g2", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL),
             AE_ENOENT);
    CHECK_OK(ae_fs_flush(&s.conn));
    /* What the files are: the ones made, in /x. */
    uint32_t type, mode;
    uint64_t size;
    CHECK_OK(ae_fs_admin_stat(ft_admin, s.id, "/x/b/f1", &type, &size, &mode));
    CHECK_OK(ae_fs_admin_stat(ft_admin, s.id, "/x/c/g1", &type, &size, &mode));
    CHECK_EQ(ae_fs_admin_stat(ft_admin, s.id, "/x/b/f2", &type, &size, &mode), AE_ENOENT);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}
