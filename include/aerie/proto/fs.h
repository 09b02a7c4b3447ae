/*
 * aerie/proto/fs.h — the file-system service protocol (docs/FS.md).
 *
 * A request is an IPC message: the label is the opcode (FS_OP_*), followed
 * by up to FS_MSG_WORDS 64-bit words laid out per opcode below. Bulk data —
 * paths, file contents, directory listings — travels in a buffer shared
 * between the client and the service, one per session; a word pair
 * (offset, length) names a range in it. The service copies what it
 * validates out of that buffer first, since the client may change it at
 * any time.
 *
 * A reply's label is 0 or a negative AE_* code (aerie/errors.h); its words
 * are laid out per opcode below and are meaningful only on success.
 *
 * Paths are resolved from the session's root — or from a directory handle
 * the request names (word FS_W_BASE) when the path does not start with
 * '/'. "." and empty components vanish; ".." is the parent directory
 * where the walk is (after any symbolic link it followed), and the root's
 * parent is the root itself, so no path, link or handle reaches above a
 * session's root. Limits: FS_PATH_MAX bytes, FS_NAME_MAX per component, no
 * NUL byte; every other byte is allowed. A walk follows at most
 * FS_SYMLOOP_MAX symbolic links (AE_ELOOP after that).
 */
#ifndef AERIE_PROTO_FS_H
#define AERIE_PROTO_FS_H

#include <stdint.h>
#include "proto.h"

#define FS_MSG_WORDS     60          /* words an IPC message carries */
#define FS_PATH_MAX      4096u       /* bytes in a path as sent */
#define FS_NAME_MAX      255u        /* bytes in one component */
#define FS_FILE_MAX      (1ull << 40) /* largest file size: 1 TiB */
#define FS_OFF_CURRENT   UINT64_MAX  /* READ/WRITE offset: use and advance the handle's position */
#define FS_SYMLOOP_MAX   40u         /* symbolic links one walk follows */
#define FS_LINK_MAX      65000u      /* names of one file (LINK: AE_ELIMIT past it) */

/* Opcodes (the message label). */
enum fs_op {
    FS_OP_OPEN      = 1,
    FS_OP_CLOSE     = 2,
    FS_OP_READ      = 3,
    FS_OP_WRITE     = 4,
    FS_OP_SEEK      = 5,
    FS_OP_FTRUNCATE = 6,
    FS_OP_TRUNCATE  = 7,
    FS_OP_FSTAT     = 8,
    FS_OP_STAT      = 9,
    FS_OP_MKDIR     = 10,
    FS_OP_UNLINK    = 11,
    FS_OP_RMDIR     = 12,
    FS_OP_RENAME    = 13,
    FS_OP_READDIR   = 14,
    FS_OP_STATFS    = 15,
    FS_OP_SYMLINK   = 16,
    FS_OP_READLINK  = 17,
    FS_OP_LINK      = 18,
    FS_OP_CHMOD     = 19,
    FS_OP_CHOWN     = 20,
    FS_OP_UTIMENS   = 21,
    FS_OP_FCHMOD    = 22,
    FS_OP_FCHOWN    = 23,
    FS_OP_FUTIMENS  = 24,
    FS_OP_FSYNC     = 25,
    FS_OP_CREATE_RESERVED = 26,      /* docs/FS.md, "Creates that do not wait" */
    FS_OP_RESERVE   = 27,
    FS_OP_MKNOD     = 28,            /* a special node: a FIFO (docs/FS.md, "FIFOs") */
    FS_OP_COUNT
};

/* OPEN flags (word FS_W_FLAGS). Exactly POSIX's meanings; our own values. */
#define FS_O_RDONLY     0x0u
#define FS_O_WRONLY     0x1u
#define FS_O_RDWR       0x2u
#define FS_O_ACCMODE    0x3u
#define FS_O_CREAT      0x10u
#define FS_O_EXCL       0x20u
#define FS_O_TRUNC      0x40u
#define FS_O_APPEND     0x80u
#define FS_O_DIRECTORY  0x100u       /* fail with AE_ENOTDIR unless a directory */
#define FS_O_NOFOLLOW   0x200u       /* fail with AE_ELOOP if the last component is a symbolic link */
#define FS_O_ALL        0x3f3u
/* CREATE_RESERVED's flags: a plain create (O_TRUNC of a name that is
 * absent is one; FS_O_CREAT required). */
#define FS_RESERVED_O_ALL (FS_O_ACCMODE | FS_O_CREAT | FS_O_EXCL | FS_O_TRUNC | FS_O_APPEND)
/* RESERVE gives a session at most this many reserved handles at once. */
#define FS_RESERVE_MAX  32u

