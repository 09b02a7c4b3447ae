/*
 * t_robust.c — what must not hurt the fs service or its other clients:
 * limits reached (ENOSPC, and nothing stored is lost), malformed
 * requests, a program with no grant, clients killed in the middle of
 * writing (their task destroyed, or their quota, so their buffer vanishes
 * under the service), and a buffer destroyed before a request.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ft.h"

#define KiB 1024ull
#define MiB (1ull << 20)
#define CHUNK (64 * KiB)

FSTEST(limits_give_enospc_and_keep_files, "data and inode limits: ENOSPC, short writes, nothing lost")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, 64 * KiB, 6));
    struct ae_fs *saved = ae_fs_default();
    ae_fs_set_default(&s.conn);                      /* libc now works in this session */
    int fd = open("/keep", O_WRONLY | O_CREAT, 0644);
    bool ok = fd >= 0 && write(fd, "precious", 8) == 8 && close(fd) == 0;
    static char big[128 * KiB];
    memset(big, 'b', sizeof big);
    fd = open("/big", O_RDWR | O_CREAT, 0644);
    ssize_t first = write(fd, big, sizeof big);
    errno = 0;
    ssize_t second = write(fd, big, 4096);
    int second_errno = errno;
    struct stat st;
    int fst = fstat(fd, &st);
    close(fd);
    char buf[16] = { 0 };
    fd = open("/keep", O_RDONLY);
    ssize_t kept = read(fd, buf, sizeof buf);
    close(fd);
    int created = 0, create_errno = 0;
    for (int i = 0; i < 10 && !create_errno; i++) {
        char name[16] = "/f0";
        name[2] = (char)('0' + i);
        int f = open(name, O_WRONLY | O_CREAT, 0644);
        if (f < 0)
            create_errno = errno;
        else
            created++, close(f);
    }
    int mkdir_errno = mkdir("/d", 0755) < 0 ? errno : 0;
    int unlinked = unlink("/big");
    int again = open("/again", O_WRONLY | O_CREAT, 0644);
    ae_fs_set_default(saved);
    CHECK(ok);
    CHECK(first > 0 && first < (ssize_t)sizeof big);  /* what fit */
    CHECK_EQ(second, -1);
    CHECK_EQ(second_errno, ENOSPC);
    CHECK_OK(fst);
    CHECK_EQ(st.st_size, first);
    CHECK_EQ(kept, 8);
    CHECK(!strcmp(buf, "precious"));
    CHECK_EQ(created, 6 - 2);                        /* /keep and /big hold two inodes */
    CHECK_EQ(create_errno, ENOSPC);
    CHECK_EQ(mkdir_errno, ENOSPC);
    CHECK_OK(unlinked);
    CHECK(again >= 0);
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

/* Sends a request with one capability straight through the session cap. */
static int64_t call_with_cap(uint64_t cap, uint64_t label, uint64_t give)
{
    struct aerie_utcb *u = ae_utcb();
    u->caps[0] = (uint32_t)give;
    int64_t r = ae_call(cap, AERIE_INFO(label, 0, give ? 1 : 0), AERIE_TIMEOUT_FOREVER);
    return r < 0 ? r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

FSTEST(malformed_requests_get_errors, "unknown opcodes, short messages, bad ranges, bad attaches")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 16));
    struct ae_fs_stat st;
    CHECK_OK(ae_fs_stat(&s.conn, "/", &st));          /* attached */
    uint64_t bytes, out[8], w[4] = { 0, 0, 0, 0 };
    ae_fs_buffer(&s.conn, &bytes);
    CHECK_EQ(ae_fs_request(&s.conn, 99, w, 4, out, 8), AE_ENOSYS);
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_COUNT, w, 4, out, 8), AE_ENOSYS);
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_ATTACH - 1, w, 4, out, 8), AE_ENOSYS);
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_READ, w, 2, out, 8), AE_EPROTO);
    uint64_t range[4] = { 0, 0, bytes - 8, 16 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_READ, range, 4, out, 8), AE_EFAULT);
    uint64_t wrap[4] = { 0, 0, ~0ull - 4, 16 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_WRITE, wrap, 4, out, 8), AE_EFAULT);
    uint64_t longpath[2] = { 0, 5000 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_STAT, longpath, 2, out, 8), AE_ENAMETOOLONG);
    uint64_t outside[2] = { bytes, 1 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_STAT, outside, 2, out, 8), AE_EFAULT);
    uint64_t flags[4] = { 0, 0, 0x8000, 0 };
    CHECK_EQ(ae_fs_request(&s.conn, FS_OP_OPEN, flags, 4, out, 8), AE_EINVAL);
    CHECK_EQ(call_with_cap(s.cap, FS_OP_ATTACH, 0), AE_EPROTO);
    CHECK_EQ(call_with_cap(s.cap, FS_OP_ATTACH, s.cap), AE_ETYPE);   /* not memory */
    uint64_t small;
    void *p = ae_mem_map_new(4096, &small);
    CHECK(p != NULL);
    CHECK_EQ(call_with_cap(s.cap, FS_OP_ATTACH, small), AE_EINVAL);  /* below FS_SHBUF_MIN */
    ae_mem_unmap_delete(p, 4096, small);
    CHECK_OK(ae_fs_stat(&s.conn, "/etc/motd", &st));  /* the old buffer still serves */
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ft_session_close(&s);
}

