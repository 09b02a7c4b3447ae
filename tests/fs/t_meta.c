/*
 * t_meta.c — the metadata heap shared by every session (docs/FS.md,
 * "Metadata: a promise and an overdraft"; SECURITY.md 46j). Fillers with
 * large inode limits make metadata as fast as they can — long names in one
 * big directory, many directories each with a table, directories inside
 * directories — and stop at their caps or the pool's end with AE_ENOMEM,
 * while a neighbour's mkdir, creates and queued create and a brand-new
 * session work (their promises are theirs); a filler's own queued create
 * that no longer fits fails at its handle, not silently; every byte comes
 * back when the files go and the session ends; the heap's bytes freed
 * in one size class serve the next; and a session past the 64 kept
 * promises holds a late one from the pool, or is refused. Linked last: it
 * fills the pool.
 */
#include <stdio.h>
#include <string.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define MiB (1ull << 20)
#define FILLERS 3

static uint64_t sstat(uint32_t id, unsigned word)
{
    uint64_t out[FS_SSTAT_WORDS] = { 0 };
    if (ae_fs_admin_session_stats(ft_admin, id, out))
        return UINT64_MAX;
    return out[word];
}

static int create(struct ft_session *s, const char *path)
{
    uint64_t h;
    int r = ae_fs_open(&s->conn, path, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL);
    return r ? r : ae_fs_close(&s->conn, h);
}

/* "/" dir "/" then a name of len bytes (c repeated) ending in i's digits. */
static const char *name_in(char *buf, const char *dir, char c, int len, int i)
{
    int n = snprintf(buf, 600, "%s/", dir);
    memset(buf + n, c, (size_t)len);
    snprintf(buf + n + len - 5, 6, "%05d", i % 100000);
    return buf;
}

/* Filler 0: 250-byte names in one directory (its table grows), until a
 * create fails. Returns the files made; the failure in *r. */
static int fill_one_dir(struct ft_session *s, int *r)
{
    char p[600];
    int n = 0;
    *r = ae_fs_mkdir(&s->conn, "/d", 0755);
    while (!*r && n < 40000 && !(*r = create(s, name_in(p, "/d", 'n', 250, n))))
        n++;
    return n;
}

/* Filler 1: directories of 250-byte names, each holding one file of a
 * 250-byte name (a table each), until one fails. */
static int fill_many_dirs(struct ft_session *s, int *r)
{
    char d[600], f[600];
    int n = 0;
    *r = 0;
    while (n < 40000) {
        name_in(d, "", 'd', 250, n);
        if ((*r = ae_fs_mkdir(&s->conn, d, 0755)) || (*r = create(s, name_in(f, d, 'f', 250, n))))
            break;
        n++;
    }
    return n;
}

/* Filler 2: chains of directories 15 deep (the longest path a chain of
 * 250-byte names fits), chain after chain, until one fails. */
static int fill_deep(struct ft_session *s, int *r)
{
    char path[4096];
    int n = 0;
    *r = 0;
    for (int chain = 0; !*r && n < 40000; chain++) {
        size_t len = 0;
        path[0] = 0;
        for (int depth = 0; depth < 15 && !*r; depth++) {
            char part[600];
            name_in(part, "", 'a' + depth, 250, chain);
            len += (size_t)snprintf(path + len, sizeof path - len, "%s", part);
            if (!(*r = ae_fs_mkdir(&s->conn, path, 0755)))
                n++;
        }
    }
    return n;
}

/* Short names until one fails: whatever crumbs the long names left. */
static int fill_crumbs(struct ft_session *s, const char *dir)
{
    char p[64];
    int n = 0, r = 0;
    while (n < 40000 && !r) {
        snprintf(p, sizeof p, "%s/c%05d", dir, n);
        if (!(r = create(s, p)))
            n++;
    }
    return r == AE_ENOMEM ? n : -1;
}

