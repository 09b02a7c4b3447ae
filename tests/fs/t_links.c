/*
 * t_links.c — the operations a Linux personality needs, through the
 * libaerie client on the real service: symbolic links (followed where
 * POSIX says, ELOOP, never out of the session's root, also from a shared
 * volume), hard links and their counts, O_NOFOLLOW and O_EXCL, rename
 * per POSIX, mode, owner and times by path and by handle, fsync, the *at
 * calls from directory handles (another session's handle is no base),
 * bad words in the new requests, and libc's calls over them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define MiB (1ull << 20)

FSTEST(symlinks_are_followed_where_posix_says, "symlink, readlink, stat/lstat, links in the middle, ELOOP")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    struct ae_fs *fs = &s.conn;
    char buf[128];
    CHECK_OK(ae_fs_symlink(fs, "etc/motd", "/motd"));               /* to an image file */
    CHECK_OK(ae_fs_symlink(fs, "../etc", "/data/up"));              /* relative, in an image dir */
    CHECK_EQ(ae_fs_readlink(fs, "/motd", buf, sizeof buf), 8);
    CHECK(!memcmp(buf, "etc/motd", 8));
    CHECK_EQ(ae_fs_readlink(fs, "/motd", buf, 3), 8);                /* cut, its length told */
    CHECK_EQ(ft_slurp(fs, "/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK(!memcmp(buf, FT_MOTD, strlen(FT_MOTD)));
    CHECK_EQ(ft_slurp(fs, "/data/up/motd", buf, sizeof buf), FT_MOTD_SIZE);
    struct ae_fs_stat st, lst;
    CHECK_OK(ae_fs_stat(fs, "/motd", &st));
    CHECK_OK(ae_fs_lstat(fs, "/motd", &lst));
    CHECK_EQ(st.type, FS_TYPE_FILE);
    CHECK_EQ(lst.type, FS_TYPE_SYMLINK);
    CHECK_EQ(lst.size, 8);
    CHECK_EQ(lst.mode, 0777);
    CHECK_OK(ae_fs_lstat(fs, "/data/up/", &st));                    /* a trailing '/' follows */
    CHECK_EQ(st.type, FS_TYPE_DIR);
    CHECK_EQ(ae_fs_readlink(fs, "/etc/motd", buf, sizeof buf), AE_EINVAL);
    CHECK_EQ(ae_fs_symlink(fs, "x", "/etc/motd"), AE_EEXIST);
    CHECK_EQ(ae_fs_symlink(fs, "", "/empty"), AE_ENOENT);
    CHECK_OK(ae_fs_symlink(fs, "/loop", "/loop"));
    CHECK_EQ(ae_fs_stat(fs, "/loop", &st), AE_ELOOP);
    CHECK_EQ(ae_fs_stat(fs, "/loop/x", &st), AE_ELOOP);
    CHECK_OK(ae_fs_lstat(fs, "/loop", &st));
    CHECK_OK(ae_fs_unlink(fs, "/motd"));                             /* the link, not the file */
    CHECK_EQ(ft_slurp(fs, "/etc/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

/* The image's own links (fs_tests.mk puts them in /ilink): the lower
 * layer serves them as links, followed inside the session's root. */
FSTEST(image_links_are_links, "an image's links: lstat/readlink/readdir, followed, O_NOFOLLOW, ELOOP, '..' stays in the root, copy-up")
{
    struct ft_session s, o;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    CHECK_OK(ft_session_open(&o, FT_IMAGE, MiB, 64));
    struct ae_fs *fs = &s.conn;
    char buf[128];
    struct ae_fs_stat st;
    CHECK_EQ(ae_fs_readlink(fs, "/ilink/motd", buf, sizeof buf), 9);
    CHECK(!memcmp(buf, "/etc/motd", 9));
    CHECK_OK(ae_fs_lstat(fs, "/ilink/motd", &st));
    CHECK_EQ(st.type, FS_TYPE_SYMLINK);
    CHECK_EQ(st.size, 9);
    CHECK_EQ(st.mode, 0777);
    CHECK_OK(ae_fs_stat(fs, "/ilink/motd", &st));
    CHECK_EQ(st.type, FS_TYPE_FILE);
    CHECK_EQ(ft_slurp(fs, "/ilink/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK_EQ(ft_slurp(fs, "/ilink/rel", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK_EQ(ft_slurp(fs, "/ilink/dir/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK_EQ(ft_slurp(fs, "/ilink/up/ilink/up/etc/motd", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK_OK(ae_fs_stat(fs, "/ilink/up", &st));
    CHECK_EQ(st.ino, 1);                                             /* "../../../.." is the root */
    /* the image is a subtree of the boot image: its program is above the root */
    CHECK_EQ(ae_fs_stat(fs, "/ilink/up/../prog", &st), AE_ENOENT);
    CHECK_EQ(ae_fs_stat(fs, "/ilink/prog", &st), AE_ENOENT);
    CHECK_EQ(ae_fs_stat(fs, "/ilink/loop", &st), AE_ELOOP);
    CHECK_EQ(ae_fs_stat(fs, "/ilink/ping/x", &st), AE_ELOOP);
    CHECK_OK(ae_fs_lstat(fs, "/ilink/ping", &st));
    uint64_t h;
    CHECK_EQ(ae_fs_open(fs, "/ilink/motd", FS_O_RDONLY | FS_O_NOFOLLOW, 0, &h, NULL), AE_ELOOP);
    /* changed in one session (copy-up, whiteout): the other sees the image's */
    CHECK_OK(ae_fs_unlink(fs, "/ilink/motd"));
    CHECK_EQ(ae_fs_lstat(fs, "/ilink/motd", &st), AE_ENOENT);
    CHECK_OK(ae_fs_symlink(fs, "/etc/conf", "/ilink/motd"));
    CHECK_OK(ae_fs_mkdir(fs, "/a", 0755));
    CHECK_OK(ae_fs_mkdir(fs, "/a/b", 0755));
    CHECK_OK(ae_fs_rename(fs, "/ilink/rel", "/a/b/rel2"));
    CHECK_EQ(ft_slurp(fs, "/a/b/rel2", buf, sizeof buf), AE_ENOENT);     /* relative: from its new place */
    CHECK_EQ(ae_fs_readlink(&o.conn, "/ilink/motd", buf, sizeof buf), 9);
    CHECK_EQ(ft_slurp(&o.conn, "/ilink/rel", buf, sizeof buf), FT_MOTD_SIZE);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&o);
    ft_session_close(&s);
}

FSTEST(symlinks_never_leave_the_session_root, "'..' and absolute targets stay in the session, also from a volume")
{
    CHECK_OK(ae_fs_admin_volume_create(ft_admin, "lnkvol", MiB, 32));
    struct ae_fs_grant rw = { "lnkvol", "/vol", true }, ro = { "lnkvol", "/mnt/v", false };
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 64,
                                       .grants = &rw, .ngrants = 1 };
    struct ft_session a, b;
    CHECK_OK(ft_session_open_spec(&a, &spec));
    spec.grants = &ro;
    CHECK_OK(ft_session_open_spec(&b, &spec));
    char buf[64];
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_symlink(&a.conn, "../../../../../../..", "/up"));
    CHECK_OK(ae_fs_stat(&a.conn, "/up", &st));
    CHECK_EQ(st.ino, 1);                                             /* the session's own root */
    CHECK_EQ(ae_fs_stat(&a.conn, "/up/../prog", &st), AE_ENOENT);    /* the image's program is above */
    CHECK_EQ(ae_fs_stat(&a.conn, "/up/boot.conf", &st), AE_ENOENT);
    CHECK_EQ(ft_spill(&a.conn, "/mine", "A's"), 3);
    CHECK_EQ(ft_spill(&b.conn, "/mine", "B's"), 3);
    CHECK_OK(ae_fs_symlink(&a.conn, "/mine", "/vol/abs"));           /* in the shared volume */
    CHECK_OK(ae_fs_symlink(&a.conn, "../../../../../etc/conf", "/vol/rel"));
    CHECK_EQ(ft_slurp(&a.conn, "/vol/abs", buf, sizeof buf), 3);
    CHECK(!strcmp(buf, "A's"));
    CHECK_EQ(ft_slurp(&b.conn, "/mnt/v/abs", buf, sizeof buf), 3);      /* each session's own /mine */
    CHECK(!strcmp(buf, "B's"));
    CHECK(ft_slurp(&b.conn, "/mnt/v/rel", buf, sizeof buf) > 0);        /* B's own image file */
    CHECK_EQ(ae_fs_symlink(&b.conn, "x", "/mnt/v/new"), AE_EROFS);
    CHECK_OK(ae_fs_symlink(&a.conn, "vol/x", "/into"));              /* into the volume */
    CHECK_EQ(ft_spill(&a.conn, "/into", "v"), 1);
    CHECK_OK(ae_fs_stat(&a.conn, "/into", &st));
    CHECK_EQ(st.dev, 1);
    CHECK_EQ(ae_fs_rename(&a.conn, "/into", "/vol/moved"), AE_EXDEV);  /* the link is in A's tree */
    CHECK_OK(ae_fs_admin_check(ft_admin, a.id));
    CHECK_OK(ae_fs_admin_check(ft_admin, b.id));
    ft_session_close(&a);
    ft_session_close(&b);
    CHECK_OK(ae_fs_admin_volume_delete(ft_admin, "lnkvol"));
}

FSTEST(hard_links_share_one_file, "link, nlink, writes seen through both names, EPERM, EXDEV, EEXIST")
{
    CHECK_OK(ae_fs_admin_volume_create(ft_admin, "hardvol", MiB, 32));
    struct ae_fs_grant rw = { "hardvol", "/vol", true };
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 64,
                                       .grants = &rw, .ngrants = 1 };
    struct ft_session s;
    CHECK_OK(ft_session_open_spec(&s, &spec));
    struct ae_fs *fs = &s.conn;
    char buf[64];
    CHECK_OK(ae_fs_link(fs, "/etc/conf", "/conf2"));                 /* an image file: copied up */
    struct ae_fs_stat a, b;
    CHECK_OK(ae_fs_stat(fs, "/etc/conf", &a));
    CHECK_OK(ae_fs_stat(fs, "/conf2", &b));
    CHECK_EQ(a.ino, b.ino);
    CHECK_EQ(a.nlink, 2);
    CHECK_EQ(ft_spill(fs, "/conf2", "changed"), 7);
    CHECK_EQ(ft_slurp(fs, "/etc/conf", buf, sizeof buf), 7);
    CHECK(!strcmp(buf, "changed"));
    CHECK_OK(ae_fs_unlink(fs, "/etc/conf"));
    CHECK_OK(ae_fs_stat(fs, "/conf2", &b));
    CHECK_EQ(b.nlink, 1);
    CHECK_EQ(ae_fs_link(fs, "/etc", "/etc2"), AE_EPERM);
    CHECK_EQ(ae_fs_link(fs, "/conf2", "/vol/c"), AE_EXDEV);
    CHECK_EQ(ae_fs_link(fs, "/conf2", "/etc/motd"), AE_EEXIST);
    CHECK_EQ(ae_fs_link(fs, "/nothing", "/n2"), AE_ENOENT);
    CHECK_OK(ae_fs_symlink(fs, "conf2", "/sl"));
    CHECK_OK(ae_fs_linkat(fs, 0, "/sl", 0, "/followed", FS_AT_FOLLOW));
    CHECK_OK(ae_fs_stat(fs, "/conf2", &b));
    CHECK_EQ(b.nlink, 2);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    CHECK_OK(ae_fs_admin_volume_delete(ft_admin, "hardvol"));
}

FSTEST(open_nofollow_excl_and_rename_per_posix,
       "O_NOFOLLOW ELOOP, O_EXCL on links, create through a link, rename rules")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    struct ae_fs *fs = &s.conn;
    uint64_t h;
    CHECK_OK(ae_fs_symlink(fs, "made", "/dangling"));
    CHECK_EQ(ae_fs_open(fs, "/dangling", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0644, &h, NULL), AE_EEXIST);
    CHECK_EQ(ae_fs_open(fs, "/dangling", FS_O_RDONLY | FS_O_NOFOLLOW, 0, &h, NULL), AE_ELOOP);
    CHECK_OK(ae_fs_open(fs, "/dangling", FS_O_RDWR | FS_O_CREAT, 0600, &h, NULL));  /* makes /made */
    ae_fs_close(fs, h);
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_lstat(fs, "/made", &st));
    CHECK_EQ(st.type, FS_TYPE_FILE);
    CHECK_EQ(st.mode, 0600);
    CHECK_OK(ae_fs_mkdir(fs, "/d1", 0755));
    CHECK_OK(ae_fs_mkdir(fs, "/d2", 0755));
    CHECK_OK(ae_fs_rename(fs, "/d1", "/d2"));                        /* over an empty directory */
    CHECK_EQ(ae_fs_rename(fs, "/d2", "/etc"), AE_ENOTEMPTY);
    CHECK_EQ(ae_fs_rename(fs, "/d2", "/made"), AE_ENOTDIR);
    CHECK_EQ(ae_fs_rename(fs, "/made", "/d2"), AE_EISDIR);
    CHECK_EQ(ae_fs_rename(fs, "/etc", "/etc/inside"), AE_EINVAL);
    CHECK_OK(ae_fs_symlink(fs, "etc", "/etclink"));
    CHECK_EQ(ae_fs_rename(fs, "/etc", "/etclink/inside"), AE_EINVAL);  /* through a link too */
    CHECK_EQ(ae_fs_renameat(fs, 0, "/made", 0, "/etc/motd", FS_RENAME_NOREPLACE), AE_EEXIST);
    CHECK_OK(ae_fs_rename(fs, "/etc", "/etc.moved"));                  /* an image directory */
    CHECK_OK(ae_fs_stat(fs, "/etc.moved/motd", &st));
    CHECK_EQ(ae_fs_stat(fs, "/etclink/motd", &st), AE_ENOENT);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(modes_owners_and_times, "chmod/chown/utimens by path and handle, NOFOLLOW, fsync, EROFS")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    struct ae_fs *fs = &s.conn;
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(fs, "/etc/motd", &st));
    CHECK_EQ(st.mtime, 0);                                           /* image files have no times */
    uint64_t image_blocks = st.blocks;
    CHECK_EQ(image_blocks, (st.size + 4095) / 4096 * 8);             /* the pages its bytes fill */
    uint64_t pages = ft_stat(FS_STAT_DATA_PAGES);
    CHECK_OK(ae_fs_chmod(fs, "/etc/motd", 0600));
    CHECK_OK(ae_fs_chown(fs, "/etc/motd", 1000, 100));
    CHECK_OK(ae_fs_utimensat(fs, 0, "/etc/motd", 5000000000ull, FS_TIME_NOW, 0));
    CHECK_OK(ae_fs_stat(fs, "/etc/motd", &st));
    CHECK_EQ(st.mode, 0600);
    CHECK_EQ(st.uid, 1000);
    CHECK_EQ(st.gid, 100);
    CHECK_EQ(st.atime, 5000000000ull);
    CHECK(st.mtime > 1500000000ull * 1000000000ull);                 /* the service's clock */
    CHECK_EQ(st.blocks, image_blocks);                               /* still the image's bytes */
    CHECK_EQ(ft_stat(FS_STAT_DATA_PAGES), pages);                    /* no data was copied */
    uint64_t h;
    CHECK_OK(ae_fs_open(fs, "/data/readme", FS_O_RDONLY, 0, &h, NULL));  /* read-only, image */
    CHECK_OK(ae_fs_fchmod(fs, h, 0444));
    CHECK_OK(ae_fs_fchown(fs, h, 7, FS_ID_KEEP));
    CHECK_OK(ae_fs_futimens(fs, h, FS_TIME_OMIT, 42));
    CHECK_OK(ae_fs_fsync(fs, h));
    CHECK_OK(ae_fs_fstat(fs, h, &st));
    CHECK(st.mode == 0444 && st.uid == 7 && st.gid == 0 && st.mtime == 42);
    CHECK_OK(ae_fs_close(fs, h));
    CHECK_EQ(ae_fs_fsync(fs, h), AE_EBADF);
    CHECK_EQ(ae_fs_fchmod(fs, h, 0644), AE_EBADF);
    CHECK_EQ(ae_fs_chmod(fs, "/etc/motd", 0170000), AE_EINVAL);
    CHECK_OK(ae_fs_symlink(fs, "etc/motd", "/l"));
    CHECK_EQ(ae_fs_chmodat(fs, 0, "/l", 0644, FS_AT_NOFOLLOW), AE_ENOTSUP);
    CHECK_OK(ae_fs_chownat(fs, 0, "/l", 3, 3, FS_AT_NOFOLLOW));
    CHECK_OK(ae_fs_lstat(fs, "/l", &st));
    CHECK_EQ(st.uid, 3);
    CHECK_OK(ae_fs_stat(fs, "/l", &st));
    CHECK_EQ(st.uid, 1000);
    ft_session_close(&s);
    struct ae_fs_session_spec spec = { .image = FT_IMAGE, .data_bytes = MiB, .inodes = 64,
                                       .read_only = true };
    CHECK_OK(ft_session_open_spec(&s, &spec));
    CHECK_EQ(ae_fs_chmod(&s.conn, "/etc/motd", 0600), AE_EROFS);
    CHECK_EQ(ae_fs_chown(&s.conn, "/etc/motd", 1, 1), AE_EROFS);
    CHECK_EQ(ae_fs_symlink(&s.conn, "x", "/l"), AE_EROFS);
    CHECK_EQ(ae_fs_link(&s.conn, "/etc/motd", "/m"), AE_EROFS);
    ft_session_close(&s);
}

FSTEST(at_calls_start_from_directory_handles,
       "openat/statat/mkdirat/renameat/linkat/readlinkat; others' handles: EBADF")
{
    struct ft_session s, other;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    CHECK_OK(ft_session_open(&other, FT_IMAGE, MiB, 64));
    struct ae_fs *fs = &s.conn;
    uint64_t d, h, od, f;
    CHECK_OK(ae_fs_open(fs, "/etc", FS_O_RDONLY | FS_O_DIRECTORY, 0, &d, NULL));
    char buf[64];
    CHECK_OK(ae_fs_openat(fs, d, "motd", FS_O_RDONLY, 0, &h, NULL));
    CHECK_EQ(ae_fs_read(fs, h, 0, buf, 7), 7);
    CHECK(!memcmp(buf, "Welcome", 7));
    ae_fs_close(fs, h);
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_statat(fs, d, "../data/readme", 0, &st));
    CHECK_OK(ae_fs_mkdirat(fs, d, "sub", 0755));
    CHECK_OK(ae_fs_symlinkat(fs, "../motd", d, "sub/l"));
    CHECK_EQ(ae_fs_readlinkat(fs, d, "sub/l", buf, sizeof buf), 7);
    CHECK_OK(ae_fs_statat(fs, d, "sub/l", 0, &st));
    CHECK_EQ(st.type, FS_TYPE_FILE);
    CHECK_OK(ae_fs_linkat(fs, d, "conf", 0, "/conf.hard", 0));
    CHECK_OK(ae_fs_renameat(fs, d, "sub", 0, "/sub.moved", 0));
    CHECK_OK(ae_fs_lstat(fs, "/sub.moved/l", &st));                 /* its target moved away */
    CHECK_EQ(ae_fs_stat(fs, "/sub.moved/l", &st), AE_ENOENT);
    CHECK_OK(ae_fs_unlinkat(fs, 0, "/sub.moved/l"));
    CHECK_OK(ae_fs_rmdirat(fs, d, "../sub.moved"));
    CHECK_OK(ae_fs_statat(fs, d, "/data", 0, &st));                  /* absolute: from the root */
    CHECK_OK(ae_fs_open(fs, "/etc/conf", FS_O_RDONLY, 0, &f, NULL));
    CHECK_EQ(ae_fs_statat(fs, f, "x", 0, &st), AE_ENOTDIR);           /* a file is no base */
    for (int i = 0; i < 5; i++)                                      /* a slot s never used */
        CHECK_OK(ae_fs_open(&other.conn, "/etc", FS_O_RDONLY, 0, &od, NULL));
    CHECK_OK(ae_fs_statat(&other.conn, od, "motd", 0, &st));
    CHECK_EQ(ae_fs_statat(fs, od, "motd", 0, &st), AE_EBADF);        /* another session's handle */
    CHECK_EQ(ae_fs_statat(&other.conn, d + (1ull << 32), "motd", 0, &st), AE_EBADF);
    CHECK_EQ(ae_fs_mkdirat(fs, ~0ull, "x", 0755), AE_EBADF);
    ae_fs_close(fs, d);
    CHECK_EQ(ae_fs_statat(fs, d, "motd", 0, &st), AE_EBADF);          /* closed */
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
    ft_session_close(&other);
}