/* Flags of STAT, CHMOD, CHOWN, UTIMENS (FS_AT_NOFOLLOW) and LINK (FS_AT_FOLLOW). */
#define FS_AT_NOFOLLOW  0x1u         /* act on a final symbolic link itself */
#define FS_AT_FOLLOW    0x2u         /* LINK: link what a final symbolic link names */
/* RENAME flags. */
#define FS_RENAME_NOREPLACE 0x1u     /* AE_EEXIST if the new name exists */
/* READDIR's flag: each record carries its entry's stat (FS_R_STAT_WORDS
 * words after its name, inside rec_len: what STAT with FS_AT_NOFOLLOW of
 * the name gives), when the session mounts no volume; reply word 4 says
 * whether they do (FS_READDIR_R_STATS). */
#define FS_READDIR_STATS    0x1u
#define FS_READDIR_R_STATS  0x1u

/* UTIMENS times: nanoseconds since 1970-01-01 UTC, or one of these. */
#define FS_TIME_NOW     UINT64_MAX          /* the service's clock */
#define FS_TIME_OMIT    (UINT64_MAX - 1)    /* leave this time as it is */
/* CHOWN ids: 32 bits, or this to leave one as it is. */
#define FS_ID_KEEP      0xFFFFFFFFu

/* SEEK whence. */
#define FS_SEEK_SET     0u
#define FS_SEEK_CUR     1u
#define FS_SEEK_END     2u

/* Node types (stat and readdir). */
#define FS_TYPE_FILE    1u
#define FS_TYPE_DIR     2u
#define FS_TYPE_SYMLINK 3u
#define FS_TYPE_FIFO    4u           /* a named pipe: a name and attributes, no data (MKNOD) */

#define FS_MODE_MASK    07777u

/*
 * Request words, per opcode (index: meaning). "path" is a pair
 * (offset, length) into the shared buffer; so is "buf" and "target".
 * Words in [brackets] may be left out (they are then 0).
 *
 *   OPEN      0,1: path  2: flags  3: mode (for FS_O_CREAT)  [4: bytes to read: when
 *             the node opened is a file the handle may read, up to that many bytes
 *             from offset 0 go to buffer [0, n), the handle's position unmoved]
 *   CLOSE     0: handle
 *   READ      0: handle  1: file offset or FS_OFF_CURRENT  2,3: buf (data goes here)
 *   WRITE     0: handle  1: file offset or FS_OFF_CURRENT  2,3: buf (data comes from here)
 *   SEEK      0: handle  1: offset (two's complement)  2: whence
 *   FTRUNCATE 0: handle  1: size
 *   TRUNCATE  0,1: path  2: size
 *   FSTAT     0: handle
 *   STAT      0,1: path  [2: FS_AT_NOFOLLOW or 0]
 *   MKDIR     0,1: path  2: mode
 *   UNLINK    0,1: path
 *   RMDIR     0,1: path
 *   RENAME    0,1: old path  2,3: new path  [4: FS_RENAME_* flags]
 *   READDIR   0: handle  1: cookie (0 = from the start)  2,3: buf for records
 *             [4: FS_READDIR_STATS or 0]
 *   STATFS    (none)
 *   SYMLINK   0,1: path of the new link  2,3: target (1..FS_PATH_MAX-1 bytes, no NUL,
 *             stored as sent: it is resolved when the link is followed)
 *   READLINK  0,1: path  2,3: buf for the target
 *   LINK      0,1: existing path  2,3: new path  4: FS_AT_FOLLOW or 0
 *   CHMOD     0,1: path  2: mode  3: FS_AT_NOFOLLOW or 0
 *   CHOWN     0,1: path  2: uid  3: gid (FS_ID_KEEP: unchanged)  4: FS_AT_NOFOLLOW or 0
 *   UTIMENS   0,1: path  2: atime  3: mtime (ns, FS_TIME_NOW, FS_TIME_OMIT)  4: FS_AT_NOFOLLOW or 0
 *   FCHMOD    0: handle  1: mode
 *   FCHOWN    0: handle  1: uid  2: gid
 *   FUTIMENS  0: handle  1: atime  2: mtime
 *   FSYNC     0: handle
 *   CREATE_RESERVED  0,1: path  2: flags (FS_RESERVED_O_ALL, FS_O_CREAT set)  3: mode
 *             4: a handle value RESERVE gave this session  [5: the new file's times,
 *             and its directory's mtime and ctime (ns; 0, FS_TIME_NOW or FS_TIME_OMIT:
 *             the service's clock) — the instant the client's open read the clock]. Creates the file as OPEN
 *             would, with the handle's node and inode number, and opens it as that
 *             handle — only if the value is one of the session's reserved slots
 *             (else AE_EBADF; the same create run again: 0), the last name is
 *             absent (AE_EEXIST; a final link counts as present) and its directory
 *             is one of the session's own layer (AE_EINVAL: an image directory not
 *             copied up, a volume). Clients send it queued (FS_DEFER_CREATE).
 *   MKNOD     0,1: path  2: type (FS_TYPE_FIFO; any other: AE_EINVAL)  3: mode. Makes
 *             a FIFO node: no data, size 0; what it pipes is the client's (the Linux
 *             personality keeps the pipe). OPEN of one gives a handle that can neither
 *             read nor write (READ, WRITE, FTRUNCATE: AE_EBADF; O_TRUNC ignored), for
 *             FSTAT and the node's attributes; TRUNCATE of one is AE_EINVAL.
 *   RESERVE   0: n. Gives back every reservation the session holds unused, then
 *             reserves up to min(n, FS_RESERVE_MAX) handle slots and file nodes
 *             (consecutive inode numbers), counted at once among the session's
 *             open handles and used inodes; none for a read-only session or one
 *             that mounts a volume, and only while 2n of each limit is left.
 *
 * Every request with a path may add [6: a directory handle] that a path
 * not starting with '/' is resolved from (0: the session's root); RENAME
 * and LINK may add [7: the same for their second path].
 */
