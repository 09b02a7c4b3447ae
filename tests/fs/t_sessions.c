/*
 * t_sessions.c — sessions as the container manager makes them with
 * "fs.admin": opened on an image of the boot image, isolated from each
 * other (files, handles, ".."), revoked when closed, sharing the image's
 * pages (reading costs the service nothing), volumes shared only where
 * granted, and files read and written through the admin operations.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define MiB (1ull << 20)

FSTEST(admin_operations_need_the_admin_badge, "root's fs.admin works; the plain fs grant gets EPERM")
{
    uint64_t stats[FS_STAT_WORDS];
    CHECK_OK(ae_fs_admin_stats(ft_admin, stats));
    CHECK(stats[FS_STAT_SESSIONS] >= 1);            /* this program's own */
    CHECK_EQ(ae_fs_admin_stats(ft_fs, stats), AE_EPERM);
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 16 };
    uint64_t cap;
    uint32_t id;
    CHECK_EQ(ae_fs_admin_open_session(ft_fs, &spec, &cap, &id), AE_EPERM);
    CHECK_EQ(ae_fs_admin_close_session(ft_fs, 1), AE_EPERM);
    CHECK_EQ(ae_fs_admin_volume_create(ft_fs, "v", MiB, 8), AE_EPERM);
    struct ae_fs admin_as_client;                   /* nor is the admin cap a session */
    ae_fs_init(&admin_as_client, ft_admin, 0);
    struct ae_fs_stat st;
    CHECK_EQ(ae_fs_stat(&admin_as_client, "/", &st), AE_EPERM);
}

FSTEST(admin_open_session_refuses_bad_arguments, "unknown image or volume, a file as image, bad words")
{
    struct ft_session s;
    CHECK_EQ(ft_session_open(&s, "images/nothing/files", MiB, 16), AE_ENOENT);
    CHECK_EQ(ft_session_open(&s, "images/fsprobe/prog", MiB, 16), AE_ENOTDIR);
    CHECK_EQ(ft_session_open(&s, "images/fsprobe/files/", MiB, 16), AE_ENOENT);
    struct ae_fs_grant g = { "no-such-volume", "/data", true };
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 16,
                                       .grants = &g, .ngrants = 1 };
    CHECK_EQ(ft_session_open_spec(&s, &spec), AE_ENOENT);
    spec.ngrants = 5;
    CHECK_EQ(ft_session_open_spec(&s, &spec), AE_EINVAL);
    spec = (struct ae_fs_session_spec){ .handles = FS_SESSION_HANDLES_MAX + 1 };
    CHECK_EQ(ft_session_open_spec(&s, &spec), AE_EINVAL);
    struct aerie_utcb *u = ae_utcb();
    memset(u->mr, 0, 6 * sizeof u->mr[0]);
    u->mr[0] = 0x80;                                /* unknown flag */
    CHECK_EQ(proto_status_of(AERIE_INFO_LABEL((uint64_t)ae_call(ft_admin,
             AERIE_INFO(FS_ADMIN_OPEN_SESSION, 6, 0), AERIE_TIMEOUT_FOREVER))), AE_EINVAL);
    int64_t r = ae_call(ft_admin, AERIE_INFO(FS_ADMIN_OPEN_SESSION, 3, 0), AERIE_TIMEOUT_FOREVER);
    CHECK_EQ(proto_status_of(AERIE_INFO_LABEL((uint64_t)r)), AE_EPROTO);
    CHECK_EQ(ae_fs_admin_close_session(ft_admin, 0x7fffffff), AE_ENOENT);
    CHECK_EQ(ae_fs_admin_check(ft_admin, 0x7fffffff), AE_ENOENT);
}

