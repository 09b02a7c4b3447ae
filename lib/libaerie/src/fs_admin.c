/*
 * fs_admin.c — the fs service's admin protocol (aerie/proto/fs.h), for
 * the holder of "fs.admin": opening and closing sessions, reading and
 * writing a session's files through message words (`aerie cp`),
 * statistics, checks, volumes. Strings are packed into message words.
 */
#include <libaerie/fs.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>
#include <string.h>

/* Calls with n words (and ncaps capabilities) already in the UTCB; reply
 * words into out. */
static int64_t admin_call_caps(uint64_t admin, uint64_t label, unsigned n, unsigned ncaps,
                               uint64_t *out, unsigned nout, uint64_t *info)
{
    struct aerie_utcb *u = ae_utcb();
    int64_t r = ae_call(admin, AERIE_INFO(label, n, ncaps), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return r;
    if (info)
        *info = (uint64_t)r;
    int status = proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
    if (status)
        return status;
    unsigned got = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
    for (unsigned i = 0; i < nout; i++)
        out[i] = i < got ? u->mr[i] : 0;
    return 0;
}

static int64_t admin_call(uint64_t admin, uint64_t label, unsigned n, uint64_t *out,
                          unsigned nout, uint64_t *info)
{
    return admin_call_caps(admin, label, n, 0, out, nout, info);
}

/* Appends len bytes at byte position *at of the UTCB's words (from word
 * first); false if they do not fit in FS_MSG_WORDS. */
static bool pack(unsigned first, uint64_t *at, const void *p, uint64_t len)
{
    uint64_t room = (uint64_t)(FS_MSG_WORDS - first) * 8;
    if (len > room || *at > room - len)
        return false;
    memcpy((char *)&ae_utcb()->mr[first] + *at, p, len);
    *at += len;
    return true;
}

static unsigned words_for(unsigned first, uint64_t bytes)
{
    return first + (unsigned)((bytes + 7) / 8);
}

int ae_fs_admin_open_session(uint64_t admin, const struct ae_fs_session_spec *spec,
                             uint64_t *cap, uint32_t *id)
{
    struct aerie_utcb *u = ae_utcb();
    unsigned ng = spec->ngrants, first = FS_ADMIN_OPEN_WORDS + ng;
    if (ng > FS_ADMIN_VOLUMES_MAX)
        return AE_EINVAL;
    size_t ilen = spec->image ? strlen(spec->image) : 0;
    uint64_t at = 0;
    u->mr[0] = spec->read_only ? FS_SESSION_F_RDONLY : 0;
    u->mr[1] = spec->data_bytes;
    u->mr[2] = spec->inodes;
    u->mr[3] = spec->handles;
    u->mr[4] = ilen;
    u->mr[5] = ng;
    bool fits = pack(first, &at, spec->image, ilen);
    for (unsigned i = 0; i < ng && fits; i++) {
        size_t nl = strlen(spec->grants[i].volume), ml = strlen(spec->grants[i].mount);
        if (nl > 255 || ml > 255)
            return AE_EINVAL;
        u->mr[FS_ADMIN_OPEN_WORDS + i] = FS_GRANT(nl, ml, spec->grants[i].writable ? FS_GRANT_RW : 0);
        fits = pack(first, &at, spec->grants[i].volume, nl) &&
               pack(first, &at, spec->grants[i].mount, ml);
    }
    if (!fits)
        return AE_ENAMETOOLONG;
    uint64_t slot = ae_slot_alloc(), got, info = 0;
    if (!slot)
        return AE_ELIMIT;
    u->recv_slots[0] = (uint32_t)slot;
    u->recv_slots[1] = u->recv_slots[2] = 0;
    u->caps[0] = (uint32_t)spec->quota;
    int64_t r = admin_call_caps(admin, FS_ADMIN_OPEN_SESSION, words_for(first, at), spec->quota ? 1 : 0,
                                &got, 1, &info);
    u->recv_slots[0] = 0;
    if (!r && (AERIE_INFO_NCAPS(info) < 1 || u->caps[0] != slot)) {
        ae_fs_admin_close_session(admin, (uint32_t)got);   /* the capability was lost */
        r = AE_EPROTO;
    }
    if (r) {
        ae_slot_free(slot);
        return (int)r;
    }
    *cap = slot;
    *id = (uint32_t)got;
    return 0;
}

int ae_fs_admin_close_session(uint64_t admin, uint32_t id)
{
    ae_utcb()->mr[0] = id;
    return (int)admin_call(admin, FS_ADMIN_CLOSE_SESSION, 1, NULL, 0, NULL);
}

int64_t ae_fs_admin_read(uint64_t admin, uint32_t id, const char *path, uint64_t off,
                         void *buf, uint64_t len, uint64_t *size)
{
    struct aerie_utcb *u = ae_utcb();
    size_t plen = strlen(path);
    if (plen > FS_ADMIN_PATH_MAX)
        return AE_ENAMETOOLONG;
    uint64_t done = 0;
    do {
        uint64_t n = len - done < FS_ADMIN_READ_MAX ? len - done : FS_ADMIN_READ_MAX, at = 0;
        u->mr[0] = id;
        u->mr[1] = off + done;
        u->mr[2] = n;
        u->mr[3] = plen;
        pack(4, &at, path, plen);
        uint64_t out[2];
        int64_t r = admin_call(admin, FS_ADMIN_READ, words_for(4, at), out, 2, NULL);
        if (r)
            return done ? (int64_t)done : r;
        uint64_t got = out[0] < n ? out[0] : n;
        memcpy((char *)buf + done, &u->mr[2], got);
        if (size)
            *size = out[1];
        done += got;
        if (got < n)
            break;
    } while (done < len);
    return (int64_t)done;
}

int64_t ae_fs_admin_write(uint64_t admin, uint32_t id, const char *path, uint64_t off,
                          const void *buf, uint64_t len, uint32_t flags, uint32_t mode)
{
    struct aerie_utcb *u = ae_utcb();
    size_t plen = strlen(path);
    if (plen >= FS_ADMIN_WRITE_MAX)
        return AE_ENAMETOOLONG;
    uint64_t done = 0;
    do {
        uint64_t room = FS_ADMIN_WRITE_MAX - plen, at = 0;
        uint64_t n = len - done < room ? len - done : room;
        u->mr[0] = id;
        u->mr[1] = off + done;
        u->mr[2] = n;
        u->mr[3] = plen;
        u->mr[4] = done ? flags & ~FS_ADMIN_W_TRUNC : flags;
        u->mr[5] = mode;
        pack(6, &at, path, plen);
        pack(6, &at, (const char *)buf + done, n);
        uint64_t wrote;
        int64_t r = admin_call(admin, FS_ADMIN_WRITE, words_for(6, at), &wrote, 1, NULL);
        if (r)
            return done ? (int64_t)done : r;
        done += wrote;
        if (wrote < n)
            break;
    } while (done < len);
    return (int64_t)done;
}

int ae_fs_admin_stats(uint64_t admin, uint64_t out[FS_STAT_WORDS])
{
    return (int)admin_call(admin, FS_ADMIN_STATS, 0, out, FS_STAT_WORDS, NULL);
}

int ae_fs_admin_session_stats(uint64_t admin, uint32_t id, uint64_t out[FS_SSTAT_WORDS])
{
    ae_utcb()->mr[0] = id;
    return (int)admin_call(admin, FS_ADMIN_SESSION_STATS, 1, out, FS_SSTAT_WORDS, NULL);
}

int ae_fs_admin_check(uint64_t admin, uint32_t id)
{
    ae_utcb()->mr[0] = id;
    return (int)admin_call(admin, FS_ADMIN_CHECK, 1, NULL, 0, NULL);
}

int ae_fs_admin_run_queued(uint64_t admin, uint32_t id, uint64_t *ran)
{
    uint64_t out = 0;
    ae_utcb()->mr[0] = id;
    int r = (int)admin_call(admin, FS_ADMIN_RUN_QUEUED, 1, &out, 1, NULL);
    if (ran)
        *ran = r ? 0 : out;
    return r;
}

int ae_fs_admin_fork_session(uint64_t admin, uint32_t from, uint32_t to)
{
    ae_utcb()->mr[0] = from;
    ae_utcb()->mr[1] = to;
    return (int)admin_call(admin, FS_ADMIN_FORK_SESSION, 2, NULL, 0, NULL);
}

int ae_fs_admin_volume_create(uint64_t admin, const char *name, uint64_t data_bytes,
                              uint32_t inodes)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t at = 0, len = strlen(name);
    u->mr[0] = data_bytes;
    u->mr[1] = inodes;
    u->mr[2] = len;
    if (!pack(3, &at, name, len))
        return AE_EINVAL;
    return (int)admin_call(admin, FS_ADMIN_VOLUME_CREATE, words_for(3, at), NULL, 0, NULL);
}

