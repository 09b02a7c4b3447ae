/*
 * store.c — the image store on the host: one image archive per file,
 * DIR/NAME.img (default build/store/), written as DIR/NAME.part while an
 * import is under way and renamed only once Aerie took the image, so the
 * store never holds half an image. Leftover .part files (an engine that
 * was killed mid-import) are removed when the engine starts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"

bool store_valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > CM_NAME_MAX || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

void store_path(const char *dir, const char *name, const char *suffix, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s%s", dir, name, suffix);
}

/* mkdir -p dir. */
static int make_dirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int store_open(const char *dir, char *why, size_t cap)
{
    if (make_dirs(dir) < 0) {
        snprintf(why, cap, "cannot make the image store %s: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(why, cap, "cannot read the image store %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        char path[4200];
        if (n > 5 && !strcmp(de->d_name + n - 5, ".part")) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    }
    closedir(d);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void store_each(const char *dir, void (*fn)(void *ctx, const char *name, const char *path), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[256];
    unsigned n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".img"))
            continue;
        char name[CM_NAME_MAX + 2];
        if (len - 4 > CM_NAME_MAX)
            continue;
        memcpy(name, de->d_name, len - 4);
        name[len - 4] = 0;
        if (store_valid_name(name) && (names[n] = strdup(name)))
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (unsigned i = 0; i < n; i++) {
        char path[4200];
        store_path(dir, names[i], ".img", path, sizeof path);
        fn(ctx, names[i], path);
        free(names[i]);
    }
}
