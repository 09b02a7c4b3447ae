/*
 * aerie_cp.c — `aerie cp ID:PATH HOSTPATH` and `aerie cp HOSTPATH ID:PATH`.
 * Like `docker cp`: a directory is copied with everything below it; when
 * the destination is an existing directory the source lands inside it
 * under its own name, else it gets the destination's name. A file's bytes
 * travel raw after a `put` request or in `data` replies to a `get`, at
 * the channel's speed; directories are listed and made with ls/mkdir.
 * A symbolic link below a copied directory is copied as a link, its
 * target unchanged (symlink/readlink, as `aerie import` keeps them); a
 * link named as the source itself is followed, like `cp -RH`. FIFOs,
 * sockets and devices on the host cannot be copied, nor FIFOs in the
 * container: they are skipped with a warning (and the exit status 1). Each request waits for its
 * reply, so an error names the file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aerie_cp.h"

#define CHUNK     (64u << 10)
#define PATH_MAX_CP 4096

struct cside {                       /* the container's side */
    char id[24];
    char path[PATH_MAX_CP];
};

static int failures;

/* ---- requests ---- */

/* Sends verb with words and waits for its final reply: true for ok (rest
 * in r), false for err (the message printed as "aerie: cp: ..."). Rows
 * before it go to row_fn. */
static bool request(struct conn *c, const char *verb, const char *const *w, int n, struct ctl_reply *r,
                    void (*row_fn)(char *rest, void *arg), void *arg)
{
    char id[CTL_ID_MAX + 1];
    conn_send(c, id, verb, w, n);
    for (;;) {
        conn_expect(c, id, r);
        if (!strcmp(r->kind, "row") && row_fn) {
            row_fn(r->rest, arg);
            continue;
        }
        if (!strcmp(r->kind, "ok"))
            return true;
        size_t bad;
        long len = ctl_unescape(r->rest, strlen(r->rest), &bad);
        fprintf(stderr, "aerie: cp: %.*s\n", (int)(len < 0 ? 0 : len), r->rest);
        failures++;
        return false;
    }
}

/* fstat: 'f' file, 'd' directory, 'p' FIFO, 0 when it does not exist (quietly). */
static int remote_type(struct conn *c, const struct cside *s, uint64_t *size, unsigned *mode)
{
    char id[CTL_ID_MAX + 1];
    const char *w[] = { s->id, s->path };
    struct ctl_reply r;
    conn_send(c, id, "fstat", w, 2);
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "ok"))
        return 0;
    char type[8] = "";
    unsigned long long sz = 0;
    unsigned m = 0644;
    sscanf(r.rest, "%7s %llu %o", type, &sz, &m);
    if (size)
        *size = sz;
    if (mode)
        *mode = m & 07777;
    return !strcmp(type, "dir") ? 'd' : !strcmp(type, "fifo") ? 'p' : 'f';
}

static const char *base_name(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    const char *b = p + n;
    while (b > p && b[-1] != '/')
        b--;
    return b;
}

static bool join(char *out, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    int k = snprintf(out, cap, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
    if (k < 0 || (size_t)k >= cap) {
        fprintf(stderr, "aerie: cp: %s/%s: the path is too long\n", dir, name);
        failures++;
        return false;
    }
    return true;
}

/* ---- out of the container ---- */

/* Below the destination (inner) nothing is written through a link: a
 * running container could rename between listings so that a name comes
 * once as a link (made on the host) and then as a file or directory. */
/* The mode is the container's word: its set-user-ID and set-group-ID
 * bits are dropped (attack21), as cp(1) drops them where it does not keep
 * the owner: the file is the operator's on the host, and a container
 * could otherwise plant a set-user-ID program of the operator's (of
 * root's, under sudo) for any local user to run. */
static void file_out(struct conn *c, const struct cside *s, const char *host, unsigned mode, bool inner)
{
    static unsigned char buf[CHUNK];
    mode &= 01777;
    int fd = open(host, O_WRONLY | O_CREAT | O_TRUNC | (inner ? O_NOFOLLOW : 0), mode ? mode : 0644);
    if (fd < 0) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
        return;
    }
    char id[CTL_ID_MAX + 1];
    const char *w[] = { s->id, s->path };
    bool broken = false;
    conn_send(c, id, "get", w, 2);
    for (;;) {
        struct ctl_reply r;
        conn_expect(c, id, &r);
        if (!strcmp(r.kind, "data")) {
            for (uint64_t n = strtoull(r.rest, NULL, 10); n;) {
                size_t k = n < CHUNK ? (size_t)n : CHUNK;
                conn_raw(c, buf, k);
                if (!broken && write(fd, buf, k) != (ssize_t)k) {
                    fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
                    failures++;
                    broken = true;               /* the rest is read and dropped */
                }
                n -= k;
            }
            continue;
        }
        if (strcmp(r.kind, "ok")) {
            size_t bad;
            long len = ctl_unescape(r.rest, strlen(r.rest), &bad);
            fprintf(stderr, "aerie: cp: %.*s\n", (int)(len < 0 ? 0 : len), r.rest);
            failures++;
        }
        break;
    }
    close(fd);
}

