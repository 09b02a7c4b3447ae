/* readdir.c — POSIX readdir: the next entry through the descriptor's
 * readdir op; NULL with errno unchanged at the end, NULL with errno set
 * on an error. */
#include <aerie/errors.h>
#include <errno.h>
#include "dirent_impl.h"
#include "fd.h"
#include "libc.h"

struct dirent *readdir(DIR *d)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(d->fd, &ops, &obj);
    if (r == 0 && !ops->readdir)
        r = AE_ENOTDIR;
    if (r == 0)
        r = ops->readdir(obj, &d->ent);
    if (r < 0) {
        __ae_ret(r);
        return NULL;
    }
    return r ? &d->ent : NULL;
}
