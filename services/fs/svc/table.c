/*
 * table.c — who the service's clients are: sessions by id (hashed), the
 * boot services' sessions by their badge, the image indexes built for
 * prefixes of the boot image (shared by every session of that image, kept
 * for the next container of the same image while fewer than
 * SVC_IMAGES_MAX exist), and the named volumes.
 *
 * A session lives while the table or a request holds it (refs). Closing
 * removes it from the table, revokes the capability the service minted
 * (so every copy a client or the container manager made is gone), and
 * destroys the core session at once; requests still in flight finish
 * with AE_EDEAD from the core and drop the last references. Each session
 * has an account (acct.c), freed with it; a request on a session whose
 * quota vanished settles that first (acct_settle).
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

int table_init(struct fs_service *svc)
{
    svc->next_id = 1;
    return p_mutex_init(&svc->table_lock) ? AE_ENOMEM : 0;
}

void table_forget_slots(struct fs_service *svc)
{
    for (unsigned b = 0; b < SVC_BUCKETS; b++)
        for (struct svc_session *s = svc->buckets[b]; s; s = s->next)
            shctl_forget_slot(s);
}

unsigned table_recover(struct fs_service *svc, unsigned *bad)
{
    unsigned n = 0;
    *bad = 0;
    acct_recount_begin();                /* the metadata pool, from every session's count */
    for (unsigned b = 0; b < SVC_BUCKETS; b++)
        for (struct svc_session *s = svc->buckets[b]; s; s = s->next) {
            acct_recount(s->acct);
            s->buf = NULL;               /* buffers were the old instance's: clients attach again */
            shctl_recover(s);            /* and may trust nothing they cached (shctl.c) */
            s->refs = 1;
            if (acct_recover(s->acct))
                printf("fs: session %u: its account was marked lost by the dying instance; its quota is "
                       "there: cleared\n", s->id);
            fs_session_recover(s->fs);
            s->recheck = true;           /* by its first request, in a worker (recheck below) */
            n++;
        }
    return n;
}

static struct svc_session **bucket(struct fs_service *svc, uint32_t id)
{
    return &svc->buckets[(id * 2654435761u) % SVC_BUCKETS];
}

