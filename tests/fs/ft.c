/*
 * ft.c — the fs test suite's harness and helpers (ft.h): it runs every
 * registered test in order, each with a fresh directory in the suite's
 * own session, prints a result line per test and the count at the end,
 * and then ends the QEMU run.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <aerie/fault.h>
#include <libaerie/invoke.h>
#include <libaerie/kdebug.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "image/img.h"
#include "ft.h"

uint64_t ft_admin, ft_fs;
static uint64_t image_cap, probe_fault_ep;
static struct img image;
static const uint8_t *image_base;

extern const struct ft_test __start_ft_tests[], __stop_ft_tests[];

void ft_fail(struct ft *t, const char *file, int line, const char *expr, int64_t got, int64_t want)
{
    if (t->failed)
        return;
    t->failed = true;
    snprintf(t->why, sizeof t->why, "%s:%d: %s (got %ld, want %ld)", file, line, expr, got, want);
}

/* One line on the kernel console, in one write so lines never mix. */
static void say(const char *fmt, ...)
{
    char line[320];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    ae_kdebug_write(ae_self.kdebug, line, (uint64_t)n);
}

void ft_sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

const char *ft_path(struct ft *t, const char *name)
{
    static char bufs[16][256];
    static unsigned next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0], "/%s/%s", t->name, name);
    return b;
}

uint64_t ft_stat(unsigned word)
{
    uint64_t s[FS_STAT_WORDS];
    return ae_fs_admin_stats(ft_admin, s) ? ~0ull : s[word];
}

int64_t ft_slurp(struct ae_fs *fs, const char *path, void *buf, uint64_t cap)
{
    uint64_t h;
    int r = ae_fs_open(fs, path, FS_O_RDONLY, 0, &h, NULL);
    if (r)
        return r;
    int64_t n = ae_fs_read(fs, h, 0, buf, cap);
    ae_fs_close(fs, h);
    return n;
}

int64_t ft_spill(struct ae_fs *fs, const char *path, const char *s)
{
    uint64_t h;
    int r = ae_fs_open(fs, path, FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644, &h, NULL);
    if (r)
        return r;
    int64_t n = ae_fs_write(fs, h, 0, s, strlen(s));
    ae_fs_close(fs, h);
    return n;
}

/* ---- sessions ------------------------------------------------------- */

int ft_session_open_spec(struct ft_session *s, const struct ae_fs_session_spec *spec)
{
    int r = ae_fs_admin_open_session(ft_admin, spec, &s->cap, &s->id);
    if (!r)
        ae_fs_init(&s->conn, s->cap, 0);
    return r;
}

int ft_session_open(struct ft_session *s, const char *image_path, uint64_t bytes, uint32_t inodes)
{
    struct ae_fs_session_spec spec = { .image = image_path, .data_bytes = bytes, .inodes = inodes };
    return ft_session_open_spec(s, &spec);
}

void ft_session_close(struct ft_session *s)
{
    ae_fs_fini(&s->conn);
    ae_fs_admin_close_session(ft_admin, s->id);
    ae_cap_delete(s->cap);
    ae_slot_free(s->cap);
}

/* ---- the boot image and the probe ------------------------------------ */

