/*
 * test_fs_threads.c — clients calling in concurrently (pthreads standing
 * in for service threads on several CPUs): sessions in parallel, racing
 * rename, unlink, symbolic and hard links of the same names in one
 * session and in a volume shared by two, readdir during changes, and a
 * client that dies in the middle of writing. Afterwards every invariant
 * must hold.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_test.h"
#include "check_more.h"

#define ROUNDS 3000

static struct fs_image *IMG;
static int stop;                 /* atomic */

static struct fs_session *session(void)
{
    struct fs_session *s = NULL;
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_session_create(&T.env, IMG, &lim, 0, &s), 0);
    return s;
}

static void check_ok(struct fs_session *s)
{
    const char *why = "";
    CHECK_STR(fs_session_check(s, &why) ? why : "ok", "ok");
}

/* Thread-safe path parsing into the caller's storage. */
static const struct fs_path *tp(struct fs_path *p, const char *fmt, int i)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, i);
    fs_path_parse(buf, strlen(buf), p);
    return p;
}

struct worker {
    struct fs_session *s;
    int id;
    int errors;                   /* results no interleaving can explain */
    const char *dir;
};

static void *own_session_worker(void *arg)
{
    struct worker *w = arg;
    struct fs_path p, q;
    char want[32], got[32];
    for (int i = 0; i < ROUNDS / 3; i++) {
        uint64_t h;
        snprintf(want, sizeof want, "w%d-%d", w->id, i);
        if (fs_open(w->s, tp(&p, "f%d", i % 7), FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0644, &h, NULL))
            w->errors++;
        else {
            w->errors += fs_write(w->s, h, 0, want, strlen(want)) != (int64_t)strlen(want);
            w->errors += fs_read(w->s, h, 0, got, sizeof got) != (int64_t)strlen(want);
            w->errors += memcmp(got, want, strlen(want)) != 0;
            fs_close(w->s, h);
        }
        w->errors += fs_rename(w->s, tp(&p, "f%d", i % 7), tp(&q, "g%d", i % 5), 0) != 0;
        if (i % 3 == 0)
            w->errors += fs_unlink(w->s, tp(&p, "g%d", i % 5)) != 0;
        if (i % 11 == 0)                          /* copy-ups of the shared image */
            w->errors += put_file(w->s, "etc/conf", want, strlen(want)) < 0;
    }
    return NULL;
}

static void threads_sessions_run_in_parallel(void)
{
    test_env_init(&T);
    IMG = make_image("etc/conf", "conf", NULL);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ .s = session(), .id = i };
        pthread_create(&t[i], NULL, own_session_worker, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char buf[32];
    for (int i = 0; i < 4; i++) {
        CHECK_RC(w[i].errors, 0);
        check_ok(w[i].s);
        CHECK(get_file(w[i].s, "etc/conf", buf, sizeof buf) > 0 && buf[1] == '0' + i);
        fs_session_destroy(w[i].s);
    }
    fs_image_put(IMG);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

/* Races on the names a, b, d/a in w->dir: every call may fail, only with
 * the errors some interleaving explains (a link b -> "a" renamed to d/a
 * names itself: ELOOP; a hard link to a directory: EPERM). */
static void *racer(void *arg)
{
    struct worker *w = arg;
    struct fs_path p, q;
    const char *d = w->dir;
    char a[32], b[32], da[32], dd[32];
    snprintf(a, sizeof a, "%s/a", d);
    snprintf(b, sizeof b, "%s/b", d);
    snprintf(da, sizeof da, "%s/d/a", d);
    snprintf(dd, sizeof dd, "%s/d", d);
    for (int i = 0; i < ROUNDS; i++) {
        int r = 0;
        struct fs_stat st;
        switch ((i + w->id) % 9) {
        case 0: r = fs_rename(w->s, tp(&p, a, 0), tp(&q, b, 0), 0); break;
        case 1: r = fs_unlink(w->s, tp(&p, i & 1 ? a : b, 0)); break;
        case 2: r = (int)put_file(w->s, i & 1 ? a : b, "data", 4); break;
        case 3: r = fs_rename(w->s, tp(&p, b, 0), tp(&q, da, 0), 0); break;
        case 4: r = fs_mkdir(w->s, tp(&p, dd, 0), 0755); break;
        case 5: r = fs_rename(w->s, tp(&p, dd, 0), tp(&q, a, 0), 0); break;
        case 6: r = fs_symlink(w->s, "a", 1, tp(&p, b, 0)); break;
        case 7: r = fs_link(w->s, tp(&p, a, 0), tp(&q, da, 0), 0); break;
        case 8: r = fs_stat(w->s, tp(&p, i & 1 ? b : da, 0), &st); break;
        }
        if (r < 0 && r != AE_ENOENT && r != AE_EEXIST && r != AE_ENOTDIR &&
            r != AE_EISDIR && r != AE_ENOTEMPTY && r != AE_ELOOP && r != AE_EPERM)
            w->errors++;
    }
    return NULL;
}

static void *lister(void *arg)
{
    struct worker *w = arg;
    char names[512];
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        int r = list_dir(w->s, w->dir, names, sizeof names);
        if (r < 0 && r != AE_ENOENT)
            w->errors++;
        else if (r > 3)                           /* a, b, d at most */
            w->errors++;
    }
    return NULL;
}