FSTEST(metadata_fillers_leave_neighbours_their_promise,
       "three fillers (long names, many directories, deep ones) stop at AE_ENOMEM; a neighbour's mkdir, "
       "creates and queued create and a new session work")
{
    uint64_t pool0 = ft_stat(FS_STAT_META_POOL), promised0 = ft_stat(FS_STAT_META_PROMISED);
    uint64_t pool_size = ft_stat(FS_STAT_META_POOL_SIZE);
    CHECK(pool_size > 0);
    /* The neighbour, with reservations held before the fillers start. */
    struct ft_session v;
    CHECK_OK(ft_session_open(&v, FT_IMAGE, MiB, 200));
    CHECK_EQ(sstat(v.id, FS_SSTAT_META_PROMISE), 48u << 10);
    CHECK_OK(ae_fs_mkdir(&v.conn, "/d", 0755));
    uint64_t h;
    CHECK_OK(ae_fs_open(&v.conn, "/d/first", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, NULL));
    CHECK_OK(ae_fs_close_deferred(&v.conn, h));
    CHECK_OK(ae_fs_flush(&v.conn));
    struct ft_session f[FILLERS];
    int made[FILLERS], r[FILLERS];
    for (int i = 0; i < FILLERS; i++)
        CHECK_OK(ft_session_open(&f[i], NULL, 4 * MiB, 40000));
    made[0] = fill_one_dir(&f[0], &r[0]);
    made[1] = fill_many_dirs(&f[1], &r[1]);
    made[2] = fill_deep(&f[2], &r[2]);
    uint64_t over = 0;
    for (int i = 0; i < FILLERS; i++) {
        uint64_t meta = sstat(f[i].id, FS_SSTAT_META_BYTES), cap = sstat(f[i].id, FS_SSTAT_META_LIMIT);
        uint64_t promise = sstat(f[i].id, FS_SSTAT_META_PROMISE);
        printf("fstest: filler %d: %d made, %lu bytes of metadata (promise %lu, cap %lu), then %d\n", i, made[i],
               (unsigned long)meta, (unsigned long)promise, (unsigned long)cap, r[i]);
        CHECK_EQ(r[i], AE_ENOMEM);
        CHECK(meta <= cap);
        over += meta > promise ? meta - promise : 0;
    }
    uint64_t pool = ft_stat(FS_STAT_META_POOL);
    printf("fstest: the pool: %lu of %lu bytes drawn (%lu before)\n", (unsigned long)pool,
           (unsigned long)pool_size, (unsigned long)pool0);
    CHECK_EQ(pool, pool0 + over);                        /* the pool is exactly what they drew */
    CHECK(pool + 4096 > pool_size);                      /* and they spent it */
    /* Filler 0's own queued create of a short name, once even short names
     * no longer fit: it fails at its handle (ENOMEM), and stat stops
     * showing the file the open kept. */
    CHECK(fill_crumbs(&f[0], "/d") >= 0);
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&f[0].conn, "/d", &st));         /* (the table of kept stats is made) */
    int q = ae_fs_open(&f[0].conn, "/d/vv", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, &st);
    if (!q) {                                            /* queued (or made at once) */
        CHECK_OK(ae_fs_flush(&f[0].conn));
        int got = ae_fs_fstat(&f[0].conn, h, &st);
        int seen = ae_fs_stat(&f[0].conn, "/d/vv", &st);
        printf("fstest: a filler's create past its room: %d\n", got);
        CHECK(got == 0 || got == AE_ENOMEM);             /* (a reserved node may leave room for a name) */
        CHECK_EQ(seen, got ? AE_ENOENT : 0);
        (void)ae_fs_close(&f[0].conn, h);
    } else {
        CHECK_EQ(q, AE_ENOMEM);                          /* (the round trip's) */
    }
    /* The neighbour: mkdir, creates, a queued create, all in its promise. */
    CHECK_OK(ae_fs_mkdir(&v.conn, "/d2", 0755));
    for (int i = 0; i < 40; i++) {
        char p[32];
        snprintf(p, sizeof p, "/d2/f%02d", i);
        CHECK_OK(create(&v, p));
    }
    CHECK_OK(ae_fs_stat(&v.conn, "/d", &st));
    CHECK_OK(ae_fs_open(&v.conn, "/d/vv", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0600, &h, &st));
    CHECK_OK(ae_fs_flush(&v.conn));
    CHECK_OK(ae_fs_fstat(&v.conn, h, &st));
    CHECK_OK(ae_fs_stat(&v.conn, "/d/vv", &st));
    CHECK_OK(ae_fs_close(&v.conn, h));
    CHECK_OK(ae_fs_admin_check(ft_admin, v.id));
    /* A brand-new session: opened, promised, and it works. */
    struct ft_session w;
    CHECK_OK(ft_session_open(&w, FT_IMAGE, MiB, 200));
    CHECK_EQ(sstat(w.id, FS_SSTAT_META_PROMISE), 48u << 10);
    CHECK_OK(ae_fs_mkdir(&w.conn, "/x", 0755));
    CHECK_OK(create(&w, "/x/y"));
    ft_session_close(&w);
    for (int i = 0; i < FILLERS; i++) {
        CHECK_OK(ae_fs_admin_check(ft_admin, f[i].id));
        ft_session_close(&f[i]);
    }
    ft_session_close(&v);
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool0);
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), promised0);
}

