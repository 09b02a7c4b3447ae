/*
 * decode.c — the fs protocol (include/aerie/proto/fs.h): decoding a
 * request into a struct fs_request, and performing it on a session.
 * Decoding trusts nothing: the opcode, the word count, every range in the
 * shared buffer (without overflow), every path (copied out of the buffer
 * byte by byte before it is parsed, so a client changing the buffer
 * meanwhile cannot change what was checked), flags, modes and whences.
 */
#include "decode.h"
#include "fs_impl.h"

enum { ARG_PATH = 1, ARG_PATH2 = 2, ARG_HANDLE = 4, ARG_BUF = 8, ARG_TARGET = 16 };

/* Per opcode: the words it needs and which of them are paths, a handle, a buffer. */
static const struct { uint8_t words, args; } shape[FS_OP_COUNT] = {
    [FS_OP_OPEN]      = { 4, ARG_PATH },
    [FS_OP_CLOSE]     = { 1, ARG_HANDLE },
    [FS_OP_READ]      = { 4, ARG_HANDLE | ARG_BUF },
    [FS_OP_WRITE]     = { 4, ARG_HANDLE | ARG_BUF },
    [FS_OP_SEEK]      = { 3, ARG_HANDLE },
    [FS_OP_FTRUNCATE] = { 2, ARG_HANDLE },
    [FS_OP_TRUNCATE]  = { 3, ARG_PATH },
    [FS_OP_FSTAT]     = { 1, ARG_HANDLE },
    [FS_OP_STAT]      = { 2, ARG_PATH },
    [FS_OP_MKDIR]     = { 3, ARG_PATH },
    [FS_OP_UNLINK]    = { 2, ARG_PATH },
    [FS_OP_RMDIR]     = { 2, ARG_PATH },
    [FS_OP_RENAME]    = { 4, ARG_PATH | ARG_PATH2 },
    [FS_OP_READDIR]   = { 4, ARG_HANDLE | ARG_BUF },
    [FS_OP_STATFS]    = { 0, 0 },
    [FS_OP_SYMLINK]   = { 4, ARG_PATH | ARG_TARGET },
    [FS_OP_READLINK]  = { 4, ARG_PATH | ARG_BUF },
    [FS_OP_LINK]      = { 5, ARG_PATH | ARG_PATH2 },
    [FS_OP_CHMOD]     = { 4, ARG_PATH },
    [FS_OP_CHOWN]     = { 5, ARG_PATH },
    [FS_OP_UTIMENS]   = { 5, ARG_PATH },
    [FS_OP_FCHMOD]    = { 2, ARG_HANDLE },
    [FS_OP_FCHOWN]    = { 3, ARG_HANDLE },
    [FS_OP_FUTIMENS]  = { 3, ARG_HANDLE },
    [FS_OP_FSYNC]     = { 1, ARG_HANDLE },
    [FS_OP_CREATE_RESERVED] = { 5, ARG_PATH },
    [FS_OP_RESERVE]   = { 1, 0 },
    [FS_OP_MKNOD]     = { 4, ARG_PATH },
};

/* Word i, or 0 if the request left it out. */
static uint64_t opt(const uint64_t *w, uint32_t nwords, unsigned i)
{
    return i < nwords ? w[i] : 0;
}

static bool in_buffer(const struct fs_shbuf *buf, uint64_t off, uint64_t len)
{
    return off <= buf->size && len <= buf->size - off;
}

