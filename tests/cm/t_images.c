/*
 * t_images.c — imported images in cm (services/cm/images.c, CM_IMAGE_*),
 * driven the way ctl drives them, with the archive the build puts in the
 * boot image as tests/import.img (its config runs grantprobe on the
 * image's own /etc/motd). Only "cm.admin" may add or remove images or
 * take a container's fs session: "cm", a client's grant, is refused each
 * of them; what is imported runs, its files are served from the archive,
 * nothing half-imported is ever listed, an image in use is not removed,
 * and its staging memory is taken back at commit.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/proto.h>
#include <libaerie/cm.h>
#include <libaerie/fs.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "image/img.h"
#include "cmtest.h"

static char why[512];
#define EXPECT(cond) do { if (!(cond)) { snprintf(why, sizeof why, "%s:%d: %s", __FILE__, __LINE__, #cond); \
    return why; } } while (0)
#define EXPECT_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
    snprintf(why, sizeof why, "%s:%d: %s == %s: %lld != %lld", __FILE__, __LINE__, #a, #b, _a, _b); \
    return why; } } while (0)

static uint64_t admin;                 /* "cm.admin" */
static const uint8_t *archive;         /* tests/import.img in the boot image */
static uint64_t archive_len;

/* Finds tests/import.img in the boot image (granted "image"). */
static bool find_archive(void)
{
    static struct img boot;
    uint64_t mem = ae_capenv_lookup("image"), info[2];
    admin = ae_capenv_lookup("cm.admin");
    if (!mem || !admin || ae_invoke(mem, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return false;
    uint64_t va = ae_vm_reserve(info[0]);
    if (!va || ae_task_map(ae_self.task, mem, 0, va, info[0], AERIE_MAP_R) < 0 ||
        img_open(&boot, (const void *)va, info[0], NULL))
        return false;
    int64_t i = img_lookup(&boot, "tests/import.img", 16);
    struct img_file f;
    if (i < 0)
        return false;
    img_get(&boot, (uint32_t)i, &f);
    archive = f.data;
    archive_len = f.size;
    return true;
}

/* Imports bytes as name the way ctl does: begin, the staging memory
 * filled and written a piece at a time, then commit (or abort). Returns
 * commit's status, its message in err; *stage_left tells whether our copy
 * of the staging capability still names something after commit. */
static int import(const char *name, const uint8_t *bytes, uint64_t len, bool abort_it, char *err, size_t cap,
                  bool *stage_left)
{
    uint64_t stage;
    err[0] = 0;
    int r = ae_cm_image_begin(admin, name, len, &stage, err, cap);
    if (r)
        return r;
    uint64_t va = ae_vm_reserve(CM_IMAGE_STAGE);
    if (!va || ae_task_map(ae_self.task, stage, 0, va, CM_IMAGE_STAGE, AERIE_MAP_R | AERIE_MAP_W) < 0)
        return AE_ENOMEM;
    for (uint64_t off = 0; off < len && !r; off += CM_IMAGE_STAGE) {
        uint64_t n = len - off < CM_IMAGE_STAGE ? len - off : CM_IMAGE_STAGE;
        memcpy((void *)va, bytes + off, n);
        r = ae_cm_image_write(admin, name, off, n);
    }
    ae_task_unmap(ae_self.task, va, CM_IMAGE_STAGE);   /* before commit, which takes it back */
    ae_vm_release(va, CM_IMAGE_STAGE);
    if (!r)
        r = abort_it ? ae_cm_image_abort(admin, name) : ae_cm_image_commit(admin, name, err, cap);
    uint64_t badge;
    if (stage_left)
        *stage_left = ae_cap_info(stage, &badge) >= 0;
    ae_cap_delete(stage);
    ae_slot_free(stage);
    return r;
}

/* Whether name is listed (CM_IMAGE_INFO), with its program in prog. */
static bool listed(const char *name, char *prog, size_t cap)
{
    struct ae_cm_image im;
    for (unsigned i = 0; ae_cm_image_info(cmcap, i, &im) == 0; i++) {
        if (!strcmp(im.name, name)) {
            if (prog)
                snprintf(prog, cap, "%s", im.prog);
            return true;
        }
    }
    return false;
}

static const char *cm_image_ops_need_cm_admin(void)
{
    uint64_t slot;
    char err[100];
    EXPECT(find_archive());
    EXPECT_EQ(ae_cm_image_begin(cmcap, "sneaky", 4096, &slot, err, sizeof err), AE_EPERM);
    EXPECT_EQ(ae_cm_image_write(cmcap, "sneaky", 0, 1), AE_EPERM);
    EXPECT_EQ(ae_cm_image_commit(cmcap, "sneaky", err, sizeof err), AE_EPERM);
    EXPECT_EQ(ae_cm_image_abort(cmcap, "sneaky"), AE_EPERM);
    EXPECT_EQ(ae_cm_image_remove(cmcap, "hello", err, sizeof err), AE_EPERM);
    EXPECT_EQ(ae_cm_fs_session(cmcap, 1, &slot, err, sizeof err), AE_EPERM);
    uint64_t times[4], total = 0, id;
    size_t got = 0;
    char text[64];
    EXPECT_EQ(ae_cm_create(cmcap, "image=hello env=SECRET=x", 0, &id, err, sizeof err), 0);
    EXPECT_EQ(ae_cm_inspect(cmcap, id, 0, times, text, sizeof text, &total, &got), AE_EPERM);   /* its env */
    EXPECT(got == 0 && total == 0);
    EXPECT_EQ(ae_cm_inspect(admin, id, 0, times, text, sizeof text, &total, &got), 0);
    EXPECT(times[0] && !times[1] && !times[2] && times[3] >= times[0] && total > 0);
    EXPECT_EQ(ae_cm_inspect(admin, id, total + 1, times, text, sizeof text, &total, &got), AE_ERANGE);
    EXPECT_EQ(ae_cm_remove(cmcap, id), 0);
    EXPECT_EQ(ae_cm_inspect(admin, id, 0, times, text, sizeof text, &total, &got), AE_ESRCH);
    struct ae_cm_image im;
    EXPECT_EQ(ae_cm_image_info(cmcap, 0, &im), 0);              /* listing is a client's */
    EXPECT(!listed("sneaky", NULL, 0));
    return NULL;
}

static const char *cm_imported_image_runs_from_its_archive(void)
{
    char err[200], prog[128], log[512];
    bool stage_left = true;
    EXPECT_EQ(import("imp", archive, archive_len, false, err, sizeof err, &stage_left), 0);
    EXPECT(!stage_left);                                        /* revoked at commit */
    EXPECT(listed("imp", prog, sizeof prog));
    EXPECT(!strcmp(prog, "/bin/probe"));
    struct ae_cm_status st;
    EXPECT_EQ(run("image=imp grant=console,fs", &st, log, sizeof log, NULL), 0);
    EXPECT_EQ(st.state, CM_EXITED);
    EXPECT_EQ(st.exit_status, 0);
    EXPECT(strstr(log, "read /etc/motd: the imported image's motd") != NULL);
    EXPECT_EQ(run("image=imp grant=console,fs args=read entrypoint=/bin/probe", &st, log, sizeof log, NULL), 0);
    EXPECT(strstr(log, "usage") != NULL);                        /* entrypoint and args replace both */
    EXPECT(run("image=imp grant=console entrypoint=/etc/motd", &st, log, sizeof log, NULL) != 0);  /* no program */
    /* links of the image: a program called through one (argv[0] stays its
     * name), a file read through one, and the ones that lead nowhere */
    EXPECT_EQ(run("image=imp grant=console,fs entrypoint=/bin/sh args=\"read /etc/motdlink\"", &st, log, sizeof log,
                  NULL), 0);
    EXPECT_EQ(st.exit_status, 0);
    EXPECT(strstr(log, "read /etc/motdlink: the imported image's motd") != NULL);
    EXPECT_EQ(run("image=imp grant=console,fs entrypoint=/up args=\"read /etc/motd\"", &st, log, sizeof log, NULL), 0);
    EXPECT(strstr(log, "the imported image's motd") != NULL);     /* "../../.." stopped at the root */
    EXPECT_EQ(run("image=imp grant=console entrypoint=/bin/abs", &st, log, sizeof log, NULL), 0);
    EXPECT_EQ(run("image=imp grant=console entrypoint=/loop", &st, log, sizeof log, NULL), AE_ELOOP);
    EXPECT_EQ(run("image=imp grant=console entrypoint=/dang", &st, log, sizeof log, NULL), AE_ENOENT);
    EXPECT_EQ(ae_cm_image_remove(admin, "imp", err, sizeof err), 0);
    EXPECT(!listed("imp", NULL, 0));
    EXPECT_EQ(run("image=imp", &st, NULL, 0, NULL), AE_ENOENT);
    uint64_t before = free_pages();                              /* the second cycle: caches are warm */
    EXPECT_EQ(import("imp", archive, archive_len, false, err, sizeof err, NULL), 0);
    EXPECT_EQ(run("image=imp grant=console,fs", &st, log, sizeof log, NULL), 0);
    EXPECT_EQ(ae_cm_image_remove(admin, "imp", err, sizeof err), 0);
    EXPECT_EQ(free_pages(), before);                             /* every page of it came back */
    return NULL;
}

static const char *cm_image_in_use_is_not_removed(void)
{
    char err[200];
    uint64_t id, fs;
    EXPECT_EQ(import("used", archive, archive_len, false, err, sizeof err, NULL), 0);
    EXPECT_EQ(ae_cm_create(cmcap, "image=used grant=console,fs", 0, &id, err, sizeof err), 0);
    EXPECT_EQ(ae_cm_image_remove(admin, "used", err, sizeof err), AE_EBUSY);
    EXPECT(strstr(err, "is used by 1 container") != NULL);
    EXPECT_EQ(ae_cm_fs_session(admin, id, &fs, err, sizeof err), 0);   /* ctl's way to its files */
    struct ae_fs conn;
    struct ae_fs_stat stt;
    ae_fs_init(&conn, fs, 0);
    EXPECT_EQ(ae_fs_stat(&conn, "/etc/motd", &stt), 0);
    EXPECT_EQ(stt.size, 26);
    ae_fs_fini(&conn);
    EXPECT_EQ(ae_cm_remove(cmcap, id), 0);
    EXPECT(ae_cap_info(fs, &id) < 0);                            /* its session closed: our copy revoked */
    ae_slot_free(fs);
    EXPECT_EQ(ae_cm_image_remove(admin, "used", err, sizeof err), 0);
    EXPECT_EQ(ae_cm_fs_session(admin, 999999, &fs, err, sizeof err), AE_ESRCH);
    EXPECT_EQ(ae_cm_create(cmcap, "image=hello grant=console", 0, &id, err, sizeof err), 0);
    EXPECT_EQ(ae_cm_fs_session(admin, id, &fs, err, sizeof err), AE_EACCES);   /* no fs grant: no files */
    ae_cm_remove(cmcap, id);
    return NULL;
}

/* The archive with its config's text replaced (same length, padded). */
static const uint8_t *with_config(const char *text)
{
    static uint8_t copy[1 << 20];
    struct img img;
    if (archive_len > sizeof copy)
        return NULL;
    memcpy(copy, archive, archive_len);
    img_open(&img, copy, archive_len, NULL);
    int64_t i = img_lookup(&img, "config", 6);
    struct img_file f;
    img_get(&img, (uint32_t)i, &f);
    uint8_t *c = copy + f.data_offset;
    memset(c, '\n', f.size);
    memcpy(c, text, strlen(text) < f.size ? strlen(text) : f.size);
    return copy;
}

static const char *cm_bad_imports_refused_nothing_listed(void)
{
    static uint8_t noise[8192];
    char err[200];
    uint64_t slot;
    for (unsigned i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(i * 131 + 7);
    EXPECT_EQ(import("bad1", noise, sizeof noise, false, err, sizeof err, NULL), AE_EINVAL);
    EXPECT(strstr(err, "image archive: ") != NULL);
    EXPECT_EQ(import("bad2", with_config("cmd=/nothing\n"), archive_len, false, err, sizeof err, NULL), AE_ENOENT);
    EXPECT(strstr(err, "the program /nothing is not a file in the image") != NULL);
    EXPECT_EQ(import("bad6", with_config("cmd=/loop\n"), archive_len, false, err, sizeof err, NULL), AE_ELOOP);
    EXPECT(strstr(err, "the program /loop goes through more than 40 symbolic links") != NULL);
    EXPECT_EQ(import("bad7", with_config("cmd=/dang\n"), archive_len, false, err, sizeof err, NULL), AE_ENOENT);
    EXPECT(strstr(err, "the program /dang is a symbolic link to '/none', which leads nowhere") != NULL);
    EXPECT_EQ(import("link", with_config("cmd=/bin/sh\n"), archive_len, false, err, sizeof err, NULL), 0);
    EXPECT_EQ(ae_cm_image_remove(admin, "link", err, sizeof err), 0);
    EXPECT_EQ(import("bad3", with_config("garbage\n"), archive_len, false, err, sizeof err, NULL), AE_EINVAL);
    EXPECT(strstr(err, "config line 1: not key=value") != NULL);
    EXPECT_EQ(import("bad4", with_config("cmd=relative\n"), archive_len, false, err, sizeof err, NULL), AE_EINVAL);
    EXPECT(strstr(err, "is not an absolute path") != NULL);
    EXPECT_EQ(import("bad5", archive, archive_len, true, err, sizeof err, NULL), 0);   /* aborted */
    static const char *const names[] = { "bad1", "bad2", "bad3", "bad4", "bad5", "bad6", "bad7" };
    for (unsigned i = 0; i < 7; i++)
        EXPECT(!listed(names[i], NULL, 0));
    EXPECT_EQ(ae_cm_image_begin(admin, "Bad", 4096, &slot, err, sizeof err), AE_EINVAL);
    EXPECT_EQ(ae_cm_image_begin(admin, "-x", 4096, &slot, err, sizeof err), AE_EINVAL);
    EXPECT_EQ(ae_cm_image_begin(admin, "hello", 4096, &slot, err, sizeof err), AE_EEXIST);
    EXPECT(strstr(err, "is an image of the boot image") != NULL);
    EXPECT_EQ(ae_cm_image_begin(admin, "odd", 4097, &slot, err, sizeof err), AE_EINVAL);
    EXPECT_EQ(ae_cm_image_begin(admin, "zero", 0, &slot, err, sizeof err), AE_EINVAL);
    EXPECT_EQ(ae_cm_image_begin(admin, "huge", 1ull << 40, &slot, err, sizeof err), AE_ENOMEM);
    EXPECT_EQ(ae_cm_image_begin(admin, "past", 8192, &slot, err, sizeof err), 0);
    EXPECT_EQ(ae_cm_image_write(admin, "past", 4096, 8192), AE_ERANGE);
    EXPECT_EQ(ae_cm_image_write(admin, "past", 0, CM_IMAGE_STAGE + 1), AE_ERANGE);
    EXPECT_EQ(ae_cm_image_write(admin, "nosuch", 0, 1), AE_ENOENT);
    EXPECT_EQ(ae_cm_image_abort(admin, "past"), 0);
    EXPECT_EQ(ae_cm_image_commit(admin, "past", err, sizeof err), AE_ENOENT);
    ae_cap_delete(slot);
    ae_slot_free(slot);
    EXPECT_EQ(ae_cm_image_remove(admin, "hello", err, sizeof err), AE_ENOENT);   /* a boot image */
    return NULL;
}

/* CM_RENAME in raw words: a length and bytes as a hostile admin client
 * might send them (ae_cm_rename checks what it sends). */
static int rename_raw(uint64_t cap, uint64_t id, uint64_t len, const char *bytes, unsigned nwords)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = len;
    for (unsigned i = 2; i < nwords; i++)
        u->mr[i] = 0;
    memcpy(&u->mr[2], bytes, strlen(bytes) < (nwords - 2) * 8 ? strlen(bytes) : (nwords - 2) * 8);
    int64_t r = ae_call(cap, AERIE_INFO(CM_RENAME, nwords, 0), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return (int)r;
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);    /* a refusal before any handler: in the label */
    return label ? proto_status_of(label) : (int)(int64_t)u->mr[0];
}

/* A container's name is how the operator finds it (aerie kill NAME): only
 * cm.admin renames, to a name no other container has, that reads back as
 * it; the refused renames leave every name as it was. */
static const char *cm_rename_needs_cm_admin(void)
{
    char err[200], info[80];
    uint64_t a, b;
    EXPECT_EQ(ae_cm_create(cmcap, "image=hello name=rena", 0, &a, err, sizeof err), 0);
    EXPECT_EQ(ae_cm_create(cmcap, "image=hello name=renb", 0, &b, err, sizeof err), 0);
    EXPECT_EQ(ae_cm_rename(cmcap, a, "stolen", err, sizeof err), AE_EPERM);      /* cm, not cm.admin */
    EXPECT_EQ(ae_cm_rename(admin, a, "renb", err, sizeof err), AE_EEXIST);       /* b's */
    EXPECT(strstr(err, "already in use by container") != NULL);
    EXPECT_EQ(ae_cm_rename(admin, a, "rena", err, sizeof err), AE_EINVAL);       /* its own */
    EXPECT_EQ(ae_cm_rename(admin, 999999, "ghost", err, sizeof err), AE_ESRCH);
    EXPECT_EQ(rename_raw(admin, a, 0, "", 3), AE_EINVAL);                         /* empty */
    EXPECT_EQ(rename_raw(admin, a, 32, "abcdefghijklmnopqrstuvwxyzabcdef", 6), AE_EINVAL);   /* too long */
    EXPECT_EQ(rename_raw(admin, a, 20, "short", 3), AE_EINVAL);                   /* past its words */
    EXPECT_EQ(rename_raw(admin, a, ~0ull, "x", 3), AE_EINVAL);
    EXPECT_EQ(rename_raw(admin, a, 2, "9a", 3), AE_EINVAL);                       /* an id lookalike */
    EXPECT_EQ(rename_raw(admin, a, 3, "a b", 3), AE_EINVAL);
    EXPECT_EQ(rename_raw(admin, a, 3, "a\033[", 3), AE_EINVAL);
    EXPECT_EQ(rename_raw(admin, a, 4, "ab\0c", 3), AE_EINVAL);                    /* a NUL inside */
    EXPECT_EQ(rename_raw(cmcap, a, 4, "newa", 3), AE_EPERM);
    EXPECT_EQ(ae_cm_info(cmcap, a, info, sizeof info), 0);
    EXPECT(!strcmp(info, "hello rena"));                                           /* unchanged */
    EXPECT_EQ(ae_cm_rename(admin, a, "newa", err, sizeof err), 0);
    EXPECT_EQ(ae_cm_info(cmcap, a, info, sizeof info), 0);
    EXPECT(!strcmp(info, "hello newa"));
    uint64_t c, d;
    EXPECT_EQ(ae_cm_create(cmcap, "image=hello name=rena", 0, &c, err, sizeof err), 0);   /* the old name is free */
    EXPECT_EQ(ae_cm_create(cmcap, "image=hello name=newa", 0, &d, err, sizeof err), AE_EEXIST);
    EXPECT_EQ(ae_cm_remove(cmcap, a), 0);
    EXPECT_EQ(ae_cm_remove(cmcap, b), 0);
    EXPECT_EQ(ae_cm_remove(cmcap, c), 0);
    return NULL;
}

const struct cm_image_test cm_image_tests[] = {
    { "cm_image_ops_need_cm_admin", cm_image_ops_need_cm_admin },
    { "cm_rename_needs_cm_admin", cm_rename_needs_cm_admin },
    { "cm_imported_image_runs_from_its_archive", cm_imported_image_runs_from_its_archive },
    { "cm_image_in_use_is_not_removed", cm_image_in_use_is_not_removed },
    { "cm_bad_imports_refused_nothing_listed", cm_bad_imports_refused_nothing_listed },
    { NULL, NULL },
};
