/*
 * t_caches.c — the control block at the end of a shared buffer and the
 * client caches over it (docs/FS.md, "Client caches"): what a client keeps
 * (read-ahead, stats) never outlives a change made by anyone else (the
 * admin here), a queued close or position lands before the next request,
 * and a block a client fills with nonsense, or with another session's
 * handles, reaches nothing but its own session.
 */
#include <string.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define KiB 1024ull
#define MiB (1ull << 20)

/* ATTACH through cap with flags (one word) and memory mem; the reply words. */
static int64_t attach_raw(uint64_t cap, uint64_t flags, uint64_t mem, uint64_t out[2])
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = flags;
    u->caps[0] = (uint32_t)mem;
    int64_t r = ae_call(cap, AERIE_INFO(FS_OP_ATTACH, 1, 1), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return r;
    out[0] = u->mr[0];
    out[1] = u->mr[1];
    return proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

static uint64_t changes_of(struct ae_fs *fs)
{
    return fs->ctl ? fs->ctl->changes : 0xBAD;
}

FSTEST(attach_control_block_flags, "ATTACH's flags: a block needs room, unknown flags refused, PRIVATE without volumes")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    uint64_t out[2], slot;
    void *small = ae_mem_map_new(FS_SHBUF_MIN, &slot);
    CHECK(small != NULL);
    CHECK_EQ(attach_raw(s.cap, FS_ATTACH_F_CTL, slot, out), AE_EINVAL);   /* no room for the block */
    CHECK_EQ(attach_raw(s.cap, 0x2, slot, out), AE_EINVAL);               /* unknown flag */
    CHECK_EQ(attach_raw(s.cap, 0, slot, out), 0);                         /* the old way still works */
    CHECK_EQ(out[0], FS_SHBUF_MIN);
    CHECK_EQ(out[1], FS_ATTACH_R_PRIVATE);
    ae_mem_unmap_delete(small, FS_SHBUF_MIN, slot);
    void *big = ae_mem_map_new(64 * KiB, &slot);
    CHECK(big != NULL);
    CHECK_EQ(attach_raw(s.cap, FS_ATTACH_F_CTL, slot, out), 0);
    CHECK_EQ(out[0], 64 * KiB - FS_SHCTL_BYTES);
    CHECK_EQ(out[1], FS_ATTACH_R_CTL | FS_ATTACH_R_PRIVATE);
    ae_mem_unmap_delete(big, 64 * KiB, slot);         /* the service's mapping keeps it */
    /* A request may not name the block: it is not part of the buffer. */
    uint64_t w[2] = { out[0] - 8, 16 }, r[2];
    struct ae_fs conn;
    ae_fs_init(&conn, s.cap, 64 * KiB);
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&conn, "/", &st));            /* attaches its own, with a block */
    CHECK(conn.ctl != NULL);
    CHECK(conn.priv);
    CHECK_EQ(ae_fs_request(&conn, FS_OP_STAT, w, 2, r, 2), AE_EFAULT);
    ae_fs_fini(&conn);
    ft_session_close(&s);

    /* A session that mounts a volume sees changes other sessions make. */
    CHECK_OK(ae_fs_admin_volume_create(ft_admin, "cachevol", MiB, 16));
    struct ae_fs_grant g = { "cachevol", "/v", true };
    struct ae_fs_session_spec spec = { .data_bytes = MiB, .inodes = 16, .grants = &g, .ngrants = 1 };
    CHECK_OK(ft_session_open_spec(&s, &spec));
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));
    CHECK(s.conn.ctl != NULL);
    CHECK(!s.conn.priv);
    ft_session_close(&s);
    CHECK_OK(ae_fs_admin_volume_delete(ft_admin, "cachevol"));
}

