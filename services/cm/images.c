/*
 * images.c — boot and imported images (see images.h). An import is
 * begun (a Memory object of the archive's size, from cm's own quota, so
 * an image larger than the guest can hold is refused there, and a
 * staging Memory of CM_IMAGE_STAGE bytes that ctl writes the archive
 * through, a piece at a time), written (each piece copied from the
 * staging memory into the image: ctl never holds the image itself, so
 * nothing can change it after it was checked), and committed: only an
 * archive that validates, whose config parses and whose program is a file
 * in it becomes runnable. Until then, and after an abort, nothing of it
 * is visible; the staging memory goes at commit or abort, revoked from
 * ctl first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <aerie/errors.h>
#include <libaerie/fs.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "cm.h"
#include "images.h"

enum { SLOT_FREE = 0, SLOT_LOADING, SLOT_READY };

struct imported {
    int state;
    char name[SPEC_NAME_MAX];
    uint64_t mem, size, bytes;           /* the Memory object; archive bytes; mapped bytes */
    uint8_t *base;
    uint64_t stage;                      /* the staging Memory while loading, or 0 */
    uint8_t *stage_base;
    struct img archive;
    struct imgcfg cfg;
    unsigned users;                      /* containers not yet removed */
};

static struct imported table[CM_IMAGES_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len > CM_NAME_MAX || s[0] == '.' || s[0] == '-' || s[0] == '_')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool in_boot_image(const char *name)
{
    char path[SPEC_NAME_MAX + 16];
    snprintf(path, sizeof path, "images/%s/prog", name);
    return img_lookup(&cm.image, path, strlen(path)) >= 0;
}

/* lock held */
static struct imported *find(const char *name, size_t len)
{
    for (unsigned i = 0; i < CM_IMAGES_MAX; i++)
        if (table[i].state != SLOT_FREE && strlen(table[i].name) == len && !memcmp(table[i].name, name, len))
            return &table[i];
    return NULL;
}

/* The staging memory goes, and with it every copy ctl was given (and
 * its mapping of it). lock held. */
static void stage_free(struct imported *m)
{
    if (!m->stage)
        return;
    ae_cap_revoke(m->stage);
    if (m->stage_base)
        ae_mem_unmap_delete(m->stage_base, CM_IMAGE_STAGE, m->stage);
    else {
        ae_cap_delete(m->stage);
        ae_slot_free(m->stage);
    }
    m->stage = 0;
    m->stage_base = NULL;
}

/* Maps a new Memory of bytes from cm's quota read-write: 0, or AE_ENOMEM. */
static int mem_new(uint64_t bytes, uint64_t *slot, uint8_t **base)
{
    *slot = ae_slot_alloc();
    uint64_t va = ae_vm_reserve(bytes);
    if (*slot && va && ae_quota_create(cm.quota, AERIE_OBJ_MEMORY, *slot, bytes, 0, 0) == 0) {
        if (ae_task_map(ae_self.task, *slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) == 0) {
            *base = (uint8_t *)va;
            return 0;
        }
        ae_cap_delete(*slot);
    }
    if (va)
        ae_vm_release(va, bytes);
    if (*slot)
        ae_slot_free(*slot);
    *slot = 0;
    return AE_ENOMEM;
}

/* Drops everything the slot holds. lock held. */
static void slot_free(struct imported *m)
{
    stage_free(m);
    if (m->base)
        ae_mem_unmap_delete(m->base, m->bytes, m->mem);
    else if (m->mem) {
        ae_cap_delete(m->mem);
        ae_slot_free(m->mem);
    }
    memset(m, 0, sizeof *m);
}

/* ---- using an image ---- */