/* Everything a session's metadata took comes back: its count when its
 * files, directories and renames are undone, and the service's heap, pool
 * and promises when it ends. */
FSTEST(metadata_comes_back_exactly, "a session's files, directories and renames undone give back every "
                                    "byte of its metadata; its end gives back the heap's")
{
    struct ft_session s;
    /* Once, so what a first session makes for good (nothing, we expect) is made. */
    CHECK_OK(ft_session_open(&s, NULL, 4 * MiB, 40000));
    ft_session_close(&s);
    uint64_t heap0 = ft_stat(FS_STAT_META_HEAP), pool0 = ft_stat(FS_STAT_META_POOL);
    uint64_t promised0 = ft_stat(FS_STAT_META_PROMISED);
    CHECK_OK(ft_session_open(&s, NULL, 4 * MiB, 40000));
    /* Its handle table grown first (it keeps its size). */
    uint64_t hs[100], h;
    CHECK_OK(create(&s, "/h"));
    for (int i = 0; i < 100; i++)
        CHECK_OK(ae_fs_open(&s.conn, "/h", FS_O_RDONLY, 0, &hs[i], NULL));
    for (int i = 0; i < 100; i++)
        CHECK_OK(ae_fs_close(&s.conn, hs[i]));
    CHECK_OK(ae_fs_unlink(&s.conn, "/h"));
    /* (Nodes reserved for creates the connection may queue are the
     * session's too: 256-byte blocks, counted apart. With no file open
     * its handles are those reservations.) */
    uint64_t m1 = sstat(s.id, FS_SSTAT_META_BYTES) - sstat(s.id, FS_SSTAT_HANDLES) * 256;
    /* Past its promise: 600 files of 200-byte names in 20 directories,
     * a chain of 12, renames long to short and back, a hard link. */
    char p[600], q[600], d[64];
    for (int k = 0; k < 20; k++) {
        snprintf(d, sizeof d, "/k%02d", k);
        CHECK_OK(ae_fs_mkdir(&s.conn, d, 0755));
        for (int i = 0; i < 30; i++)
            CHECK_OK(create(&s, name_in(p, d, 'x', 200, i)));
    }
    char chain[1024] = "";
    for (int i = 0; i < 12; i++) {
        strcat(chain, "/c");
        CHECK_OK(ae_fs_mkdir(&s.conn, chain, 0755));
    }
    CHECK_OK(ae_fs_rename(&s.conn, name_in(p, "/k00", 'x', 200, 0), "/k00/short"));
    CHECK_OK(ae_fs_rename(&s.conn, "/k00/short", name_in(p, "/k00", 'x', 200, 0)));
    CHECK_OK(ae_fs_link(&s.conn, name_in(p, "/k01", 'x', 200, 1), name_in(q, "/k02", 'y', 100, 1)));
    CHECK_OK(ae_fs_open(&s.conn, name_in(p, "/k03", 'x', 200, 3), FS_O_RDONLY, 0, &h, NULL));
    uint64_t full = sstat(s.id, FS_SSTAT_META_BYTES);
    printf("fstest: %lu bytes of metadata past the empty session's %lu; the pool %lu\n",
           (unsigned long)(full - m1), (unsigned long)m1, (unsigned long)ft_stat(FS_STAT_META_POOL));
    CHECK(full > m1 + 600 * 512);
    CHECK(ft_stat(FS_STAT_META_POOL) > pool0);
    /* Undone: an open file unlinked first (it lives until its close). */
    CHECK_OK(ae_fs_unlink(&s.conn, name_in(p, "/k03", 'x', 200, 3)));
    CHECK_OK(ae_fs_close(&s.conn, h));
    CHECK_OK(ae_fs_unlink(&s.conn, name_in(q, "/k02", 'y', 100, 1)));
    for (int k = 0; k < 20; k++) {
        snprintf(d, sizeof d, "/k%02d", k);
        for (int i = 0; i < 30; i++)
            if (!(k == 3 && i == 3))
                CHECK_OK(ae_fs_unlink(&s.conn, name_in(p, d, 'x', 200, i)));
        CHECK_OK(ae_fs_rmdir(&s.conn, d));
    }
    for (int i = 12; i > 0; i--) {
        CHECK_OK(ae_fs_rmdir(&s.conn, chain));
        chain[2 * (i - 1)] = 0;
    }
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    CHECK_EQ(sstat(s.id, FS_SSTAT_META_BYTES) - sstat(s.id, FS_SSTAT_HANDLES) * 256, m1);
    ft_session_close(&s);
    CHECK_EQ(ft_stat(FS_STAT_META_HEAP), heap0);
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool0);
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), promised0);
}