FSTEST(new_requests_refuse_bad_words, "flags, ids, targets, ranges of the new opcodes; the admin cap as a client")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 64));
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));                         /* attached */
    uint64_t bytes, out[4];
    uint8_t *b = ae_fs_buffer(&s.conn, &bytes);
    memcpy(b, "/n", 2);
    memcpy(b + 100, "bad\0target", 10);
    uint64_t sym[4] = { 0, 2, 100, 10 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_SYMLINK, sym, 4, out, 4), AE_EINVAL);   /* a NUL */
    uint64_t sym2[4] = { 0, 2, bytes - 4, 10 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_SYMLINK, sym2, 4, out, 4), AE_EFAULT);
    uint64_t sym3[4] = { 0, 2, 0, FS_PATH_MAX };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_SYMLINK, sym3, 4, out, 4), AE_ENAMETOOLONG);
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_SYMLINK, sym, 3, out, 4), AE_EPROTO);
    uint64_t ch[5] = { 0, 2, 1ull << 32, 0, 0 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_CHOWN, ch, 5, out, 4), AE_EINVAL);
    uint64_t cm[4] = { 0, 2, 0644, 0x10 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_CHMOD, cm, 4, out, 4), AE_EINVAL);
    uint64_t st4[3] = { 0, 2, 0x10 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_STAT, st4, 3, out, 4), AE_EINVAL);
    uint64_t rl[4] = { 0, 2, bytes, 1 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_READLINK, rl, 4, out, 4), AE_EFAULT);
    uint64_t fu[3] = { 12345, 0, 0 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_FUTIMENS, fu, 3, out, 4), AE_EBADF);
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_FSYNC, fu, 0, out, 4), AE_EPROTO);
    struct ae_fs admin_as_client;                                    /* no session behind it */
    ae_fs_init(&admin_as_client, ft_admin, 0);
    CHECK_EQ(ae_fs_symlink(&admin_as_client, "x", "/l"), AE_EPERM);
    CHECK_EQ(ae_fs_chmod(&admin_as_client, "/etc/motd", 0600), AE_EPERM);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(libc_links_modes_and_owners, "lstat, symlink, readlink, link, chmod, chown, lchown, O_NOFOLLOW from libc")
{
    const char *f = ft_path(t, "f"), *l = ft_path(t, "l"), *h = ft_path(t, "h");
    int fd = open(f, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "abc", 3), 3);
    CHECK_OK(close(fd));
    CHECK_OK(symlink("f", l));
    char buf[16] = { 0 };
    CHECK_EQ(readlink(l, buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'f');
    struct stat st;
    CHECK_OK(lstat(l, &st));
    CHECK(S_ISLNK(st.st_mode));
    CHECK_OK(stat(l, &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 3);
    CHECK(st.st_mtim.tv_sec > 1500000000);
    CHECK_ERRNO(open(l, O_RDONLY | O_NOFOLLOW), ELOOP);
    CHECK_OK(link(f, h));
    CHECK_OK(stat(h, &st));
    CHECK_EQ(st.st_nlink, 2);
    CHECK_OK(chmod(l, 0600));
    CHECK_OK(chown(f, 12, 34));
    CHECK_OK(lchown(l, 56, 78));
    CHECK_OK(stat(h, &st));
    CHECK(st.st_mode == (S_IFREG | 0600) && st.st_uid == 12 && st.st_gid == 34);
    CHECK_OK(lstat(l, &st));
    CHECK_EQ(st.st_uid, 56);
    CHECK_ERRNO(readlink(f, buf, sizeof buf), EINVAL);
    CHECK_ERRNO(symlink("x", f), EEXIST);
    CHECK_ERRNO(link(ft_path(t, ""), ft_path(t, "dir2")), EPERM);
}
