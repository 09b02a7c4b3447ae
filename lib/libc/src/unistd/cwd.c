/*
 * cwd.c — the working directory: chdir, fchdir, getcwd, and __cwd_path,
 * which every call that takes a path uses so that a relative path is
 * resolved against it. It starts as $PWD when that is an absolute path
 * (the container manager sets it from an image's WorkingDir), else "/",
 * and is read lazily: a program that never uses a relative path pays
 * nothing at start. The directory is kept as an absolute path made
 * lexically clean (no ".", "..", or "//": like a shell's logical PWD); a
 * relative path is joined to it as given and walked by the file system.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <aerie/errors.h>
#include "fd.h"
#include "libc.h"
#include "lock.h"
#include "sys.h"

static char cwd[PATH_MAX];
static volatile uint32_t cwd_lock;

/* Makes in (absolute) lexically clean into out; false if it does not fit. */
static bool clean(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o && out[o - 1] != '/')
                o--;
            if (o)
                o--;                          /* ".." at the root stays at the root */
        } else if (n && !(n == 1 && p[0] == '.')) {
            if (o + 1 + n + 1 > cap)
                return false;
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p = e;
    }
    if (!o)
        out[o++] = '/';
    out[o] = 0;
    return true;
}

/* cwd_lock held. */
static void init(void)
{
    const char *pwd;
    if (cwd[0])
        return;
    pwd = getenv("PWD");
    if (!pwd || pwd[0] != '/' || !clean(pwd, cwd, sizeof cwd))
        strcpy(cwd, "/");
}

const char *__cwd_path(const char *path, char *buf, size_t cap, int *err)
{
    *err = 0;
    if (path[0] == '/' || !path[0])
        return path;
    __lock(&cwd_lock);
    init();
    size_t a = strlen(cwd), b = strlen(path);
    bool fits = a + 1 + b + 1 <= cap;
    if (fits) {
        memcpy(buf, cwd, a);
        buf[a] = '/';
        memcpy(buf + a + 1, path, b + 1);
    }
    __unlock(&cwd_lock);
    if (!fits)
        *err = AE_ENAMETOOLONG;
    return fits ? buf : NULL;
}

int chdir(const char *path)
{
    char joined[PATH_MAX], next[PATH_MAX];
    struct stat st;
    int r;
    const char *p = __cwd_path(path, joined, sizeof joined, &r);
    if (!r && !clean(p, next, sizeof next))
        r = AE_ENAMETOOLONG;
    if (!r)
        r = __sys_stat(next, &st);
    if (!r && !S_ISDIR(st.st_mode))
        r = AE_ENOTDIR;
    if (r)
        return (int)__ae_ret(r);
    __lock(&cwd_lock);
    strcpy(cwd, next);
    __unlock(&cwd_lock);
    return 0;
}

int fchdir(int fd)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    const char *path = !r && ops->path ? ops->path(obj) : NULL;
    if (!r && !path)
        r = AE_ENOTDIR;                       /* not a directory opened by name */
    return r ? (int)__ae_ret(r) : chdir(path);
}

char *getcwd(char *buf, size_t size)
{
    __lock(&cwd_lock);
    init();
    size_t n = strlen(cwd) + 1;
    char *out = buf ? buf : malloc(size ? size : n);
    if (out && n <= (size ? size : n))
        memcpy(out, cwd, n);
    __unlock(&cwd_lock);
    if (!out) {
        errno = ENOMEM;
        return NULL;
    }
    if (n > (size ? size : n) || (buf && !size)) {
        if (!buf)
            free(out);
        errno = buf && !size ? EINVAL : ERANGE;
        return NULL;
    }
    return out;
}
