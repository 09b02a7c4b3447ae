/*
 * t_quota.c — a session's memory is its container's (isolation issue 12):
 * opened with a quota, a session's file pages are made from that quota —
 * it fills up, not the service's, and says ENOSPC at its own limit — its
 * costs are reported per session, a container filling its limit leaves a
 * neighbour's files working, and the quota vanishing under the service
 * ends that session cleanly and nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <libaerie/kdebug.h>
#include "ft.h"

#define KiB 1024ull
#define MiB (1ull << 20)

static uint64_t quota_used(uint64_t q)
{
    uint64_t info[6] = { 0 };
    return ae_quota_info(q, info) < 0 ? ~0ull : info[1];
}

/* A child quota of ours: bytes, no threads, objects. */
static uint64_t new_quota(uint64_t bytes, uint64_t objects)
{
    uint64_t q = ae_slot_alloc();
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q, bytes, 0, objects) < 0) {
        ae_slot_free(q);
        return 0;
    }
    return q;
}

static void drop_quota(uint64_t q)
{
    ae_invoke0(q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(q);
    ae_slot_free(q);
}

static int open_charged(struct ft_session *s, uint64_t quota, uint64_t data_bytes)
{
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = data_bytes, .inodes = 64,
                                       .quota = quota };
    return ft_session_open_spec(s, &spec);
}

/* Writes len bytes of a pattern to path in 64 KiB pieces; the bytes written. */
static int64_t fill(struct ae_fs *fs, const char *path, uint64_t len, int *err)
{
    static char buf[64 * KiB];
    uint64_t h, done = 0;
    *err = ae_fs_open(fs, path, FS_O_WRONLY | FS_O_CREAT, 0644, &h, NULL);
    if (*err)
        return 0;
    while (done < len) {
        for (unsigned i = 0; i < sizeof buf; i++)
            buf[i] = (char)((done + i) * 13 % 251);
        int64_t n = ae_fs_write(fs, h, done, buf, sizeof buf);
        if (n <= 0) {
            *err = n ? (int)n : AE_EPROTO;
            break;
        }
        done += (uint64_t)n;
    }
    ae_fs_close(fs, h);
    return (int64_t)done;
}

FSTEST(quota_session_pages_come_from_its_quota, "pages charged to the opener's quota, ENOSPC at its limit, given back")
{
    uint64_t q = new_quota(2 * MiB, 64);
    CHECK(q != 0);
    uint64_t fs_before = ft_stat(FS_STAT_QUOTA_USED), own_before = ft_stat(FS_STAT_DATA_PAGES) -
                         ft_stat(FS_STAT_QUOTA_PAGES);
    struct ft_session s;
    CHECK_OK(open_charged(&s, q, 64 * MiB));          /* the quota, not data_bytes, is the limit */
    int err;
    CHECK_EQ(fill(&s.conn, "/half", 512 * KiB, &err), 512 * KiB);
    CHECK_OK(err);
    CHECK(quota_used(q) >= 512 * KiB);
    uint64_t st[FS_SSTAT_WORDS];
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, s.id, st));
    CHECK(st[FS_SSTAT_QUOTA_BYTES] >= 512 * KiB && st[FS_SSTAT_QUOTA_BYTES] <= quota_used(q));
    CHECK(st[FS_SSTAT_DATA_BYTES] >= 512 * KiB);
    CHECK_EQ(st[FS_SSTAT_FLAGS], FS_SSTAT_F_QUOTA);
    CHECK(st[FS_SSTAT_META_BYTES] > 0);
    CHECK(ft_stat(FS_STAT_QUOTA_PAGES) >= 128);
    uint64_t more = (uint64_t)fill(&s.conn, "/rest", 8 * MiB, &err);
    CHECK_EQ(err, AE_ENOSPC);                          /* its quota is full */
    CHECK(more > 512 * KiB && more < 2 * MiB);
    CHECK(ft_stat(FS_STAT_QUOTA_USED) - fs_before < 512 * KiB);   /* page tables, not pages */
    CHECK_EQ(ft_stat(FS_STAT_DATA_PAGES) - ft_stat(FS_STAT_QUOTA_PAGES), own_before);
    char buf[16];
    CHECK_EQ(ae_fs_read(&s.conn, 0, 0, buf, 1), AE_EBADF);
    uint64_t size;
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/half", 100, buf, 4, &size), 4);
    CHECK_EQ(size, 512 * KiB);
    CHECK_EQ(buf[0], (char)(100 * 13 % 251));
    uint64_t full = quota_used(q);
    CHECK_OK(ae_fs_unlink(&s.conn, "/rest"));
    CHECK(quota_used(q) + (more > MiB ? more - MiB : 0) <= full);   /* its chunks go back */
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    CHECK_EQ(quota_used(q), 0);                        /* every page is back */
    drop_quota(q);
}