enum {
    FS_W_PATH_OFF = 0, FS_W_PATH_LEN = 1,      /* every request with a path */
    FS_W_FLAGS = 2, FS_W_MODE = 3,             /* OPEN */
    FS_W_OPEN_READ = 4,                        /* OPEN: bytes to read at once */
    FS_W_SIZE = 2,                             /* TRUNCATE */
    FS_W_DIR_MODE = 2,                         /* MKDIR */
    FS_W_NODE_TYPE = 2, FS_W_NODE_MODE = 3,    /* MKNOD */
    FS_W_NEW_OFF = 2, FS_W_NEW_LEN = 3,        /* RENAME, LINK */
    FS_W_TARGET_OFF = 2, FS_W_TARGET_LEN = 3,  /* SYMLINK */
    FS_W_HANDLE = 0,                           /* handle operations */
    FS_W_FILE_OFF = 1,                         /* READ, WRITE, SEEK (offset) */
    FS_W_HSIZE = 1,                            /* FTRUNCATE */
    FS_W_COOKIE = 1,                           /* READDIR */
    FS_W_BUF_OFF = 2, FS_W_BUF_LEN = 3,        /* READ, WRITE, READDIR, READLINK */
    FS_W_WHENCE = 2,                           /* SEEK */
    FS_W_STAT_FLAGS = 2,                       /* STAT */
    FS_W_PAIR_FLAGS = 4,                       /* RENAME, LINK */
    FS_W_READDIR_FLAGS = 4,                    /* READDIR */
    FS_W_ATTR = 2,                             /* CHMOD: mode; CHOWN: uid; UTIMENS: atime */
    FS_W_HATTR = 1,                            /* FCHMOD, FCHOWN, FUTIMENS: the same */
    FS_W_RESV_HANDLE = 4, FS_W_RESV_TIME = 5,  /* CREATE_RESERVED */
    FS_W_BASE = 6, FS_W_BASE2 = 7,             /* directory handles paths start from */
};

/* Words each request must carry (more are ignored). */
#define FS_REQ_WORDS_MAX 8

/*
 * Reply words, per opcode:
 *   OPEN      0: handle, then a stat (FS_R_STAT_*) from word 1; word 13: the
 *             bytes word 4 had read (0 when none); word 14: the inode number of
 *             the directory it created the file in (0: it created nothing, or in
 *             a volume) — what lets a client know every name of a directory
 *   MKDIR     0: the new directory's inode number  1: its parent's (0 in a volume)
 *   READ      0: bytes read (0 at or after the end)  1: the file offset the read began
 *             at (the handle's position before it, for FS_OFF_CURRENT)
 *   WRITE     0: bytes written (fewer than asked when the space ran out)
 *   SEEK      0: the new position
 *   FSTAT, STAT  a stat from word 0
 *   READDIR   0: bytes of records  1: records  2: cookie to continue from  3: 1 at the end
 *             4: FS_READDIR_R_STATS when each record carries its stat
 *   STATFS    0: data bytes used  1: data bytes limit  2: inodes used  3: inodes limit
 *             4: handles open  5: handles limit  6 (the service on Aerie): data bytes
 *             can surely still write now — word 1 - word 0, or less: what the pages
 *             it already took from its quota have free, or the service's own
 *             pool's room (libaerie's write-behind queues no more than this)
 *   UNLINK    0: the inode number of what it removed  1: its type (FS_TYPE_*)
 *   CREATE_RESERVED  as OPEN (the stat of the file made; word 13: 0)
 *   RESERVE   0: k reserved (0..FS_RESERVE_MAX)  1: the first inode number (the k
 *             are consecutive)  2..2+k-1: the handle values
 *   READLINK  0: the target's length (its first min(length, buf length) bytes are in buf)
 *   others    none
 * A stat is 12 words: ino, type, mode, size (a link: its target's length),
 * blocks (512-byte units of private memory), nlink (names of a file; 1 for
 * a directory), dev (0: the session's own tree, 1+i: volume i), uid, gid,
 * atime, mtime, ctime (ns since 1970; 0 for files of the image).
 */
