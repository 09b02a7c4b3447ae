/*
 * forkee — a container program for `aerie fork` (docs/FORK.md, tests/fork/).
 *
 *   forkee [KIB [MODE [FILES_KIB]]]
 *                         fills an array of KIB KiB (default 512) in 8
 *                         parts, says "ready", then waits: as the original
 *                         until /done exists in its files, as a clone (its
 *                         clone generation changed) at once. A clone
 *                         rewrites part index-1 of 8; each then checks
 *                         every part, prints its random numbers and ends
 *                         (status 0, or 10 + the first wrong part).
 *   MODE block            first waits in an IPC receive on an endpoint of
 *                         its own and prints what the receive returned
 *                         when the fork ended it (docs/FORK.md).
 *   MODE idle             waits for ever (a warm container for the bench).
 *   MODE links            first writes /kept, links it as /kept2 and
 *                         symbolically as /ln, deletes its image's /seed,
 *                         and waits in an IPC receive the fork ends; then
 *                         says "links=ok" if it still sees all of that
 *                         (a clone: through its own session's copy).
 *   FILES_KIB             first writes that many KiB of private files
 *                         (/files/fN, 64 KiB each, closed: a warm
 *                         container with files, for `make bench-fork`).
 *   MODE threads          first starts 3 more threads (one waits in a
 *                         condition variable, two sleep in a loop); after
 *                         the fork (or /done) each of the 4 rewrites its
 *                         quarter of the clone's part and checks its TLS,
 *                         and main joins them: "threads=ok" (a clone of
 *                         a container of several threads: every thread
 *                         runs on in the clone, on the clone's memory).
 *   MODE grabs            first copies its self.fault and fs capabilities
 *                         into other slots, and at the end says whether
 *                         the copies are there (review3 F3: a clone must
 *                         not have them).
 *   MODE files            first reads the head of /seed (in its image:
 *                         apps/forkee/files/seed, "0123456789abcdefghij...") through
 *                         libaerie's fs client (its read-ahead now holds
 *                         it) and waits in an IPC receive the fork ends;
 *                         then reads on from the same handle (review3 F7:
 *                         a clone served that from its zeroed buffer) and
 *                         says what it got; a clone also writes /mine
 *                         through its own session and reads it back.
 *   MODE statfs           after "ready", asks the fs service for its
 *                         figures (statfs: one call each time) over and
 *                         over, until /done (the original) or 200 calls
 *                         after the fork (a clone), and says
 *                         "statfs calls=N errors=N first=ERR": a call
 *                         caught by a fork must not fail for it
 *                         (docs/FORK.md, "A fork during a call").
 *   MODE behind           first writes /behind with 40 write()s of 100
 *                         bytes, which libaerie queues (write-behind: no
 *                         fsync, no close, no other fs call) and waits in
 *                         an IPC receive the fork ends (finding F3: the
 *                         copy missed the queued writes). A clone then
 *                         reads /behind afresh; the original writes one
 *                         record more on the same descriptor, closes it
 *                         and reads it back (its queue ran once, not
 *                         twice). Each says "behind=ok (BYTES)" or WRONG.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include <libaerie/fs.h>
#include <aerie/errors.h>
#include <aerie/capenv.h>

static uint64_t own_state;               /* a generator of the program's own, reseeded on a fork */

static uint64_t own_next(void)
{
    own_state ^= own_state << 13;
    own_state ^= own_state >> 7;
    own_state ^= own_state << 17;
    return own_state;
}

static uint64_t expected(unsigned part, uint64_t i, unsigned mine)
{
    return part == mine ? 0xC10E000000000000ull + part * 0x100000000ull + i : part * 0x1000000ull + i;
}

/* ---- MODE threads ---- */
#define WORKERS 3
static uint64_t *array, per_part;
static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go;
static __thread unsigned my_quarter = 99;

/* Quarter k of this clone's part (none in the original), rewritten. */
static void rewrite_quarter(unsigned k)
{
    unsigned mine = (unsigned)ae_clone_index();
    if (mine < 1 || mine > 8)
        return;
    for (uint64_t i = k * per_part / 4; i < (k + 1) * per_part / 4; i++)
        array[(mine - 1) * per_part + i] = expected(mine - 1, i, mine - 1);
}

