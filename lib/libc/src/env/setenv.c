/*
 * setenv.c — POSIX setenv and unsetenv. The first change copies environ
 * into an array libc owns; strings setenv made are remembered so that
 * replacing or removing them frees them (strings from the program's start
 * are never freed). A lock serialises changers; getenv reads without it,
 * which POSIX permits (setenv need not be thread-safe against getenv).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lock.h"

static volatile uint32_t env_lock;
static char **owned_array;              /* environ, once libc owns it */
static size_t env_count, env_cap;
static char **made;                     /* strings setenv allocated */
static size_t made_count, made_cap;

static bool valid_name(const char *name)
{
    return name && *name && !strchr(name, '=');
}

/* Makes environ an array libc owns, with room for one more entry. */
static int own_environ(void)
{
    if (environ != owned_array) {
        size_t n = 0;
        while (environ && environ[n])
            n++;
        char **a = malloc((n + 8) * sizeof *a);
        if (!a)
            return -1;
        memcpy(a, environ, n * sizeof *a);
        a[n] = NULL;
        free(owned_array);
        environ = owned_array = a;
        env_count = n;
        env_cap = n + 8;
    }
    if (env_count + 1 >= env_cap) {
        char **a = realloc(owned_array, env_cap * 2 * sizeof *a);
        if (!a)
            return -1;
        environ = owned_array = a;
        env_cap *= 2;
    }
    return 0;
}

/* Frees s if setenv made it. */
static void release(char *s)
{
    for (size_t i = 0; i < made_count; i++) {
        if (made[i] == s) {
            made[i] = made[--made_count];
            free(s);
            return;
        }
    }
}

static int remember(char *s)
{
    if (made_count == made_cap) {
        size_t cap = made_cap ? made_cap * 2 : 8;
        char **m = realloc(made, cap * sizeof *m);
        if (!m)
            return -1;
        made = m;
        made_cap = cap;
    }
    made[made_count++] = s;
    return 0;
}

/* Index of name's entry in the owned array, or env_count. */
static size_t find(const char *name, size_t n)
{
    size_t i = 0;
    for (; i < env_count; i++)
        if (!strncmp(owned_array[i], name, n) && owned_array[i][n] == '=')
            break;
    return i;
}

static int set_locked(const char *name, const char *value, int overwrite)
{
    size_t n = strlen(name), v = strlen(value);
    if (own_environ() < 0)
        return -1;
    size_t i = find(name, n);
    if (i < env_count && !overwrite)
        return 0;
    char *s = malloc(n + v + 2);
    if (!s || remember(s) < 0) {
        free(s);
        return -1;
    }
    memcpy(s, name, n);
    s[n] = '=';
    memcpy(s + n + 1, value, v + 1);
    if (i < env_count) {
        release(owned_array[i]);
    } else {
        owned_array[env_count + 1] = NULL;
        env_count++;
    }
    owned_array[i] = s;
    return 0;
}

int setenv(const char *name, const char *value, int overwrite)
{
    if (!valid_name(name)) {
        errno = EINVAL;
        return -1;
    }
    __lock(&env_lock);
    int r = set_locked(name, value, overwrite);
    __unlock(&env_lock);
    return r;
}

int unsetenv(const char *name)
{
    if (!valid_name(name)) {
        errno = EINVAL;
        return -1;
    }
    __lock(&env_lock);
    int r = own_environ();
    if (r == 0) {
        size_t n = strlen(name), i;
        while ((i = find(name, n)) < env_count) {
            release(owned_array[i]);
            memmove(owned_array + i, owned_array + i + 1, (env_count - i) * sizeof *owned_array);
            env_count--;
        }
    }
    __unlock(&env_lock);
    return r;
}