FSTEST(control_block_counts_changes, "the count moves by one per change (own or admin), never for a look")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    struct ae_fs_stat st;
    uint64_t h, fsout[6];
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));
    uint64_t c0 = changes_of(&s.conn);
    CHECK_OK(ae_fs_statfs(&s.conn, fsout));
    CHECK_EQ(changes_of(&s.conn), c0);
    CHECK_OK(ae_fs_open(&s.conn, "/f", FS_O_RDWR | FS_O_CREAT, 0644, &h, &st));
    CHECK_EQ(changes_of(&s.conn), c0 + 1);
    CHECK_EQ(ae_fs_write(&s.conn, h, 0, "abc", 3), 3);
    CHECK_EQ(changes_of(&s.conn), c0 + 2);
    char b[4];
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, b, 3), 3);
    CHECK_EQ(changes_of(&s.conn), c0 + 2);
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/f", 0, "x", 1, 0, 0), 1);
    CHECK_EQ(changes_of(&s.conn), c0 + 3);                 /* seen without a request of ours */
    uint64_t size;
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/f", 0, b, 3, &size), 3);
    CHECK_EQ(changes_of(&s.conn), c0 + 3);
    CHECK_OK(ae_fs_admin_mkdir(ft_admin, s.id, "/d", 0755));
    CHECK_EQ(changes_of(&s.conn), c0 + 4);
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_EQ(changes_of(&s.conn), c0 + 4);
    ft_session_close(&s);
}

FSTEST(control_block_detached_when_replaced_or_closed, "a replaced buffer's block, and a closed session's, say DETACHED")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));
    struct fs_shctl *first = s.conn.ctl;
    CHECK(first != NULL);
    CHECK(first->changes != FS_SHCTL_DETACHED);
    struct ae_fs other;
    ae_fs_init(&other, s.cap, 0);
    CHECK_OK(ae_fs_stat(&other, "/", &st));              /* attaches: replaces ours */
    CHECK_EQ(first->changes, FS_SHCTL_DETACHED);
    CHECK(other.ctl->changes != FS_SHCTL_DETACHED);
    struct fs_shctl *second = other.ctl;
    CHECK_OK(ae_fs_admin_close_session(ft_admin, s.id));
    CHECK_EQ(second->changes, FS_SHCTL_DETACHED);
    CHECK_EQ(ae_fs_stat(&other, "/", &st), AE_EDEAD);
    ae_fs_fini(&other);
    ae_fs_fini(&s.conn);
    ae_cap_delete(s.cap);
    ae_slot_free(s.cap);
}

FSTEST(read_ahead_sees_every_change, "small reads from the read-ahead: the admin's write is seen, positions stay exact")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    static char data[64 * KiB], got[4 * KiB];
    memset(data, 'a', sizeof data);
    uint64_t h;
    CHECK_OK(ae_fs_open(&s.conn, "/f", FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL));
    CHECK_EQ(ae_fs_write(&s.conn, h, 0, data, sizeof data), sizeof data);
    CHECK_EQ(ae_fs_seek(&s.conn, h, 0, FS_SEEK_SET), 0);
    CHECK_EQ(ae_fs_read(&s.conn, h, FS_OFF_CURRENT, got, 4 * KiB), 4 * KiB);
    CHECK(s.conn.ra_len > 4 * KiB);                          /* it read ahead */
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/f", 8 * KiB, "bbbb", 4, 0, 0), 4);
    CHECK_EQ(ae_fs_read(&s.conn, h, FS_OFF_CURRENT, got, 4 * KiB), 4 * KiB);
    CHECK_EQ(got[0], 'a');
    CHECK_EQ(ae_fs_read(&s.conn, h, FS_OFF_CURRENT, got, 4 * KiB), 4 * KiB);
    CHECK(!memcmp(got, "bbbba", 5));                         /* the admin's bytes, not the old ones */
    CHECK_EQ(ae_fs_read(&s.conn, h, FS_OFF_CURRENT, got, 100), 100);
    /* The service's position is where the reader is, not where the
     * read-ahead went: a seek and a write at the position land there. */
    CHECK_EQ(ae_fs_seek(&s.conn, h, 0, FS_SEEK_CUR), 12 * KiB + 100);
    CHECK_EQ(ae_fs_read(&s.conn, h, FS_OFF_CURRENT, got, 50), 50);
    CHECK_EQ(ae_fs_write(&s.conn, h, FS_OFF_CURRENT, "W", 1), 1);
    CHECK_EQ(ae_fs_read(&s.conn, h, 12 * KiB + 150, got, 2), 2);
    CHECK(!memcmp(got, "Wa", 2));
    /* Our own write is seen by the next small read too. */
    CHECK_EQ(ae_fs_read(&s.conn, h, 100, got, 8), 8);
    CHECK_EQ(ae_fs_write(&s.conn, h, 104, "ZZ", 2), 2);
    CHECK_EQ(ae_fs_read(&s.conn, h, 100, got, 8), 8);
    CHECK(!memcmp(got, "aaaaZZaa", 8));
    /* A read across the end returns what is there, then 0. */
    CHECK_EQ(ae_fs_read(&s.conn, h, sizeof data - 10, got, 4 * KiB), 10);
    CHECK_EQ(ae_fs_read(&s.conn, h, sizeof data, got, 4 * KiB), 0);
    CHECK_OK(ae_fs_close(&s.conn, h));
    ft_session_close(&s);
}

