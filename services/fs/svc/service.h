/*
 * service.h — the fs service program: the glue that runs the fs core
 * (services/fs/fs.h) on Aerie. What its files share:
 *
 *   main.c      start-up: grants, arguments, the boot image, worker threads
 *               (one per CPU, all receiving on the endpoint), the fault thread
 *   env.c       struct fs_env on Aerie: futex mutexes, the clock
 *   acct.c      where a session's pages come from: its client's quota (a
 *               window of Memory objects from it) or the own pool; metadata
 *               counts; a fault on a vanished quota's page is recovered
 *   table.c     the session table (sessions by id and by boot badge), the
 *               image cache, named volumes
 *   archives.c  image archives added at run time (imported images)
 *   shbuf.c     client buffers: mapped into a reserved arena; a fault on one
 *               whose memory vanished is recovered, never fatal
 *   handlers.c  the operations: the core's requests, ATTACH, the admin ones
 *
 * Locks: table_lock guards the tables and each session's buffer pointer; it
 * is held only for lookups and insertions, never during an fs operation.
 * Order: a core lock (session, volume), then an account's lock or the own
 * pool's (acct.c); table_lock is never held while a core lock is taken
 * except around session and image creation, which take no other session's
 * lock. The fault thread takes acct.c's registry lock, which no worker
 * holds while it touches client memory.
 */
#ifndef AERIE_FS_SERVICE_H
#define AERIE_FS_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <aerie/proto/fs.h>
#include "../fs.h"
#include "../decode.h"
#include "../meta.h"
#include <libaerie/server.h>
#include "persist.h"

/* Everything the service knows lives in memory that outlives its task
 * (persist.h, docs/RESTART.md): its files allocate from that heap.
 * shbuf.c and main.c (client buffers, worker records: this instance's
 * alone) define SVC_VOLATILE_HEAP and use the C library's. */
#ifndef SVC_VOLATILE_HEAP
#include <stdlib.h>
#define malloc(n) p_malloc(n)
#define calloc(n, s) p_calloc(n, s)
#define free(p) p_free(p)
#endif

#define SVC_SESSIONS_MAX  65536u      /* sessions open at once (one buffer slot each) */
#define SVC_IMAGES_MAX    256u        /* distinct image prefixes indexed at once */
#define SVC_VOLUMES_MAX   64u
#define SVC_BUCKETS       1024u
#define SVC_ARENA_SLOT    (2ull << 20) /* each buffer's window: FS_SHBUF_MAX, then unmapped */

struct shctl_keep;                    /* shctl.c */

/* A client's shared buffer, mapped at its arena slot. */
struct shbuf {
    uint8_t *base;
    uint64_t bytes;                   /* what requests may name */
    uint64_t mapped;                  /* bytes, and the control block if there is one */
    struct fs_shctl *ctl;             /* base + bytes (FS_ATTACH_F_CTL), or NULL */
    uint32_t slot;
    uint32_t refs;                    /* atomic: the session's pointer + requests using it */
    volatile bool lost;               /* its memory vanished under a request */
    pthread_mutex_t run_lock;         /* one runner of the block's queue at a time (shctl.c) */
};

/* An image archive added at run time (FS_ADMIN_ARCHIVE_ADD), mapped
 * read-only: sessions whose image path is "@NAME/..." are rooted in it. */
struct svc_archive {
    struct svc_archive *next;         /* table_lock */
    uint64_t mem;                     /* our capability */
    const uint8_t *base;
    uint64_t bytes;
    char name[FS_ARCHIVE_NAME_MAX + 1];
};

/* A built image index for one prefix of the boot image or of an archive. */
struct svc_image {
    struct svc_image *next;           /* table_lock */
    struct fs_image *img;             /* holds one reference */
    struct svc_archive *archive;      /* where it is, or NULL: the boot image */
    uint32_t sessions;                /* table_lock */
    size_t len;
    char prefix[];
};

struct svc_volume {
    struct svc_volume *next;          /* table_lock */
    struct fs_volume *vol;            /* holds one reference */
    char name[FS_VOLUME_NAME_MAX + 1];
};