/* Worker k (1..3): waits for go — worker 1 in a condition variable, the
 * others sleeping in a loop — then rewrites its quarter; returns 0 if its
 * thread-local variable is still its own. */
static void *worker(void *arg)
{
    my_quarter = (unsigned)(uintptr_t)arg;
    pthread_mutex_lock(&go_lock);
    while (!go) {
        if (my_quarter == 1)
            pthread_cond_wait(&go_cond, &go_lock);
        else {
            pthread_mutex_unlock(&go_lock);
            ae_sleep_ns(1000 * 1000);
            pthread_mutex_lock(&go_lock);
        }
    }
    pthread_mutex_unlock(&go_lock);
    rewrite_quarter(my_quarter);
    return my_quarter == (unsigned)(uintptr_t)arg ? NULL : (void *)1;
}

static int start_workers(pthread_t *w)
{
    for (unsigned k = 1; k <= WORKERS; k++)
        if (pthread_create(&w[k - 1], NULL, worker, (void *)(uintptr_t)k))
            return -1;
    return 0;
}

/* Lets the workers go, does quarter 0 itself, joins them: "ok" if every
 * one ran and kept its TLS. */
static const char *finish_workers(pthread_t *w)
{
    pthread_mutex_lock(&go_lock);
    go = 1;
    pthread_cond_broadcast(&go_cond);
    pthread_mutex_unlock(&go_lock);
    my_quarter = 0;
    rewrite_quarter(0);
    const char *how = "ok";
    for (unsigned k = 0; k < WORKERS; k++) {
        void *res = (void *)1;
        if (pthread_join(w[k], &res) || res)
            how = "WRONG";
    }
    return my_quarter == 0 ? how : "WRONG";
}

/* ---- MODE behind ---- */
#define BEHIND_REC 100

static void behind_record(unsigned k, char *rec)
{
    for (unsigned j = 0; j < BEHIND_REC; j++)
        rec[j] = (char)('a' + (k * 7 + j) % 26);
}

/* /behind holds exactly records 0..n-1: "ok", else "WRONG"; *size its size. */
static const char *behind_check(unsigned n, long *size)
{
    static char got[64 * BEHIND_REC];
    char rec[BEHIND_REC];
    int fd = open("/behind", O_RDONLY);
    long have = 0, r;
    while (fd >= 0 && have < (long)sizeof got && (r = read(fd, got + have, sizeof got - (size_t)have)) > 0)
        have += r;
    if (fd >= 0)
        close(fd);
    *size = fd < 0 ? -1 : have;
    if (have != (long)n * BEHIND_REC)
        return "WRONG";
    for (unsigned k = 0; k < n; k++) {
        behind_record(k, rec);
        if (memcmp(got + k * BEHIND_REC, rec, BEHIND_REC))
            return "WRONG";
    }
    return "ok";
}

/* FILES_KIB: /files/f0, f1, ... of 64 KiB each (the last one shorter),
 * in 4 KiB writes, each file closed. 0 or -1. */
static int write_files(uint64_t kib)
{
    static char blk[4096];
    if (kib && mkdir("/files", 0755))
        return -1;
    for (unsigned f = 0; kib; f++) {
        char path[32];
        snprintf(path, sizeof path, "/files/f%u", f);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            return -1;
        for (unsigned k = 0; k < 16 && kib >= 4; k++, kib -= 4) {
            memset(blk, 'a' + (f + k) % 26, sizeof blk);
            if (write(fd, blk, sizeof blk) != (long)sizeof blk)
                return -1;
        }
        if (kib < 4)
            kib = 0;
        if (close(fd))
            return -1;
    }
    return 0;
}

/* MODE links: what the files should show, or the first thing that differs. */
static const char *links_check(void)
{
    struct stat st;
    char buf[32] = "";
    if (stat("/seed", &st) == 0)
        return "WRONG (/seed is back)";
    if (readlink("/ln", buf, sizeof buf) != 5 || memcmp(buf, "/kept", 5))
        return "WRONG (/ln)";
    if (stat("/kept2", &st) || st.st_nlink != 2)
        return "WRONG (/kept2)";
    int fd = open("/ln", O_RDONLY);
    long n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        close(fd);
    return n == 10 && !memcmp(buf, "kept bytes", 10) ? "ok" : "WRONG (the data)";
}