FSTEST(stat_cache_sees_every_change, "kept stats end with the admin's write, a truncation by another name, an unlink")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    struct ae_fs_stat st;
    uint64_t h;
    CHECK_OK(ae_fs_open(&s.conn, "/f", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL));
    ae_fs_close_deferred(&s.conn, h);
    CHECK_OK(ae_fs_stat(&s.conn, "/f", &st));
    CHECK_EQ(st.size, 0);
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/f", 0, "0123456789", 10, 0, 0), 10);
    CHECK_OK(ae_fs_stat(&s.conn, "/f", &st));
    CHECK_EQ(st.size, 10);
    CHECK_OK(ae_fs_link(&s.conn, "/f", "/g"));
    CHECK_OK(ae_fs_stat(&s.conn, "/f", &st));
    CHECK_EQ(st.nlink, 2);
    CHECK_OK(ae_fs_open(&s.conn, "/g", FS_O_WRONLY | FS_O_TRUNC, 0, &h, NULL));
    CHECK_OK(ae_fs_stat(&s.conn, "/f", &st));                /* the same node, another name */
    CHECK_EQ(st.size, 0);
    CHECK_EQ(ae_fs_write(&s.conn, h, 0, "xy", 2), 2);
    CHECK_OK(ae_fs_stat(&s.conn, "/f", &st));
    CHECK_EQ(st.size, 2);
    ae_fs_close_deferred(&s.conn, h);
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));
    uint64_t root_mtime = st.mtime;
    ft_sleep_ms(2);
    CHECK_OK(ae_fs_open(&s.conn, "/new", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL));
    ae_fs_close_deferred(&s.conn, h);
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));                 /* a directory's stat is never kept across a create */
    CHECK(st.mtime != root_mtime);
    root_mtime = st.mtime;                                    /* kept again after the create's drop: */
    ft_sleep_ms(2);
    CHECK_OK(ae_fs_open(&s.conn, "/new2", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL));
    ae_fs_close_deferred(&s.conn, h);
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));                 /* the next create drops it too */
    CHECK(st.mtime != root_mtime);
    CHECK_OK(ae_fs_unlink(&s.conn, "/f"));
    CHECK_EQ(ae_fs_stat(&s.conn, "/f", &st), AE_ENOENT);
    CHECK_OK(ae_fs_stat(&s.conn, "/g", &st));
    CHECK_EQ(st.nlink, 1);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(kept_stat_of_an_older_node_dropped_by_its_truncating_create,
       "O_CREAT|O_TRUNC of an older file drops its other name's kept stat: the shortcut for nodes numbered above every kept one spares no kept node")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    struct ae_fs_stat st, got;
    uint64_t h;
    CHECK_OK(ae_fs_open(&s.conn, "/old", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL));
    CHECK_EQ(ae_fs_write(&s.conn, h, 0, "abc", 3), 3);
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_link(&s.conn, "/old", "/other"));      /* a second name, kept apart */
    CHECK_OK(ae_fs_stat(&s.conn, "/other", &st));
    CHECK_EQ(st.size, 3);
    CHECK_OK(ae_fs_open(&s.conn, "/newer", FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644, &h, &got));
    ae_fs_close_deferred(&s.conn, h);
    CHECK(got.ino > st.ino);
    CHECK_OK(ae_fs_stat(&s.conn, "/newer", &got));       /* kept: the highest number now */
    CHECK_OK(ae_fs_stat(&s.conn, "/other", &st));
    CHECK_EQ(st.size, 3);
    CHECK_OK(ae_fs_open(&s.conn, "/old", FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644, &h, NULL));
    ae_fs_close_deferred(&s.conn, h);
    CHECK_OK(ae_fs_stat(&s.conn, "/other", &st));
    CHECK_EQ(st.size, 0);                                  /* truncated through the other name */
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(deferred_close_lands_before_next_request, "a queued close is done before the next request is")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    uint64_t before[6], after[6], h[12];
    CHECK_OK(ae_fs_statfs(&s.conn, before));
    for (int i = 0; i < 12; i++)                              /* more than the queue holds */
        CHECK_OK(ae_fs_open(&s.conn, "/", FS_O_RDONLY, 0, &h[i], NULL));
    for (int i = 0; i < 12; i++)
        ae_fs_close_deferred(&s.conn, h[i]);
    CHECK_OK(ae_fs_statfs(&s.conn, after));
    CHECK_EQ(after[4], before[4]);                            /* handles open */
    CHECK_EQ(ae_fs_close(&s.conn, h[0]), AE_EBADF);          /* really closed */
    ft_session_close(&s);
}