/* A fork's copy is the target session's metadata: charged to it (its
 * count about the source's), given back by its deletes and its end. */
FSTEST(metadata_follows_a_fork, "a forked session's copy counts as its own metadata and comes back")
{
    uint64_t pool0 = ft_stat(FS_STAT_META_POOL);
    struct ft_session a, b;
    CHECK_OK(ft_session_open(&a, NULL, 4 * MiB, 4000));
    CHECK_OK(ft_session_open(&b, NULL, 4 * MiB, 4000));
    uint64_t b0 = sstat(b.id, FS_SSTAT_META_BYTES);
    char p[600];
    CHECK_OK(ae_fs_mkdir(&a.conn, "/d", 0755));
    for (int i = 0; i < 300; i++)
        CHECK_OK(create(&a, name_in(p, "/d", 'z', 200, i)));
    uint64_t ma = sstat(a.id, FS_SSTAT_META_BYTES);
    CHECK_OK(ae_fs_admin_fork_session(ft_admin, a.id, b.id));
    uint64_t mb = sstat(b.id, FS_SSTAT_META_BYTES);
    printf("fstest: fork: the source holds %lu bytes of metadata, the copy %lu (%lu before)\n",
           (unsigned long)ma, (unsigned long)mb, (unsigned long)b0);
    CHECK(mb > b0 + 300 * 512);
    CHECK(mb + 8192 > ma && mb < ma + 8192);
    ft_session_close(&a);
    for (int i = 0; i < 300; i++)
        CHECK_OK(ae_fs_unlink(&b.conn, name_in(p, "/d", 'z', 200, i)));
    CHECK_OK(ae_fs_rmdir(&b.conn, "/d"));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    CHECK(sstat(b.id, FS_SSTAT_META_BYTES) < b0 + 8192);   /* (its handle table may have grown) */
    ft_session_close(&b);
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool0);
}

/* Creates names of len bytes in /d until one fails; how many were made. */
static int fill(struct ft_session *s, int len, int *r)
{
    char p[600];
    int n = 0;
    while (n < 40000 && !(*r = create(s, name_in(p, "/d", 'a' + len % 26, len, n))))
        n++;
    return n;
}

static int unfill(struct ft_session *s, int len, int n)
{
    char p[600];
    for (int i = 0; i < n; i++) {
        int r = ae_fs_unlink(&s->conn, name_in(p, "/d", 'a' + len % 26, len, i));
        if (r)
            return r;
    }
    return 0;
}

/* The heap's size classes are not kept apart for good (svc/persist.c
 * splits and sweeps): fillers take all the pool with names of one block
 * size (40 bytes: 128-byte blocks), free them, then with the next size
 * (150: 256), then the largest (250: 512): each round they get as much as
 * the first. With classes kept apart the second round met the heap's end
 * (the first round's blocks stayed in their class). */
FSTEST(size_classes_cycled_keep_the_pool, "fillers spend the pool with names of 40, then 150, then 250 bytes, "
                                          "emptying it between: each round gets as much")
{
    struct ft_session big[FILLERS];
    for (int i = 0; i < FILLERS; i++) {
        CHECK_OK(ft_session_open(&big[i], NULL, MiB, 40000));
        CHECK_OK(ae_fs_mkdir(&big[i].conn, "/d", 0755));
    }
    static const int lens[] = { 40, 150, 250 };
    int made[FILLERS], r = 0;
    uint64_t first = 0;
    for (unsigned k = 0; k < 3; k++) {
        uint64_t total = 0;
        for (int i = 0; i < FILLERS; i++) {
            made[i] = fill(&big[i], lens[k], &r);
            CHECK_EQ(r, AE_ENOMEM);
            total += sstat(big[i].id, FS_SSTAT_META_BYTES);
        }
        printf("fstest: names of %d bytes: %d, %d, %d made, %lu bytes of metadata in all\n", lens[k], made[0],
               made[1], made[2], (unsigned long)total);
        if (k == 0)
            first = total;
        CHECK(total + 64 * 1024 > first);                /* the pool or the caps ended it, not the heap */
        for (int i = 0; k < 2 && i < FILLERS; i++)
            CHECK_OK(unfill(&big[i], lens[k], made[i]));
    }
    for (int i = 0; i < FILLERS; i++) {
        CHECK_OK(ae_fs_admin_check(ft_admin, big[i].id));
        ft_session_close(&big[i]);
    }
}