/* Where one session's pages come from (acct.c), and what it costs. */
struct acct_chunk;
struct svc_acct {
    struct fs_env env;                /* the session's environment: ctx is this */
    uint64_t quota;                   /* our capability to the client's quota; 0: the own pool */
    uint64_t base, bytes, reserved;   /* its window (quota accounts) */
    uint32_t nslots, hint, empty;     /* lock: */
    struct acct_chunk **slots;        /* lock: by window slot */
    struct acct_chunk *partial;       /* lock: chunks with a free page */
    uint64_t pages_used;              /* lock (atomic for the own pool) */
    uint64_t charged;                 /* lock: bytes of Memory objects taken from the quota */
    struct fs_meta meta;              /* lock (atomic .used for the own account): its blocks of
                                       * the service's heap, its promise and cap (../meta.h) */
    bool metered;                     /* a session's: held to meta's promise, pool and cap */
    bool funded;                      /* a quota session's: its metadata paid by a deposit in
                                       * that quota (acct.c), no promise, no pool */
    uint64_t dep_mem;                 /* the deposit: lazy Memory of the quota (kept by root) */
    uint64_t deposit;                 /* lock: bytes of it committed (charged) */
    bool lost;                        /* atomic: the quota's memory vanished */
    bool settled;                     /* atomic: the core session was told */
    pthread_mutex_t lock;
    struct svc_acct *next;            /* the registry of windows */
};

struct svc_session {
    uint32_t id;
    uint64_t boot_badge;              /* a boot service's badge, or 0 */
    uint64_t cap;                     /* the capability we minted (revoked at close), or 0 */
    struct fs_session *fs;            /* the creator's reference, dropped at close */
    struct svc_acct *acct;            /* its memory; freed with the session */
    struct svc_image *image;          /* or NULL */
    uint32_t refs;                    /* atomic: the table + requests in flight */
    bool recheck;                     /* atomic: taken over from a dead instance, not yet checked */
    uint64_t read_bytes, write_bytes; /* atomic: file bytes it read and wrote (aerie top) */
    uint64_t changes;                 /* table_lock: its count of changes (shctl.c) */
    struct shctl_keep *ctl_keep;      /* table_lock: how a restart reaches its buffer's block */
    /* table_lock: */
    struct shbuf *buf;
    struct svc_session *next;         /* hash chain by id */
    struct svc_session *boot_next;    /* the boot services' sessions */
};

struct fs_service {
    struct fs_env env;                /* images and volumes: the own pool (own->env) */
    struct svc_acct *own;
    uint64_t ep;                      /* fs.server: receive, and mint session caps from */
    const uint8_t *image_base;        /* the boot image, read-only, or NULL */
    uint64_t image_bytes;
    struct fs_limits client_limits;   /* for boot services granted "fs" */
    uint64_t own_bytes;               /* the own pool's limit: every session without a quota */

    pthread_mutex_t table_lock;
    struct svc_session *buckets[SVC_BUCKETS];
    struct svc_session *boot_sessions;
    uint32_t nsessions, next_id;
    struct svc_image *images;
    uint32_t nimages;
    struct svc_volume *volumes;
    uint32_t nvolumes;
    struct svc_archive *archives;
    uint32_t narchives;

    /* the buffer arena (shbuf.c) */
    uint64_t arena;                   /* SVC_ARENA_SLOT-aligned base */
    struct shbuf *volatile *slots;    /* by slot; read by the fault thread without a lock */
    uint64_t *slot_used;              /* bitmap, table_lock */

    /* counters (atomic) */
    uint64_t requests, buffer_faults, quota_faults;

    void *acct_state;                 /* acct.c's */
    uint64_t restarts;                /* instances that took this state over */
};

/* One per worker thread: the core's request scratch is ~12 KiB. */
struct svc_worker {
    struct fs_service *svc;
    struct fs_request req;
};

/* env.c: locks and the clock (acct.c adds the memory) */
void env_init(struct fs_env *env);