int images_acquire(const char *name, struct image_use *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (in_boot_image(name)) {
        u->archive = &cm.image;
        u->mem = cm.image_mem;
        snprintf(u->prog, sizeof u->prog, "images/%s/prog", name);
        snprintf(u->fs_root, sizeof u->fs_root, "images/%s/files", name);
        return 0;
    }
    pthread_mutex_lock(&lock);
    struct imported *m = find(name, strlen(name));
    if (m && m->state == SLOT_READY) {
        m->users++;
        u->archive = &m->archive;
        u->mem = m->mem;
        u->cfg = &m->cfg;
        snprintf(u->prog, sizeof u->prog, "files%s", imgcfg_program(&m->cfg));
        snprintf(u->fs_root, sizeof u->fs_root, "@%s/files", name);
    }
    pthread_mutex_unlock(&lock);
    if (u->archive)
        return 0;
    snprintf(err, errlen, "image: no image '%s' (aerie images lists them)", name);
    return AE_ENOENT;
}

bool images_is_imported(const char *name)
{
    pthread_mutex_lock(&lock);
    struct imported *m = in_boot_image(name) ? NULL : find(name, strlen(name));
    bool ready = m && m->state == SLOT_READY;
    pthread_mutex_unlock(&lock);
    return ready;
}

void images_release(const char *name)
{
    pthread_mutex_lock(&lock);
    struct imported *m = find(name, strlen(name));
    if (m && m->users)
        m->users--;
    pthread_mutex_unlock(&lock);
}

static bool same_key(const char *a, const char *b)
{
    while (*a && *a == *b && *a != '=')
        a++, b++;
    return *a == '=' && *b == '=';
}

static bool env_has(const char *const *envp, unsigned n, const char *key)
{
    for (unsigned i = 0; i < n; i++)
        if (same_key(envp[i], key))
            return true;
    return false;
}

/* What docker run gives a program whose image and spec did not say:
 * shells and execvp look programs up in PATH, and many programs find
 * their dotfiles through HOME (the container runs as root). */
static unsigned env_defaults(struct image_args *a, unsigned n)
{
    static const char *const defaults[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
    };
    for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!env_has(a->envp, n, defaults[i]))
            a->envp[n++] = defaults[i];
    return n;
}

static void image_env(const struct spec *s, const struct imgcfg *cfg, struct image_args *a)
{
    unsigned n = 0;
    bool pwd = false;
    for (unsigned i = 0; i < cfg->nenv; i++) {
        bool overridden = false;
        for (unsigned j = 0; j < s->nenv; j++)
            overridden |= same_key(cfg->env[i], spec_env(s, j));
        if (!overridden)
            a->envp[n++] = cfg->env[i];
    }
    for (unsigned j = 0; j < s->nenv; j++) {
        a->envp[n++] = spec_env(s, j);
        pwd |= !strncmp(spec_env(s, j), "PWD=", 4);
    }
    for (unsigned i = 0; i < n && !pwd; i++)
        pwd = !strncmp(a->envp[i], "PWD=", 4);
    if (cfg->workdir[0] && !pwd) {
        snprintf(a->pwd, sizeof a->pwd, "PWD=%s", cfg->workdir);
        a->envp[n++] = a->pwd;
    }
    n = env_defaults(a, n);
    a->envp[n] = 0;
}

/* A boot image's program gets the image's name as argv[0], the spec's
 * arguments and environment. */
static void boot_args(const struct spec *s, struct image_args *a)
{
    unsigned n = 0;
    a->argv[n++] = s->image;
    for (unsigned i = 0; i < s->nargs; i++)
        a->argv[n++] = spec_arg(s, i);
    a->argv[n] = 0;
    for (unsigned i = 0; i < s->nenv; i++)
        a->envp[i] = spec_env(s, i);
    a->envp[s->nenv] = 0;
}