FSTEST(program_without_fs_grant_can_do_nothing, "a container given no fs: EACCES from every file call")
{
    struct ft_probe p;
    CHECK_OK(ft_probe_start(&p, "noaccess", 0));
    int status = ft_probe_wait(&p, 20000);
    ft_probe_reap(&p);
    CHECK_EQ(status, 0);
}

FSTEST(container_program_uses_its_session, "a program spawned with a session writes with stdio, reads its image")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, FT_IMAGE, MiB, 16));
    struct ft_probe p;
    CHECK_OK(ft_probe_start(&p, "write", s.cap));
    int status = ft_probe_wait(&p, 20000);
    ft_probe_reap(&p);
    CHECK_EQ(status, 0);
    char buf[64] = { 0 };
    uint64_t size;
    CHECK_EQ(ae_fs_admin_read(ft_admin, s.id, "/out.txt", 0, buf, sizeof buf - 1, &size), 19);
    CHECK(!strcmp(buf, "written by fsprobe\n"));
    ft_session_close(&s);
}

/* How many 64 KiB pieces of the writer's /log differ from its pattern.
 * Read with the admin operations: attaching a buffer of our own would
 * let a request of the dead writer still in flight use it. */
static int bad_chunks(uint32_t id, int *read_err)
{
    static unsigned char buf[CHUNK];
    int bad = 0;
    *read_err = 0;
    for (unsigned c = 0; c < 16; c++) {
        uint64_t size;
        int64_t n = ae_fs_admin_read(ft_admin, id, "/log", c * CHUNK, buf, CHUNK, &size);
        if (n != (int64_t)CHUNK) {
            *read_err = n < 0 ? (int)n : AE_ERANGE;       /* short */
            break;
        }
        for (unsigned j = 0; j < CHUNK; j++) {
            if (buf[j] != (unsigned char)((c * CHUNK + j) * 7 % 251)) {
                bad++;
                break;
            }
        }
    }
    return bad;
}

/* Starts the writer in a new session, lets it fill /log and keep going,
 * then kills it; checks that the service still serves everyone and that
 * the file is whole (at most `tolerate` pieces hold a vanished buffer's
 * stand-in zeros). */
static void kill_writer(struct ft *t, bool quota_too, int tolerate)
{
    struct ft_session s, other;
    CHECK_OK(ft_session_open(&s, NULL, 4 * MiB, 16));
    CHECK_OK(ft_session_open(&other, FT_IMAGE, MiB, 16));
    uint64_t pages = ft_stat(FS_STAT_DATA_PAGES), size = 0;
    struct ft_probe p;
    int started = ft_probe_start(&p, "writer", s.cap);
    char c;
    for (int i = 0; !started && i < 1000 && size < 16 * CHUNK; i++) {
        ft_sleep_ms(20);
        if (ae_fs_admin_read(ft_admin, s.id, "/log", 0, &c, 1, &size) < 0)
            size = 0;
    }
    ft_sleep_ms(30);                                 /* it is rewriting now */
    if (!started)
        ft_probe_kill(&p, quota_too);
    struct ae_fs_stat st;
    int served = ae_fs_stat(&other.conn, "/etc/motd", &st);  /* others are served */
    int checked = ae_fs_admin_check(ft_admin, s.id);
    int err, bad = bad_chunks(s.id, &err);
    if (!started)
        ft_probe_reap(&p);
    ft_session_close(&s);
    ft_session_close(&other);
    CHECK_OK(started);
    CHECK_EQ(size, 16 * CHUNK);
    CHECK_OK(served);
    CHECK_OK(checked);
    CHECK_OK(err);
    CHECK(bad <= tolerate);
    CHECK_EQ(ft_stat(FS_STAT_DATA_PAGES), pages);
}