enum {
    FS_R_STAT_INO = 0, FS_R_STAT_TYPE, FS_R_STAT_MODE, FS_R_STAT_SIZE,
    FS_R_STAT_BLOCKS, FS_R_STAT_NLINK, FS_R_STAT_DEV, FS_R_STAT_UID, FS_R_STAT_GID,
    FS_R_STAT_ATIME, FS_R_STAT_MTIME, FS_R_STAT_CTIME, FS_R_STAT_WORDS
};
#define FS_R_OPEN_HANDLE   0
#define FS_R_OPEN_STAT     1
#define FS_R_OPEN_READ     (FS_R_OPEN_STAT + FS_R_STAT_WORDS)
#define FS_R_OPEN_MADE_IN  (FS_R_OPEN_READ + 1)   /* the directory a create made its entry in */
#define FS_R_MKDIR_INO     0
#define FS_R_MKDIR_PARENT  1
#define FS_R_STATFS_ROOM   6
#define FS_R_UNLINK_INO    0
#define FS_R_UNLINK_TYPE   1
#define FS_R_READ_BYTES    0
#define FS_R_READ_AT       1
#define FS_R_READDIR_BYTES 0
#define FS_R_READDIR_COUNT 1
#define FS_R_READDIR_NEXT  2
#define FS_R_READDIR_EOF   3
#define FS_R_READDIR_FLAGS 4          /* FS_READDIR_R_STATS: the records carry stats */
#define FS_R_RESERVE_COUNT 0
#define FS_R_RESERVE_INO   1
#define FS_R_RESERVE_H     2
#define FS_REPLY_WORDS_MAX (FS_R_RESERVE_H + FS_RESERVE_MAX)
_Static_assert(FS_R_OPEN_MADE_IN < FS_REPLY_WORDS_MAX, "an OPEN reply fits");

/*
 * READDIR records, packed one after the other in the buffer, each 8-byte
 * aligned: the header, then name_len bytes of name and a NUL. "." and ".."
 * are not listed. Iteration is stable: an entry present for the whole
 * listing is returned exactly once however others are added or removed.
 */
struct fs_dirent_rec {
    uint64_t ino;
    uint64_t cookie;           /* pass back to continue after this record */
    uint16_t rec_len;          /* bytes from this record to the next */
    uint8_t  type;             /* FS_TYPE_* */
    uint8_t  name_len;         /* 1 .. FS_NAME_MAX */
    uint32_t reserved;
    /* char name[name_len + 1]; */
};

/*
 * ---- The service around the core (services/fs/main.c, docs/FS.md) ----
 *
 * Badges. The service mints every session capability itself, as a copy
 * of its endpoint with badge FS_SESSION_BADGE | session id (ids start at
 * 1 and are never reused). The admin capability carries FS_ADMIN_BADGE
 * (root's "fs.admin"). Any other non-zero badge is a boot service root
 * granted "fs": it gets a session of its own on first use, over an empty
 * root, with the limits the service was started with.
 */
#define FS_ADMIN_BADGE     PROTO_ADMIN_BADGE
#define FS_SESSION_BADGE   (1ull << 61)
#define FS_SESSION_ID_MASK 0xFFFFFFFFull

/* The shared buffer a client attaches: at least FS_SHBUF_MIN bytes (two
 * paths fit); the service uses at most FS_SHBUF_MAX of it. */
#define FS_SHBUF_MIN       (16u << 10)
#define FS_SHBUF_MAX       (1u << 20)