FSTEST(hostile_control_block_reaches_only_its_session, "nonsense and other sessions' handles in a block: skipped, no harm")
{
    struct ft_session a, b;
    CHECK_OK(ft_session_open(&a, NULL, MiB, 16));
    CHECK_OK(ft_session_open(&b, NULL, MiB, 16));
    uint64_t hb, ha, ha0;
    CHECK_OK(ae_fs_open(&b.conn, "/secret", FS_O_RDWR | FS_O_CREAT, 0600, &hb, NULL));
    CHECK_EQ(ae_fs_write(&b.conn, hb, 0, "bee", 3), 3);
    CHECK_OK(ae_fs_open(&a.conn, "/", FS_O_RDONLY, 0, &ha0, NULL));   /* b's value names this in a */
    CHECK_OK(ae_fs_open(&a.conn, "/mine", FS_O_RDWR | FS_O_CREAT, 0600, &ha, NULL));
    CHECK(ha != hb);
    CHECK_EQ(ae_fs_write(&a.conn, ha, 0, "aaaa", 4), 4);
    CHECK_EQ(ae_fs_seek(&a.conn, ha, 1, FS_SEEK_SET), 1);
    struct fs_shctl *c = a.conn.ctl;
    CHECK(c != NULL);
    uint64_t cb = changes_of(&b.conn);
    /* What a.conn's next request would send is overwritten by hand. */
    uint64_t bad[FS_SHCTL_OPS_MAX][4] = {
        { FS_DEFER_CLOSE, hb, 0, 0 },                 /* b's handle value: not one of a's */
        { FS_DEFER_SEEK, hb, 0, 0 },
        { FS_DEFER_SEEK, ha, FS_FILE_MAX + 1, 0 },    /* past the limit: skipped */
        { FS_DEFER_SEEK, ha, ~0ull, 0 },
        { 99, ha, 0, 0 },                             /* no such operation */
        { FS_DEFER_CLOSE, ~0ull, 0, 0 },
    };
    for (unsigned i = 0; i < FS_SHCTL_OPS_MAX; i++)
        for (unsigned j = 0; j < 4; j++)
            c->ops[i][j] = bad[i][j];
    c->nops = ~0ull;                                  /* more than there are */
    struct aerie_utcb *u = ae_utcb();                 /* a request as is: the block as we left it */
    u->mr[0] = ha;
    u->mr[1] = 0;
    u->mr[2] = FS_SEEK_CUR;
    int64_t r = ae_call(a.cap, AERIE_INFO(FS_OP_SEEK, 3, 0), AERIE_TIMEOUT_FOREVER);
    CHECK(r >= 0);
    CHECK_EQ(proto_status_of(AERIE_INFO_LABEL((uint64_t)r)), 0);
    CHECK_EQ(u->mr[0], 1);                            /* a's bad seeks did nothing */
    CHECK_EQ(c->nops, 0);
    char got[4] = { 0 };
    CHECK_EQ(ae_fs_read(&b.conn, hb, 0, got, 3), 3);  /* b's handle is still open */
    CHECK(!memcmp(got, "bee", 3));
    CHECK_EQ(changes_of(&b.conn), cb);                /* and nothing of b's changed */
    CHECK_EQ(ae_fs_read(&a.conn, ha, 0, got, 4), 4);
    CHECK(!memcmp(got, "aaaa", 4));
    /* What b's value named in a, if anything, was a's own (closed). */
    CHECK_EQ(ae_fs_close(&a.conn, ha0), ha0 == hb ? AE_EBADF : 0);
    CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    ft_session_close(&a);
    ft_session_close(&b);
}

