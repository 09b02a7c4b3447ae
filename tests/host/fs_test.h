/*
 * fs_test.h — what the fs core's host tests share: an fs_env made of
 * pthread mutexes and malloc that counts live pages and allocations and
 * can be told to fail, and small helpers to build images and files.
 */
#ifndef AERIE_FS_TEST_H
#define AERIE_FS_TEST_H

#include <stdint.h>
#include "fs.h"

struct test_env {
    struct fs_env env;
    long pages_live;          /* pages handed out and not yet returned */
    long pages_total;         /* page_alloc calls that succeeded */
    long mem_live;            /* metadata bytes live */
    long fail_pages_after;    /* < 0: never; else that many more page allocations succeed */
    long fail_mem_after;      /* the same for mem_alloc */
    int fail_pages_error;     /* what a failed page_alloc says (0: AE_ENOMEM) */
    uint64_t clock;           /* what env.now returns: tests set the time */
    long page_calls;          /* page_alloc and page_free calls */
};

/* The environment most tests use; reset by test_env_init. */
extern struct test_env T;

void test_env_init(struct test_env *t);

/* Frees every page still live, as if the memory they came from vanished
 * (a client's quota destroyed); pages_live becomes 0. */
void test_env_vanish_pages(struct test_env *t);

/* A parsed path (aborts on a parse error); rotates through 16 buffers per thread. */
const struct fs_path *P(const char *path);

/* Generous limits, or exact ones. */
struct fs_limits big_limits(void);

/* An image from pairs (path, contents) ending with NULL; a path ending
 * in '/' is a directory, "@path" a symbolic link whose target is the
 * contents. Aborts on error. */
struct fs_image *make_image(const char *first, ...);

/* The archive make_image built last, and its length. */
uint8_t *test_last_archive(uint64_t *len);

/* Frees the archives make_image built; call when no image is left. */
void test_archives_free(void);

/* Creates (or truncates) path and writes data; returns bytes written or an error. */
int64_t put_file(struct fs_session *s, const char *path, const void *data, uint64_t len);
/* Reads path whole into buf (cap bytes); returns the length or an error. */
int64_t get_file(struct fs_session *s, const char *path, void *buf, uint64_t cap);
/* The names in directory path, sorted, joined by ' ' into out; returns the count or an error. */
int list_dir(struct fs_session *s, const char *path, char *out, size_t cap);

#endif