/*
 * The control block of a buffer attached with FS_ATTACH_F_CTL: what lets a
 * client keep caches without asking the service each time (docs/FS.md,
 * "Client caches").
 *
 * changes: written by the service only. It counts the requests and admin
 *   operations that may have changed something the session sees (a name,
 *   a node's attributes, file data), each counted once, after it took
 *   effect and before its reply; so a client that reads the same value
 *   before and after a request of its own knows nothing else changed
 *   meanwhile. FS_SHCTL_DETACHED: this buffer is no longer the session's
 *   (replaced, session closed, or the service restarted): trust nothing.
 * nops, ops: written by the client. Operations whose result it does not
 *   wait for: before anything else in the next core request the service
 *   runs the first nops (at most FS_SHCTL_OPS_MAX) of them on the session,
 *   in order, writes each one's result into res[i] as soon as it is done
 *   (so a client whose request failed with AE_EIO, the service having
 *   died, knows which ran), and sets nops to 0 — by compare-and-swap from
 *   the count it ran, running the ones appended meanwhile first. A client
 *   shows each operation here as it queues it (ops[k] and res[k] =
 *   FS_DEFER_NOT_RUN, then nops k -> k+1 by compare-and-swap), so that
 *   FS_ADMIN_RUN_QUEUED can run them without a request of its own (a fork
 *   of a stopped container); a client that finds nops 0 where it had shown
 *   k knows the first k ran, with res[] their results. They act on the caller's
 *   own session only, and a bad one (unknown op, a handle that is not
 *   open, a range outside the buffer) fails alone (its res: an AE_* code).
 *   If any FS_DEFER_WRITE or FS_DEFER_UNLINK was among them, `changes`
 *   moves by one for the whole batch (before the request's own).
 *   FS_DEFER_CLOSE: close handle a.  FS_DEFER_SEEK: set handle a's
 *   position to b.  FS_DEFER_WRITE: WRITE to handle a at file offset b
 *   (or FS_OFF_CURRENT) the buffer's bytes FS_DEFER_RANGE(c); res: bytes
 *   written.  FS_DEFER_UNLINK: UNLINK the path in the buffer's bytes
 *   FS_DEFER_RANGE(a), from directory handle b (0: the root). The writes
 *   of one batch move at most the buffer's size in all (the rest:
 *   AE_EINVAL), so a block cannot make a request cost more than that.
 *   FS_DEFER_CREATE: CREATE_RESERVED of the path at buffer offset
 *   FS_DEFER_C_OFF(a), FS_DEFER_C_LEN(a) bytes, with flags FS_DEFER_C_FLAGS(a),
 *   mode FS_DEFER_C_MODE(a), handle b, and c the instant its open read
 *   the clock (the times the new file and its directory get); res: 0 or
 *   its error. It counts as a change, as a write.
 */
#define FS_SHCTL_BYTES     4096u
#define FS_SHCTL_OPS_MAX   96u
#define FS_SHCTL_DETACHED  UINT64_MAX
#define FS_ATTACH_F_CTL    0x1u
#define FS_ATTACH_R_CTL    0x1u          /* the control block is there */
#define FS_ATTACH_R_PRIVATE 0x2u         /* the session mounts no volume: only its own
                                            requests and the admin change what it sees */
#define FS_DEFER_CLOSE     1u
#define FS_DEFER_SEEK      2u
#define FS_DEFER_WRITE     3u
#define FS_DEFER_UNLINK    4u
#define FS_DEFER_CREATE    5u
/* A create's word a: the path's offset (20 bits) and length (16), the
 * flags (8) and the mode (12); bits 24..31 are 0. */
#define FS_DEFER_C_A(off, len, flags, mode) \
    ((uint64_t)(off) << 32 | (uint64_t)(mode) << 52 | (uint64_t)(len) | (uint64_t)(flags) << 16)
#define FS_DEFER_C_OFF(a)   (((a) >> 32) & 0xFFFFFull)
#define FS_DEFER_C_MODE(a)  ((a) >> 52)
#define FS_DEFER_C_LEN(a)   ((a) & 0xFFFFull)
#define FS_DEFER_C_FLAGS(a) (((a) >> 16) & 0xFFull)
#define FS_DEFER_C_BAD(a)   ((a) & 0xFF000000ull)
#define FS_DEFER_RANGE_OF(off, len) ((uint64_t)(off) << 32 | (uint32_t)(len))
#define FS_DEFER_OFF(r)    ((r) >> 32)
#define FS_DEFER_LEN(r)    ((r) & 0xFFFFFFFFull)
#define FS_DEFER_NOT_RUN   INT64_MIN     /* res[i] a client sets before sending */
struct fs_shctl {
    volatile uint64_t changes;
    uint64_t reserved[6];
    volatile uint64_t nops;
    volatile uint64_t ops[FS_SHCTL_OPS_MAX][4];   /* op, a, b, c */
    volatile int64_t res[FS_SHCTL_OPS_MAX];
};
_Static_assert(sizeof(struct fs_shctl) <= FS_SHCTL_BYTES, "the control block fits its bytes");