int images_program(const struct spec *s, struct image_use *u, struct image_args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (!u->cfg) {
        if (s->entrypoint[0]) {
            snprintf(err, errlen, "entrypoint: image '%s' is built in: its program is fixed", s->image);
            return AE_EINVAL;
        }
        boot_args(s, a);
        return 0;
    }
    const struct imgcfg *cfg = u->cfg;
    unsigned n = 0, total;
    if (s->entrypoint[0]) {
        a->argv[n++] = s->entrypoint;
        total = 1 + s->nargs;
    } else {
        total = cfg->nentry + (s->nargs ? s->nargs : cfg->ncmd);
    }
    if (total == 0 || total > IMAGES_ARGV_MAX) {
        snprintf(err, errlen, "args: the program and its arguments are %u words: 1 to %d", total, IMAGES_ARGV_MAX);
        return AE_EINVAL;
    }
    for (unsigned i = 0; !s->entrypoint[0] && i < cfg->nentry; i++)
        a->argv[n++] = cfg->entry[i];
    for (unsigned i = 0; i < s->nargs; i++)
        a->argv[n++] = spec_arg(s, i);
    for (unsigned i = 0; !s->nargs && !s->entrypoint[0] && i < cfg->ncmd; i++)
        a->argv[n++] = cfg->cmd[i];
    a->argv[n] = 0;
    if (a->argv[0][0] != '/') {
        snprintf(err, errlen, "args: the program '%.60s' must be an absolute path in the image", a->argv[0]);
        return AE_EINVAL;
    }
    snprintf(u->prog, sizeof u->prog, "files%s", a->argv[0]);
    image_env(s, cfg, a);
    return 0;
}

int images_find_program(const struct img *a, bool files, const char *path, struct img_file *f,
                        char *err, size_t errlen)
{
    size_t len = strlen(path);
    int64_t at = files ? img_resolve(a, "files", 5, path, len, IMAGES_LINK_HOPS) : img_lookup(a, path, len);
    if (at >= 0) {
        img_get(a, (uint32_t)at, f);
        if (f->type == AE_IMAGE_FILE)
            return 0;
    }
    if (at == AE_ELOOP) {
        snprintf(err, errlen, "the program %.100s goes through more than %d symbolic links (a loop?)", path,
                 IMAGES_LINK_HOPS);
        return AE_ELOOP;
    }
    /* a link itself there, but nothing (or no file) where it leads */
    char lit[IMGCFG_STR + 8];
    snprintf(lit, sizeof lit, "files%s", path);
    int64_t self = files && path[0] == '/' ? img_lookup(a, lit, strlen(lit)) : -1;
    struct img_file l;
    if (self >= 0)
        img_get(a, (uint32_t)self, &l);
    if (self >= 0 && l.type == AE_IMAGE_SYMLINK && at < 0)
        snprintf(err, errlen, "the program %.100s is a symbolic link to '%.*s', which leads nowhere in the image",
                 path, (int)(l.size < 100 ? l.size : 100), (const char *)l.data);
    else
        snprintf(err, errlen, "the program %.100s is not a file in the image", path);
    return AE_ENOENT;
}

/* ---- importing ---- */

int images_begin(const char *name, size_t len, uint64_t size, uint64_t *stage, char *err, size_t errlen)
{
    char n[SPEC_NAME_MAX];
    if (!valid_name(name, len)) {
        snprintf(err, errlen, "image name: 1 to %d of a-z 0-9 - _ . (starting with a letter or digit)",
                 CM_NAME_MAX);
        return AE_EINVAL;
    }
    memcpy(n, name, len);
    n[len] = 0;
    if (in_boot_image(n)) {
        snprintf(err, errlen, "image name: '%s' is an image of the boot image", n);
        return AE_EEXIST;
    }
    if (size == 0 || size % 4096) {
        snprintf(err, errlen, "image: an archive's size is a non-zero multiple of 4096, not %lu", size);
        return AE_EINVAL;
    }
    pthread_mutex_lock(&lock);
    int r = 0;
    struct imported *m = find(name, len);
    if (m && m->state == SLOT_LOADING) {
        slot_free(m);                    /* an earlier load that never ended */
        m = NULL;
    }
    if (m) {
        snprintf(err, errlen, "image name: '%s' exists (aerie rmi it first)", n);
        r = AE_EEXIST;
    }
    for (unsigned i = 0; !r && !m && i < CM_IMAGES_MAX; i++)
        if (table[i].state == SLOT_FREE)
            m = &table[i];
    if (!r && !m) {
        snprintf(err, errlen, "image: cm holds %d imported images already", CM_IMAGES_MAX);
        r = AE_ELIMIT;
    }
    if (!r && (mem_new(size, &m->mem, &m->base) || mem_new(CM_IMAGE_STAGE, &m->stage, &m->stage_base))) {
        snprintf(err, errlen, "image: %lu bytes do not fit in the memory the container manager has left",
                 size);
        slot_free(m);
        r = AE_ENOMEM;
    }
    if (!r) {
        m->state = SLOT_LOADING;
        memcpy(m->name, n, len + 1);
        m->size = m->bytes = size;
        *stage = ae_slot_alloc();            /* the caller's to send: derived from ours, so revoked with it */
        if (ae_cap_copy(m->stage, *stage, AERIE_R_ALL, 0) < 0) {
            ae_slot_free(*stage);
            slot_free(m);
            snprintf(err, errlen, "image: the container manager is out of capability slots");
            r = AE_ENOMEM;
        }
    }
    pthread_mutex_unlock(&lock);
    return r;
}

