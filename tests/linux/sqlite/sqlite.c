/*
 * sqlite.c — SQLite in WAL mode under the Linux personality (Debian's
 * static libsqlite3, glibc only): WAL maps its -shm file MAP_SHARED in
 * every connection's process (docs/LINUX.md, "Shared file mappings").
 * Inserts rows in a transaction, has a forked child read them through
 * its own connection while the parent writes more (each batch seen by
 * the child before the next), checkpoints, runs
 * PRAGMA integrity_check and reopens. Checks itself.
 */
#include <stdint.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define DB "/wal.db"
#define FIRST 3000
#define MORE 4
#define BATCH 500

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(DB, &db) != SQLITE_OK) {
        printf("open: %s\n", db ? sqlite3_errmsg(db) : "?");
        return NULL;
    }
    sqlite3_busy_timeout(db, 20000);
    return db;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int r = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (r != SQLITE_OK)
        printf("'%s': %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return r;
}

/* The first column of the first row of sql as text, in buf. */
static const char *one(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
    sqlite3_stmt *st;
    snprintf(buf, cap, "(error)");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        printf("'%s': %s\n", sql, sqlite3_errmsg(db));
        return buf;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    else
        printf("'%s': step %d %s\n", sql, r, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return buf;
}

static int insert(sqlite3 *db, int from, int n)
{
    sqlite3_stmt *st;
    if (exec(db, "BEGIN IMMEDIATE") ||
        sqlite3_prepare_v2(db, "INSERT INTO t(id, v) VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int bad = 0;
    for (int i = from; i < from + n; i++) {
        char v[48];
        snprintf(v, sizeof v, "row %d of the WAL test", i);
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT);
        bad += sqlite3_step(st) != SQLITE_DONE;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return exec(db, "COMMIT") || bad ? -1 : 0;
}

/* A reader in its own process: every snapshot it sees is whole (rows
 * 1..n, the sum n(n+1)/2), and it sees the parent's later commits. */
static int reader(int report)
{
    sqlite3 *db = open_db();
    if (!db)
        return 1;
    int bad = 0, last = 0, snapshots = 0;
    for (int round = 0; round < 3000 && last < FIRST + MORE * BATCH; round++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(id), 0) FROM t", -1, &st, NULL) != SQLITE_OK) {
            printf("reader: %s\n", sqlite3_errmsg(db));
            bad++;
            break;
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
            int64_t n = sqlite3_column_int64(st, 0), sum = sqlite3_column_int64(st, 1);
            if (n < FIRST || sum != n * (n + 1) / 2 || n < last) {
                printf("reader: %lld rows, sum %lld\n", (long long)n, (long long)sum);
                bad++;
            }
            if (n != last) {                     /* tell the writer: it waits for each batch to be seen */
                snapshots++;
                int v = (int)n;
                if (write(report, &v, sizeof v) != sizeof v)
                    bad++;
            }
            last = (int)n;
        } else {
            printf("reader: step: %s\n", sqlite3_errmsg(db));
            bad++;
        }
        sqlite3_finalize(st);
        usleep(2000);
    }
    printf("sqlite reader: %d snapshots, the last %d rows, %d bad\n", snapshots, last, bad);
    fflush(stdout);                              /* _exit does not */
    sqlite3_close(db);
    return bad || last != FIRST + MORE * BATCH || snapshots != MORE + 1;
}

int main(void)
{
    on_aerie();
    unlink(DB);
    sqlite3 *db = open_db();
    CHECK(db != NULL);
    if (!db)
        return done("sqlite");
    char buf[128];
    CHECK(!strcmp(one(db, "PRAGMA journal_mode=WAL", buf, sizeof buf), "wal"));
    CHECK(exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)") == 0);
    CHECK(insert(db, 1, FIRST) == 0);
    CHECK(!strcmp(one(db, "SELECT count(*) FROM t", buf, sizeof buf), "3000"));
    CHECK(access(DB "-shm", F_OK) == 0 && access(DB "-wal", F_OK) == 0);

    /* the reader reads on while the parent writes; the parent goes on
     * once the reader has seen its last batch, so every batch is a
     * snapshot the other process sees */
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        _exit(reader(p[1]));
    }
    close(p[1]);
    int seen = 0;
    CHECK(read(p[0], &seen, sizeof seen) == sizeof seen && seen == FIRST);
    for (int i = 0; i < MORE; i++) {
        CHECK(insert(db, FIRST + 1 + i * BATCH, BATCH) == 0);
        CHECK(read(p[0], &seen, sizeof seen) == sizeof seen && seen == FIRST + (i + 1) * BATCH);
    }
    close(p[0]);
    int status = -1;
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    CHECK(!strcmp(one(db, "PRAGMA wal_checkpoint(TRUNCATE)", buf, sizeof buf), "0"));
    CHECK(!strcmp(one(db, "PRAGMA integrity_check", buf, sizeof buf), "ok"));
    CHECK(!strcmp(one(db, "SELECT count(*) || ' ' || sum(id) FROM t", buf, sizeof buf), "5000 12502500"));
    CHECK(!strcmp(one(db, "SELECT v FROM t WHERE id = 4321", buf, sizeof buf), "row 4321 of the WAL test"));
    CHECK(sqlite3_close(db) == SQLITE_OK);

    /* a fresh connection: still WAL, the same rows */
    db = open_db();
    CHECK(db && !strcmp(one(db, "PRAGMA journal_mode", buf, sizeof buf), "wal"));
    CHECK(db && !strcmp(one(db, "SELECT count(*) FROM t", buf, sizeof buf), "5000"));
    CHECK(db && !strcmp(one(db, "PRAGMA integrity_check", buf, sizeof buf), "ok"));
    CHECK(db && sqlite3_close(db) == SQLITE_OK);
    return done("sqlite");
}