/* acct.c */
/* The pool's and registry's state, in *state (made if NULL; it lives in
 * the persistent heap and is found there again after a restart). */
int acct_init(void **state);
/* An account over quota (a capability the account takes over; 0: the own
 * pool), with a window for data_bytes of pages; env from base. With lim
 * (a session's) its metadata is metered (../meta.h): a promise if one is
 * free, a cap from lim, and its own records charged first (AE_ENOMEM if
 * they do not fit); without (the service's own), only counted. */
int acct_new(const struct fs_env *base, uint64_t quota, uint64_t data_bytes,
             const struct fs_limits *lim, struct svc_acct **out);
/* Charges n more bytes of the session's records (a block) to a. */
int acct_meta_charge(struct svc_acct *a, uint64_t n);
/* A restart: the pool counted again from every metered account's count,
 * before any worker runs (acct_recount_begin, then each account). */
void acct_recount_begin(void);
void acct_recount(struct svc_acct *a);
/* A session's recount after a restart (table.c recheck): its core holds
 * core block bytes; its count becomes that plus its records exactly. */
void acct_meta_recounted(struct svc_acct *a, uint64_t core);
/* The heap's block for n bytes (fs_env-style cost, for fs_session_meta). */
uint64_t acct_meta_block(size_t n);
/* The pool: bytes drawn past promises, its size, promises held. */
void acct_meta_pool(uint64_t *used, uint64_t *size, uint64_t *promised);
void acct_free(struct svc_acct *a);
bool acct_lost(const struct svc_acct *a);
/* A restart: clears a loss the dead instance's own end caused (true if it did). */
bool acct_recover(struct svc_acct *a);
/* If a's quota vanished, ends the core session's use of its pages (once). */
void acct_settle(struct svc_acct *a, struct fs_session *fs);
void acct_usage(struct svc_acct *a, uint64_t *charged, uint64_t *meta, uint64_t *pages);
/* Its metadata promise and cap (0, 0 for the own account). */
void acct_meta_limits(struct svc_acct *a, uint64_t *promise, uint64_t *cap, uint64_t *deposit);
/* Bytes of pages the session can surely still get now: what its chunks
 * from its quota have free (taking one more when that is little), or the
 * own pool's room (shared with every session drawing on it). */
uint64_t acct_room(struct svc_acct *a);
/* A worker's fault at addr (error: its error code): true if it was in a
 * window and is recovered. */
bool acct_fault(uint64_t addr, uint64_t error);
/* A private zero page of the service's own mapped at the page of addr,
 * in place of a client's page that vanished (a worker faulted there); true
 * also when another worker's fault filled it first. */
bool acct_stand_in(uint64_t addr);
void acct_pool_limit(uint64_t bytes);
void acct_pool_counts(uint64_t *in_use, uint64_t *pooled, uint64_t *limit, uint64_t *quota_pages);

/* table.c */
int table_init(struct fs_service *svc);
/* A new instance, before p_recover: forgets capability slots of the dead
 * instance's that the keeper may not give back (shctl_forget_slot). */
void table_forget_slots(struct fs_service *svc);
/* A new instance took the table over: buffers dropped, only the table's
 * references left, every session's invariants checked (*bad: how many
 * failed). Returns the number of sessions. */
unsigned table_recover(struct fs_service *svc, unsigned *bad);
/* The session a badge names (a boot service's is made on first use), with
 * a reference on it and on its buffer (*buf may be NULL). AE_EDEAD: closed
 * or never opened; AE_EPERM: not a session badge. */
int session_acquire(struct fs_service *svc, uint64_t badge, struct svc_session **s,
                    struct shbuf **buf);
/* The same by id, for admin operations (and its buffer if buf is not
 * NULL). AE_ENOENT if none. (Both settle a session whose quota vanished
 * first: acct_settle.) */
int session_acquire_id(struct fs_service *svc, uint32_t id, struct svc_session **s,
                       struct shbuf **buf);
