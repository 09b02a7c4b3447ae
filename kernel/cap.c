/*
 * cap.c — capability spaces and the capability derivation tree
 * (see cap.h for the structures and the locking rules).
 */
#include "cap.h"
#include "hot.h"
#include "quota.h"
#include "kmem.h"
#include "printk.h"
#include "thread.h"
#include "lib/string.h"
#include <aerie/syscall.h>

static spinlock_t cdt_lock = SPINLOCK_INIT;

/* How many capabilities one hold of cdt_lock removes at most: revoking,
 * destroying an object with many capabilities and clearing a capability
 * space go in batches of this size, so no other CPU's capability
 * operation waits behind more than one batch. */
#define CDT_BATCH 64

/* Between two batches: drops cdt_lock (a CPU waiting for it gets it
 * first: the lock is a ticket lock), services this CPU's TLB requests,
 * and takes it again. */
static void cdt_pause(void)
{
    spin_unlock(&cdt_lock);
    spin_relax();
    spin_lock(&cdt_lock);
}

void cspace_init(struct cspace *cs, struct quota *q)
{
    spin_init(&cs->lock);
    cs->dir = NULL;
    cs->dir_len = 0;
    cs->used = 0;
    cs->quota = q;
    cs->dead = false;
}

/* The slot for index, or NULL if its chunk does not exist. cs->lock held. */
HOT_INLINE struct cap *slot_at(struct cspace *cs, uint64_t idx)
{
    if (idx == 0 || idx >= AERIE_CSPACE_MAX)
        return NULL;
    uint64_t c = idx / CAPS_PER_CHUNK;
    if (c >= cs->dir_len || !cs->dir[c])
        return NULL;
    return &cs->dir[c][idx % CAPS_PER_CHUNK];
}

static int grow_dir(struct cspace *cs, uint64_t chunk)
{
    uint32_t len = cs->dir_len ? cs->dir_len : 4;
    while (len <= chunk)
        len *= 2;
    size_t bytes = len * sizeof(struct cap *);
    int err = quota_charge(cs->quota, kmem_footprint(bytes), 0, 0);
    if (err)
        return err;
    struct cap **dir = kmem_alloc(bytes);
    if (!dir) {
        quota_release(cs->quota, kmem_footprint(bytes), 0, 0);
        return AE_ENOMEM;
    }
    if (cs->dir) {
        memcpy(dir, cs->dir, cs->dir_len * sizeof(struct cap *));
        kmem_free(cs->dir, cs->dir_len * sizeof(struct cap *));
        quota_release(cs->quota, kmem_footprint(cs->dir_len * sizeof(struct cap *)), 0, 0);
    }
    cs->dir = dir;
    cs->dir_len = len;
    return 0;
}

/* Makes sure the chunk holding idx exists. cs->lock held. */
static int grow_to(struct cspace *cs, uint64_t idx)
{
    if (idx == 0 || idx >= AERIE_CSPACE_MAX)
        return AE_EINVAL;
    if (cs->dead)
        return AE_EDEAD;
    uint64_t c = idx / CAPS_PER_CHUNK;
    if (c >= cs->dir_len) {
        int err = grow_dir(cs, c);
        if (err)
            return err;
    }
    if (cs->dir[c])
        return 0;
    int err = quota_charge(cs->quota, kmem_footprint(CSPACE_CHUNK_BYTES), 0, 0);
    if (err)
        return err;
    struct cap *chunk = kmem_alloc(CSPACE_CHUNK_BYTES);
    if (!chunk) {
        quota_release(cs->quota, kmem_footprint(CSPACE_CHUNK_BYTES), 0, 0);
        return AE_ENOMEM;
    }
    for (uint32_t i = 0; i < CAPS_PER_CHUNK; i++) {
        struct cap *s = &chunk[i];
        s->index = (uint32_t)(c * CAPS_PER_CHUNK + i);
        s->cspace = cs;
        list_init(&s->children);
        list_init(&s->sibling);
        list_init(&s->obj_link);
    }
    cs->dir[c] = chunk;
    return 0;
}

uint64_t cspace_slot_limit(struct cspace *cs)
{
    spin_lock(&cs->lock);
    uint64_t n = (uint64_t)cs->dir_len * CAPS_PER_CHUNK;
    spin_unlock(&cs->lock);
    return n;
}

uint64_t cspace_next_chunk(struct cspace *cs, uint64_t slot)
{
    spin_lock(&cs->lock);
    uint64_t c = slot / CAPS_PER_CHUNK;
    while (c < cs->dir_len && !cs->dir[c])
        c++;
    uint64_t next = c < cs->dir_len ? (c == slot / CAPS_PER_CHUNK ? slot : c * CAPS_PER_CHUNK)
                                    : (uint64_t)cs->dir_len * CAPS_PER_CHUNK;
    spin_unlock(&cs->lock);
    return next;
}

