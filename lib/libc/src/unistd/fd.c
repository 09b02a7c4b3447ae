/*
 * fd.c — the file-descriptor table (fd.h). It starts as a small static
 * array with the console at 0, 1 and 2, and grows by doubling (malloc) up
 * to FD_MAX. Lookups copy the slot under fd_lock and call the ops outside
 * it, so a slow read never blocks other descriptors; closing a
 * descriptor that another thread is using is the program's race, as on
 * every POSIX system.
 */
#include <aerie/errors.h>
#include <stdlib.h>
#include <string.h>
#include "fd.h"
#include "lock.h"

#define FD_INITIAL 16

struct fd_slot {
    const struct fd_ops *ops;           /* NULL: free */
    void *obj;
};

static volatile uint32_t fd_lock;
static struct fd_slot initial_table[FD_INITIAL] = {
    { &__console_fd_ops, NULL },
    { &__console_fd_ops, NULL },
    { &__console_fd_ops, NULL },
};
static struct fd_slot *table = initial_table;   /* fd_lock */
static int table_size = FD_INITIAL;             /* fd_lock */

/* Doubles the table; the caller holds fd_lock. */
static int grow(void)
{
    if (table_size >= FD_MAX)
        return AE_EMFILE;
    int size = table_size * 2;
    struct fd_slot *t = calloc((size_t)size, sizeof *t);
    if (!t)
        return AE_ENOMEM;
    memcpy(t, table, (size_t)table_size * sizeof *t);
    if (table != initial_table)
        free(table);
    table = t;
    table_size = size;
    return 0;
}

int __fd_install(const struct fd_ops *ops, void *obj)
{
    __lock(&fd_lock);
    int fd = 0;
    while (fd < table_size && table[fd].ops)
        fd++;
    if (fd == table_size) {
        int r = grow();
        if (r < 0) {
            __unlock(&fd_lock);
            return r;
        }
    }
    table[fd] = (struct fd_slot){ ops, obj };
    __unlock(&fd_lock);
    return fd;
}

int __fd_get(int fd, const struct fd_ops **ops, void **obj)
{
    int r = AE_EBADF;
    __lock(&fd_lock);
    if (fd >= 0 && fd < table_size && table[fd].ops) {
        *ops = table[fd].ops;
        *obj = table[fd].obj;
        r = 0;
    }
    __unlock(&fd_lock);
    return r;
}

int __fd_remove(int fd, const struct fd_ops **ops, void **obj)
{
    int r = AE_EBADF;
    __lock(&fd_lock);
    if (fd >= 0 && fd < table_size && table[fd].ops) {
        *ops = table[fd].ops;
        *obj = table[fd].obj;
        table[fd] = (struct fd_slot){ NULL, NULL };
        r = 0;
    }
    __unlock(&fd_lock);
    return r;
}