static uint64_t requests(void)
{
    return ft_stat(FS_STAT_REQUESTS);
}

/* Stats kept from a listing (ae_fs_readdir_keep, READDIR's FS_READDIR_STATS)
 * and after our own creates and queued writes: each answers without a
 * request and says what the service would; a listing under a path that
 * is not kept as the listed directory keeps nothing; another's change
 * (the admin's write) ends them. */
FSTEST(listing_stats_kept_exact_and_fresh, "a listing's stats answer lstat of each name exactly; wrong paths keep nothing; the admin's write ends them")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    struct ae_fs_stat st, dst, want;
    uint64_t h, d, next;
    bool eof, stats;
    static uint8_t recs[8192];
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d/s", 0700));
    CHECK_OK(ae_fs_open(&s.conn, "/d/a", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0640, &h, &st));
    CHECK_EQ(st.mode & 07777, 0640);
    CHECK_EQ(ae_fs_write_behind_node(&s.conn, h, st.ino, 0, "abc", 3), 3);
    CHECK_OK(ae_fs_stat(&s.conn, "/d/a", &st));               /* after a queued write: its size */
    CHECK_EQ(st.size, 3);
    CHECK_EQ(st.mode & 07777, 0640);
    ae_fs_close_behind(&s.conn, h);
    CHECK_OK(ae_fs_symlink(&s.conn, "a", "/d/l"));
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));                  /* the table exists */
    CHECK_OK(ae_fs_open(&s.conn, "/d", FS_O_RDONLY | FS_O_DIRECTORY, 0, &d, &dst));
    uint64_t d_ino = dst.ino, r0 = requests();
    CHECK(ae_fs_readdir_keep(&s.conn, d, 0, recs, sizeof recs, &next, &eof, "/d", d_ino, &stats) > 0);
    CHECK(stats && eof);
    CHECK_EQ(requests(), r0 + 1);
    CHECK_OK(ae_fs_lstat(&s.conn, "/d/a", &st));              /* kept: no request */
    CHECK_OK(ae_fs_stat(&s.conn, "/d/s", &dst));
    struct ae_fs_stat lst;
    CHECK_OK(ae_fs_lstat(&s.conn, "/d/l", &lst));
    CHECK_EQ(requests(), r0 + 1);
    CHECK_EQ(st.size, 3);
    CHECK_EQ(st.type, FS_TYPE_FILE);
    CHECK_EQ(dst.type, FS_TYPE_DIR);
    CHECK_EQ(dst.mode & 07777, 0700);
    CHECK_EQ(lst.type, FS_TYPE_SYMLINK);
    CHECK_OK(ae_fs_stat(&s.conn, "/d/l", &want));             /* a link's target: not from the listing */
    CHECK_EQ(requests(), r0 + 2);
    CHECK_EQ(want.ino, st.ino);
    /* What the listing kept is what a request says (a second connection
     * of the session would take its buffer: compare after the admin's
     * change below instead, field by field, with a request's answer). */
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/d/a", 0, "0123456789", 10, 0, 0), 10);
    CHECK_OK(ae_fs_lstat(&s.conn, "/d/a", &want));            /* another's change: asked again */
    CHECK_EQ(requests(), r0 + 3);
    CHECK_EQ(want.size, 10);
    CHECK_EQ(want.ino, st.ino);
    CHECK_EQ(want.mode, st.mode);
    CHECK_EQ(want.uid, st.uid);
    CHECK(want.mtime >= st.mtime);
    /* A path that is not the listed directory keeps nothing: another
     * directory's path, and a path the table does not hold. */
    CHECK_OK(ae_fs_stat(&s.conn, "/d/s", &st));               /* kept: another directory */
    CHECK(ae_fs_readdir_keep(&s.conn, d, 0, recs, sizeof recs, &next, &eof, "/d/s", d_ino, &stats) > 0);
    CHECK(ae_fs_readdir_keep(&s.conn, d, 0, recs, sizeof recs, &next, &eof, "/x", d_ino, &stats) > 0);
    CHECK_EQ(ae_fs_lstat(&s.conn, "/d/s/a", &st), AE_ENOENT);
    CHECK_EQ(ae_fs_lstat(&s.conn, "/x/a", &st), AE_ENOENT);
    /* Records with stats still step by rec_len to every name. */
    int64_t got = ae_fs_readdir_keep(&s.conn, d, 0, recs, sizeof recs, &next, &eof, "/d",
                                     0, &stats);
    int names = 0;
    for (int64_t at = 0; at < got; at += ((struct fs_dirent_rec *)(recs + at))->rec_len)
        names++;
    CHECK_EQ(names, 3);
    CHECK_OK(ae_fs_close(&s.conn, d));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(open_reading_reads_with_the_open, "a reader's open brings its first read; reads and the end then ask nothing; a change is seen")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    uint64_t h;
    char buf[64];
    CHECK_OK(ae_fs_open(&s.conn, "/f", FS_O_WRONLY | FS_O_CREAT, 0644, &h, NULL));
    CHECK_EQ(ae_fs_write(&s.conn, h, 0, "hello, world", 12), 12);
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_open_reading(&s.conn, "/f", FS_O_RDONLY, 0, &h, NULL));
    uint64_t r0 = requests();
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, buf, 5), 5);          /* from what the open read */
    CHECK(!memcmp(buf, "hello", 5));
    CHECK_EQ(ae_fs_read(&s.conn, h, 5, buf, sizeof buf), 7);
    CHECK(!memcmp(buf, ", world", 7));
    CHECK_EQ(ae_fs_read(&s.conn, h, 12, buf, sizeof buf), 0); /* the end, as the open saw it */
    CHECK_EQ(requests(), r0);
    /* attack7 (SECURITY 46h): what the open read is the session's read,
     * in its counters as a READ's bytes are (aerie stats' fs_read). */
    uint64_t ss[FS_SSTAT_WORDS];
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, s.id, ss));
    CHECK_EQ(ss[FS_SSTAT_READ_BYTES], 12);
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/f", 12, "!!", 2, 0, 0), 2);
    CHECK_EQ(ae_fs_read(&s.conn, h, 12, buf, sizeof buf), 2); /* another's change: asked */
    CHECK(!memcmp(buf, "!!", 2));
    ae_fs_close_behind(&s.conn, h);
    CHECK_OK(ae_fs_open_reading(&s.conn, "/f", FS_O_RDWR, 0, &h, NULL));
    CHECK_EQ(ae_fs_write_behind(&s.conn, h, 0, "J", 1), 1);    /* our own write: seen */
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, buf, 2), 2);
    CHECK(!memcmp(buf, "Je", 2));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}