/* MODE statfs: fs calls back to back while the test forks us. */
static void statfs_loop(struct ae_fs *fs, uint64_t gen0)
{
    unsigned long calls = 0, after = 0, errors = 0;
    int first = 0;
    struct stat st;
    uint64_t out[6];
    for (;;) {
        int r = fs ? ae_fs_statfs(fs, out) : AE_ECAP;
        calls++;
        if (r && !errors++)
            first = r;
        if (ae_clone_generation() != gen0) {
            if (++after >= 200)
                break;
        } else if (calls % 64 == 0 && stat("/done", &st) == 0) {
            break;
        }
    }
    printf("forkee: statfs calls=%lu errors=%lu first=%d\n", calls, errors, first);
}

int main(int argc, char **argv)
{
    uint64_t kib = argc > 1 ? strtoull(argv[1], 0, 10) : 512;
    const char *mode = argc > 2 ? argv[2] : "array";
    uint64_t n = kib * 1024 / 8, per = n / 8;
    uint64_t *a = malloc(n * 8);
    if (!a || per == 0) {
        printf("forkee: no memory for %lu KiB\n", (unsigned long)kib);
        return 2;
    }
    for (uint64_t i = 0; i < n; i++)
        a[i] = (i / per) * 0x1000000ull + i % per;
    getrandom(&own_state, sizeof own_state, 0);
    own_state |= 1;
    array = a, per_part = per;
    bool threads = !strcmp(mode, "threads");
    pthread_t workers[WORKERS];
    if (threads && start_workers(workers)) {
        printf("forkee: threads: pthread_create failed\n");
        return 3;
    }
    uint64_t grab_fault = 0, grab_fs = 0;
    if (!strcmp(mode, "grabs")) {
        grab_fault = ae_slot_alloc();
        grab_fs = ae_slot_alloc();
        if (ae_cap_copy(ae_capenv_lookup("self.fault"), grab_fault, AERIE_R_ALL, 0) ||
            ae_cap_copy(ae_capenv_lookup("fs"), grab_fs, AERIE_R_ALL, 0))
            printf("forkee: the copies failed\n");
    }
    struct ae_fs *fs = ae_fs_default();
    uint64_t fh = 0;
    if (!strcmp(mode, "files")) {
        uint8_t head[4] = { 0 };
        struct ae_fs_stat fst;
        int r = fs ? ae_fs_open(fs, "/seed", FS_O_RDONLY, 0, &fh, &fst) : AE_ENOENT;
        if (r || ae_fs_read(fs, fh, 0, head, 4) != 4 || memcmp(head, "0123", 4))
            printf("forkee: files: cannot read /seed (%d)\n", r);
    }
    if (argc > 3 && write_files(strtoull(argv[3], 0, 10))) {
        printf("forkee: writing %s KiB of files failed\n", argv[3]);
        return 4;
    }
    bool links = !strcmp(mode, "links");
    if (links) {
        int fd = open("/kept", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, "kept bytes", 10) != 10 || close(fd) || link("/kept", "/kept2") ||
            symlink("/kept", "/ln") || unlink("/seed"))
            printf("forkee: links: making them failed\n");
    }
    int behind_fd = -1;
    if (!strcmp(mode, "behind")) {
        char rec[BEHIND_REC];
        behind_fd = open("/behind", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        for (unsigned k = 0; k < 40 && behind_fd >= 0; k++) {
            behind_record(k, rec);
            if (write(behind_fd, rec, BEHIND_REC) != BEHIND_REC)
                printf("forkee: behind: write %u failed\n", k);
        }
    }
    uint64_t gen0 = ae_clone_generation();
    printf("forkee: ready gen=%lu\n", (unsigned long)gen0);
    fflush(stdout);
    if (!strcmp(mode, "files")) {
        uint64_t ep = ae_slot_alloc(), badge;
        ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
        ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);           /* until the fork ends it */
        /* Bytes 16-19 are "ghij"; zeros are the clone's replaced buffer
         * served as if it were the file. */
        uint8_t b[4] = { 0 };
        int64_t got = ae_fs_read(fs, fh, 16, b, 4);
        const char *ra = got < 0 ? "refused" : got == 4 && !memcmp(b, "ghij", 4) ? "right" : "WRONG";
        const char *own = "-";
        if (ae_clone_generation() != gen0) {
            static const char mine[] = "the clone's own data";
            char back[64] = "";
            uint64_t h;
            struct ae_fs_stat fst;
            own = "WRONG";
            if (!ae_fs_open(fs, "/mine", FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0644, &h, &fst) &&
                ae_fs_write(fs, h, 0, mine, sizeof mine - 1) == sizeof mine - 1 &&
                ae_fs_read(fs, h, 0, back, sizeof back) == sizeof mine - 1 && !memcmp(back, mine, sizeof mine - 1) &&
                !ae_fs_close(fs, h) && !ae_fs_stat(fs, "/mine", &fst) && fst.size == sizeof mine - 1)
                own = "right";
        }
        printf("forkee: files read-on=%s (%ld) own=%s\n", ra, (long)got, own);
    }
    if (links) {
        uint64_t ep = ae_slot_alloc(), badge;
        ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
        ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);           /* until the fork ends it */
        printf("forkee: links=%s\n", links_check());
    }
    if (behind_fd >= 0) {
        uint64_t ep = ae_slot_alloc(), badge;
        ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
        ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);           /* until the fork ends it */
        unsigned recs = 40;
        if (ae_clone_generation() == gen0) {                  /* the original: one more, then close */
            char rec[BEHIND_REC];
            behind_record(recs++, rec);
            if (write(behind_fd, rec, BEHIND_REC) != BEHIND_REC || close(behind_fd))
                printf("forkee: behind: the write or close after the fork failed\n");
        }
        long size;
        const char *how = behind_check(recs, &size);
        printf("forkee: behind=%s (%ld)\n", how, size);
    }
    if (!strcmp(mode, "statfs"))
        statfs_loop(fs, gen0);
    if (!strcmp(mode, "block")) {
        uint64_t ep = ae_slot_alloc(), badge;
        ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0);
        int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);   /* nobody ever sends */
        printf("forkee: recv returned %ld gen=%lu\n", (long)r, (unsigned long)ae_clone_generation());
    }
    struct stat st;
    for (;;) {                                /* idle and array: until a fork or /done */
        if (ae_clone_generation() != gen0 && strcmp(mode, "idle"))
            break;
        if (strcmp(mode, "idle") && stat("/done", &st) == 0)
            break;
        ae_sleep_ns(2 * 1000 * 1000);
    }
    unsigned mine = (unsigned)ae_clone_index();          /* 0 in the original */
    const char *workers_how = threads ? finish_workers(workers) : NULL;
    if (mine >= 1 && mine <= 8 && !threads)
        for (uint64_t i = 0; i < per; i++)
            a[(mine - 1) * per + i] = expected(mine - 1, i, mine - 1);
    int status = 0;
    for (unsigned p = 0; p < 8 && !status; p++)
        for (uint64_t i = 0; i < per; i++)
            if (a[p * per + i] != expected(p, i, mine >= 1 ? mine - 1 : 99)) {
                status = 10 + (int)p;
                break;
            }
    if (ae_clone_generation() != gen0) {
        getrandom(&own_state, sizeof own_state, 0);  /* what a program with its own generator does */
        own_state |= 1;
    }
    if (workers_how)
        printf("forkee: threads=%s\n", workers_how);
    if (grab_fault) {
        uint64_t b;
        printf("forkee: grabs fault=%s fs=%s\n", ae_cap_info(grab_fault, &b) >= 0 ? "present" : "gone",
               ae_cap_info(grab_fs, &b) >= 0 ? "present" : "gone");
    }
    uint64_t cpus = 0, info[2] = { 0, ~0ull };   /* a clone keeps the original's cpus= (SECURITY.md 78f) */
    ae_quota_cpus(ae_self.quota, &cpus);
    ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 2);
    printf("forkee: cpus=0x%lx cpu=%lu\n", (unsigned long)cpus, (unsigned long)info[1]);
    uint64_t g;
    getrandom(&g, sizeof g, 0);
    printf("forkee: gen=%lu index=%u parts=%s getrandom=%016lx arc4random=%08x own=%016lx\n",
           (unsigned long)ae_clone_generation(), mine, status ? "WRONG" : "ok", (unsigned long)g,
           (unsigned)arc4random(), (unsigned long)own_next());
    return status;
}