int images_write(const char *name, size_t len, uint64_t off, uint64_t n)
{
    pthread_mutex_lock(&lock);
    struct imported *m = find(name, len);
    int r = !m || m->state != SLOT_LOADING ? AE_ENOENT
          : n > CM_IMAGE_STAGE || off > m->size || n > m->size - off ? AE_ERANGE : 0;
    if (!r)
        memcpy(m->base + off, m->stage_base, n);
    pthread_mutex_unlock(&lock);
    return r;
}

/* Checks the whole archive: it validates, has a config that parses and
 * names a program that is a file in it (through links). lock held. */
static int check(struct imported *m, char *err, size_t errlen)
{
    struct img_error e;
    if (img_open(&m->archive, m->base, m->size, &e)) {
        snprintf(err, errlen, "image archive: %s: %s", e.field, e.reason);
        return AE_EINVAL;
    }
    int64_t ci = img_lookup(&m->archive, "config", 6), fi = img_lookup(&m->archive, "files", 5);
    struct img_file f;
    if (ci < 0 || fi < 0) {
        snprintf(err, errlen, "image archive: it has no %s", ci < 0 ? "config" : "files/");
        return AE_EINVAL;
    }
    img_get(&m->archive, (uint32_t)ci, &f);
    if (f.type != AE_IMAGE_FILE || imgcfg_parse((const char *)f.data, f.size, &m->cfg, err, errlen))
        return AE_EINVAL;
    if (imgcfg_program(&m->cfg)[0] != '/') {
        snprintf(err, errlen, "config: the program '%.60s' is not an absolute path in the image",
                 imgcfg_program(&m->cfg));
        return AE_EINVAL;
    }
    char why[200];
    int r = images_find_program(&m->archive, true, imgcfg_program(&m->cfg), &f, why, sizeof why);
    if (r)
        snprintf(err, errlen, "config: %s", why);
    return r;
}

int images_commit(const char *name, size_t len, char *err, size_t errlen)
{
    pthread_mutex_lock(&lock);
    struct imported *m = find(name, len);
    int r = m && m->state == SLOT_LOADING ? check(m, err, errlen) : AE_ENOENT;
    if (r == AE_ENOENT && !err[0])
        snprintf(err, errlen, "image: no load of that name under way");
    if (!r && cm.fs_admin) {
        uint64_t ro = ae_slot_alloc();
        r = (int)ae_cap_copy(m->mem, ro, AERIE_R_READ | AERIE_R_GRANT, 0);
        if (!r)
            r = ae_fs_admin_archive_add(cm.fs_admin, m->name, ro);
        ae_cap_delete(ro);
        ae_slot_free(ro);
        if (r)
            snprintf(err, errlen, "image: the fs service did not take its files (error %d)", r);
    }
    if (!r) {
        stage_free(m);
        m->state = SLOT_READY;
    } else if (m && m->state == SLOT_LOADING) {
        slot_free(m);                    /* nothing half-imported stays */
    }
    pthread_mutex_unlock(&lock);
    return r;
}

