/*
 * outside.c — processes started from outside the container (`aerie exec`,
 * cm's CM_EXEC; docs/LINUX.md "Programs run from outside").
 *
 * cm sends its request on the capability it holds for signals, with a
 * label no signal has (aerie/proto/linux.h, LX_EXEC_LABEL). We start a
 * new process as docker exec does: no parent in the container (ppid 0),
 * a session of its own, the container's environment (plus the request's
 * NAME=VALUE words) and working directory, fd 0 empty (or the input cm
 * forwards, LX_EXEC_STDIN), fds 1 and 2 the container's console stream.
 * It is made like every process here, from the container's own quota,
 * so the container's limits bound it and its end ends it.
 *
 * cm never waits for us: what became of exec n is written in the exec
 * board, a page of ours at LX_EXEC_BOARD that cm reads (Task READ).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "sys.h"

#define EXEC_WORDS_MAX 64           /* argv and env words of one request (it holds 488 bytes) */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static struct lx_exec_slot *board;

/* The board, mapped at the first request: a page of the container's quota. */
static struct lx_exec_slot *board_get(void)
{
    if (board)
        return board;
    uint64_t slot = ae_slot_alloc();
    if (!slot)
        return NULL;
    if (ae_quota_create(lx.quota, AERIE_OBJ_MEMORY, slot, LX_PAGE, 0, 0) < 0) {
        ae_slot_free(slot);
        return NULL;
    }
    if (ae_task_map(lx.task, slot, 0, LX_EXEC_BOARD, LX_PAGE, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        ae_cap_delete(slot);
        ae_slot_free(slot);
        return NULL;
    }
    board = (struct lx_exec_slot *)LX_EXEC_BOARD;
    memset(board, 0, LX_PAGE);
    return board;
}

static uint64_t in_pos;             /* what a RUNNING report says of its input (report) */

static void report(uint64_t seq, uint64_t state, int64_t value)
{
    if (!board)
        return;
    struct lx_exec_slot *s = &board[seq % LX_EXEC_SLOTS];
    s->seq = 0;                      /* cm reads it whole or sees another exec's number */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->state = state;
    s->value = value;
    if (state == LX_EXEC_RUNNING)
        s->in_pos = in_pos;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->seq = seq;
}

static void drop_input(struct lx_proc *p);

void lx_outside_ended(struct lx_proc *p)
{
    drop_input(p);                   /* its children reading fd 0 see the end */
    if (board && board[p->exec_seq % LX_EXEC_SLOTS].seq == p->exec_seq)
        report(p->exec_seq, LX_EXEC_EXITED, p->wstatus);
}

/* NAME=VALUE's name length, or 0 if it is not one. */
static size_t env_name(const char *e)
{
    const char *eq = strchr(e, '=');
    return eq && eq != e ? (size_t)(eq - e) : 0;
}

static const char *env_get(char *const *envp, unsigned envc, const char *name)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < envc; i++)
        if (env_name(envp[i]) == n && !strncmp(envp[i], name, n))
            return envp[i] + n + 1;
    return NULL;
}

/* The program argv0 names: a path (relative to cwd), or a name looked up
 * in PATH as execvp does. 0 and abs, or -errno (ENOENT: nowhere). */
static int find(struct lx_thread *t, const char *argv0, const char *path, char *abs, size_t cap)
{
    if (strchr(argv0, '/')) {
        if ((size_t)snprintf(abs, cap, "%s%s%s", argv0[0] == '/' ? "" : t->proc->fs->cwd,
                             argv0[0] == '/' ? "" : "/", argv0) >= cap)
            return -LX_ENAMETOOLONG;
        return 0;
    }
    int err = -LX_ENOENT;
    for (const char *d = path; d;) {
        const char *end = strchr(d, ':');
        size_t dl = end ? (size_t)(end - d) : strlen(d);
        if (dl && (size_t)snprintf(abs, cap, "%.*s/%s", (int)dl, d, argv0) < cap) {
            struct lx_stat st;
            int r = lx_stat_path(abs, &st, true);
            if (!r && (st.mode & LX_S_IFMT) == LX_S_IFREG && (st.mode & 0111))
                return 0;
            if (!r)
                err = -LX_EACCES;            /* there, but not a program: as execvp says */
        }
        d = end ? end + 1 : NULL;
    }
    return err;
}

/* exec -t: fds 0-2 a terminal of its own, its session's; its input the
 * exec's (input_request), or ended from the start without -i. */