FSTEST(session_sees_its_image_files, "a session on images/fsprobe/files serves the image's bytes")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    char buf[256];
    CHECK_EQ(ft_slurp(&s.conn, "/etc/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK(!memcmp(buf, FT_MOTD, strlen(FT_MOTD)));
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&s.conn, "/etc", &st));
    CHECK_EQ(st.type, FS_TYPE_DIR);
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));
    CHECK_EQ(st.ino, 1);
    uint64_t h, next;
    bool eof;
    CHECK_OK(ae_fs_open(&s.conn, "/", FS_O_RDONLY, 0, &h, NULL));
    CHECK_EQ(ae_fs_readdir(&s.conn, h, 0, buf, sizeof buf, &next, &eof), 3 * 32);
    CHECK(eof);
    CHECK(!strcmp(buf + 24, "data") && !strcmp(buf + 32 + 24, "etc") && !strcmp(buf + 64 + 24, "ilink"));
    ae_fs_close(&s.conn, h);
    CHECK_EQ(ft_spill(&s.conn, "/etc/motd", "changed\n"), 8);    /* copied up, privately */
    CHECK_EQ(ft_slurp(&s.conn, "/etc/motd", buf, sizeof buf), 8);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(sessions_of_one_image_are_isolated, "two sessions on one image never see each other's changes")
{
    struct ft_session a, b;
    CHECK_OK(ft_session_open(&a, FT_IMAGE, MiB, 64));
    CHECK_OK(ft_session_open(&b, FT_IMAGE, MiB, 64));
    char buf[256];
    struct ae_fs_stat st;
    CHECK_EQ(ft_spill(&a.conn, "/new", "mine"), 4);
    CHECK_EQ(ae_fs_stat(&b.conn, "/new", &st), AE_ENOENT);
    CHECK_EQ(ft_spill(&a.conn, "/etc/motd", "A's motd"), 8);
    CHECK_EQ(ft_slurp(&b.conn, "/etc/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK(!memcmp(buf, FT_MOTD, strlen(FT_MOTD)));
    CHECK_OK(ae_fs_unlink(&a.conn, "/etc/conf"));
    CHECK_EQ(ae_fs_rmdir(&a.conn, "/data"), AE_ENOTEMPTY);
    CHECK_OK(ae_fs_stat(&b.conn, "/etc/conf", &st));
    CHECK_OK(ae_fs_mkdir(&b.conn, "/bdir", 0755));
    CHECK_EQ(ae_fs_stat(&a.conn, "/bdir", &st), AE_ENOENT);
    CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    ft_session_close(&a);
    CHECK_OK(ae_fs_stat(&b.conn, "/etc/conf", &st));      /* closing A changed nothing for B */
    ft_session_close(&b);
}

FSTEST(guessed_handles_fail, "another session's handle, stale and forged values: EBADF")
{
    struct ft_session a, b;
    CHECK_OK(ft_session_open(&a, FT_IMAGE, MiB, 64));
    CHECK_OK(ft_session_open(&b, FT_IMAGE, MiB, 64));
    uint64_t h, pos;
    CHECK_OK(ae_fs_open(&a.conn, "/etc/motd", FS_O_RDONLY, 0, &h, NULL));
    char c;
    CHECK_EQ(ae_fs_read(&b.conn, h, 0, &c, 1), AE_EBADF);
    CHECK_EQ(ae_fs_seek(&b.conn, h, 0, FS_SEEK_SET), AE_EBADF);
    const uint64_t forged[] = { 0, h + 1, h ^ (1ull << 32), h + (1ull << 32), ~0ull, h & 0xFFFFFFFF };
    for (unsigned i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        CHECK_EQ(ae_fs_read(&a.conn, forged[i], 0, &c, 1), AE_EBADF);
        CHECK_EQ(ae_fs_request(&b.conn, FS_OP_CLOSE, &forged[i], 1, &pos, 1), AE_EBADF);
    }
    CHECK_EQ(ae_fs_read(&a.conn, h, 0, &c, 1), 1);
    CHECK_OK(ae_fs_close(&a.conn, h));
    CHECK_EQ(ae_fs_read(&a.conn, h, 0, &c, 1), AE_EBADF);  /* stale */
    ft_session_close(&a);
    ft_session_close(&b);
}

FSTEST(dotdot_never_leaves_the_session_root, "'..' cannot reach the rest of the boot image")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    struct ae_fs_stat st;
    uint64_t h;
    CHECK_EQ(ae_fs_stat(&s.conn, "../prog", &st), AE_ENOENT);
    CHECK_EQ(ae_fs_stat(&s.conn, "/../../../boot.conf", &st), AE_ENOENT);
    CHECK_EQ(ae_fs_open(&s.conn, "../../fsprobe/prog", FS_O_RDONLY, 0, &h, NULL), AE_ENOENT);
    CHECK_EQ(ae_fs_stat(&s.conn, "etc/../../../bin/fs", &st), AE_ENOENT);
    CHECK_OK(ae_fs_stat(&s.conn, "../../etc/../etc/motd", &st));   /* ".." stops at the root */
    CHECK_OK(ae_fs_stat(&s.conn, "/..", &st));
    CHECK_EQ(st.ino, 1);
    ft_session_close(&s);
}

FSTEST(closed_session_is_revoked_everywhere, "after CLOSE_SESSION its capability is gone: EDEAD, no hang")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    struct ae_fs_stat st;
    uint64_t copy = ae_slot_alloc();
    CHECK_OK(ae_cap_copy(s.cap, copy, AERIE_R_ALL, 0));   /* a copy, as a container would hold */
    struct ae_fs other;
    ae_fs_init(&other, copy, 0);
    CHECK_OK(ae_fs_stat(&s.conn, "/etc", &st));
    CHECK_OK(ae_fs_stat(&other, "/etc", &st));
    uint64_t sessions = ft_stat(FS_STAT_SESSIONS);
    CHECK_OK(ae_fs_admin_close_session(ft_admin, s.id));
    CHECK_EQ(ft_stat(FS_STAT_SESSIONS), sessions - 1);
    CHECK_EQ(ae_fs_stat(&s.conn, "/etc", &st), AE_EDEAD);
    CHECK_EQ(ae_fs_stat(&other, "/etc", &st), AE_EDEAD);
    uint64_t badge;
    CHECK_EQ(ae_cap_info(copy, &badge), AE_ECAP);
    CHECK_EQ(ae_fs_admin_close_session(ft_admin, s.id), AE_ENOENT);
    ae_fs_fini(&other);
    ae_fs_fini(&s.conn);
    ae_slot_free(copy);
    ae_slot_free(s.cap);
}