int images_abort(const char *name, size_t len)
{
    pthread_mutex_lock(&lock);
    struct imported *m = find(name, len);
    int r = m && m->state == SLOT_LOADING ? 0 : AE_ENOENT;
    if (!r)
        slot_free(m);
    pthread_mutex_unlock(&lock);
    return r;
}

int images_remove(const char *name, size_t len, char *err, size_t errlen)
{
    pthread_mutex_lock(&lock);
    struct imported *m = find(name, len);
    int r = 0;
    char n[CM_NAME_MAX + 1];
    bool boot = !m && len <= CM_NAME_MAX && valid_name(name, len);
    if (boot) {
        memcpy(n, name, len);
        n[len] = 0;
        boot = in_boot_image(n);
    }
    if (boot) {                                  /* said so: "no image" would puzzle whoever just ran it */
        snprintf(err, errlen, "'%s' is an image of the boot image (built in): only imported images are removed", n);
        r = AE_ENOENT;
    } else if (!m || m->state != SLOT_READY) {
        snprintf(err, errlen, "no imported image '%.*s'", (int)(len < 40 ? len : 40), name);
        r = AE_ENOENT;
    } else if (m->users) {
        snprintf(err, errlen, "image '%s' is used by %u container%s: remove them first (aerie rm)",
                 m->name, m->users, m->users == 1 ? "" : "s");
        r = AE_EBUSY;
    } else if (cm.fs_admin && (r = ae_fs_admin_archive_drop(cm.fs_admin, m->name))) {
        snprintf(err, errlen, "image '%s': the fs service still uses its files (error %d)", m->name, r);
    } else {
        slot_free(m);
    }
    pthread_mutex_unlock(&lock);
    return r;
}

/* ---- listing ---- */

static int boot_info(unsigned index, char *name, size_t ncap, uint64_t *bytes, char *prog, size_t pcap)
{
    uint32_t first, end, k = 0;
    img_subtree(&cm.image, "images", 6, &first, &end);
    for (uint32_t i = first; i < end; i++) {
        struct img_file f;
        img_get(&cm.image, i, &f);
        const char *rest = f.path + 7;                  /* after "images/" */
        size_t n = f.path_len - 7;
        if (f.type != AE_IMAGE_DIR || memchr(rest, '/', n) || k++ != index)
            continue;
        snprintf(name, ncap, "%.*s", (int)n, rest);
        uint32_t a, b;
        *bytes = 0;
        img_subtree(&cm.image, f.path, f.path_len, &a, &b);
        for (uint32_t j = a; j < b; j++) {
            struct img_file g;
            img_get(&cm.image, j, &g);
            *bytes += g.size;
        }
        snprintf(prog, pcap, "prog");
        return 0;
    }
    return -(int)k - 1;                                  /* how many there are, negated */
}

int images_info(unsigned index, char *name, size_t ncap, uint64_t *bytes, char *prog, size_t pcap,
                uint64_t *imported)
{
    *imported = 0;
    int r = boot_info(index, name, ncap, bytes, prog, pcap);
    if (r == 0)
        return 0;
    unsigned k = index - (unsigned)(-r - 1);
    pthread_mutex_lock(&lock);
    r = AE_ENOENT;
    for (unsigned i = 0; i < CM_IMAGES_MAX; i++) {
        struct imported *m = &table[i];
        if (m->state != SLOT_READY || k--)
            continue;
        snprintf(name, ncap, "%s", m->name);
        snprintf(prog, pcap, "%s", imgcfg_program(&m->cfg));
        *bytes = m->size;
        *imported = m->cfg.imported;
        r = 0;
        break;
    }
    pthread_mutex_unlock(&lock);
    return r;
}