FSTEST(quota_must_be_a_quota_with_manage, "OPEN_SESSION refuses another object or a quota it cannot use")
{
    struct ft_session s;
    CHECK_EQ(open_charged(&s, ft_fs, MiB), AE_ETYPE);
    uint64_t q = new_quota(MiB, 16), ro = ae_slot_alloc();
    CHECK_OK(ae_cap_copy(q, ro, AERIE_R_READ, 0));
    CHECK_EQ(open_charged(&s, ro, MiB), AE_ERIGHTS);
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 16, .quota = q };
    uint64_t cap;
    uint32_t id;
    CHECK_EQ(ae_fs_admin_open_session(ft_fs, &spec, &cap, &id), AE_EPERM);   /* not the admin */
    uint64_t st[FS_SSTAT_WORDS];
    CHECK_EQ(ae_fs_admin_session_stats(ft_fs, 1, st), AE_EPERM);
    CHECK_EQ(ae_fs_admin_session_stats(ft_admin, 0x7fffffff, st), AE_ENOENT);
    spec.image = "images/nothing";
    CHECK_EQ(ae_fs_admin_open_session(ft_admin, &spec, &cap, &id), AE_ENOENT);
    CHECK_EQ(quota_used(q), 0);                        /* a refused session took nothing */
    ae_cap_delete(ro);
    ae_slot_free(ro);
    drop_quota(q);
}

FSTEST(quota_destroyed_under_a_session, "its pages vanish: the session ends with EDEAD, others and the service go on")
{
    uint64_t q = new_quota(2 * MiB, 64);
    CHECK(q != 0);
    struct ft_session s, other;
    CHECK_OK(open_charged(&s, q, 16 * MiB));
    CHECK_OK(ft_session_open(&other, FT_IMAGE, MiB, 16));
    int err;
    CHECK_EQ(fill(&s.conn, "/f", 256 * KiB, &err), 256 * KiB);
    CHECK_OK(ae_fs_symlink(&s.conn, "f", "/l"));
    CHECK_OK(ae_fs_mkdir(&s.conn, "/d", 0755));
    uint64_t faults = ft_stat(FS_STAT_QUOTA_FAULTS), fs_used = ft_stat(FS_STAT_QUOTA_USED);
    uint64_t pages = ft_stat(FS_STAT_QUOTA_PAGES);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));      /* the container's memory is gone */
    static char buf[64 * KiB];
    uint64_t h;
    int64_t n = ae_fs_open(&s.conn, "/f", FS_O_RDONLY, 0, &h, NULL);
    if (n == 0)
        n = ae_fs_read(&s.conn, h, 0, buf, sizeof buf);  /* finishes on stand-ins, or EDEAD */
    CHECK(n == AE_EDEAD || n == (int64_t)sizeof buf);
    for (int64_t i = 0; n > 0 && i < n; i++)
        CHECK_EQ(buf[i], 0);                           /* zeros: never anyone's bytes */
    CHECK_EQ(ae_fs_read(&s.conn, h, 0, buf, 16), AE_EDEAD);
    struct ae_fs_stat st;
    CHECK_EQ(ae_fs_stat(&s.conn, "/d", &st), AE_EDEAD);
    CHECK_EQ(ae_fs_symlink(&s.conn, "x", "/y"), AE_EDEAD);
    uint64_t ss[FS_SSTAT_WORDS];
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, s.id, ss));
    CHECK_EQ(ss[FS_SSTAT_FLAGS], FS_SSTAT_F_QUOTA | FS_SSTAT_F_LOST);
    CHECK_EQ(ss[FS_SSTAT_QUOTA_BYTES], 0);             /* its window is unmapped */
    CHECK(ft_stat(FS_STAT_QUOTA_FAULTS) >= faults + (n > 0));
    CHECK_EQ(ft_stat(FS_STAT_QUOTA_PAGES), pages - 256 * KiB / 4096 - 2);   /* data, index, link */
    CHECK_OK(ae_fs_stat(&other.conn, "/etc/motd", &st));  /* the neighbour is served */
    CHECK_EQ(ae_fs_admin_check(ft_admin, s.id), 0);
    ft_session_close(&s);
    CHECK(ft_stat(FS_STAT_QUOTA_USED) <= fs_used + 64 * KiB);   /* stand-ins went with it */
    char motd[64];
    uint64_t size;
    CHECK(ae_fs_admin_read(ft_admin, other.id, "/etc/motd", 0, motd, sizeof motd, &size) > 0);
    ft_session_close(&other);
    ae_cap_delete(q);
    ae_slot_free(q);
}