/* Sessions past the 64 whose promises the heap keeps: each takes a late
 * promise (8 KiB) from the pool when it opens, so fillers spending the
 * pool leave it its creates; once the pool cannot give one, a new
 * session is refused (AE_ENOMEM) rather than accepted with nothing; and
 * every byte and promise comes back at the end. */
FSTEST(late_sessions_hold_their_promise, "past the 64 kept promises a session takes 8 KiB of the pool or is "
                                         "refused; with the pool spent a late session's creates work")
{
    uint64_t pool0 = ft_stat(FS_STAT_META_POOL), promised0 = ft_stat(FS_STAT_META_PROMISED);
    uint64_t pool_size = ft_stat(FS_STAT_META_POOL_SIZE);
    static uint64_t caps[64];
    static uint32_t ids[64];
    unsigned n = 0;
    struct ae_fs_session_spec spec = { .data_bytes = MiB, .inodes = 200 };
    while (n < 64 && ft_stat(FS_STAT_META_PROMISED) < 64) {
        CHECK_OK(ae_fs_admin_open_session(ft_admin, &spec, &caps[n], &ids[n]));
        CHECK_EQ(sstat(ids[n], FS_SSTAT_META_PROMISE), 48u << 10);
        n++;
    }
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), 64);
    uint64_t pool1 = ft_stat(FS_STAT_META_POOL);
    struct ft_session late;
    CHECK_OK(ft_session_open(&late, NULL, MiB, 200));
    CHECK_EQ(sstat(late.id, FS_SSTAT_META_PROMISE), 8192);
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool1 + 8192);  /* taken from the pool at the open */
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), 64);
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&late.conn, "/", &st));
    printf("fstest: a late session: %lu bytes of metadata once attached\n", (unsigned long)sstat(late.id, FS_SSTAT_META_BYTES));
    /* fillers (late themselves) spend the rest */
    struct ft_session f[FILLERS];
    int r[FILLERS];
    for (int i = 0; i < FILLERS; i++)
        CHECK_OK(ft_session_open(&f[i], NULL, 4 * MiB, 40000));
    fill_one_dir(&f[0], &r[0]);
    fill_many_dirs(&f[1], &r[1]);
    fill_deep(&f[2], &r[2]);
    CHECK(fill_crumbs(&f[0], "/d") >= 0);
    for (int i = 0; i < FILLERS; i++)
        CHECK_EQ(r[i], AE_ENOMEM);
    uint64_t pool = ft_stat(FS_STAT_META_POOL);
    printf("fstest: the pool: %lu of %lu bytes drawn, %u sessions hold kept promises beside ours\n",
           (unsigned long)pool, (unsigned long)pool_size, (unsigned)promised0);
    CHECK(pool + 8192 > pool_size);
    /* the next session: no kept promise free, no late one in the pool */
    uint64_t cap = 0;
    uint32_t id = 0;
    CHECK_EQ(ae_fs_admin_open_session(ft_admin, &spec, &cap, &id), AE_ENOMEM);
    /* the late session's promise still holds its creates */
    char p[32];
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "/late%d", i);
        CHECK_OK(create(&late, p));
    }
    uint64_t meta = sstat(late.id, FS_SSTAT_META_BYTES);
    printf("fstest: the late session: %lu bytes of metadata after 10 creates\n", (unsigned long)meta);
    CHECK(meta <= 8192);
    CHECK_OK(ae_fs_admin_check(ft_admin, late.id));
    /* everything back */
    for (int i = 0; i < FILLERS; i++)
        ft_session_close(&f[i]);
    ft_session_close(&late);
    for (unsigned i = 0; i < n; i++) {
        CHECK_OK(ae_fs_admin_close_session(ft_admin, ids[i]));
        ae_cap_delete(caps[i]);
        ae_slot_free(caps[i]);
    }
    CHECK_EQ(ft_stat(FS_STAT_META_POOL), pool0);
    CHECK_EQ(ft_stat(FS_STAT_META_PROMISED), promised0);
}