int ae_fs_admin_volume_delete(uint64_t admin, const char *name)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t at = 0, len = strlen(name);
    u->mr[0] = len;
    if (!pack(1, &at, name, len))
        return AE_EINVAL;
    return (int)admin_call(admin, FS_ADMIN_VOLUME_DELETE, words_for(1, at), NULL, 0, NULL);
}

int ae_fs_admin_archive_add(uint64_t admin, const char *name, uint64_t mem)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t at = 0, len = strlen(name);
    u->mr[0] = len;
    if (!pack(1, &at, name, len))
        return AE_EINVAL;
    u->caps[0] = (uint32_t)mem;
    int64_t r = ae_call(admin, AERIE_INFO(FS_ADMIN_ARCHIVE_ADD, words_for(1, at), 1), AERIE_TIMEOUT_FOREVER);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

int ae_fs_admin_archive_drop(uint64_t admin, const char *name)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t at = 0, len = strlen(name);
    u->mr[0] = len;
    if (!pack(1, &at, name, len))
        return AE_EINVAL;
    return (int)admin_call(admin, FS_ADMIN_ARCHIVE_DROP, words_for(1, at), NULL, 0, NULL);
}

/* Puts id, the words of extra[0..nextra) and path into the UTCB from word
 * 0; returns the word count, or 0 if the path is too long. */