HOT_INLINE int cap_lookup_inline(struct cspace *cs, uint64_t slot, int type, uint8_t rights, struct capref *out)
{
    out->obj = NULL;
    spin_lock(&cs->lock);
    struct cap *c = slot_at(cs, slot);
    int err = 0;
    if (__builtin_expect(!c || !c->obj, 0))
        err = AE_ECAP;
    else if (type >= 0 && c->type != type)
        err = AE_ETYPE;
    else if ((c->rights & rights) != rights)
        err = AE_ERIGHTS;
    else if (c->obj->dead && c->type != AERIE_OBJ_REPLY)
        err = AE_EDEAD;
    if (!err) {
        out->obj = c->obj;
        out->badge = c->badge;
        out->type = c->type;
        out->rights = c->rights;
        out->slot = (uint32_t)slot;
        obj_get(c->obj);
    }
    spin_unlock(&cs->lock);
    return err;
}

int cap_lookup(struct cspace *cs, uint64_t slot, int type, uint8_t rights, struct capref *out)
{
    return cap_lookup_inline(cs, slot, type, rights, out);
}

int cap_slot_usable(struct cspace *cs, uint64_t slot)
{
    if (slot == 0 || slot >= AERIE_CSPACE_MAX)
        return AE_EINVAL;
    spin_lock(&cs->lock);
    struct cap *c = slot_at(cs, slot);
    int err = (c && c->obj) ? AE_EBUSY : cs->dead ? AE_EDEAD : 0;
    spin_unlock(&cs->lock);
    return err;
}

void cdt_lock_acquire(void) { spin_lock(&cdt_lock); }
void cdt_lock_release(void) { spin_unlock(&cdt_lock); }

static int install(struct cspace *cs, uint64_t slot, struct kobject *o, uint8_t type,
                   uint8_t rights, uint64_t badge);

int cap_install(struct cspace *cs, uint64_t slot, struct kobject *o, uint8_t rights, uint64_t badge)
{
    return install(cs, slot, o, o->type, rights, badge);
}

int cap_install_reply(struct cspace *cs, uint64_t slot, struct kobject *t, uint64_t seq)
{
    return install(cs, slot, t, AERIE_OBJ_REPLY, AERIE_R_WRITE, seq);
}

static int install(struct cspace *cs, uint64_t slot, struct kobject *o, uint8_t type,
                   uint8_t rights, uint64_t badge)
{
    spin_lock(&cs->lock);
    int err = grow_to(cs, slot);
    struct cap *c = err ? NULL : slot_at(cs, slot);
    if (!err && c->obj)
        err = AE_EBUSY;
    if (!err) {
        c->obj = o;
        c->type = type;
        c->rights = rights;
        c->badge = badge;
        c->parent = NULL;
        obj_get(o);
        if (type != AERIE_OBJ_REPLY) {
            list_push_back(&o->caps, &c->obj_link);
            obj_hold(o);
        }
        cs->used++;
    }
    spin_unlock(&cs->lock);
    return err;
}

/* Locks one or two spaces in address order. */
static void lock_spaces(struct cspace *a, struct cspace *b)
{
    if (a == b) {
        spin_lock(&a->lock);
    } else if (a < b) {
        spin_lock(&a->lock);
        spin_lock(&b->lock);
    } else {
        spin_lock(&b->lock);
        spin_lock(&a->lock);
    }
}

static void unlock_spaces(struct cspace *a, struct cspace *b)
{
    spin_unlock(&a->lock);
    if (a != b)
        spin_unlock(&b->lock);
}

/* Fills the empty slot dst as a child of src. cdt_lock and both spaces'
 * locks held; dst has been checked empty. */
static void derive(struct cap *src, struct cap *dst, uint8_t rights, uint64_t badge)
{
    dst->obj = src->obj;
    dst->type = src->type;
    dst->rights = rights;
    dst->badge = badge;
    dst->parent = src;
    obj_get(src->obj);
    obj_hold(src->obj);
    list_push_back(&src->children, &dst->sibling);
    list_push_back(&src->obj->caps, &dst->obj_link);
    dst->cspace->used++;
}

static bool badgeable(uint8_t type)
{
    return type == AERIE_OBJ_ENDPOINT || type == AERIE_OBJ_NOTIFICATION;
}