FSTEST(admin_reads_and_writes_files_in_pieces, "the cp path: admin WRITE and READ in message-word pieces")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    enum { N = 5000 };
    static char a[N], b[N + 10];
    for (int i = 0; i < N; i++)
        a[i] = (char)(i * 13 + 1);
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/copied", 0, a, N, FS_ADMIN_W_CREATE | FS_ADMIN_W_TRUNC,
                               0640), N);
    uint64_t size = 0;
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/copied", 0, b, sizeof b, &size), N);
    CHECK_EQ(size, N);
    CHECK(!memcmp(a, b, N));
    CHECK_EQ(ft_slurp(&s.conn, "/copied", b, sizeof b), N);  /* the session's client sees it */
    CHECK(!memcmp(a, b, N));
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/etc/motd", 8, b, 6, &size), 6);
    CHECK(!memcmp(b, "to the", 6));
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/etc/motd", 0, "HELLO", 5, 0, 0), 5);
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/etc/motd", 0, b, 7, &size), 7);
    CHECK(!memcmp(b, "HELLOme", 7));
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/absent", 0, "x", 1, 0, 0), AE_ENOENT);
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/etc", 0, b, 1, &size), AE_EISDIR);
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/x", 0, "x", 1, 0x80, 0), AE_EINVAL);
    CHECK_EQ(ae_fs_admin_read(ft_admin, 0x7fffffff, "/etc/motd", 0, b, 1, &size), AE_ENOENT);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(volumes_are_shared_only_where_granted, "one volume: read-write in A, read-only in B, absent in C")
{
    CHECK_OK(ae_fs_admin_volume_create(ft_admin, "shared", MiB, 32));
    CHECK_EQ(ae_fs_admin_volume_create(ft_admin, "shared", MiB, 32), AE_EEXIST);
    struct ae_fs_grant rw = { "shared", "/data", true }, ro = { "shared", "/mnt/in", false };
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 64,
                                       .grants = &rw, .ngrants = 1 };
    struct ft_session a, b, c;
    CHECK_OK(ft_session_open_spec(&a, &spec));
    spec.grants = &ro;
    CHECK_OK(ft_session_open_spec(&b, &spec));
    CHECK_OK(ft_session_open(&c, FT_IMAGE, MiB, 64));
    char buf[64];
    struct ae_fs_stat st;
    CHECK_EQ(ft_spill(&a.conn, "/data/note", "from A"), 6);
    CHECK_EQ(ft_slurp(&b.conn, "/mnt/in/note", buf, sizeof buf), 6);
    CHECK(!memcmp(buf, "from A", 6));
    CHECK_EQ(ft_spill(&b.conn, "/mnt/in/note", "from B"), AE_EROFS);
    CHECK_EQ(ae_fs_unlink(&b.conn, "/mnt/in/note"), AE_EROFS);
    CHECK_EQ(ae_fs_stat(&c.conn, "/data/note", &st), AE_ENOENT);
    CHECK_OK(ae_fs_stat(&c.conn, "/data/readme", &st));        /* C's /data is the image's */
    CHECK_EQ(ae_fs_rename(&a.conn, "/data/note", "/elsewhere"), AE_EXDEV);
    CHECK_OK(ae_fs_admin_volume_delete(ft_admin, "shared"));
    CHECK_EQ(ae_fs_admin_volume_delete(ft_admin, "shared"), AE_ENOENT);
    CHECK_EQ(ft_slurp(&b.conn, "/mnt/in/note", buf, sizeof buf), 6);   /* kept by its sessions */
    ft_session_close(&a);
    ft_session_close(&b);
    ft_session_close(&c);
}