void session_release(struct fs_service *svc, struct svc_session *s, struct shbuf *buf);
/* Replaces the session's buffer with b (taking over b's reference). */
void session_set_buffer(struct fs_service *svc, struct svc_session *s, struct shbuf *b,
                        struct shctl_keep *keep);

struct session_args {
    const char *image;                /* prefix in the boot image */
    size_t image_len;                 /* 0: an empty root */
    struct fs_limits limits;
    uint32_t flags;                   /* FS_SESSION_RDONLY */
    uint64_t quota;                   /* a Quota capability of ours the session pays with, or 0 */
    unsigned nvolumes;
    struct { const char *name; size_t name_len; const struct fs_path *mount; bool rw; }
        volumes[FS_ADMIN_VOLUMES_MAX];
};
/* Creates a session and mints its capability (into *cap, kept by the
 * table); returns its id in *id. */
int session_open(struct fs_service *svc, const struct session_args *a, uint32_t *id,
                 uint64_t *cap);
int session_close(struct fs_service *svc, uint32_t id);
int volume_create(struct fs_service *svc, const char *name, size_t len,
                  const struct fs_limits *lim);
int volume_delete(struct fs_service *svc, const char *name, size_t len);
void table_counts(struct fs_service *svc, uint64_t *sessions, uint64_t *images,
                  uint64_t *volumes);

/* archives.c */
int archive_add(struct fs_service *svc, const char *name, size_t len, uint64_t mem);
int archive_drop(struct fs_service *svc, const char *name, size_t len);
/* Where image path prefix[0..len) lives: the boot image, or the archive
 * its "@NAME/" names (then *sub is the rest). table_lock held. */
int archive_resolve(struct fs_service *svc, const char *prefix, size_t len, const uint8_t **base,
                    uint64_t *bytes, const char **sub, size_t *sublen, struct svc_archive **arch);
/* Forgets the images built from arch; AE_EBUSY if a session uses one.
 * table_lock held. */
int images_forget(struct fs_service *svc, struct svc_archive *arch);

/* shbuf.c */
int shbuf_init(struct fs_service *svc);
/* Maps the client's Memory capability mem into a free arena slot. */
int shbuf_attach(struct fs_service *svc, uint64_t mem, uint64_t flags, struct shbuf **out);
void shbuf_get(struct shbuf *b);
void shbuf_put(struct fs_service *svc, struct shbuf *b);
/* A page fault of a worker at addr: true if it was in a client buffer and
 * is now recovered (a private zero page stands in; the buffer is lost). */
bool shbuf_fault(struct fs_service *svc, uint64_t addr);

/* shctl.c: buffers' control blocks (struct fs_shctl) */
struct shctl_keep;
/* Counts a change of s and shows the count in its buffer's block. */
void shctl_publish(struct fs_service *svc, struct svc_session *s);
/* Runs the operations the client queued in b's block on fs (none if b
 * has no block), with req as scratch; true if a write or unlink was among
 * them (the caller then publishes one change). *ran (if not NULL): how
 * many ran; the bytes the queued writes wrote are added to *wrote. Takes
 * b's run_lock: a request and FS_ADMIN_RUN_QUEUED never run one queue
 * twice. */
bool shctl_run_deferred(struct fs_session *fs, struct shbuf *b, struct fs_request *req,
                        uint64_t *ran, uint64_t *wrote);
/* ATTACH with a block: a record of mem (the buffer's capability, taken
 * over) that a restarted instance can reach, or NULL (no keeper). */
struct shctl_keep *shctl_keep_new(uint64_t mem, uint64_t ctl_off);
void shctl_keep_free(struct shctl_keep *k);
/* A new instance, before p_recover: the slot the dead instance had for
 * the buffer's capability means nothing now (p_recover writes the new one
 * back only if the keeper still holds it). */
void shctl_forget_slot(struct svc_session *s);
/* A new instance: tells the block of s's last buffer that it is detached. */
void shctl_recover(struct svc_session *s);

/* handlers.c */
extern const struct ae_op svc_ops[FS_SERVICE_OP_END];

#endif