int cap_copy(struct cspace *src, uint64_t s, struct cspace *dst, uint64_t d, uint8_t mask, uint64_t badge)
{
    spin_lock(&cdt_lock);
    lock_spaces(src, dst);
    struct cap *sc = slot_at(src, s);
    int err = 0;
    if (!sc || !sc->obj)
        err = AE_ECAP;
    else if (sc->type == AERIE_OBJ_REPLY)
        err = AE_EINVAL;                      /* reply caps are one-shot, never copied */
    else if (sc->obj->dead)
        err = AE_EDEAD;
    else if (badge && (!badgeable(sc->type) || sc->badge))
        err = AE_EINVAL;
    if (!err)
        err = grow_to(dst, d);
    struct cap *dc = err ? NULL : slot_at(dst, d);
    if (!err && dc->obj)
        err = AE_EBUSY;
    if (!err)
        derive(sc, dc, sc->rights & mask, badge ? badge : sc->badge);
    unlock_spaces(src, dst);
    spin_unlock(&cdt_lock);
    return err;
}

/* Moves list node or list head old to new (new was unlinked). */
static void list_replace(struct list *old, struct list *new)
{
    if (old->next == old) {
        list_init(new);
        return;
    }
    new->next = old->next;
    new->prev = old->prev;
    new->next->prev = new;
    new->prev->next = new;
    list_init(old);
}

int cap_move(struct cspace *cs, uint64_t s, uint64_t d)
{
    spin_lock(&cdt_lock);
    spin_lock(&cs->lock);
    struct cap *sc = slot_at(cs, s);
    int err = (!sc || !sc->obj) ? AE_ECAP : grow_to(cs, d);
    struct cap *dc = err ? NULL : slot_at(cs, d);
    if (!err && dc->obj)
        err = AE_EBUSY;
    if (!err) {
        dc->obj = sc->obj;
        dc->type = sc->type;
        dc->rights = sc->rights;
        dc->badge = sc->badge;
        dc->parent = sc->parent;
        list_replace(&sc->sibling, &dc->sibling);
        list_replace(&sc->children, &dc->children);
        list_replace(&sc->obj_link, &dc->obj_link);
        list_for_each(n, &dc->children)
            list_entry(n, struct cap, sibling)->parent = dc;
        sc->obj = NULL;
        sc->parent = NULL;
    }
    spin_unlock(&cs->lock);
    spin_unlock(&cdt_lock);
    return err;
}

/*
 * Empties slot c: its children are handed to its parent, it leaves its
 * object's list, and if that was the object's last capability the object
 * is destroyed. cdt_lock held, c's space lock NOT held (taken here).
 * Returns the object, whose reference the caller must drop.
 */
static struct kobject *remove_cap(struct cap *c, uint64_t *reply_badge)
{
    struct cspace *cs = c->cspace;
    spin_lock(&cs->lock);
    struct kobject *o = c->obj;
    while (!list_empty(&c->children)) {
        struct cap *ch = list_entry(list_pop_front(&c->children), struct cap, sibling);
        ch->parent = c->parent;
        if (c->parent)
            list_push_back(&c->parent->children, &ch->sibling);
    }
    if (c->parent)
        list_remove(&c->sibling);
    c->parent = NULL;
    list_remove(&c->obj_link);
    *reply_badge = c->type == AERIE_OBJ_REPLY ? c->badge : 0;
    if (c->type != AERIE_OBJ_REPLY)
        obj_unhold(o);
    c->obj = NULL;
    c->type = AERIE_OBJ_NONE;
    cs->used--;
    spin_unlock(&cs->lock);
    return o;
}

/* Drops what remove_cap returned; an unused reply cap ends its caller's wait. */
static void finish_remove(struct kobject *o, uint64_t reply_badge, uint8_t type)
{
    if (type == AERIE_OBJ_REPLY)
        thread_reply_dropped((struct thread *)o, reply_badge);
    obj_put(o);
}

int cap_delete(struct cspace *cs, uint64_t slot)
{
    spin_lock(&cdt_lock);
    spin_lock(&cs->lock);
    struct cap *c = slot_at(cs, slot);
    bool empty = !c || !c->obj;
    spin_unlock(&cs->lock);
    if (empty) {
        spin_unlock(&cdt_lock);
        return AE_ECAP;
    }
    uint8_t type = c->type;
    uint64_t rb;
    struct kobject *o = remove_cap(c, &rb);
    spin_unlock(&cdt_lock);
    finish_remove(o, rb, type);
    return 0;
}

/* The deepest first descendant of c (a leaf). cdt_lock held. */
static struct cap *first_leaf(struct cap *c)
{
    while (!list_empty(&c->children))
        c = list_entry(c->children.next, struct cap, sibling);
    return c;
}

int cap_revoke(struct cspace *cs, uint64_t slot)
{
    spin_lock(&cdt_lock);
    spin_lock(&cs->lock);
    struct cap *c = slot_at(cs, slot);
    bool empty = !c || !c->obj;
    spin_unlock(&cs->lock);
    if (empty) {
        spin_unlock(&cdt_lock);
        return AE_ECAP;
    }
    for (unsigned n = 0; n < CDT_BATCH && !list_empty(&c->children); n++) {
        struct cap *leaf = first_leaf(c);
        uint64_t rb;
        uint8_t type = leaf->type;
        struct kobject *o = remove_cap(leaf, &rb);
        finish_remove(o, rb, type);
    }
    bool more = !list_empty(&c->children);
    spin_unlock(&cdt_lock);
    return more ? CAP_REVOKE_MORE : 0;
}