struct names {
    char (*v)[256];
    char *types;
    size_t n, cap;
};

static void collect_row(char *rest, void *arg)
{
    struct names *l = arg;
    char *sp = strchr(rest, ' ');
    if (!sp)
        return;
    *sp++ = 0;
    size_t bad;
    long len = ctl_unescape(sp, strlen(sp), &bad);
    if (len <= 0 || len > 255 || memchr(sp, '/', (size_t)len) || memchr(sp, 0, (size_t)len))
        return;                            /* never a name to write under */
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        l->types = realloc(l->types, l->cap);
        if (!l->v || !l->types)
            die(1, "cp: out of memory");
    }
    memcpy(l->v[l->n], sp, (size_t)len);
    l->v[l->n][len] = 0;
    l->types[l->n++] = !strcmp(rest, "dir") ? 'd' : !strcmp(rest, "link") ? 'l' : !strcmp(rest, "fifo") ? 'p' : 'f';
}

/* A link in the container becomes a link on the host with the same
 * target; a link already at host is replaced, anything else is not. */
static void link_out(struct conn *c, const struct cside *s, const char *host)
{
    const char *w[] = { s->id, s->path };
    struct ctl_reply r;
    if (!request(c, "readlink", w, 2, &r, 0, 0))
        return;
    size_t bad;
    long len = ctl_unescape(r.rest, strlen(r.rest), &bad);
    struct stat st;
    if (len <= 0 || memchr(r.rest, 0, (size_t)len)) {
        fprintf(stderr, "aerie: cp: %s: a link's target came back malformed\n", s->path);
        failures++;
    } else if (!lstat(host, &st) && S_ISLNK(st.st_mode) && unlink(host)) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
    } else if (symlink(r.rest, host)) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
    }
}

/* A container's FIFO has no bytes to copy (its pipe is its personality's):
 * skipped like a host FIFO going in, before any host file is made
 * (attack22: a get of it made or truncated the host file, then failed
 * with "is a directory"). */
static void fifo_skipped(const char *path)
{
    fprintf(stderr, "aerie: cp: %s: skipped: a FIFO cannot be copied (only files, directories and symbolic "
            "links)\n", path);
    failures++;
}

static void tree_out(struct conn *c, const struct cside *s, const char *host, bool inner)
{
    struct stat st;
    if (mkdir(host, 0755) && errno != EEXIST) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
        return;
    }
    if (inner && (lstat(host, &st) || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "aerie: cp: %s: not a directory here (a link is not followed)\n", host);
        failures++;
        return;
    }
    struct names l = { 0 };
    for (unsigned long long cookie = 0;;) {
        char cs[24];
        snprintf(cs, sizeof cs, "%llu", cookie);
        const char *w[] = { s->id, s->path, cs };
        struct ctl_reply r;
        if (!request(c, "ls", w, 3, &r, collect_row, &l))
            break;
        int end = 1;
        if (sscanf(r.rest, "%llu %d", &cookie, &end) != 2 || end)
            break;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!strcmp(l.v[i], ".") || !strcmp(l.v[i], ".."))
            continue;
        struct cside child = *s;
        char h[PATH_MAX_CP];
        if (!join(child.path, sizeof child.path, s->path, l.v[i]) || !join(h, sizeof h, host, l.v[i]))
            continue;
        unsigned mode = 0644;
        int t = l.types[i];
        if (t == 'd')
            tree_out(c, &child, h, true);
        else if (t == 'l')
            link_out(c, &child, h);
        else if (t == 'p' || (t = remote_type(c, &child, 0, &mode)) == 'p')
            fifo_skipped(child.path);
        else if (t)
            file_out(c, &child, h, mode, true);
    }
    free(l.v);
    free(l.types);
}