/* Whether a core request may change what its session sees, so that the
 * service counts it in fs_shctl.changes (w: its words, n of them). A
 * position belongs to its handle, and a handle to one client: SEEK and
 * READ change nothing another request sees through a name or a stat. */
static inline int fs_op_changes_things(uint64_t label, const uint64_t *w, unsigned n)
{
    switch (label) {
    case FS_OP_OPEN:
        return n > 2 && (w[2] & (FS_O_CREAT | FS_O_TRUNC));   /* word 2: FS_W_FLAGS */
    case FS_OP_CLOSE: case FS_OP_READ: case FS_OP_SEEK: case FS_OP_FSTAT: case FS_OP_STAT:
    case FS_OP_READDIR: case FS_OP_STATFS: case FS_OP_READLINK: case FS_OP_FSYNC:
    case FS_OP_RESERVE:               /* counts only: no name or stat changes */
        return 0;
    default:
        return 1;
    }
}

/*
 * Opcodes the service handles besides the core's FS_OP_*:
 *
 *   FS_OP_ATTACH            any session. caps[0]: a Memory capability with
 *                           READ and WRITE. The service maps it (up to
 *                           FS_SHBUF_MAX bytes) as the session's shared
 *                           buffer, replacing the previous one. Until a
 *                           session has a buffer, every core request on it
 *                           gets AE_ENOTCONN; once its memory vanished, AE_EDEAD.
 *                           [0: flags: FS_ATTACH_F_CTL asks for a control block]
 *                           -> 0: bytes of it the service uses for requests
 *                              1: FS_ATTACH_R_* flags
 *                           With FS_ATTACH_F_CTL (and a buffer of at least
 *                           FS_SHBUF_MIN + FS_SHCTL_BYTES bytes) the
 *                           FS_SHCTL_BYTES after those bytes are a struct
 *                           fs_shctl (below), and requests may not name them.
 *
 * Admin operations (only through an FS_ADMIN_BADGE capability, else
 * AE_EPERM). Strings travel in message words: "bytes" below are packed
 * back to back from the word named, 8 to a word, first byte lowest.
 *
 *   FS_ADMIN_OPEN_SESSION   0: flags (FS_SESSION_F_*)  1: data byte limit
 *                           2: inode limit  3: handle limit (0: 256; <= FS_SESSION_HANDLES_MAX)
 *                           4: image path length (0: an empty root)
 *                           5: number of volume grants V (<= FS_ADMIN_VOLUMES_MAX)
 *                           6 .. 6+V-1: one word per grant, FS_GRANT(name length,
 *                                  mount path length, FS_GRANT_RW or 0)
 *                           6+V ..: bytes: the image path (a directory of the boot
 *                                  image, e.g. "images/hello/files"), then per grant
 *                                  the volume's name and its mount path
 *                           caps[0] (optional): a Quota capability with MANAGE the
 *                                  session's file pages are made from and charged to
 *                                  (the service keeps it; the opener may destroy the
 *                                  quota at any time: the session's calls then fail
 *                                  with AE_EDEAD). Without one they come from the
 *                                  service's own pool, shared by every such session.
 *                           -> 0: session id; caps[0]: the session capability
 *                                  (send, with GRANT so the client can attach)
 *   FS_ADMIN_CLOSE_SESSION  0: session id -> (); the session's capabilities are
 *                           revoked everywhere and its private files freed
 *   FS_ADMIN_READ           0: session id  1: file offset  2: length (<= FS_ADMIN_READ_MAX)
 *                           3: path length  4..: bytes: path
 *                           -> 0: bytes read  1: the file's size  2..: bytes
 *   FS_ADMIN_WRITE          0: session id  1: file offset  2: length  3: path length
 *                           4: FS_ADMIN_W_* flags  5: mode for a new file
 *                           6..: bytes: path, then the data
 *                           (path length + length <= FS_ADMIN_WRITE_MAX) -> 0: bytes written
 *   FS_ADMIN_STAT           0: session id  1: path length  2..: bytes: path
 *                           -> 0: type (FS_TYPE_*)  1: size  2: mode
 *   FS_ADMIN_MKDIR          0: session id  1: mode  2: path length  3..: bytes: path -> ()
 *   FS_ADMIN_LIST           0: session id  1: cookie  2: path length  3..: bytes: path
 *                           -> 0: cookie to continue from  1: 1 when the listing ended
 *                              2: records  3..: bytes: per entry its type (1 byte),
 *                              name length (1 byte) and name
 *   FS_ADMIN_STATS          -> FS_STAT_* words
 *   FS_ADMIN_CHECK          0: session id -> () or AE_EINVAL: the session's
 *                           invariants do not hold (the service logs which)
 *   FS_ADMIN_VOLUME_CREATE  0: data byte limit  1: inode limit  2: name length
 *                           3..: bytes: name -> ()
 *   FS_ADMIN_VOLUME_DELETE  0: name length  1..: bytes: name -> (); sessions
 *                           that mounted it keep it until they close
 *   FS_ADMIN_SESSION_STATS  0: session id -> FS_SSTAT_* words: what the session
 *                           costs and where that memory comes from
 *   FS_ADMIN_ARCHIVE_ADD    0: name length  1..: bytes: name; caps[0]: a Memory
 *                           capability (READ) holding an image archive (an image
 *                           imported at run time, docs/CM.md) -> (); AE_EINVAL if
 *                           it does not validate, AE_EEXIST if the name is taken.
 *                           A session's image path "@NAME/DIR" is DIR of it.
 *   FS_ADMIN_ARCHIVE_DROP   0: name length  1..: bytes: name -> (); AE_EBUSY while
 *                           a session's root is in it
 *   FS_ADMIN_RUN_QUEUED     0: session id -> 0: operations run. Runs the operations
 *                           the session's client queued in its buffer's control
 *                           block (above) as its next request would, now: the
 *                           container manager's fork calls it on a stopped
 *                           container so the copy of its files holds every write
 *                           its program saw succeed. 0 if the session has no
 *                           buffer or block; AE_EDEAD if the buffer's memory is gone
 *   FS_ADMIN_FORK_SESSION   0: source session id  1: destination session id -> ();
 *                           copies the source's private layer (files and their
 *                           pages, directories, whiteouts, symbolic and hard links,
 *                           inode numbers, attributes) into the destination, which
 *                           must be of the same image (else AE_EINVAL; the same id:
 *                           AE_EINVAL) with no private file yet (AE_ENOTEMPTY).
 *                           Pages are charged to the destination (AE_ENOSPC: part
 *                           copied; its opener closes it). Mounted volumes are not
 *                           copied. For the container manager's fork (docs/FORK.md).
 */