FSTEST(container_filling_its_limit_leaves_neighbours_working,
       "two containers, each paying for its files: one fills up, the other writes on")
{
    uint64_t fs_used = ft_stat(FS_STAT_QUOTA_USED), own = ft_stat(FS_STAT_DATA_PAGES) -
                       ft_stat(FS_STAT_QUOTA_PAGES);
    struct ft_probe a, b;
    CHECK_OK(ft_probe_quota(&a, 3 * MiB));
    if (ft_probe_quota(&b, 3 * MiB)) {
        ft_probe_reap(&a);
        CHECK(!"a second probe quota");
    }
    struct ft_session sa, sb;
    int ra = open_charged(&sa, a.quota, 64 * MiB), rb = open_charged(&sb, b.quota, 64 * MiB);
    int started_a = ra ? ra : ft_probe_start_in(&a, "filler", sa.cap);
    int started_b = rb ? rb : ft_probe_start_in(&b, "busy", sb.cap);
    int st1 = ft_probe_wait(&a, 60000), st2 = ft_probe_wait(&b, 60000);
    uint64_t sta[FS_SSTAT_WORDS] = { 0 }, stb[FS_SSTAT_WORDS] = { 0 };
    int ga = ra ? ra : ae_fs_admin_session_stats(ft_admin, sa.id, sta);
    int gb = rb ? rb : ae_fs_admin_session_stats(ft_admin, sb.id, stb);
    uint64_t fs_grew = ft_stat(FS_STAT_QUOTA_USED) - fs_used;
    uint64_t own_now = ft_stat(FS_STAT_DATA_PAGES) - ft_stat(FS_STAT_QUOTA_PAGES);
    char keep[8] = { 0 };
    uint64_t size = 0;
    int64_t kept = ra ? ra : ae_fs_admin_read(ft_admin, sa.id, "/keep", 0, keep, 8, &size);
    if (!started_a)
        ft_probe_reap(&a);                             /* A's container is removed: its quota goes */
    struct ae_fs_stat st;
    int after = rb ? rb : ae_fs_stat(&sb.conn, "/f1", &st);
    char gone[8];
    if (!ra)                                           /* the first touch of its pages finds them gone */
        ae_fs_admin_read(ft_admin, sa.id, "/big", 0, gone, sizeof gone, &size);
    int dead = ra ? AE_EDEAD : ae_fs_stat(&sa.conn, "/keep", &st);
    if (!ra)
        ft_session_close(&sa);
    if (!rb)
        ft_session_close(&sb);
    if (!started_b)
        ft_probe_reap(&b);
    CHECK_OK(ra);
    CHECK_OK(rb);
    CHECK_OK(started_a);
    CHECK_OK(started_b);
    CHECK_EQ(st1, 0);                                  /* both probes checked themselves */
    CHECK_EQ(st2, 0);
    CHECK_OK(ga);
    CHECK_OK(gb);
    CHECK(sta[FS_SSTAT_QUOTA_BYTES] > MiB);            /* A's files are in A's quota */
    CHECK(sta[FS_SSTAT_DATA_BYTES] > MiB);
    CHECK(stb[FS_SSTAT_QUOTA_BYTES] > 0);
    CHECK(fs_grew < 512 * KiB);                        /* the service paid page tables at most */
    CHECK_EQ(own_now, own);                            /* and not one page of its own pool */
    CHECK_EQ(kept, 8);
    CHECK_EQ(sta[FS_SSTAT_FLAGS], FS_SSTAT_F_QUOTA);
    CHECK(!memcmp(keep, "precious", 8));
    CHECK(after == 0 || after == AE_ENOENT);           /* B is still served */
    CHECK_EQ(dead, AE_EDEAD);                          /* A's session ended with its quota */
}

