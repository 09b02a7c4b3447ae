/* File locks (flock.h). One table for the container: every record names
 * its file by the fs node (as FIFOs are keyed), its owner (the open file
 * description for flock, the pid for POSIX locks) and its byte range. A
 * blocked locker waits on one queue that every release wakes; it then runs
 * its call again and looks once more. */
#include <stdlib.h>
#include "flock.h"

#define LK_FLOCK 1
#define LK_POSIX 2
#define RD 0                            /* F_RDLCK / LOCK_SH */
#define WR 1                            /* F_WRLCK / LOCK_EX */
#define UN 2                            /* F_UNLCK */
#define OFF_MAX INT64_MAX

struct lk {
    struct lk *next;
    uint64_t key;
    int kind, type;
    struct lx_file *file;               /* LK_FLOCK, an OFD lock: the owner (the description) */
    int pid;                            /* LK_POSIX: the owner (0: an OFD lock's) */
    int64_t start, end;                 /* bytes start..end, inclusive (flock: all) */
};

static struct lk *locks;
static unsigned nlocks;
static struct lx_waitq lockq;           /* lockers waiting for any release */

static uint64_t file_key(struct lx_file *f)
{
    struct lx_stat st;
    if (lx_file_stat(f, &st) || (!st.dev && !st.ino))
        return (uint64_t)(uintptr_t)f | 1ull << 63;   /* no node: the description alone */
    return st.dev << 48 ^ st.ino;
}

static void drop(struct lk **pp)
{
    struct lk *l = *pp;
    *pp = l->next;
    free(l);
    nlocks--;
}

static struct lk *add(uint64_t key, int kind, int type, struct lx_file *f, int pid, int64_t s, int64_t e)
{
    if (nlocks >= LX_LOCKS_MAX)
        return NULL;
    struct lk *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    *l = (struct lk){ locks, key, kind, type, f, pid, s, e };
    locks = l;
    nlocks++;
    return l;
}

/* ---- flock(2) ---- */

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

int64_t lx_flock(struct lx_thread *t, int fd, unsigned op)
{
    struct lx_file *f = lx_fd_io(t->proc, fd);
    if (!f)
        return -LX_EBADF;
    unsigned cmd = op & ~(unsigned)LOCK_NB;
    if (cmd != LOCK_SH && cmd != LOCK_EX && cmd != LOCK_UN)
        return -LX_EINVAL;
    uint64_t key = file_key(f);
    int type = cmd == LOCK_SH ? RD : cmd == LOCK_EX ? WR : UN;
    bool released = false;
    for (struct lk **pp = &locks; *pp; pp = &(*pp)->next) {
        struct lk *l = *pp;
        if (l->kind == LK_FLOCK && l->file == f) {
            if (l->type == type)
                return 0;               /* held already as asked */
            drop(pp);                   /* a conversion drops the old lock first, as Linux */
            released = true;
            break;
        }
    }
    if (released)
        lx_wake_all(&lockq);
    if (type == UN)
        return 0;
    for (struct lk *l = locks; l; l = l->next)
        if (l->kind == LK_FLOCK && l->key == key && l->file != f && (type == WR || l->type == WR)) {
            if (op & LOCK_NB)
                return -LX_EAGAIN;
            if (t->wake == LX_WAKE_SIGNAL)
                return -LX_ERESTARTSYS;  /* restarted under SA_RESTART, as Linux */
            return lx_wait_on(t, &lockq) ? -LX_ENOMEM : LX_BLOCK;
        }
    return add(key, LK_FLOCK, type, f, 0, 0, OFF_MAX) ? 0 : -LX_ENOLCK;
}

void lx_locks_file_gone(struct lx_file *f)
{
    bool released = false;
    for (struct lk **pp = &locks; *pp;) {
        if ((*pp)->file == f) {         /* its flock or OFD locks */
            drop(pp);
            released = true;
        } else {
            pp = &(*pp)->next;
        }
    }
    if (released)
        lx_wake_all(&lockq);
}

/* ---- POSIX record locks ---- */

struct lx_flock_abi {                   /* struct flock, x86-64 */
    int16_t type, whence;
    int32_t pad0;
    int64_t start, len;
    int32_t pid, pad1;
};
_Static_assert(sizeof(struct lx_flock_abi) == 32, "struct flock is 32 bytes");

/* Takes p's range s..e off (splitting a record that spans it). */
static int unlock_range(uint64_t key, int pid, struct lx_file *of, int64_t s, int64_t e)
{
    for (struct lk **pp = &locks; *pp;) {
        struct lk *l = *pp;
        if (l->kind != LK_POSIX || l->key != key || l->pid != pid || l->file != of || l->end < s || l->start > e) {
            pp = &l->next;
            continue;
        }
        if (l->start < s && l->end > e) {       /* s..e inside: two pieces */
            if (!add(key, LK_POSIX, l->type, of, pid, e + 1, l->end))
                return -LX_ENOLCK;
            l->end = s - 1;
            return 0;
        }
        if (l->start < s)
            l->end = s - 1;
        else if (l->end > e)
            l->start = e + 1;
        else {
            drop(pp);
            continue;
        }
        pp = &l->next;
    }
    return 0;
}