enum fs_service_op {
    FS_OP_ATTACH           = 32,
    FS_ADMIN_OPEN_SESSION  = 64,
    FS_ADMIN_CLOSE_SESSION = 65,
    FS_ADMIN_READ          = 66,
    FS_ADMIN_WRITE         = 67,
    FS_ADMIN_STATS         = 68,
    FS_ADMIN_CHECK         = 69,
    FS_ADMIN_VOLUME_CREATE = 70,
    FS_ADMIN_VOLUME_DELETE = 71,
    FS_ADMIN_STAT          = 72,
    FS_ADMIN_MKDIR         = 73,
    FS_ADMIN_LIST          = 74,
    FS_ADMIN_SESSION_STATS = 75,
    FS_ADMIN_ARCHIVE_ADD   = 76,
    FS_ADMIN_ARCHIVE_DROP  = 77,
    FS_ADMIN_RUN_QUEUED    = 78,
    FS_ADMIN_FORK_SESSION  = 79,
    FS_SERVICE_OP_END
};

#define FS_SESSION_F_RDONLY   0x1u        /* every change fails with AE_EROFS */
#define FS_SESSION_HANDLES_MAX 65536u     /* the largest handle limit a session can have */
#define FS_ADMIN_VOLUMES_MAX  4u
#define FS_VOLUME_NAME_MAX    31u
#define FS_ARCHIVE_NAME_MAX   31u
#define FS_ARCHIVES_MAX       64u
#define FS_GRANT_RW           0x1u
#define FS_GRANT(name_len, mount_len, rw) \
    ((uint64_t)(name_len) | (uint64_t)(mount_len) << 8 | (uint64_t)(rw) << 16)
#define FS_GRANT_NAME_LEN(g)  ((uint32_t)(g) & 0xFF)
#define FS_GRANT_MOUNT_LEN(g) ((uint32_t)((g) >> 8) & 0xFF)
#define FS_GRANT_FLAGS(g)     ((uint32_t)((g) >> 16))
#define FS_ADMIN_OPEN_WORDS   6u          /* fixed words before the grants */

#define FS_ADMIN_W_CREATE     0x1u        /* create the file if missing */
#define FS_ADMIN_W_TRUNC      0x2u        /* truncate it to 0 first */
#define FS_ADMIN_READ_MAX     ((FS_MSG_WORDS - 2) * 8u)
#define FS_ADMIN_WRITE_MAX    ((FS_MSG_WORDS - 6) * 8u)
#define FS_ADMIN_LIST_MAX     ((FS_MSG_WORDS - 3) * 8u)   /* record bytes one LIST reply carries */
#define FS_ADMIN_PATH_MAX     ((FS_MSG_WORDS - 4) * 8u)   /* READ's limit; WRITE shares its room with the data */