static int copy_path(const struct fs_shbuf *buf, uint64_t off, uint64_t len, char *scratch,
                     struct fs_path *out)
{
    if (len > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    if (!in_buffer(buf, off, len))
        return AE_EFAULT;
    const volatile uint8_t *src = buf->base + off;
    for (uint64_t i = 0; i < len; i++)
        scratch[i] = (char)src[i];                /* each byte read exactly once */
    return fs_path_parse(scratch, len, out);
}

/* SYMLINK's target: copied as is (the walk checks it when it follows it). */
static int copy_target(const struct fs_shbuf *buf, uint64_t off, uint64_t len, struct fs_request *req)
{
    if (len >= FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    if (!in_buffer(buf, off, len))
        return AE_EFAULT;
    const volatile uint8_t *src = buf->base + off;
    for (uint64_t i = 0; i < len; i++)
        if ((req->scratch[i] = (char)src[i]) == 0)
            return AE_EINVAL;
    req->target_len = (uint32_t)len;
    return 0;
}

/* Flags word i (if present) within allowed. */
static int take_flags(const uint64_t *w, uint32_t n, unsigned i, uint32_t allowed, uint32_t *out)
{
    uint64_t f = opt(w, n, i);
    if (f & ~(uint64_t)allowed)
        return AE_EINVAL;
    *out = (uint32_t)f;
    return 0;
}

/* The attribute words of CHMOD, CHOWN, UTIMENS (from word first) and of
 * their handle forms (first = 1; no flags word). */
static int decode_attr(struct fs_request *req, const uint64_t *w, uint32_t n, unsigned first)
{
    unsigned fl = first + (req->op == FS_OP_CHMOD ? 1 : 2);
    bool path = first == FS_W_ATTR;
    switch (req->op) {
    case FS_OP_CHMOD:
    case FS_OP_FCHMOD:
        if (w[first] & ~(uint64_t)FS_MODE_MASK)
            return AE_EINVAL;
        req->mode = (uint32_t)w[first];
        break;
    case FS_OP_CHOWN:
    case FS_OP_FCHOWN:
        if (w[first] > UINT32_MAX || w[first + 1] > UINT32_MAX)
            return AE_EINVAL;
        req->uid = (uint32_t)w[first];
        req->gid = (uint32_t)w[first + 1];
        break;
    default:
        req->atime = w[first];
        req->mtime = w[first + 1];
        break;
    }
    return path ? take_flags(w, n, fl, FS_AT_NOFOLLOW, &req->flags) : 0;
}

/* The scalar words of each opcode. */
static int decode_scalars(struct fs_request *req, const uint64_t *w, uint32_t n)
{
    switch (req->op) {
    case FS_OP_STAT:
        return take_flags(w, n, FS_W_STAT_FLAGS, FS_AT_NOFOLLOW, &req->flags);
    case FS_OP_RENAME:
        return take_flags(w, n, FS_W_PAIR_FLAGS, FS_RENAME_NOREPLACE, &req->flags);
    case FS_OP_LINK:
        return take_flags(w, n, FS_W_PAIR_FLAGS, FS_AT_FOLLOW, &req->flags);
    case FS_OP_CHMOD:
    case FS_OP_CHOWN:
    case FS_OP_UTIMENS:
        return decode_attr(req, w, n, FS_W_ATTR);
    case FS_OP_FCHMOD:
    case FS_OP_FCHOWN:
    case FS_OP_FUTIMENS:
        return decode_attr(req, w, n, FS_W_HATTR);
    case FS_OP_OPEN:
        if ((w[FS_W_FLAGS] & ~(uint64_t)FS_O_ALL) || (w[FS_W_MODE] & ~(uint64_t)FS_MODE_MASK) ||
            (w[FS_W_FLAGS] & FS_O_ACCMODE) == FS_O_ACCMODE)
            return AE_EINVAL;
        req->flags = (uint32_t)w[FS_W_FLAGS];
        req->mode = (uint32_t)w[FS_W_MODE];
        return 0;
    case FS_OP_CREATE_RESERVED:                   /* OPEN's words, then the handle */
        if ((w[FS_W_FLAGS] & ~(uint64_t)FS_RESERVED_O_ALL) || !(w[FS_W_FLAGS] & FS_O_CREAT) ||
            (w[FS_W_MODE] & ~(uint64_t)FS_MODE_MASK) || (w[FS_W_FLAGS] & FS_O_ACCMODE) == FS_O_ACCMODE)
            return AE_EINVAL;
        req->flags = (uint32_t)w[FS_W_FLAGS];
        req->mode = (uint32_t)w[FS_W_MODE];
        req->handle = w[FS_W_RESV_HANDLE];
        req->mtime = opt(w, n, FS_W_RESV_TIME);
        return 0;
    case FS_OP_RESERVE:
        if (w[0] > FS_RESERVE_MAX)
            return AE_EINVAL;
        req->off = w[0];
        return 0;
    case FS_OP_MKDIR:
        if (w[FS_W_DIR_MODE] & ~(uint64_t)FS_MODE_MASK)
            return AE_EINVAL;
        req->mode = (uint32_t)w[FS_W_DIR_MODE];
        return 0;
    case FS_OP_MKNOD:
        if (w[FS_W_NODE_TYPE] != FS_TYPE_FIFO || (w[FS_W_NODE_MODE] & ~(uint64_t)FS_MODE_MASK))
            return AE_EINVAL;
        req->whence = (uint32_t)w[FS_W_NODE_TYPE];   /* (the node's type) */
        req->mode = (uint32_t)w[FS_W_NODE_MODE];
        return 0;
    case FS_OP_TRUNCATE:
        req->off = w[FS_W_SIZE];
        return 0;
    case FS_OP_SEEK:
        if (w[FS_W_WHENCE] > FS_SEEK_END)
            return AE_EINVAL;
        req->whence = (uint32_t)w[FS_W_WHENCE];
        req->off = w[FS_W_FILE_OFF];
        return 0;
    case FS_OP_READDIR:
        req->off = w[FS_W_FILE_OFF];              /* the cookie */
        return take_flags(w, n, FS_W_READDIR_FLAGS, FS_READDIR_STATS, &req->flags);
    case FS_OP_READ:
    case FS_OP_WRITE:
    case FS_OP_FTRUNCATE:
        req->off = w[FS_W_FILE_OFF];              /* offset or size: word 1 */
        return 0;
    default:
        return 0;
    }
}

int fs_decode(uint64_t label, const uint64_t *w, uint32_t nwords, const struct fs_shbuf *buf,
              struct fs_request *req)
{
    if (label == 0 || label >= FS_OP_COUNT)
        return AE_ENOSYS;
    req->op = (uint32_t)label;
    if (nwords < shape[label].words || nwords > FS_MSG_WORDS)
        return AE_EPROTO;
    uint8_t args = shape[label].args;
    int r;
    req->flags = 0;
    if (args & ARG_PATH) {
        if ((r = copy_path(buf, w[FS_W_PATH_OFF], w[FS_W_PATH_LEN], req->scratch, &req->path)))
            return r;
        req->path.base = opt(w, nwords, FS_W_BASE);
    }
    if (args & ARG_PATH2) {
        if ((r = copy_path(buf, w[FS_W_NEW_OFF], w[FS_W_NEW_LEN], req->scratch, &req->path2)))
            return r;
        req->path2.base = opt(w, nwords, FS_W_BASE2);
    }
    if ((args & ARG_TARGET) && (r = copy_target(buf, w[FS_W_TARGET_OFF], w[FS_W_TARGET_LEN], req)))
        return r;
    if (args & ARG_HANDLE)
        req->handle = w[FS_W_HANDLE];
    if (args & ARG_BUF) {
        if (!in_buffer(buf, w[FS_W_BUF_OFF], w[FS_W_BUF_LEN]))
            return AE_EFAULT;
        req->buf_off = w[FS_W_BUF_OFF];
        req->buf_len = w[FS_W_BUF_LEN];
    }
    if (label == FS_OP_OPEN) {                    /* the read it may make at once */
        req->buf_off = 0;
        req->buf_len = opt(w, nwords, FS_W_OPEN_READ);
        if (!in_buffer(buf, 0, req->buf_len))
            return AE_EFAULT;
    }
    return decode_scalars(req, w, nwords);
}

/* ---- perform --------------------------------------------------------- */

static void put_stat(uint64_t *w, const struct fs_stat *st)
{
    w[FS_R_STAT_INO] = st->ino;
    w[FS_R_STAT_TYPE] = st->type;
    w[FS_R_STAT_MODE] = st->mode;
    w[FS_R_STAT_SIZE] = st->size;
    w[FS_R_STAT_BLOCKS] = st->blocks;
    w[FS_R_STAT_NLINK] = st->nlink;
    w[FS_R_STAT_DEV] = st->dev;
    w[FS_R_STAT_UID] = st->uid;
    w[FS_R_STAT_GID] = st->gid;
    w[FS_R_STAT_ATIME] = st->atime;
    w[FS_R_STAT_MTIME] = st->mtime;
    w[FS_R_STAT_CTIME] = st->ctime;
}

/* Packs readdir records into the shared buffer until one does not fit. */
struct dirpack {
    uint8_t *out;
    uint64_t cap, used, count, cookie;
    bool stats;                                    /* asked for, and given (fs_readdir) */
};

static int pack_entry(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                      uint64_t cookie, const struct fs_stat *st)
{
    struct dirpack *p = ctx;
    uint64_t bare = (sizeof(struct fs_dirent_rec) + len + 1 + 7) & ~7ull;
    uint64_t rec = bare + (p->stats ? FS_R_STAT_WORDS * 8 : 0);
    if (rec > p->cap - p->used)
        return 1;
    struct fs_dirent_rec h = {
        .ino = ino, .cookie = cookie, .rec_len = (uint16_t)rec, .type = (uint8_t)type,
        .name_len = (uint8_t)len,
    };
    uint8_t *at = p->out + p->used;
    memcpy(at, &h, sizeof h);
    memcpy(at + sizeof h, name, len);
    memset(at + sizeof h + len, 0, bare - sizeof h - len);
    if (p->stats) {
        uint64_t w[FS_R_STAT_WORDS];
        put_stat(w, st);
        memcpy(at + bare, w, sizeof w);
    }
    p->used += rec;
    p->count++;
    p->cookie = cookie;
    return 0;
}

static int64_t do_readdir(struct fs_session *s, const struct fs_request *q,
                          const struct fs_shbuf *b, struct fs_reply *rep)
{
    struct dirpack p = { b->base + q->buf_off, q->buf_len, 0, 0, q->off, false };
    bool eof;
    p.stats = (q->flags & FS_READDIR_STATS) && fs_session_mounts_none(s);
    int r = fs_readdir(s, q->handle, q->off, pack_entry, &p, &eof);
    if (r)
        return r;
    if (p.count == 0 && !eof)
        return AE_EINVAL;                          /* not even one record fits */
    rep->w[FS_R_READDIR_BYTES] = p.used;
    rep->w[FS_R_READDIR_COUNT] = p.count;
    rep->w[FS_R_READDIR_NEXT] = p.cookie;
    rep->w[FS_R_READDIR_EOF] = eof;
    rep->w[FS_R_READDIR_FLAGS] = p.stats ? FS_READDIR_R_STATS : 0;
    rep->nwords = 5;
    return 0;
}

/* OPEN, and the read of word 4 when asked: a reader's first read rides
 * with its open (its errors are the read's to tell: here it reads none). */
static int64_t do_open(struct fs_session *s, const struct fs_request *q, const struct fs_shbuf *b,
                       struct fs_reply *rep)
{
    struct fs_stat st;
    int r = fs_open_made(s, &q->path, q->flags, q->mode, &rep->w[FS_R_OPEN_HANDLE], &st,
                         &rep->w[FS_R_OPEN_MADE_IN]);
    if (r)
        return r;
    put_stat(rep->w + FS_R_OPEN_STAT, &st);
    rep->w[FS_R_OPEN_READ] = 0;
    if (q->buf_len && st.type == FS_TYPE_FILE && (q->flags & FS_O_ACCMODE) != FS_O_WRONLY) {
        uint64_t at;
        int64_t got = fs_read_at(s, rep->w[FS_R_OPEN_HANDLE], 0, b->base, q->buf_len, &at);
        rep->w[FS_R_OPEN_READ] = got > 0 ? (uint64_t)got : 0;
    }
    rep->nwords = FS_R_OPEN_MADE_IN + 1;
    return 0;
}

static int64_t do_create_reserved(struct fs_session *s, const struct fs_request *q,
                                  struct fs_reply *rep)
{
    struct fs_stat st;
    int r = fs_create_reserved(s, &q->path, q->flags, q->mode, q->handle, q->mtime, &st);
    if (r)
        return r;
    rep->w[FS_R_OPEN_HANDLE] = q->handle;
    put_stat(rep->w + FS_R_OPEN_STAT, &st);
    rep->w[FS_R_OPEN_READ] = 0;
    rep->w[FS_R_OPEN_MADE_IN] = 0;
    rep->nwords = FS_R_OPEN_MADE_IN + 1;
    return 0;
}

static int64_t do_reserve(struct fs_session *s, const struct fs_request *q, struct fs_reply *rep)
{
    uint64_t first = 0;
    int r = fs_reserve(s, (uint32_t)q->off, rep->w + FS_R_RESERVE_H, &first);
    if (r < 0)
        return r;
    rep->w[FS_R_RESERVE_COUNT] = (uint64_t)r;
    rep->w[FS_R_RESERVE_INO] = first;
    rep->nwords = FS_R_RESERVE_H + (uint32_t)r;
    return 0;
}

static int64_t do_stat(int r, const struct fs_stat *st, struct fs_reply *rep)
{
    if (r)
        return r;
    put_stat(rep->w, st);
    rep->nwords = FS_R_STAT_WORDS;
    return 0;
}

static int64_t do_statfs(struct fs_session *s, struct fs_reply *rep)
{
    struct fs_usage u;
    int r = fs_statfs(s, &u);
    if (r)
        return r;
    uint64_t v[6] = { u.bytes_used, u.bytes_max, u.inodes_used, u.inodes_max,
                      u.handles_used, u.handles_max };
    memcpy(rep->w, v, sizeof v);
    rep->nwords = 6;
    return 0;
}

/* A count (bytes, position) as the reply's word 0, or the error. */
static int64_t count_reply(int64_t r, struct fs_reply *rep)
{
    if (r >= 0) {
        rep->w[0] = (uint64_t)r;
        rep->nwords = 1;
    }
    return r < 0 ? r : 0;
}

void fs_perform(struct fs_session *s, const struct fs_request *q, const struct fs_shbuf *b,
                struct fs_reply *rep)
{
    struct fs_stat st;
    int64_t r;
    rep->nwords = 0;
    switch (q->op) {
    case FS_OP_OPEN:      r = do_open(s, q, b, rep); break;
    case FS_OP_CLOSE:     r = fs_close(s, q->handle); break;
    case FS_OP_READ: {
        uint64_t at = 0;
        r = count_reply(fs_read_at(s, q->handle, q->off, b->base + q->buf_off, q->buf_len, &at),
                        rep);
        if (!r) {
            rep->w[FS_R_READ_AT] = at;           /* where it began: a client's read-ahead needs it */
            rep->nwords = 2;
        }
        break;
    }
    case FS_OP_WRITE:
        r = count_reply(fs_write(s, q->handle, q->off, b->base + q->buf_off, q->buf_len), rep);
        break;
    case FS_OP_SEEK:
        r = count_reply(fs_seek(s, q->handle, (int64_t)q->off, q->whence), rep);
        break;
    case FS_OP_FTRUNCATE: r = fs_ftruncate(s, q->handle, q->off); break;
    case FS_OP_TRUNCATE:  r = fs_truncate(s, &q->path, q->off); break;
    case FS_OP_FSTAT:     r = do_stat(fs_fstat(s, q->handle, &st), &st, rep); break;
    case FS_OP_STAT:
        r = (q->flags & FS_AT_NOFOLLOW) ? fs_lstat(s, &q->path, &st) : fs_stat(s, &q->path, &st);
        r = do_stat((int)r, &st, rep);
        break;
    case FS_OP_MKDIR:
        r = fs_mkdir_ino(s, &q->path, q->mode, &rep->w[FS_R_MKDIR_INO], &rep->w[FS_R_MKDIR_PARENT]);
        rep->nwords = r ? 0 : 2;
        break;
    case FS_OP_UNLINK: {
        uint64_t ino = 0;
        uint32_t type = 0;
        r = fs_unlink_ino(s, &q->path, &ino, &type);
        if (!r) {
            rep->w[FS_R_UNLINK_INO] = ino;       /* for a client's kept stats */
            rep->w[FS_R_UNLINK_TYPE] = type;
            rep->nwords = 2;
        }
        break;
    }
    case FS_OP_RMDIR:     r = fs_rmdir(s, &q->path); break;
    case FS_OP_RENAME:    r = fs_rename(s, &q->path, &q->path2, q->flags); break;
    case FS_OP_READDIR:   r = do_readdir(s, q, b, rep); break;
    case FS_OP_STATFS:    r = do_statfs(s, rep); break;
    case FS_OP_SYMLINK:   r = fs_symlink(s, q->scratch, q->target_len, &q->path); break;
    case FS_OP_READLINK:
        r = count_reply(fs_readlink(s, &q->path, b->base + q->buf_off, q->buf_len), rep);
        break;
    case FS_OP_LINK:      r = fs_link(s, &q->path, &q->path2, q->flags); break;
    case FS_OP_CHMOD:     r = fs_chmod(s, &q->path, q->mode, q->flags); break;
    case FS_OP_CHOWN:     r = fs_chown(s, &q->path, q->uid, q->gid, q->flags); break;
    case FS_OP_UTIMENS:   r = fs_utimens(s, &q->path, q->atime, q->mtime, q->flags); break;
    case FS_OP_FCHMOD:    r = fs_fchmod(s, q->handle, q->mode); break;
    case FS_OP_FCHOWN:    r = fs_fchown(s, q->handle, q->uid, q->gid); break;
    case FS_OP_FUTIMENS:  r = fs_futimens(s, q->handle, q->atime, q->mtime); break;
    case FS_OP_FSYNC:     r = fs_fsync(s, q->handle); break;
    case FS_OP_CREATE_RESERVED: r = do_create_reserved(s, q, rep); break;
    case FS_OP_RESERVE:   r = do_reserve(s, q, rep); break;
    case FS_OP_MKNOD:     r = fs_mknod(s, &q->path, q->whence, q->mode); break;
    default:              r = AE_ENOSYS; break;
    }
    rep->status = r;
    if (r)
        rep->nwords = 0;
}

void fs_serve(struct fs_session *s, uint64_t label, const uint64_t *words, uint32_t nwords,
              const struct fs_shbuf *buf, struct fs_request *req, struct fs_reply *rep)
{
    int r = fs_decode(label, words, nwords, buf, req);
    if (r) {
        rep->status = r;
        rep->nwords = 0;
        return;
    }
    fs_perform(s, req, buf, rep);
}
