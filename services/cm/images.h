/*
 * images.h — the images cm runs: those of the boot image (images/NAME/
 * subtrees, docs/IMAGE.md) and those imported at run time through ctl
 * (CM_IMAGE_*): an image archive of its own, with `config` (imgconfig.h)
 * and the root under `files/`, held in a Memory object charged to cm's
 * quota (imports are the operator's, like the boot image). Its files go
 * to the fs service as an archive of their own, so every container of the
 * image shares them; its program is mapped from the same memory. A name
 * belongs to one image; the boot image's win.
 */
#ifndef AERIE_CM_IMAGES_H
#define AERIE_CM_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "img.h"
#include "imgconfig.h"
#include "spec.h"

/* What a container of an image is made from (images_acquire). */
struct image_use {
    const struct img *archive;       /* where the program is */
    uint64_t mem;                    /* the archive's Memory capability */
    char prog[SPEC_NAME_MAX + 200];  /* the program's path in the archive */
    char fs_root[SPEC_NAME_MAX + 16];/* the fs session's image path */
    const struct imgcfg *cfg;        /* NULL for a boot image */
};

/* Finds image name and counts a user on it (rmi refuses while any). 0, or
 * AE_ENOENT with a message in err. */
int images_acquire(const char *name, struct image_use *u, char *err, size_t errlen);
void images_release(const char *name);

/* An image's program and its argv and environment for spec s: for an
 * imported image, Docker's rules (argv = entrypoint + cmd; spec args
 * replace cmd; spec entrypoint replaces both; spec env adds to and
 * overrides the image's; its workdir becomes PWD). u->prog is set to the
 * program's path in the archive. 0, or AE_EINVAL with a message. */
/* The program and its arguments: an image's entrypoint words and the
 * spec's arguments (or the image's cmd words) */
#define IMAGES_ARGV_MAX (IMGCFG_WORDS + SPEC_MAX_ARGS)
struct image_args {
    const char *argv[IMAGES_ARGV_MAX + 1];
    const char *envp[IMGCFG_WORDS + SPEC_MAX_ENV + 4];   /* the image's, the spec's, PWD, PATH and HOME */
    char pwd[IMGCFG_STR + 8];
};
/* Whether name is an imported image, ready to run (not a boot image). */
bool images_is_imported(const char *name);
int images_program(const struct spec *s, struct image_use *u, struct image_args *a, char *err, size_t errlen);

/* At most this many symbolic links are followed to an imported image's
 * program (Alpine's /bin/sh -> busybox is one); Linux's ELOOP limit. */
#define IMAGES_LINK_HOPS 40

/* The program's entry of archive a: path (the program as the image names
 * it, absolute) resolved inside the image root `files` with its links
 * followed (img_resolve: absolute targets from files/, never above it),
 * or, for a boot image (files == false), the entry path itself. 0 and *f
 * filled, or AE_ENOENT / AE_ELOOP with a message in err saying whether
 * the program is missing, a link that leads nowhere, a loop or no file. */
int images_find_program(const struct img *a, bool files, const char *path, struct img_file *f,
                        char *err, size_t errlen);

/* Begins a load of name, size bytes: *stage gets a new slot with a copy
 * of its staging memory's capability (to send to ctl, then delete). 0, or an error with a message. */
int images_begin(const char *name, size_t len, uint64_t size, uint64_t *stage, char *err, size_t errlen);
/* Copies the staging memory's first n bytes to offset off of the load. */
int images_write(const char *name, size_t len, uint64_t off, uint64_t n);
int images_commit(const char *name, size_t len, char *err, size_t errlen);
int images_abort(const char *name, size_t len);
int images_remove(const char *name, size_t len, char *err, size_t errlen);
/* The index-th image (boot ones first): its name, archive bytes, program
 * and import time (0 for a boot image). AE_ENOENT past the last. */
int images_info(unsigned index, char *name, size_t ncap, uint64_t *bytes, char *prog, size_t pcap,
                uint64_t *imported);

#endif
