/*
 * archives.c — image archives added at run time: the container manager
 * hands the fs service each imported image (FS_ADMIN_ARCHIVE_ADD, a
 * read-only Memory capability), and a session whose image path is
 * "@NAME/files" is rooted in that archive's files/ — one index per
 * archive and directory, shared by every container of the image, as the
 * boot image's are (table.c). An archive is validated when it comes and
 * can be dropped only while no session's root is in it.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

static bool valid_name(const char *name, size_t len)
{
    if (len == 0 || len > FS_ARCHIVE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == 0)
            return false;
    return true;
}

/* table_lock held. */
static struct svc_archive **find(struct fs_service *svc, const char *name, size_t len)
{
    struct svc_archive **pp = &svc->archives;
    while (*pp && (strlen((*pp)->name) != len || memcmp((*pp)->name, name, len)))
        pp = &(*pp)->next;
    return pp;
}

/* Maps mem read-only and checks it is an archive; 0, AE_EINVAL or AE_ENOMEM. */
static int map_archive(struct svc_archive *a, uint64_t mem)
{
    uint64_t info[2];
    if (ae_invoke(mem, AERIE_MEM_INFO, 0, 0, info, 2) < 0 || !info[0])
        return AE_EINVAL;
    uint64_t va = p_vm_reserve(info[0]);   /* where every later instance maps it too */
    a->mem = mem;
    p_keep(&a->mem);                      /* kept before it is mapped (acct.c's chunk_new) */
    if (p_map(&a->mem, 0, va, info[0], AERIE_MAP_R) < 0) {
        p_vm_release(va, info[0]);
        p_unkeep(&a->mem);
        a->mem = 0;
        return AE_EINVAL;
    }
    struct img im;
    if (img_open(&im, (const void *)va, info[0], NULL)) {
        p_unmap(va, info[0]);
        p_vm_release(va, info[0]);
        p_unkeep(&a->mem);
        a->mem = 0;
        return AE_EINVAL;
    }
    a->base = (const uint8_t *)va;
    a->bytes = info[0];
    return 0;
}

int archive_add(struct fs_service *svc, const char *name, size_t len, uint64_t mem)
{
    if (!valid_name(name, len))
        return AE_EINVAL;
    struct svc_archive *a = calloc(1, sizeof *a);
    if (!a)
        return AE_ENOMEM;
    memcpy(a->name, name, len);
    int r = map_archive(a, mem);
    if (r) {
        free(a);
        return r;
    }
    pthread_mutex_lock(&svc->table_lock);
    r = *find(svc, name, len) ? AE_EEXIST : svc->narchives >= FS_ARCHIVES_MAX ? AE_ELIMIT : 0;
    if (!r) {
        a->next = svc->archives;
        svc->archives = a;
        svc->narchives++;
    }
    pthread_mutex_unlock(&svc->table_lock);
    if (r) {
        p_unmap((uint64_t)a->base, a->bytes);
        p_unkeep(&a->mem);
        p_vm_release((uint64_t)a->base, a->bytes);
        free(a);
    }
    return r;
}

int archive_drop(struct fs_service *svc, const char *name, size_t len)
{
    pthread_mutex_lock(&svc->table_lock);
    struct svc_archive **pp = find(svc, name, len), *a = *pp;
    int r = !a ? AE_ENOENT : images_forget(svc, a);
    if (!r) {
        *pp = a->next;
        svc->narchives--;
    }
    pthread_mutex_unlock(&svc->table_lock);
    if (r)
        return r;
    p_unmap((uint64_t)a->base, a->bytes);
    p_unkeep(&a->mem);
    p_vm_release((uint64_t)a->base, a->bytes);
    ae_cap_delete(a->mem);
    ae_slot_free(a->mem);
    free(a);
    return 0;
}

int archive_resolve(struct fs_service *svc, const char *prefix, size_t len, const uint8_t **base,
                    uint64_t *bytes, const char **sub, size_t *sublen, struct svc_archive **arch)
{
    *arch = NULL;
    *sub = prefix;
    *sublen = len;
    *base = svc->image_base;
    *bytes = svc->image_bytes;
    if (len == 0 || prefix[0] != '@')
        return svc->image_base ? 0 : AE_ENOENT;
    const char *slash = memchr(prefix, '/', len);
    size_t nlen = slash ? (size_t)(slash - prefix) - 1 : len - 1;
    struct svc_archive *a = *find(svc, prefix + 1, nlen);
    if (!a)
        return AE_ENOENT;
    *arch = a;
    *base = a->base;
    *bytes = a->bytes;
    *sub = slash ? slash + 1 : prefix + len;
    *sublen = slash ? len - nlen - 2 : 0;
    return 0;
}
