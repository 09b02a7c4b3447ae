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
 * Paths are resolved from the session's root; a leading '/' is optional,
 * "." and empty components vanish, ".." removes the previous component and
 * stays at the root. Limits: FS_PATH_MAX bytes, FS_NAME_MAX per component,
 * no NUL byte; every other byte is allowed.
 */
#ifndef AERIE_PROTO_FS_H
#define AERIE_PROTO_FS_H

#include <stdint.h>

#define FS_MSG_WORDS     60          /* words an IPC message carries */
#define FS_PATH_MAX      4096u       /* bytes in a path as sent */
#define FS_NAME_MAX      255u        /* bytes in one component */
#define FS_FILE_MAX      (1ull << 40) /* largest file size: 1 TiB */
#define FS_OFF_CURRENT   UINT64_MAX  /* READ/WRITE offset: use and advance the handle's position */

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
#define FS_O_ALL        0x1f3u

/* SEEK whence. */
#define FS_SEEK_SET     0u
#define FS_SEEK_CUR     1u
#define FS_SEEK_END     2u

/* Node types (stat and readdir). */
#define FS_TYPE_FILE    1u
#define FS_TYPE_DIR     2u

#define FS_MODE_MASK    07777u

/*
 * Request words, per opcode (index: meaning). "path" is a pair
 * (offset, length) into the shared buffer; so is "buf".
 *
 *   OPEN      0,1: path  2: flags  3: mode (for FS_O_CREAT)
 *   CLOSE     0: handle
 *   READ      0: handle  1: file offset or FS_OFF_CURRENT  2,3: buf (data goes here)
 *   WRITE     0: handle  1: file offset or FS_OFF_CURRENT  2,3: buf (data comes from here)
 *   SEEK      0: handle  1: offset (two's complement)  2: whence
 *   FTRUNCATE 0: handle  1: size
 *   TRUNCATE  0,1: path  2: size
 *   FSTAT     0: handle
 *   STAT      0,1: path
 *   MKDIR     0,1: path  2: mode
 *   UNLINK    0,1: path
 *   RMDIR     0,1: path
 *   RENAME    0,1: old path  2,3: new path
 *   READDIR   0: handle  1: cookie (0 = from the start)  2,3: buf for records
 *   STATFS    (none)
 */
enum {
    FS_W_PATH_OFF = 0, FS_W_PATH_LEN = 1,      /* OPEN, TRUNCATE, STAT, MKDIR, UNLINK, RMDIR */
    FS_W_FLAGS = 2, FS_W_MODE = 3,             /* OPEN */
    FS_W_SIZE = 2,                             /* TRUNCATE */
    FS_W_DIR_MODE = 2,                         /* MKDIR */
    FS_W_NEW_OFF = 2, FS_W_NEW_LEN = 3,        /* RENAME */
    FS_W_HANDLE = 0,                           /* handle operations */
    FS_W_FILE_OFF = 1,                         /* READ, WRITE, SEEK (offset) */
    FS_W_HSIZE = 1,                            /* FTRUNCATE */
    FS_W_COOKIE = 1,                           /* READDIR */
    FS_W_BUF_OFF = 2, FS_W_BUF_LEN = 3,        /* READ, WRITE, READDIR */
    FS_W_WHENCE = 2,                           /* SEEK */
};

/* Words each request must carry (more are ignored). */
#define FS_REQ_WORDS_MAX 4

/*
 * Reply words, per opcode:
 *   OPEN      0: handle, then a stat (FS_R_STAT_*) from word 1
 *   READ      0: bytes read (0 at or after the end)
 *   WRITE     0: bytes written (fewer than asked when the space ran out)
 *   SEEK      0: the new position
 *   FSTAT, STAT  a stat from word 0
 *   READDIR   0: bytes of records  1: records  2: cookie to continue from  3: 1 at the end
 *   STATFS    0: data bytes used  1: data bytes limit  2: inodes used  3: inodes limit
 *             4: handles open  5: handles limit
 *   others    none
 * A stat is 7 words: ino, type, mode, size, blocks (512-byte units of
 * private memory), nlink, dev (0: the session's own tree, 1+i: volume i).
 */
enum {
    FS_R_STAT_INO = 0, FS_R_STAT_TYPE, FS_R_STAT_MODE, FS_R_STAT_SIZE,
    FS_R_STAT_BLOCKS, FS_R_STAT_NLINK, FS_R_STAT_DEV, FS_R_STAT_WORDS
};
#define FS_R_OPEN_HANDLE   0
#define FS_R_OPEN_STAT     1
#define FS_R_READDIR_BYTES 0
#define FS_R_READDIR_COUNT 1
#define FS_R_READDIR_NEXT  2
#define FS_R_READDIR_EOF   3
#define FS_REPLY_WORDS_MAX (1 + FS_R_STAT_WORDS)

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

_Static_assert(sizeof(struct fs_dirent_rec) == 24, "readdir record header is 24 bytes");
_Static_assert(FS_REQ_WORDS_MAX <= FS_MSG_WORDS, "requests fit a message");
_Static_assert(FS_REPLY_WORDS_MAX <= FS_MSG_WORDS, "replies fit a message");
_Static_assert(FS_NAME_MAX <= UINT8_MAX, "name_len is 8 bits");
_Static_assert((FS_O_ACCMODE | FS_O_CREAT | FS_O_EXCL | FS_O_TRUNC | FS_O_APPEND |
                FS_O_DIRECTORY) == FS_O_ALL, "FS_O_ALL lists every flag");

#endif