/* FS_ADMIN_STATS reply words. */
enum {
    FS_STAT_SESSIONS = 0,     /* sessions open */
    FS_STAT_DATA_PAGES,       /* file data and index pages in use, all sessions and volumes */
    FS_STAT_POOL_PAGES,       /* pages the service holds from its quota for them */
    FS_STAT_QUOTA_USED,       /* the service's quota: bytes used */
    FS_STAT_QUOTA_LIMIT,      /* and its limit */
    FS_STAT_IMAGES,           /* image indexes built */
    FS_STAT_VOLUMES,          /* named volumes */
    FS_STAT_BUFFER_FAULTS,    /* faults on a vanished client buffer, recovered */
    FS_STAT_REQUESTS,         /* requests served */
    FS_STAT_OWN_LIMIT,        /* bytes the own pool may hand out (sessions without a quota, volumes) */
    FS_STAT_QUOTA_PAGES,      /* pages in use made from clients' quotas (also in DATA_PAGES) */
    FS_STAT_QUOTA_FAULTS,     /* faults on a vanished quota's pages, recovered */
    FS_STAT_META_HEAP,        /* bytes of the metadata heap in use (every session's and the service's) */
    FS_STAT_META_POOL,        /* bytes sessions hold past their promises (docs/FS.md, "Metadata") */
    FS_STAT_META_POOL_SIZE,   /* what they may hold past them together */
    FS_STAT_META_PROMISED,    /* sessions holding a promise kept in the heap (late ones are in META_POOL) */
    FS_STAT_WORDS
};

/* FS_ADMIN_SESSION_STATS reply words. */
enum {
    FS_SSTAT_DATA_BYTES = 0,  /* pages of file data, index and link targets in use, in bytes */
    FS_SSTAT_DATA_LIMIT,      /* the session's data limit */
    FS_SSTAT_INODES,          /* inodes used (and names past a file's first) */
    FS_SSTAT_INODE_LIMIT,
    FS_SSTAT_HANDLES,         /* open handles */
    FS_SSTAT_META_BYTES,      /* metadata the service holds for it (its own heap) */
    FS_SSTAT_QUOTA_BYTES,     /* Memory objects made from its quota, in bytes (0 without one) */
    FS_SSTAT_FLAGS,           /* FS_SSTAT_F_* */
    FS_SSTAT_READ_BYTES,      /* file bytes its READs returned */
    FS_SSTAT_WRITE_BYTES,     /* file bytes its WRITEs wrote */
    FS_SSTAT_META_PROMISE,    /* metadata it is promised (48 KiB kept in the heap, or a late 8 KiB from the pool);
                               * 0 for a session opened with a quota: it pays a deposit instead */
    FS_SSTAT_META_LIMIT,      /* metadata it may hold at most (its cap) */
    FS_SSTAT_META_DEPOSIT,    /* bytes of its quota committed to pay for its metadata (quota sessions) */
    FS_SSTAT_WORDS
};
#define FS_SSTAT_F_QUOTA      0x1u        /* its pages come from its opener's quota */
#define FS_SSTAT_F_LOST       0x2u        /* that quota vanished: the session answers AE_EDEAD */

_Static_assert((int)FS_OP_COUNT <= (int)FS_OP_ATTACH, "service opcodes follow the core's");
_Static_assert(FS_STAT_WORDS <= FS_MSG_WORDS, "stats fit a message");
_Static_assert(FS_SSTAT_WORDS <= FS_MSG_WORDS, "session stats fit a message");
_Static_assert(sizeof(struct fs_dirent_rec) == 24, "readdir record header is 24 bytes");
_Static_assert(FS_REQ_WORDS_MAX <= FS_MSG_WORDS, "requests fit a message");
_Static_assert(FS_REPLY_WORDS_MAX <= FS_MSG_WORDS, "replies fit a message");
_Static_assert(FS_NAME_MAX <= UINT8_MAX, "name_len is 8 bits");
_Static_assert((FS_O_ACCMODE | FS_O_CREAT | FS_O_EXCL | FS_O_TRUNC | FS_O_APPEND |
                FS_O_DIRECTORY | FS_O_NOFOLLOW) == FS_O_ALL, "FS_O_ALL lists every flag");
_Static_assert(FS_W_BASE2 < FS_REQ_WORDS_MAX, "the directory handles fit the request words");

#endif