FSTEST(read_only_session_changes_nothing, "FS_SESSION_F_RDONLY: every change is EROFS, reads work")
{
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 64,
                                       .read_only = true };
    struct ft_session s;
    CHECK_OK(ft_session_open_spec(&s, &spec));
    char buf[64];
    uint64_t h;
    CHECK(ft_slurp(&s.conn, "/etc/motd", buf, sizeof buf) > 0);
    CHECK_EQ(ae_fs_open(&s.conn, "/etc/motd", FS_O_RDWR, 0, &h, NULL), AE_EROFS);
    CHECK_EQ(ae_fs_mkdir(&s.conn, "/d", 0755), AE_EROFS);
    CHECK_EQ(ae_fs_unlink(&s.conn, "/etc/conf"), AE_EROFS);
    CHECK_EQ(ae_fs_admin_write(ft_admin, s.id, "/etc/motd", 0, "x", 1, 0, 0), AE_EROFS);
    ft_session_close(&s);
}

FSTEST(image_reads_charge_no_pages, "reading a whole image (its 200+ KiB program too) costs the fs nothing")
{
    uint64_t size;
    const uint8_t *prog = ft_boot_file("images/fsprobe/prog", &size);
    CHECK(prog && size > 64 * 1024);
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, "images/fsprobe", MiB, 64));
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&s.conn, "/prog", &st));      /* attached: the buffer is mapped */
    CHECK_EQ(st.size, size);
    uint8_t *copy = malloc(size + 1);
    CHECK(copy != NULL);
    uint64_t pages = 0, quota = 0;
    for (int round = 0; round < 4; round++) {
        if (round == 1) {                               /* the first round made the handle table */
            pages = ft_stat(FS_STAT_DATA_PAGES);
            quota = ft_stat(FS_STAT_QUOTA_USED);
        }
        CHECK_EQ(ft_slurp(&s.conn, "/prog", copy, size + 1), size);
        CHECK(!memcmp(copy, prog, size));
        char buf[128];
        CHECK(ft_slurp(&s.conn, "/files/etc/motd", buf, sizeof buf) > 0);
    }
    CHECK_EQ(ft_stat(FS_STAT_DATA_PAGES), pages);
    CHECK_EQ(ft_stat(FS_STAT_QUOTA_USED), quota);
    CHECK_OK(ae_fs_stat(&s.conn, "/prog", &st));
    CHECK_EQ(st.blocks, (size + 4095) / 4096 * 8);          /* the image's pages, none of ours */
    uint64_t h;
    CHECK_OK(ae_fs_open(&s.conn, "/prog", FS_O_RDWR, 0, &h, NULL));
    CHECK_EQ(ae_fs_write(&s.conn, h, 100000, "x", 1), 1);   /* one byte: one page copied */
    CHECK_OK(ae_fs_fstat(&s.conn, h, &st));
    CHECK_EQ(st.blocks, (size + 4095) / 4096 * 8);          /* a copied page replaces one below */
    CHECK(ft_stat(FS_STAT_DATA_PAGES) - pages <= 3);
    ae_fs_close(&s.conn, h);
    free(copy);
    ft_session_close(&s);
    CHECK_EQ(ft_stat(FS_STAT_DATA_PAGES), pages);           /* closing freed them */
}