static int tty_files(struct lx_proc *p, bool input)
{
    struct lx_tty *y = lx_tty_new(p->sid, 24, 80);   /* the CLI sends the real size first */
    struct lx_file *f = y ? lx_tty_file(y, LX_O_RDWR) : NULL;
    if (!f) {
        if (y)
            lx_tty_put(y);
        return -LX_ENOMEM;
    }
    if (input)
        p->exec_tty = y;                 /* keeps its reference: dropped at the input's end */
    else {
        lx_tty_hangup(y);
        lx_tty_put(y);
    }
    lx_file_get(f);
    lx_file_get(f);
    for (int fd = 0; fd < 3; fd++)
        if (lx_fd_install(p, f, fd, false) < 0) {
            for (int k = fd; k < 3; k++)
                lx_file_put(f);
            return -LX_EMFILE;
        }
    return 0;
}

static int std_files(struct lx_proc *p, bool input)
{
    struct lx_file *in, *out = lx_console_file();
    int r = input ? lx_pipe_pair(&in, &p->exec_in) : lx_dev_open("/dev/null", LX_O_RDONLY, &in);
    if (r || !out) {
        if (!r)
            lx_file_put(in);
        if (out)
            lx_file_put(out);
        return r ? r : -LX_ENOMEM;
    }
    if ((r = lx_fd_install(p, in, 0, false)) < 0) {
        lx_file_put(out);
        return r;
    }
    lx_file_get(out);
    if ((r = lx_fd_install(p, out, 1, false)) < 0) {
        lx_file_put(out);
        return r;
    }
    return lx_fd_install(p, out, 2, false) < 0 ? -LX_EMFILE : 0;
}

/* Starts the program; its pid, or -errno. */
static void drop_input(struct lx_proc *p)
{
    if (p->exec_in)
        lx_file_put(p->exec_in);
    p->exec_in = NULL;
    if (p->exec_tty) {
        lx_tty_hangup(p->exec_tty);      /* its readers see the end */
        lx_tty_put(p->exec_tty);
    }
    p->exec_tty = NULL;
}

static int64_t start(uint64_t seq, bool input, bool tty, char **argv, unsigned argc, char **envp, unsigned envc)
{
    int err = 0;
    struct lx_proc *p = lx_proc_outside(&err);
    if (!p)
        return err;
    struct lx_thread *t = p->threads;
    const char *pwd = getenv("PWD");
    char abs[LX_PATH_MAX];
    /* /proc/self is the new process while it is looked for and loaded
     * (the message that asked names no thread of ours) */
    struct lx_thread *was = lx_current;
    lx_current = t;
    if ((err = tty ? tty_files(p, input) : std_files(p, input)))
        goto fail;
    const char *wd = env_get(envp, envc, "PWD");
    if (wd && wd[0] == '/' && (!pwd || strcmp(wd, pwd))) {
        /* a PWD of the request's own (aerie exec -w DIR), not the container's:
         * where it starts, as docker exec -w; it must be a directory */
        if ((err = (int)lx_set_cwd(t, wd)))
            goto fail;
    } else if (pwd && pwd[0] == '/' && strcmp(pwd, "/")) {
        lx_set_cwd(t, pwd);          /* as pid 1 (main.c): one that is no directory leaves it in / */
    }
    const char *path = env_get(envp, envc, "PATH");
    if ((err = find(t, argv[0], path ? path : DEFAULT_PATH, abs, sizeof abs)))
        goto fail;
    strncpy(p->comm, argv[0], sizeof p->comm - 1);
    p->exec_seq = seq;
    int pid = p->pid;
    int64_t r = lx_exec_path(t, abs, argv, argc, envp, envc);
    lx_current = was;
    if (r == LX_NOREPLY) {
        /* Only now: cm reads the board while we work, and a RUNNING seen
         * before a refusal would have ctl say "started" and then fail.
         * Nothing of it ran yet (its thread's first fault waits for us),
         * so no end can be written before this. A first program that
         * cannot be started is an error here, not a death (exec.c). */
        in_pos = input ? 0 : LX_EXEC_IN_EOF;   /* no input: ended from the start, so ctl refuses any */
        report(seq, LX_EXEC_RUNNING, pid);
        return pid;
    }
    err = (int)r;
fail:
    lx_current = was;
    p->exec_seq = 0;
    drop_input(p);
    lx_proc_discard(p);
    return err;
}