static void copy_out(struct conn *c, const struct cside *s, const char *host)
{
    unsigned mode = 0644;
    int t = remote_type(c, s, 0, &mode);
    if (!t) {
        const char *w[] = { s->id, s->path };
        struct ctl_reply r;
        request(c, "fstat", w, 2, &r, 0, 0);  /* names why */
        return;
    }
    struct stat st;
    char dst[PATH_MAX_CP];
    bool into = stat(host, &st) == 0 && S_ISDIR(st.st_mode) && strcmp(s->path, "/");
    if (into ? !join(dst, sizeof dst, host, base_name(s->path)) : snprintf(dst, sizeof dst, "%s", host) < 0)
        return;
    if (t == 'd')
        tree_out(c, s, dst, false);
    else if (t == 'p')
        fifo_skipped(s->path);
    else
        file_out(c, s, dst, mode, false);
}

/* ---- into the container ---- */

static void file_in(struct conn *c, const char *host, const struct cside *s, unsigned mode)
{
    static unsigned char buf[CHUNK];
    struct stat st;
    int fd = open(host, O_RDONLY);
    if (fd < 0 || fstat(fd, &st)) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
        if (fd >= 0)
            close(fd);
        return;
    }
    char id[CTL_ID_MAX + 1], sizes[24], modes[8];
    snprintf(sizes, sizeof sizes, "%llu", (unsigned long long)st.st_size);
    snprintf(modes, sizeof modes, "%o", mode & 07777);
    const char *w[] = { s->id, s->path, sizes, modes };
    conn_send(c, id, "put", w, 4);
    bool short_read = false;
    for (uint64_t left = (uint64_t)st.st_size; left;) {
        size_t k = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t n = short_read ? 0 : read(fd, buf, k);
        if (n <= 0) {                            /* it shrank: the promised bytes still go, as zeros */
            if (!short_read)
                fprintf(stderr, "aerie: cp: %s: %s\n", host, n < 0 ? strerror(errno) : "it shrank while copied");
            short_read = true;
            memset(buf, 0, k);
            n = (ssize_t)k;
        }
        conn_send_raw(c, buf, (size_t)n);
        left -= (uint64_t)n;
    }
    close(fd);
    struct ctl_reply r;
    conn_expect(c, id, &r);
    if (strcmp(r.kind, "ok")) {
        size_t bad;
        long len = ctl_unescape(r.rest, strlen(r.rest), &bad);
        fprintf(stderr, "aerie: cp: %.*s\n", (int)(len < 0 ? 0 : len), r.rest);
        failures++;
    } else if (short_read) {
        failures++;
    }
}

/* Bytes of p as a request word, or more than a line when it would not fit. */
static size_t escaped_len(const char *p, size_t n)
{
    char esc[CTL_LINE_MAX + 1];
    return ctl_escape(p, n, esc, sizeof esc, true) == n ? strlen(esc) : CTL_LINE_MAX + 1;
}

/* A link on the host becomes a link in the container with the same
 * target (resolved there, inside the container's root, when used). */