static int fork_raw(uint64_t cap, uint64_t from, uint64_t to)
{
    ae_utcb()->mr[0] = from;
    ae_utcb()->mr[1] = to;
    int64_t r = ae_call(cap, AERIE_INFO(FS_ADMIN_FORK_SESSION, 2, 0), AERIE_TIMEOUT_FOREVER);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

FSTEST(admin_fork_session_copies_private_files, "FS_ADMIN_FORK_SESSION gives a new session of the image the "
       "private files, deletions and links of another; each then changes alone; refusals change nothing")
{
    struct ft_session a, b, c, e;
    CHECK_OK(ft_session_open(&a, FT_IMAGE, MiB, 64));
    CHECK_OK(ft_session_open(&b, FT_IMAGE, MiB, 64));
    uint64_t h;
    static char data[10000];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);
    CHECK_OK(ae_fs_mkdir(&a.conn, "/d", 0755));
    CHECK_OK(ae_fs_open(&a.conn, "/d/new", FS_O_RDWR | FS_O_CREAT, 0640, &h, NULL));
    CHECK_EQ(ae_fs_write(&a.conn, h, 0, data, sizeof data), sizeof data);
    CHECK_OK(ae_fs_close(&a.conn, h));
    CHECK_OK(ae_fs_link(&a.conn, "/d/new", "/again"));
    CHECK_OK(ae_fs_symlink(&a.conn, "/etc/motd", "/ln"));
    CHECK_OK(ae_fs_unlink(&a.conn, "/etc/motd"));                 /* an image file: deleted */
    CHECK_OK(ae_fs_admin_fork_session(ft_admin, a.id, b.id));
    static char got[sizeof data];
    CHECK_EQ(ft_slurp(&b.conn, "/d/new", got, sizeof got), sizeof data);
    CHECK(!memcmp(got, data, sizeof data));
    struct ae_fs_stat s1, s2;
    CHECK_OK(ae_fs_stat(&b.conn, "/again", &s1));
    CHECK_OK(ae_fs_stat(&a.conn, "/again", &s2));
    CHECK_EQ(s1.ino, s2.ino);
    CHECK_EQ(s1.nlink, 2);
    CHECK_EQ(s1.mode, 0640);
    char target[32] = "";
    CHECK_EQ(ae_fs_readlink(&b.conn, "/ln", target, sizeof target), 9);
    CHECK(!memcmp(target, "/etc/motd", 9));
    CHECK_EQ(ae_fs_stat(&b.conn, "/etc/motd", &s1), AE_ENOENT);
    uint64_t sa[FS_SSTAT_WORDS], sb[FS_SSTAT_WORDS];
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, a.id, sa));
    CHECK_OK(ae_fs_admin_session_stats(ft_admin, b.id, sb));
    CHECK_EQ(sb[FS_SSTAT_DATA_BYTES], sa[FS_SSTAT_DATA_BYTES]);
    /* a's reservations (docs/FS.md, "Creates that do not wait") are a's alone. */
    CHECK_EQ(sb[FS_SSTAT_INODES] + a.conn.resv_n - a.conn.resv_used, sa[FS_SSTAT_INODES]);
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    /* Each alone from now on; b keeps its files when a is gone. */
    CHECK_OK(ae_fs_open(&b.conn, "/d/new", FS_O_RDWR, 0, &h, NULL));
    CHECK_EQ(ae_fs_write(&b.conn, h, 0, "B", 1), 1);
    CHECK_OK(ae_fs_close(&b.conn, h));
    CHECK_EQ(ft_slurp(&a.conn, "/d/new", got, 1), 1);
    CHECK_EQ(got[0], data[0]);
    /* Refusals: not the admin, the same or unknown ids, a destination
     * with files, another image; none changes anything. */
    CHECK_OK(ft_session_open(&c, FT_IMAGE, MiB, 64));
    CHECK_OK(ft_session_open(&e, NULL, MiB, 64));
    CHECK_EQ(fork_raw(a.cap, a.id, c.id), AE_EPERM);
    CHECK_EQ(fork_raw(ft_fs, a.id, c.id), AE_EPERM);
    CHECK_EQ(ae_fs_admin_fork_session(ft_admin, a.id, a.id), AE_EINVAL);
    CHECK_EQ(ae_fs_admin_fork_session(ft_admin, a.id, 0x7fffffff), AE_ENOENT);
    CHECK_EQ(ae_fs_admin_fork_session(ft_admin, 0x7fffffff, c.id), AE_ENOENT);
    CHECK_EQ(fork_raw(ft_admin, 1ull << 40 | a.id, c.id), AE_ENOENT);
    CHECK_EQ(fork_raw(ft_admin, a.id, ~0ull), AE_ENOENT);
    CHECK_EQ(ae_fs_admin_fork_session(ft_admin, a.id, b.id), AE_ENOTEMPTY);
    CHECK_EQ(ae_fs_admin_fork_session(ft_admin, a.id, e.id), AE_EINVAL);
    CHECK_EQ(ae_fs_stat(&c.conn, "/d", &s1), AE_ENOENT);
    CHECK_OK(ae_fs_stat(&c.conn, "/etc/motd", &s1));
    ft_session_close(&a);
    CHECK_EQ(ft_slurp(&b.conn, "/d/new", got, sizeof got), sizeof data);
    CHECK_EQ(got[0], 'B');
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    ft_session_close(&b);
    ft_session_close(&c);
    ft_session_close(&e);
}
