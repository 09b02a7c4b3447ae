/*
 * ft.h — the fs service's test suite on Aerie (tests/fs/): a libc
 * program started by tests/fs/boot.conf beside the console and the fs
 * service, granted "fs" (a session of its own), "fs.admin", "image" and
 * "kdebug". Each test is registered with FSTEST(name, "what it shows")
 * and runs in turn; a failed CHECK ends it with the expression, file,
 * line and both values. Results go straight to the kernel console as
 * "TEST PASS name" / "TEST FAIL name: why", then "TESTS DONE n".
 *
 * The probe program (tests/fs/probe/) is a container image of the test
 * boot image, images/fsprobe/, spawned the way the container manager
 * will: its own task and quota, an fs session opened with fs.admin.
 */
#ifndef FT_H
#define FT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <aerie/errors.h>
#include <libaerie/fs.h>
#include <libaerie/spawn.h>

struct ft {
    const char *name;
    bool failed;
    char why[256];
};

struct ft_test {
    const char *name;
    const char *desc;
    void (*fn)(struct ft *t);
    const char *file;
    int line;
};

#define FSTEST(tname, d) \
    static void ft_##tname(struct ft *t); \
    static const struct ft_test ft_reg_##tname __attribute__((used, section("ft_tests"), aligned(8))) = \
        { #tname, d, ft_##tname, __FILE__, __LINE__ }; \
    static void ft_##tname(struct ft *t)

void ft_fail(struct ft *t, const char *file, int line, const char *expr, int64_t got, int64_t want);

#define CHECK(cond) do { if (!(cond)) { ft_fail(t, __FILE__, __LINE__, #cond, 0, 0); return; } } while (0)
#define CHECK_EQ(x, y) do { int64_t _x = (int64_t)(x), _y = (int64_t)(y); \
    if (_x != _y) { ft_fail(t, __FILE__, __LINE__, #x " == " #y, _x, _y); return; } } while (0)
/* A libc call that must fail with -1 (or NULL) and this errno. */
#define CHECK_ERRNO(call, err) do { errno = 0; long _r = (long)(call); int _e = errno; \
    if (_r != -1) { ft_fail(t, __FILE__, __LINE__, #call " fails", _r, -1); return; } \
    if (_e != (err)) { ft_fail(t, __FILE__, __LINE__, #call ": errno", _e, (err)); return; } } while (0)
#define CHECK_OK(x) CHECK_EQ((x), 0)
#define CHECK_GE(x, y) do { int64_t _x = (int64_t)(x), _y = (int64_t)(y); \
    if (_x < _y) { ft_fail(t, __FILE__, __LINE__, #x " >= " #y, _x, _y); return; } } while (0)

/* What the suite holds. */
extern uint64_t ft_admin;           /* "fs.admin" */
extern uint64_t ft_fs;              /* "fs": this program's own session */

/* The probe's image prefix and its files (tests/fs/probe/files). */
#define FT_IMAGE       "images/fsprobe/files"
#define FT_MOTD        "Welcome to the fsprobe image.\n"
#define FT_MOTD_SIZE   (sizeof FT_MOTD - 1 + sizeof "Second line.\n" - 1)

/* A session over image (NULL: empty) with these limits, and a connection
 * to it; ft_session_close closes both. Return 0 or an AE_* error. */
struct ft_session {
    uint64_t cap;
    uint32_t id;
    struct ae_fs conn;
};
int ft_session_open(struct ft_session *s, const char *image, uint64_t bytes, uint32_t inodes);
int ft_session_open_spec(struct ft_session *s, const struct ae_fs_session_spec *spec);
void ft_session_close(struct ft_session *s);

/* Reads up to cap bytes of the file at path (from its start) into buf:
 * the length read or an AE_* error. */
int64_t ft_slurp(struct ae_fs *fs, const char *path, void *buf, uint64_t cap);
/* Creates or truncates the file at path and writes s into it (no NUL):
 * the length written or an AE_* error. */
int64_t ft_spill(struct ae_fs *fs, const char *path, const char *s);

/* The fs service's statistics word (FS_STAT_*). */
uint64_t ft_stat(unsigned word);

/* A file of the boot image (what the fs should serve), or NULL. */
const uint8_t *ft_boot_file(const char *path, uint64_t *size);

/* Spawns the probe playing mode (argv[1]) with fs_cap granted as "fs" (0:
 * no grant), in a new quota; ft_probe_wait returns its exit status (or
 * -1 if it crashed or did not end within ms), ft_probe_kill destroys its
 * task (quota_too: and its quota, so its memory vanishes), and
 * ft_probe_reap frees what is left. */
struct ft_probe {
    uint64_t quota;
    struct ae_child child;
};
int ft_probe_start(struct ft_probe *p, const char *mode, uint64_t fs_cap);
/* The same in two steps: the probe's quota (bytes) first — to open its
 * session with — then the probe in it. */
int ft_probe_quota(struct ft_probe *p, uint64_t bytes);
int ft_probe_start_in(struct ft_probe *p, const char *mode, uint64_t fs_cap);
int ft_probe_wait(struct ft_probe *p, unsigned ms);
void ft_probe_kill(struct ft_probe *p, bool quota_too);
void ft_probe_reap(struct ft_probe *p);

void ft_sleep_ms(unsigned ms);
/* "/TESTNAME/name": each test has a fresh directory in this program's
 * session (sixteen results rotate; copy one to keep it longer). */
const char *ft_path(struct ft *t, const char *name);

#endif