static unsigned path_request(uint32_t id, const uint64_t *extra, unsigned nextra, const char *path)
{
    struct aerie_utcb *u = ae_utcb();
    size_t plen = strlen(path);
    uint64_t at = 0;
    u->mr[0] = id;
    for (unsigned i = 0; i < nextra; i++)
        u->mr[1 + i] = extra[i];
    u->mr[1 + nextra] = plen;
    if (plen > FS_ADMIN_PATH_MAX || !pack(2 + nextra, &at, path, plen))
        return 0;
    return words_for(2 + nextra, at);
}

int ae_fs_admin_stat(uint64_t admin, uint32_t id, const char *path, uint32_t *type,
                     uint64_t *size, uint32_t *mode)
{
    unsigned n = path_request(id, 0, 0, path);
    if (!n)
        return AE_ENAMETOOLONG;
    uint64_t out[3];
    int64_t r = admin_call(admin, FS_ADMIN_STAT, n, out, 3, NULL);
    if (r)
        return (int)r;
    *type = (uint32_t)out[0];
    *size = out[1];
    *mode = (uint32_t)out[2];
    return 0;
}

int ae_fs_admin_mkdir(uint64_t admin, uint32_t id, const char *path, uint32_t mode)
{
    uint64_t m = mode;
    unsigned n = path_request(id, &m, 1, path);
    return n ? (int)admin_call(admin, FS_ADMIN_MKDIR, n, NULL, 0, NULL) : AE_ENAMETOOLONG;
}

int ae_fs_admin_list(uint64_t admin, uint32_t id, const char *path, uint64_t *cookie,
                     bool *eof, void *recs, size_t cap, unsigned *count)
{
    unsigned n = path_request(id, cookie, 1, path);
    if (!n)
        return AE_ENAMETOOLONG;
    uint64_t out[3];
    int64_t r = admin_call(admin, FS_ADMIN_LIST, n, out, 3, NULL);
    if (r)
        return (int)r;
    /* Record bytes end where the last record does; walk them to know. */
    const uint8_t *b = (const uint8_t *)&ae_utcb()->mr[3];
    size_t used = 0;
    for (uint64_t i = 0; i < out[2] && used + 2 <= FS_ADMIN_LIST_MAX; i++)
        used += 2 + b[used + 1];
    if (used > cap || used > FS_ADMIN_LIST_MAX)
        return AE_EPROTO;
    memcpy(recs, b, used);
    *cookie = out[0];
    *eof = out[1] != 0;
    *count = (unsigned)out[2];
    return (int)used;
}