static uint64_t free_pages(void)
{
    uint64_t s[4] = { 0 };
    ae_kdebug_stats(ae_self.kdebug, s);
    return s[0];
}

/* A session forked into another (FS_ADMIN_FORK_SESSION) where fs holds
 * the source's files quota with AERIE_R_CLONE, as cm gives it: the
 * pages are shared copy-on-write (docs/FORK.md, "Files"); without the
 * right, copied. */
FSTEST(quota_fork_shares_pages_until_written, "FS_ADMIN_FORK_SESSION between quota sessions shares the file pages "
       "copy-on-write: the clone pays for each at the fork, almost no page is used, each side's writes are its own, "
       "a clone filling its quota gets ENOSPC and the source is untouched; without AERIE_R_CLONE the pages are copied")
{
    for (int shared = 1; shared >= 0; shared--) {
        uint64_t qa = new_quota(4 * MiB, 64), qb = new_quota(4 * MiB, 64), give = qa;
        CHECK(qa && qb);
        if (!shared) {                                 /* fs gets the source's quota without the right */
            give = ae_slot_alloc();
            CHECK_OK(ae_cap_copy(qa, give, AERIE_R_ALL, 0));
        }
        struct ft_session a, b;
        CHECK_OK(open_charged(&a, give, 64 * MiB));
        CHECK_OK(open_charged(&b, qb, 64 * MiB));
        int err;
        CHECK_EQ(fill(&a.conn, "/f", 512 * KiB, &err), 512 * KiB);
        uint64_t used_a = quota_used(qa), free0 = free_pages();
        CHECK_OK(ae_fs_admin_fork_session(ft_admin, a.id, b.id));
        uint64_t used_b = quota_used(qb), took = free0 - free_pages();
        CHECK_EQ(quota_used(qa), used_a);              /* the source pays nothing more */
        CHECK(used_b >= 512 * KiB);                    /* the clone pays for every page it holds */
        if (shared)
            CHECK(took < 32);                          /* but holds almost no page of its own */
        else
            CHECK(took >= 128);                        /* a copy: every page */
        CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
        /* Both rewrite the same page; each reads its own. */
        uint64_t h;
        char buf[4];
        CHECK_OK(ae_fs_open(&a.conn, "/f", FS_O_RDWR, 0, &h, NULL));
        CHECK_EQ(ae_fs_write(&a.conn, h, 4096 + 1, "AAAA", 4), 4);
        CHECK_OK(ae_fs_close(&a.conn, h));
        CHECK_OK(ae_fs_open(&b.conn, "/f", FS_O_RDWR, 0, &h, NULL));
        CHECK_EQ(ae_fs_write(&b.conn, h, 4096 + 1, "BBBB", 4), 4);
        CHECK_OK(ae_fs_truncate(&b.conn, "/f", 300 * KiB + 5));
        CHECK_OK(ae_fs_close(&b.conn, h));
        uint64_t size;
        CHECK_EQ(ae_fs_admin_read(ft_admin, a.id, "/f", 4096 + 1, buf, 4, &size), 4);
        CHECK(!memcmp(buf, "AAAA", 4));
        CHECK_EQ(size, 512 * KiB);
        CHECK_EQ(ae_fs_admin_read(ft_admin, b.id, "/f", 4096 + 1, buf, 4, &size), 4);
        CHECK(!memcmp(buf, "BBBB", 4));
        CHECK_EQ(size, 300 * KiB + 5);
        CHECK_EQ(ae_fs_admin_read(ft_admin, a.id, "/f", 400 * KiB, buf, 1, &size), 1);
        CHECK_EQ(buf[0], (char)(400 * KiB * 13 % 251));
        CHECK_EQ(ae_fs_admin_read(ft_admin, b.id, "/f", 200 * KiB, buf, 1, &size), 1);
        CHECK_EQ(buf[0], (char)(200 * KiB * 13 % 251));
        CHECK(quota_used(qb) <= used_b + 64 * KiB);    /* its rewrites were paid at the fork */
        /* The clone fills its quota: ENOSPC; the source is untouched. */
        int64_t more = fill(&b.conn, "/more", 8 * MiB, &err);
        CHECK_EQ(err, AE_ENOSPC);
        CHECK(more > 0 && more < (int64_t)(4 * MiB));
        CHECK_EQ(quota_used(qa), used_a);
        CHECK_EQ(ae_fs_admin_read(ft_admin, a.id, "/f", 4096 + 1, buf, 4, &size), 4);
        CHECK(!memcmp(buf, "AAAA", 4));
        CHECK_EQ(fill(&a.conn, "/after", 64 * KiB, &err), 64 * KiB);
        CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
        CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
        ft_session_close(&a);
        CHECK_EQ(ae_fs_admin_read(ft_admin, b.id, "/f", 4096 + 1, buf, 4, &size), 4);
        CHECK(!memcmp(buf, "BBBB", 4));                /* the clone outlives its source */
        ft_session_close(&b);
        CHECK_EQ(quota_used(qa), 0);
        CHECK_EQ(quota_used(qb), 0);
        if (give != qa) {
            ae_cap_delete(give);
            ae_slot_free(give);
        }
        drop_quota(qa);
        drop_quota(qb);
    }
}