FSTEST(client_task_destroyed_mid_write, "a writer's task destroyed while it writes: files whole, fs serving")
{
    for (int round = 0; round < 2 && !t->failed; round++)
        kill_writer(t, false, 0);
}

FSTEST(client_quota_destroyed_mid_write, "a writer's quota destroyed (its buffer vanishes under the fs)")
{
    for (int round = 0; round < 3 && !t->failed; round++)
        kill_writer(t, true, 1);
}

FSTEST(vanished_buffer_is_recovered_not_fatal, "a buffer destroyed before a request: the request ends, then EDEAD")
{
    struct ft_session s;
    CHECK_OK(ft_session_open(&s, NULL, MiB, 16));
    uint64_t q = ae_slot_alloc(), mem = ae_slot_alloc();
    CHECK_OK(ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q, 256 * KiB, 0, 4));
    CHECK_OK(ae_quota_create(q, AERIE_OBJ_MEMORY, mem, 64 * KiB, 0, 0));
    uint64_t va = ae_vm_reserve(64 * KiB);
    CHECK_OK(ae_task_map(ae_self.task, mem, 0, va, 64 * KiB, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_EQ(call_with_cap(s.cap, FS_OP_ATTACH, mem), 0);
    struct ae_fs raw;
    ae_fs_init(&raw, s.cap, 0);
    raw.buf = (uint8_t *)va;                         /* ours, made by hand */
    raw.buf_bytes = 64 * KiB;
    memcpy(raw.buf, "f", 1);
    uint64_t w[4] = { 0, 1, FS_O_RDWR | FS_O_CREAT, 0644 }, out[8];
    CHECK_OK(ae_fs_request(&raw, FS_OP_OPEN, w, 4, out, 8));
    uint64_t h = out[0];
    memset(raw.buf, 'A', 8192);
    uint64_t wr[4] = { h, 0, 0, 8192 };
    CHECK_OK(ae_fs_request(&raw, FS_OP_WRITE, wr, 4, out, 1));
    CHECK_EQ(out[0], 8192);
    uint64_t faults = ft_stat(FS_STAT_BUFFER_FAULTS);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));    /* the buffer is gone, from both tasks */
    CHECK_OK(ae_fs_request(&raw, FS_OP_WRITE, wr, 4, out, 1));
    CHECK_EQ(out[0], 8192);                          /* it finished, on stand-in pages */
    CHECK(ft_stat(FS_STAT_BUFFER_FAULTS) >= faults + 1);
    CHECK_EQ(ae_fs_request(&raw, FS_OP_FSTAT, &h, 1, out, 8), AE_EDEAD);
    struct ae_fs fresh;                              /* a new buffer brings the session back */
    ae_fs_init(&fresh, s.cap, 0);
    char back[16];
    CHECK_EQ(ae_fs_read(&fresh, h, 0, back, sizeof back), sizeof back);
    for (unsigned i = 0; i < sizeof back; i++)
        CHECK_EQ(back[i], 0);                        /* zeros: never another client's bytes */
    CHECK_OK(ae_fs_admin_check(ft_admin, s.id));
    ae_fs_fini(&fresh);
    ae_cap_delete(q);
    ae_cap_delete(mem);
    ae_slot_free(q);
    ae_slot_free(mem);
    ft_session_close(&s);
}

FSTEST(fs_service_survived_everything, "the suite's own session from the start is still there: no restart")
{
    struct stat st;
    CHECK_OK(stat("/libc_open_creates_excludes_truncates/c", &st));
    CHECK_GE(ft_stat(FS_STAT_REQUESTS), 1000);
}