static void exec_request(const uint64_t *w, unsigned nwords)
{
    uint64_t seq = w[0], argc = w[1] & 0xFFFFFFFFu, len = w[2];
    if (!seq)
        return;
    if (!board_get()) {
        lx_log("linux: aerie exec: no memory for the exec board\n");
        return;
    }
    if (len > LX_EXEC_TEXT_MAX || len > (uint64_t)(nwords - 3) * 8 || argc < 1 || argc >= EXEC_WORDS_MAX) {
        report(seq, LX_EXEC_FAILED, LX_EINVAL);
        return;
    }
    /* the words, NUL-terminated in a copy of ours (cm checked; we check again) */
    char text[LX_EXEC_TEXT_MAX + 1];
    memcpy(text, &w[3], len);
    text[len] = 0;
    char *words[EXEC_WORDS_MAX];
    unsigned n = 0;
    for (uint64_t i = 0; i < len && n < EXEC_WORDS_MAX; n++) {
        words[n] = text + i;
        i += strlen(text + i) + 1;
    }
    if (n < argc || !words[0][0]) {
        report(seq, LX_EXEC_FAILED, LX_EINVAL);
        return;
    }
    /* the environment: the request's words, then the container's (pid 1's
     * as it started) but for the names the request sets */
    static char *envp[EXEC_WORDS_MAX + 256];
    unsigned envc = 0;
    for (unsigned i = (unsigned)argc; i < n; i++)
        if (env_name(words[i]))
            envp[envc++] = words[i];
    unsigned own = envc;
    for (char **e = environ; e && *e && envc < sizeof envp / sizeof envp[0] - 1; e++) {
        size_t nl = env_name(*e);
        bool set = false;
        for (unsigned i = 0; i < own && !set; i++)
            set = env_name(envp[i]) == nl && !strncmp(envp[i], *e, nl);
        if (nl && !set)
            envp[envc++] = *e;
    }
    envp[envc] = NULL;
    words[argc] = NULL;
    int64_t r = start(seq, (w[1] >> 32) & LX_EXEC_STDIN, (w[1] >> 32) & LX_EXEC_TTY, words, (unsigned)argc, envp, envc);
    if (r < 0) {
        report(seq, LX_EXEC_FAILED, -r);
        if (r != -LX_ENOENT)
            lx_log("linux: aerie exec %s: cannot start it (error %ld)\n", words[0], (long)-r);
    }
}

struct find_seq { uint64_t seq; struct lx_proc *p; };

static void match_seq(struct lx_proc *p, void *arg)
{
    struct find_seq *f = arg;
    if (p->exec_seq == f->seq && p->state == LX_ALIVE)
        f->p = p;
}

/* Input for exec n's fd 0: taken only at the offset the board says (a
 * piece sent again after a full pipe is not taken twice), as far as the
 * pipe has room; the board's in_pos tells cm (and ctl) how far. */
static void input_request(const uint64_t *w, unsigned nwords)
{
    uint64_t seq = w[0], off = w[1] & ~LX_EXEC_IN_EOF, len = w[2];
    bool eof = w[1] & LX_EXEC_IN_EOF;
    struct find_seq f = { seq, NULL };
    if (!seq || !board || len > (uint64_t)(nwords - 3) * 8)
        return;
    struct lx_exec_slot *s = &board[seq % LX_EXEC_SLOTS];
    if (s->seq != seq || s->state != LX_EXEC_RUNNING || (s->in_pos & LX_EXEC_IN_EOF) || off != s->in_pos)
        return;
    lx_procs_foreach(match_seq, &f);
    if (!f.p || (!f.p->exec_in && !f.p->exec_tty))
        return;
    uint64_t k = f.p->exec_tty ? lx_tty_feed(f.p->exec_tty, &w[3], len) : lx_pipe_feed(f.p->exec_in, &w[3], len);
    s->in_pos += k;
    if (eof && k == len) {
        drop_input(f.p);                          /* the reader sees the end once the ring is read */
        s->in_pos |= LX_EXEC_IN_EOF;
    }
}

void lx_outside_request(uint64_t label, const uint64_t *w, unsigned nwords)
{
    if (label == LX_EXEC_LABEL && nwords >= 3)
        exec_request(w, nwords);
    else if (label == LX_EXEC_INPUT_LABEL && nwords >= 3)
        input_request(w, nwords);
}