int cap_info(struct cspace *cs, uint64_t slot, uint64_t *type_rights, uint64_t *badge)
{
    spin_lock(&cs->lock);
    struct cap *c = slot_at(cs, slot);
    int err = (!c || !c->obj) ? AE_ECAP : 0;
    if (!err) {
        *type_rights = c->type | ((uint64_t)c->rights << 8);
        *badge = c->badge;
    }
    spin_unlock(&cs->lock);
    return err;
}

/* o is dead, so no capability to it can be derived any more (cap_copy
 * and IPC transfers check, under cdt_lock): the list only shrinks, and
 * it can be emptied in batches with the lock dropped in between. */
void cap_remove_all(struct kobject *o)
{
    spin_lock(&cdt_lock);
    unsigned n = 0;
    while (!list_empty(&o->caps)) {
        if (++n % CDT_BATCH == 0)
            cdt_pause();
        if (list_empty(&o->caps))
            break;
        struct cap *c = list_entry(o->caps.next, struct cap, obj_link);
        uint64_t rb;
        uint8_t type = c->type;
        struct kobject *got = remove_cap(c, &rb);
        finish_remove(got, rb, type);
    }
    spin_unlock(&cdt_lock);
}

/* Empties chunk ch of a dead space and frees it, pausing every
 * CDT_BATCH removals (*work counts them). cdt_lock held. Once every slot
 * of the chunk has been emptied no capability anywhere points into it
 * (removal unlinks a capability from the tree), so it can go at once. */
static void clear_chunk(struct cspace *cs, uint32_t ch, unsigned *work)
{
    for (uint32_t i = 0; i < CAPS_PER_CHUNK; i++) {
        struct cap *c = &cs->dir[ch][i];
        if (!c->obj)
            continue;
        uint64_t rb;
        uint8_t type = c->type;
        struct kobject *o = remove_cap(c, &rb);
        finish_remove(o, rb, type);
        if (++*work % CDT_BATCH == 0)
            cdt_pause();
    }
    spin_lock(&cs->lock);
    struct cap *chunk = cs->dir[ch];
    cs->dir[ch] = NULL;
    spin_unlock(&cs->lock);
    kmem_free(chunk, CSPACE_CHUNK_BYTES);
    quota_release(cs->quota, kmem_footprint(CSPACE_CHUNK_BYTES), 0, 0);
}

/* Once cs is dead nothing can be installed in it (grow_to refuses) and
 * its directory never grows, so the slots are emptied in batches with
 * cdt_lock dropped in between (others may only empty slots meanwhile),
 * each chunk freed as soon as it is empty. */
void cspace_clear(struct cspace *cs)
{
    spin_lock(&cdt_lock);
    spin_lock(&cs->lock);
    cs->dead = true;
    spin_unlock(&cs->lock);
    unsigned work = 0;
    for (uint32_t ch = 0; ch < cs->dir_len; ch++)
        if (cs->dir[ch])
            clear_chunk(cs, ch, &work);
    spin_lock(&cs->lock);
    if (cs->dir) {
        kmem_free(cs->dir, cs->dir_len * sizeof(struct cap *));
        quota_release(cs->quota, kmem_footprint(cs->dir_len * sizeof(struct cap *)), 0, 0);
    }
    cs->dir = NULL;
    cs->dir_len = 0;
    spin_unlock(&cs->lock);
    spin_unlock(&cdt_lock);
}

uint32_t cap_transfer(struct cspace *src, uint64_t s, struct cspace *dst, const uint32_t *window,
                      unsigned nwindow, unsigned *next)
{
    spin_lock(&cdt_lock);
    uint32_t placed = cap_transfer_locked(src, s, dst, window, nwindow, next);
    spin_unlock(&cdt_lock);
    return placed;
}

uint32_t cap_transfer_locked(struct cspace *src, uint64_t s, struct cspace *dst, const uint32_t *window,
                             unsigned nwindow, unsigned *next)
{
    uint32_t placed = 0;
    lock_spaces(src, dst);
    struct cap *sc = slot_at(src, s);
    bool ok = sc && sc->obj && sc->type != AERIE_OBJ_REPLY && !sc->obj->dead;
    while (ok && *next < nwindow && !placed) {
        uint32_t d = window[(*next)++];
        if (d == 0 || grow_to(dst, d) != 0)
            continue;
        struct cap *dc = slot_at(dst, d);
        if (dc->obj)
            continue;
        derive(sc, dc, sc->rights, sc->badge);
        placed = d;
    }
    unlock_spaces(src, dst);
    return placed;
}