/* table_lock held. */
static struct svc_session *find_id(struct fs_service *svc, uint32_t id)
{
    for (struct svc_session *s = *bucket(svc, id); s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

/* A boot service's session. Boot badges are few (one per boot.conf
 * entry), so a list suffices. table_lock held. */
static struct svc_session *find_badge(struct fs_service *svc, uint64_t badge)
{
    for (struct svc_session *s = svc->boot_sessions; s; s = s->boot_next)
        if (s->boot_badge == badge)
            return s;
    return NULL;
}

/* Inserts s with a fresh id. table_lock held. */
static int insert(struct fs_service *svc, struct svc_session *s)
{
    if (svc->nsessions >= SVC_SESSIONS_MAX || svc->next_id == 0)
        return AE_ELIMIT;            /* 2^32 ids used: never reuse one */
    s->id = svc->next_id++;
    struct svc_session **b = bucket(svc, s->id);
    s->next = *b;
    *b = s;
    svc->nsessions++;
    return 0;
}

static void unlink_session(struct fs_service *svc, struct svc_session *s)
{
    struct svc_session **pp = bucket(svc, s->id);
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    if (s->boot_badge) {
        for (pp = &svc->boot_sessions; *pp != s; pp = &(*pp)->boot_next)
            ;
        *pp = s->boot_next;
    }
    svc->nsessions--;
}

/* ---- images ---------------------------------------------------------- */

/* The image for prefix, built if needed, with a session counted on it.
 * table_lock held. */
static int image_get(struct fs_service *svc, const char *prefix, size_t len,
                     struct svc_image **out)
{
    for (struct svc_image *i = svc->images; i; i = i->next) {
        if (i->len == len && !memcmp(i->prefix, prefix, len)) {
            i->sessions++;
            *out = i;
            return 0;
        }
    }
    const uint8_t *base;
    uint64_t bytes;
    const char *sub;
    size_t sublen;
    struct svc_archive *arch;
    int r = archive_resolve(svc, prefix, len, &base, &bytes, &sub, &sublen, &arch);
    if (r)
        return r;
    if (svc->nimages >= SVC_IMAGES_MAX) {          /* drop one nobody uses */
        struct svc_image **pp = &svc->images;
        while (*pp && (*pp)->sessions)
            pp = &(*pp)->next;
        if (!*pp)
            return AE_ELIMIT;
        struct svc_image *old = *pp;
        *pp = old->next;
        fs_image_put(old->img);
        free(old);
        svc->nimages--;
    }
    struct svc_image *i = malloc(sizeof *i + len);
    if (!i)
        return AE_ENOMEM;
    struct img_error err;
    r = fs_image_create_at(&svc->env, base, bytes, sub, sublen, &i->img, &err);
    if (r) {
        free(i);
        return r;
    }
    memcpy(i->prefix, prefix, len);
    i->len = len;
    i->sessions = 1;
    i->archive = arch;
    i->next = svc->images;
    svc->images = i;
    svc->nimages++;
    *out = i;
    return 0;
}

int images_forget(struct fs_service *svc, struct svc_archive *arch)
{
    for (struct svc_image *i = svc->images; i; i = i->next)
        if (i->archive == arch && i->sessions)
            return AE_EBUSY;
    for (struct svc_image **pp = &svc->images; *pp;) {
        struct svc_image *i = *pp;
        if (i->archive != arch) {
            pp = &i->next;
            continue;
        }
        *pp = i->next;
        fs_image_put(i->img);
        free(i);
        svc->nimages--;
    }
    return 0;
}

/* ---- sessions -------------------------------------------------------- */

/* The core session is gone by now (its references are dropped before
 * ours), so its account can go too. */
static void session_free(struct fs_service *svc, struct svc_session *s)
{
    shbuf_put(svc, s->buf);
    shctl_keep_free(s->ctl_keep);
    if (s->image) {
        pthread_mutex_lock(&svc->table_lock);
        s->image->sessions--;
        pthread_mutex_unlock(&svc->table_lock);
    }
    acct_free(s->acct);
    free(s);
}

static void session_put(struct fs_service *svc, struct svc_session *s)
{
    if (!__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
        session_free(svc, s);
}

/* A new session for a boot service's badge, over an empty root. table_lock held. */
static int boot_session(struct fs_service *svc, uint64_t badge, struct svc_session **out)
{
    struct svc_session *s = calloc(1, sizeof *s);
    if (!s)
        return AE_ENOMEM;
    int r = acct_new(&svc->env, 0, 0, &svc->client_limits, &s->acct);
    if (!r && (r = acct_meta_charge(s->acct, sizeof *s))) {
        acct_free(s->acct);
        s->acct = NULL;
    }
    if (!r && !(r = fs_session_create(&s->acct->env, NULL, &svc->client_limits, 0, &s->fs)) &&
        (r = insert(svc, s)))
        fs_session_destroy(s->fs);
    if (r) {
        acct_free(s->acct);
        free(s);
        return r;
    }
    s->boot_badge = badge;
    s->boot_next = svc->boot_sessions;
    svc->boot_sessions = s;
    s->refs = 1;
    *out = s;
    return 0;
}

/* Takes the references a request holds. table_lock held. */
static void hold(struct svc_session *s, struct shbuf **buf)
{
    __atomic_fetch_add(&s->refs, 1, __ATOMIC_RELAXED);
    fs_session_get(s->fs);
    if (buf) {
        *buf = s->buf;
        if (s->buf)
            shbuf_get(s->buf);
    }
}

/* fs_session_recount_meta's sum: the core's metadata, with the session's
 * record beside it (the account adds its own). */
static void meta_recounted(void *ctx, uint64_t core)
{
    struct svc_session *s = ctx;
    acct_meta_recounted(s->acct, core + acct_meta_block(sizeof *s));
}

/* A session taken over from a dead instance is checked, and its counts
 * counted again, by the first request that uses it: in a worker, whose
 * faults the fault thread repairs, so a page an operation cut off in its
 * middle left dangling costs that session its pages (AE_EDEAD), never the
 * service (docs/RESTART.md). */
static void recheck(struct svc_session *s)
{
    if (!__atomic_exchange_n(&s->recheck, false, __ATOMIC_ACQ_REL))
        return;
    const char *why = "";
    int bad = fs_session_check(s->fs, &why);
    const char *first = why;
    /* Counted again in any case: its metadata count too, which a worker
     * killed between the heap and the count could have left off by a
     * block (the pool follows it). */
    int r = fs_session_recount_meta(s->fs, acct_meta_block, meta_recounted, s, &why);
    if (r)
        printf("fs: session %u after the restart: %s\n", s->id, why);
    else if (bad)
        printf("fs: session %u after the restart: %s: counted again\n", s->id, first);
    if (bad)
        acct_settle(s->acct, s->fs);
}

int session_acquire(struct fs_service *svc, uint64_t badge, struct svc_session **out,
                    struct shbuf **buf)
{
    if (badge == 0 || (badge & FS_ADMIN_BADGE))
        return AE_EPERM;
    int r = 0;
    pthread_mutex_lock(&svc->table_lock);
    struct svc_session *s;
    if (badge & FS_SESSION_BADGE) {
        s = (badge & ~(FS_SESSION_BADGE | FS_SESSION_ID_MASK)) ? NULL
                                                               : find_id(svc, (uint32_t)badge);
        if (!s)
            r = AE_EDEAD;
    } else if (!(s = find_badge(svc, badge))) {
        r = boot_session(svc, badge, &s);
    }
    if (!r)
        hold(s, buf);
    pthread_mutex_unlock(&svc->table_lock);
    if (!r) {
        acct_settle(s->acct, s->fs);
        recheck(s);
    }
    *out = r ? NULL : s;
    return r;
}

int session_acquire_id(struct fs_service *svc, uint32_t id, struct svc_session **out,
                       struct shbuf **buf)
{
    pthread_mutex_lock(&svc->table_lock);
    struct svc_session *s = find_id(svc, id);
    if (s)
        hold(s, buf);
    pthread_mutex_unlock(&svc->table_lock);
    if (s) {
        acct_settle(s->acct, s->fs);
        recheck(s);
    }
    *out = s;
    return s ? 0 : AE_ENOENT;
}

void session_release(struct fs_service *svc, struct svc_session *s, struct shbuf *buf)
{
    acct_settle(s->acct, s->fs);     /* the request may have found the quota gone */
    shbuf_put(svc, buf);
    fs_session_put(s->fs);
    session_put(svc, s);
}

void session_set_buffer(struct fs_service *svc, struct svc_session *s, struct shbuf *b,
                        struct shctl_keep *keep)
{
    pthread_mutex_lock(&svc->table_lock);
    struct shbuf *old = s->buf;
    struct shctl_keep *old_keep = s->ctl_keep;
    s->buf = b;
    s->ctl_keep = keep;
    if (old && old->ctl)
        old->ctl->changes = FS_SHCTL_DETACHED;   /* its client's caches end here */
    if (b->ctl)
        b->ctl->changes = s->changes;
    pthread_mutex_unlock(&svc->table_lock);
    shbuf_put(svc, old);
    shctl_keep_free(old_keep);
}

/* Mounts the grants; table_lock held (for the volume table). */
static int mount_grants(struct fs_service *svc, struct fs_session *fs,
                        const struct session_args *a)
{
    for (unsigned i = 0; i < a->nvolumes; i++) {
        struct svc_volume *v = svc->volumes;
        while (v && (strlen(v->name) != a->volumes[i].name_len ||
                     memcmp(v->name, a->volumes[i].name, a->volumes[i].name_len)))
            v = v->next;
        if (!v)
            return AE_ENOENT;
        int r = fs_session_mount(fs, a->volumes[i].mount, v->vol, a->volumes[i].rw);
        if (r)
            return r;
    }
    return 0;
}

/* A session's account: over the opener's quota (which it takes over), or
 * the own pool. */
static int session_acct(struct fs_service *svc, const struct session_args *a, struct svc_acct **out)
{
    int r = acct_new(&svc->env, a->quota, a->limits.data_bytes, &a->limits, out);
    if (r && a->quota) {
        ae_cap_delete(a->quota);
        ae_slot_free(a->quota);
    }
    if (!r && (r = acct_meta_charge(*out, sizeof(struct svc_session)))) {
        acct_free(*out);                 /* (gives its quota back) */
        *out = NULL;
    }
    return r;
}

int session_open(struct fs_service *svc, const struct session_args *a, uint32_t *id,
                 uint64_t *cap)
{
    struct svc_session *s = calloc(1, sizeof *s);
    uint64_t slot = ae_slot_alloc();
    int r = !s || !slot ? AE_ENOMEM : session_acct(svc, a, &s->acct);
    if (r) {
        if (a->quota && (!s || !slot)) {
            ae_cap_delete(a->quota);
            ae_slot_free(a->quota);
        }
        free(s);
        ae_slot_free(slot);
        return r;
    }
    pthread_mutex_lock(&svc->table_lock);
    r = a->image_len ? image_get(svc, a->image, a->image_len, &s->image) : 0;
    if (!r)
        r = fs_session_create(&s->acct->env, s->image ? s->image->img : NULL, &a->limits,
                              a->flags, &s->fs);
    if (!r && (r = mount_grants(svc, s->fs, a)))
        fs_session_destroy(s->fs);
    if (!r && (r = insert(svc, s)))
        fs_session_destroy(s->fs);
    if (!r && (r = (int)ae_cap_copy(svc->ep, slot, AERIE_R_WRITE | AERIE_R_GRANT,
                                    FS_SESSION_BADGE | s->id)) < 0) {
        unlink_session(svc, s);
        fs_session_destroy(s->fs);
    }
    if (r && s->image)
        s->image->sessions--;
    pthread_mutex_unlock(&svc->table_lock);
    if (r) {
        ae_slot_free(slot);
        acct_free(s->acct);
        free(s);
        return r;
    }
    s->cap = slot;
    p_keep(&s->cap);                 /* a restarted service can still revoke it */
    s->refs = 1;
    *id = s->id;
    *cap = slot;
    return 0;
}

int session_close(struct fs_service *svc, uint32_t id)
{
    pthread_mutex_lock(&svc->table_lock);
    struct svc_session *s = find_id(svc, id);
    struct shctl_keep *keep = NULL;
    if (s) {
        unlink_session(svc, s);
        if (s->buf && s->buf->ctl)
            s->buf->ctl->changes = FS_SHCTL_DETACHED;
        keep = s->ctl_keep;
        s->ctl_keep = NULL;
    }
    pthread_mutex_unlock(&svc->table_lock);
    if (!s)
        return AE_ENOENT;
    shctl_keep_free(keep);
    if (s->cap) {
        p_unkeep(&s->cap);
        ae_cap_revoke(s->cap);       /* every copy, in every task */
        ae_cap_delete(s->cap);
        ae_slot_free(s->cap);
    }
    fs_session_destroy(s->fs);
    session_put(svc, s);
    return 0;
}

/* ---- volumes --------------------------------------------------------- */

static struct svc_volume **volume_find(struct fs_service *svc, const char *name, size_t len)
{
    struct svc_volume **pp = &svc->volumes;
    while (*pp && (strlen((*pp)->name) != len || memcmp((*pp)->name, name, len)))
        pp = &(*pp)->next;
    return pp;
}

int volume_create(struct fs_service *svc, const char *name, size_t len,
                  const struct fs_limits *lim)
{
    if (len == 0 || len > FS_VOLUME_NAME_MAX || memchr(name, 0, len))
        return AE_EINVAL;
    struct svc_volume *v = calloc(1, sizeof *v);
    if (!v)
        return AE_ENOMEM;
    memcpy(v->name, name, len);
    pthread_mutex_lock(&svc->table_lock);
    int r = *volume_find(svc, name, len) ? AE_EEXIST
            : svc->nvolumes >= SVC_VOLUMES_MAX ? AE_ELIMIT
            : fs_volume_create(&svc->env, lim, &v->vol);
    if (!r) {
        v->next = svc->volumes;
        svc->volumes = v;
        svc->nvolumes++;
    }
    pthread_mutex_unlock(&svc->table_lock);
    if (r)
        free(v);
    return r;
}

int volume_delete(struct fs_service *svc, const char *name, size_t len)
{
    pthread_mutex_lock(&svc->table_lock);
    struct svc_volume **pp = volume_find(svc, name, len), *v = *pp;
    if (v) {
        *pp = v->next;
        svc->nvolumes--;
    }
    pthread_mutex_unlock(&svc->table_lock);
    if (!v)
        return AE_ENOENT;
    fs_volume_put(v->vol);           /* sessions that mounted it keep theirs */
    free(v);
    return 0;
}

void table_counts(struct fs_service *svc, uint64_t *sessions, uint64_t *images,
                  uint64_t *volumes)
{
    pthread_mutex_lock(&svc->table_lock);
    *sessions = svc->nsessions;
    *images = svc->nimages;
    *volumes = svc->nvolumes;
    pthread_mutex_unlock(&svc->table_lock);
}