static void link_in(struct conn *c, const char *host, const struct cside *s)
{
    char target[PATH_MAX_CP + 1];
    ssize_t n = readlink(host, target, PATH_MAX_CP);
    if (n < 0) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
        return;
    }
    target[n] = 0;
    /* The request is one line: refuse here what would not fit (conn_send
     * would end the whole copy), naming the link. */
    if (escaped_len(s->path, strlen(s->path)) + escaped_len(target, (size_t)n) + strlen(s->id) + 40 >
        CTL_LINE_MAX) {
        fprintf(stderr, "aerie: cp: %s: skipped: its target and path together are too long for one "
                "request (%d bytes)\n", host, CTL_LINE_MAX);
        failures++;
        return;
    }
    const char *w[] = { s->id, s->path, target };
    struct ctl_reply r;
    request(c, "symlink", w, 3, &r, 0, 0);
}

/* Why a host file of this type is not copied. */
static const char *not_copied(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device" :
           S_ISBLK(m) ? "a block device" : "not a file, directory or symbolic link";
}

static void tree_in(struct conn *c, const char *host, const struct cside *s, unsigned mode)
{
    if (remote_type(c, s, 0, 0) != 'd') {
        char modes[8];
        snprintf(modes, sizeof modes, "%o", mode & 07777);
        const char *w[] = { s->id, s->path, modes };
        struct ctl_reply r;
        if (!request(c, "mkdir", w, 3, &r, 0, 0))
            return;
    }
    DIR *d = opendir(host);
    if (!d) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char h[PATH_MAX_CP];
        struct cside child = *s;
        struct stat st;
        if (!join(h, sizeof h, host, e->d_name) || !join(child.path, sizeof child.path, s->path, e->d_name))
            continue;
        if (lstat(h, &st)) {
            fprintf(stderr, "aerie: cp: %s: %s\n", h, strerror(errno));
            failures++;
        } else if (S_ISDIR(st.st_mode)) {
            tree_in(c, h, &child, st.st_mode);
        } else if (S_ISREG(st.st_mode)) {
            file_in(c, h, &child, st.st_mode);
        } else if (S_ISLNK(st.st_mode)) {
            link_in(c, h, &child);
        } else {
            fprintf(stderr, "aerie: cp: %s: skipped: %s cannot be copied (only files, directories and "
                    "symbolic links)\n", h, not_copied(st.st_mode));
            failures++;
        }
    }
    closedir(d);
}

static void copy_in(struct conn *c, const char *host, const struct cside *s)
{
    struct stat st;
    if (stat(host, &st)) {
        fprintf(stderr, "aerie: cp: %s: %s\n", host, strerror(errno));
        failures++;
        return;
    }
    struct cside dst = *s;
    if (remote_type(c, s, 0, 0) == 'd' && !join(dst.path, sizeof dst.path, s->path, base_name(host)))
        return;
    if (S_ISDIR(st.st_mode))
        tree_in(c, host, &dst, st.st_mode);
    else if (S_ISREG(st.st_mode))
        file_in(c, host, &dst, st.st_mode);
    else
        die(125, "cp: %s: %s cannot be copied (only files, directories and symbolic links)", host,
            not_copied(st.st_mode));
}

/* ---- operands ---- */

/* "ID:PATH" → true and *s; a host path → false. */
static bool container_operand(const char *arg, struct cside *s)
{
    size_t digits = strspn(arg, "0123456789");
    if (!digits || arg[digits] != ':' || digits >= sizeof s->id)
        return false;
    memcpy(s->id, arg, digits);
    s->id[digits] = 0;
    const char *p = arg + digits + 1;
    int k = snprintf(s->path, sizeof s->path, "%s%s", p[0] == '/' ? "" : "/", p);
    if (k < 0 || (size_t)k >= sizeof s->path)
        die(125, "cp: '%s': the path is too long", arg);
    return true;
}

int aerie_cp(struct conn *c, const char *src, const char *dst)
{
    struct cside a, b;
    bool sa = container_operand(src, &a), sb = container_operand(dst, &b);
    if (sa == sb)
        die(125, "cp: one side must be ID:PATH (a container's file) and the other a host path (aerie cp --help)");
    if (!(sa ? dst : src)[0])
        die(125, "cp: the host path is empty");
    conn_open(c);
    if (sa)
        copy_out(c, &a, dst);
    else
        copy_in(c, src, &b);
    return failures ? 1 : 0;
}