static struct lk *posix_conflict(uint64_t key, int pid, struct lx_file *of, int type, int64_t s, int64_t e)
{
    for (struct lk *l = locks; l; l = l->next)
        if (l->kind == LK_POSIX && l->key == key && (l->pid != pid || l->file != of) && l->start <= e && l->end >= s &&
            (type == WR || l->type == WR))
            return l;
    return NULL;
}

int64_t lx_posix_lock(struct lx_thread *t, struct lx_file *f, int cmd, uint64_t uaddr)
{
    struct lx_flock_abi fl;
    if (lx_copy_in(t->proc->mm, &fl, uaddr, sizeof fl))
        return -LX_EFAULT;
    bool ofd = cmd == LX_F_OFD_GETLK || cmd == LX_F_OFD_SETLK || cmd == LX_F_OFD_SETLKW;
    bool get = cmd == LX_F_GETLK || cmd == LX_F_OFD_GETLK;
    if (fl.type != RD && fl.type != WR && (fl.type != UN || get))
        return -LX_EINVAL;
    if (ofd && fl.pid)
        return -LX_EINVAL;                      /* Linux: l_pid must be 0 */
    int64_t base;
    switch (fl.whence) {
    case LX_SEEK_SET: base = 0; break;
    case LX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LX_SEEK_END: {
        struct lx_stat st;
        int r = lx_file_stat(f, &st);
        if (r)
            return r;
        base = st.size;
        break;
    }
    default:
        return -LX_EINVAL;
    }
    int64_t s, e;
    if (__builtin_add_overflow(base, fl.start, &s))
        return -LX_EOVERFLOW;
    if (s < 0)
        return -LX_EINVAL;
    if (fl.len > 0) {                           /* Linux's flock_to_posix_lock */
        if (fl.len - 1 > OFF_MAX - s)
            return -LX_EOVERFLOW;
        e = s + fl.len - 1;
    } else if (fl.len < 0) {
        e = s - 1;
        if (__builtin_add_overflow(s, fl.len, &s) || s < 0)
            return -LX_EINVAL;
    } else {
        e = OFF_MAX;
    }
    uint64_t key = file_key(f);
    int pid = ofd ? 0 : t->proc->pid;           /* the owner: the process, or the description */
    struct lx_file *of = ofd ? f : NULL;
    if (get) {
        struct lk *l = posix_conflict(key, pid, of, fl.type, s, e);
        if (!l)
            fl.type = UN;
        else {
            fl.type = (int16_t)l->type;
            fl.whence = LX_SEEK_SET;
            fl.start = l->start;
            fl.len = l->end == OFF_MAX ? 0 : l->end - l->start + 1;
            fl.pid = l->pid ? l->pid : -1;      /* an OFD lock: -1, as Linux */
        }
        return lx_copy_out(t->proc->mm, uaddr, &fl, sizeof fl);
    }
    unsigned acc = f->flags & LX_O_ACCMODE;
    if ((fl.type == RD && acc == LX_O_WRONLY) || (fl.type == WR && acc == LX_O_RDONLY))
        return -LX_EBADF;
    if (fl.type != UN && posix_conflict(key, pid, of, fl.type, s, e)) {
        if (cmd == LX_F_SETLK || cmd == LX_F_OFD_SETLK)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &lockq) ? -LX_ENOMEM : LX_BLOCK;
    }
    if (fl.type != UN && nlocks + 2 > LX_LOCKS_MAX)
        return -LX_ENOLCK;                      /* (a split and the new record) */
    int r = unlock_range(key, pid, of, s, e);
    lx_wake_all(&lockq);
    if (r || fl.type == UN)
        return r;
    /* merge with this owner's touching records of the same type */
    for (struct lk **pp = &locks; *pp;) {
        struct lk *l = *pp;
        if (l->kind == LK_POSIX && l->key == key && l->pid == pid && l->file == of && l->type == fl.type &&
            ((l->end < s && l->end + 1 == s) || (l->start > e && l->start - 1 == e))) {
            if (l->start < s)
                s = l->start;
            if (l->end > e)
                e = l->end;
            drop(pp);
            continue;
        }
        pp = &l->next;
    }
    return add(key, LK_POSIX, fl.type, of, pid, s, e) ? 0 : -LX_ENOLCK;
}

static void drop_posix(int pid, bool any_key, uint64_t key)
{
    bool released = false;
    for (struct lk **pp = &locks; *pp;) {
        struct lk *l = *pp;
        if (l->kind == LK_POSIX && l->pid == pid && !l->file && (any_key || l->key == key)) {
            drop(pp);
            released = true;
        } else {
            pp = &l->next;
        }
    }
    if (released)
        lx_wake_all(&lockq);
}

void lx_locks_closing(struct lx_proc *p, struct lx_file *f)
{
    for (struct lk *l = locks; l; l = l->next)
        if (l->kind == LK_POSIX && l->pid == p->pid && !l->file) {   /* only then ask the node */
            drop_posix(p->pid, false, file_key(f));
            return;
        }
}

void lx_locks_proc_gone(int pid)
{
    drop_posix(pid, true, 0);
}