/* A quota session's metadata (nodes, names, tables) is paid from that
 * quota: a deposit committed as it grows (docs/FS.md "Metadata: paid by
 * the container"). Names until refused stop at the quota with ENOMEM —
 * no promise held, no pool drawn — while a neighbour's creates work; the
 * end gives the quota and the heap back exactly. */
FSTEST(quota_session_metadata_is_paid_by_its_quota,
       "metadata charged to the quota as a deposit; ENOMEM at its limit; a neighbour works; all back at the end")
{
    uint64_t heap0 = ft_stat(FS_STAT_META_HEAP), pool0 = ft_stat(FS_STAT_META_POOL);
    uint64_t promised0 = ft_stat(FS_STAT_META_PROMISED);
    uint64_t q = new_quota(384 * KiB, 64), q2 = new_quota(2 * MiB, 64);
    CHECK(q && q2);
    struct ft_session s, n;
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = 8 * MiB, .inodes = 20000, .quota = q };
    CHECK_OK(ft_session_open_spec(&s, &spec));
    spec.quota = q2;
    CHECK_OK(ft_session_open_spec(&n, &spec));
    uint64_t st[FS_SSTAT_WORDS];
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, s.id, st));
    CHECK_EQ(st[FS_SSTAT_META_PROMISE], 0);            /* nothing of the heap's promises */
    CHECK(st[FS_SSTAT_META_DEPOSIT] >= st[FS_SSTAT_META_BYTES] && st[FS_SSTAT_META_DEPOSIT] % 4096 == 0);
    CHECK(quota_used(q) >= st[FS_SSTAT_META_DEPOSIT]);
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), promised0);
    char p[300];
    int made = 0, r = 0;
    while (made < 20000) {
        memset(p, 'm', 220);
        snprintf(p, sizeof p, "/%0200d", made);
        uint64_t h;
        if ((r = ae_fs_open(&s.conn, p, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL)))
            break;
        ae_fs_close(&s.conn, h);
        made++;
    }
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, s.id, st));
    uint64_t heap_grew = ft_stat(FS_STAT_META_HEAP) - heap0;     /* the same metadata, held again */
    printf("  %d names, then %d: metadata %lu bytes, deposit %lu, quota used %lu of %lu; "
           "fs's heap grew %lu\n", made, r,
           (unsigned long)st[FS_SSTAT_META_BYTES], (unsigned long)st[FS_SSTAT_META_DEPOSIT],
           (unsigned long)quota_used(q), (unsigned long)(384 * KiB), (unsigned long)heap_grew);
    CHECK_EQ(r, AE_ENOMEM);                            /* its own memory said no */
    CHECK(made > 200);
    CHECK(st[FS_SSTAT_META_DEPOSIT] >= st[FS_SSTAT_META_BYTES]);
    CHECK(quota_used(q) <= 384 * KiB);
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool0);        /* the pool never moved */
    for (int i = 0; i < 40; i++) {                      /* the neighbour's creates */
        snprintf(p, sizeof p, "/n%d", i);
        uint64_t h;
        CHECK_OK(ae_fs_open(&n.conn, p, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL));
        CHECK_OK(ae_fs_close(&n.conn, h));
    }
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    ft_session_close(&n);
    CHECK_EQ(quota_used(q), 0);                         /* the deposit went back whole */
    CHECK_EQ(quota_used(q2), 0);
    CHECK_EQ(ft_stat(FS_STAT_META_HEAP), heap0);
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool0);
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), promised0);
    drop_quota(q);
    drop_quota(q2);
}