static bool map_image(void)
{
    uint64_t info[2];
    if (!image_cap || ae_invoke(image_cap, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return false;
    uint64_t va = ae_vm_reserve(info[0]);
    if (!va || ae_task_map(ae_self.task, image_cap, 0, va, info[0], AERIE_MAP_R) < 0)
        return false;
    image_base = (const uint8_t *)va;
    return img_open(&image, image_base, info[0], NULL) == 0;
}

const uint8_t *ft_boot_file(const char *path, uint64_t *size)
{
    int64_t i = img_lookup(&image, path, strlen(path));
    if (i < 0)
        return NULL;
    struct img_file f;
    img_get(&image, (uint32_t)i, &f);
    *size = f.size;
    return f.data ? f.data : (const uint8_t *)"";
}

int ft_probe_quota(struct ft_probe *p, uint64_t bytes)
{
    p->quota = ae_slot_alloc();
    int r = (int)ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, p->quota, bytes, 4, 64);
    if (r)
        ae_slot_free(p->quota);
    return r;
}

int ft_probe_start(struct ft_probe *p, const char *mode, uint64_t fs_cap)
{
    int r = ft_probe_quota(p, 4u << 20);
    return r ? r : ft_probe_start_in(p, mode, fs_cap);
}

int ft_probe_start_in(struct ft_probe *p, const char *mode, uint64_t fs_cap)
{
    int64_t i = img_lookup(&image, "images/fsprobe/prog", 19);
    if (i < 0)
        return AE_ENOENT;
    struct img_file f;
    img_get(&image, (uint32_t)i, &f);
    int64_t r;
    struct ae_grant g[5] = {
        { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 }, { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 },
        { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
        { "console", ae_capenv_lookup("console"), AERIE_R_WRITE, 0 },
        { "fs", fs_cap, AERIE_R_WRITE | AERIE_R_GRANT, 0 },
    };
    const char *argv[] = { "fsprobe", mode, NULL };
    struct ae_spawn_args a = {
        .quota = p->quota, .image = f.data, .image_len = f.size, .image_mem = image_cap,
        .image_off = f.data_offset, .argv = argv, .grants = g, .ngrants = fs_cap ? 5 : 4,
        .fault_ep = probe_fault_ep, .cpu = -1,
    };
    char err[160];
    r = ae_spawn(&a, &p->child, err, sizeof err);
    if (r) {
        say("fstest: spawning the probe: %s\n", err);
        ae_invoke0(p->quota, AERIE_QUOTA_DESTROY);
        ae_slot_free(p->quota);
    }
    return (int)r;
}

int ft_probe_wait(struct ft_probe *p, unsigned ms)
{
    (void)p;
    uint64_t badge;
    int64_t r = ae_recv(probe_fault_ep, (uint64_t)ms * 1000000, &badge);
    if (r < 0)
        return -1;
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
    return label == AERIE_FAULT_EXIT ? (int)ae_utcb()->mr[0] : -1;
}

void ft_probe_kill(struct ft_probe *p, bool quota_too)
{
    if (quota_too)
        ae_invoke0(p->quota, AERIE_QUOTA_DESTROY);
    else
        ae_invoke0(p->child.task, AERIE_TASK_DESTROY);
}

void ft_probe_reap(struct ft_probe *p)
{
    ae_invoke0(p->quota, AERIE_QUOTA_DESTROY);
    ae_cap_delete(p->child.task);
    ae_cap_delete(p->child.thread);
    ae_cap_delete(p->quota);
    ae_slot_free(p->child.task);
    ae_slot_free(p->child.thread);
    ae_slot_free(p->quota);
}

/* ---- the run --------------------------------------------------------- */

/* Tests run in the order they are written: files in link order, then by
 * line (the compiler may lay a file's registrations out backwards). */
static int file_rank(const char *file)
{
    int rank = 0;
    for (const struct ft_test *ts = __start_ft_tests; ts < __stop_ft_tests; ts++, rank++)
        if (!strcmp(ts->file, file))
            return rank;
    return rank;
}

static int by_position(const void *a, const void *b)
{
    const struct ft_test *x = *(const struct ft_test *const *)a, *y = *(const struct ft_test *const *)b;
    int rx = file_rank(x->file), ry = file_rank(y->file);
    return rx != ry ? rx - ry : x->line - y->line;
}

int main(void)
{
    ft_admin = ae_capenv_lookup("fs.admin");
    ft_fs = ae_capenv_lookup("fs");
    image_cap = ae_capenv_lookup("image");
    probe_fault_ep = ae_slot_alloc();
    if (!ae_self.kdebug || !ft_admin || !ft_fs || !map_image() ||
        ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, probe_fault_ep, 0, 0, 0) < 0) {
        printf("fstest: needs kdebug, fs, fs.admin and image\n");
        return 1;
    }
    size_t count = (size_t)(__stop_ft_tests - __start_ft_tests);
    const struct ft_test **order = malloc(count * sizeof *order);
    for (size_t i = 0; order && i < count; i++)
        order[i] = &__start_ft_tests[i];
    if (order)
        qsort(order, count, sizeof *order, by_position);
    unsigned n = 0, failed = 0;
    for (size_t i = 0; order && i < count; i++) {
        const struct ft_test *ts = order[i];
        struct ft t = { .name = ts->name };
        char dir[64];
        snprintf(dir, sizeof dir, "/%s", ts->name);
        if (mkdir(dir, 0755) < 0)
            ft_fail(&t, __FILE__, __LINE__, "mkdir of the test's directory", errno, 0);
        else
            ts->fn(&t);
        n++;
        failed += t.failed;
        if (t.failed)
            say("TEST FAIL %s: %s\n", ts->name, t.why);
        else
            say("TEST PASS %s\n", ts->name);
    }
    say("TESTS DONE %u\n", n);
    printf("fstest: %u tests, %u failed\n", n, failed);
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, failed ? 1 : 0);
    return failed != 0;
}