static void run_racers(struct fs_session *s1, struct fs_session *s2, const char *dir)
{
    struct worker w[4];
    pthread_t t[4];
    __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ .s = i & 1 ? s2 : s1, .id = i, .dir = dir };
        pthread_create(&t[i], NULL, i == 3 ? lister : racer, &w[i]);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    pthread_join(t[3], NULL);
    for (int i = 0; i < 4; i++)
        CHECK_RC(w[i].errors, 0);
}

static void threads_rename_unlink_race_in_one_session(void)
{
    test_env_init(&T);
    IMG = make_image("x/a", "image a", "x/b", "image b", "x/d/a", "image d/a", NULL);
    struct fs_session *s = session();
    run_racers(s, s, "x");
    check_ok(s);
    /* whatever the outcome, the tree is usable: clear it out completely */
    fs_unlink(s, P("x/a")), fs_unlink(s, P("x/b")), fs_unlink(s, P("x/d/a"));
    fs_unlink(s, P("x/a/a")), fs_unlink(s, P("x/a/b")), fs_unlink(s, P("x/a/d/a"));
    fs_rmdir(s, P("x/a/d")), fs_rmdir(s, P("x/a"));
    fs_unlink(s, P("x/d/b")), fs_rmdir(s, P("x/d"));
    check_ok(s);
    fs_session_destroy(s);
    fs_image_put(IMG);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

static void threads_rename_unlink_race_in_a_shared_volume(void)
{
    test_env_init(&T);
    IMG = NULL;
    struct fs_session *s1 = session(), *s2 = session();
    struct fs_volume *v;
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_volume_create(&T.env, &lim, &v), 0);
    CHECK_RC(fs_session_mount(s1, P("vol"), v, true), 0);
    CHECK_RC(fs_session_mount(s2, P("vol"), v, true), 0);
    fs_volume_put(v);
    run_racers(s1, s2, "vol");
    check_ok(s1);
    check_ok(s2);
    fs_session_destroy(s1);
    fs_session_destroy(s2);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
}

struct dying {
    struct fs_session *s;
    const char *path;
    int writes, dead_seen, errors;
};

static void *doomed_writer(void *arg)
{
    struct dying *d = arg;
    static __thread char chunk[3 * 4096];
    memset(chunk, 'd', sizeof chunk);
    uint64_t h;
    struct fs_path p;
    fs_session_get(d->s);                         /* as the glue does for each call */
    if (fs_open(d->s, tp(&p, d->path, 0), FS_O_RDWR | FS_O_CREAT, 0644, &h, NULL) == 0) {
        for (uint64_t off = 0; ; off += sizeof chunk) {
            int64_t r = fs_write(d->s, h, off % (1 << 22), chunk, sizeof chunk);
            if (r == AE_EDEAD) {
                d->dead_seen = 1;
                break;
            }
            d->errors += r != (int64_t)sizeof chunk;
            __atomic_add_fetch(&d->writes, 1, __ATOMIC_RELAXED);
        }
    }
    fs_session_put(d->s);
    return NULL;
}

static void *steady_reader(void *arg)
{
    struct dying *d = arg;
    char buf[16];
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        int64_t n = get_file(d->s, "etc/conf", buf, sizeof buf);
        d->errors += n != 4 || memcmp(buf, "keep", 4) != 0;
        d->writes++;
    }
    return NULL;
}

static void threads_client_dies_mid_write(void)
{
    test_env_init(&T);
    IMG = make_image("etc/conf", "conf", NULL);
    struct fs_session *doomed = session(), *other = session();
    struct fs_volume *v;
    struct fs_limits lim = big_limits();
    CHECK_RC(fs_volume_create(&T.env, &lim, &v), 0);
    CHECK_RC(fs_session_mount(doomed, P("v"), v, true), 0);
    CHECK_RC(fs_session_mount(other, P("v"), v, true), 0);
    CHECK_RC(put_file(other, "etc/conf", "keep", 4), 4);
    CHECK_RC(put_file(other, "v/shared", "shared", 6), 6);
    struct dying w1 = { doomed, "big", 0, 0, 0 }, w2 = { doomed, "v/big", 0, 0, 0 };
    struct dying rd = { other, NULL, 0, 0, 0 };
    pthread_t t1, t2, t3;
    __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
    pthread_create(&t1, NULL, doomed_writer, &w1);
    pthread_create(&t2, NULL, doomed_writer, &w2);
    pthread_create(&t3, NULL, steady_reader, &rd);
    while (__atomic_load_n(&w1.writes, __ATOMIC_RELAXED) < 50 ||
           __atomic_load_n(&w2.writes, __ATOMIC_RELAXED) < 50)
        ;                                         /* both are writing */
    fs_session_destroy(doomed);                   /* the client dies with handles open */
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    pthread_join(t3, NULL);
    CHECK(w1.dead_seen && w2.dead_seen);
    CHECK_RC(w1.errors + w2.errors + rd.errors, 0);
    check_ok(other);
    char buf[8];
    CHECK_RC(get_file(other, "v/shared", buf, sizeof buf), 6);
    struct fs_stat st;
    CHECK_RC(fs_stat(other, P("v/big"), &st), 0);  /* the volume keeps what was written */
    CHECK(st.size > 0);
    fs_volume_put(v);
    fs_session_destroy(other);
    fs_image_put(IMG);
    CHECK_RC(T.pages_live, 0);
    CHECK_RC(T.mem_live, 0);
    test_archives_free();
}

int main(void)
{
    RUN(threads_sessions_run_in_parallel);
    RUN(threads_rename_unlink_race_in_one_session);
    RUN(threads_rename_unlink_race_in_a_shared_volume);
    RUN(threads_client_dies_mid_write);
    return TESTS_DONE();
}
