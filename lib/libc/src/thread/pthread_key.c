/*
 * pthread_key.c — POSIX thread-specific data. Keys are slots in a table of
 * PTHREAD_KEYS_MAX; each creation gives the slot a new sequence number,
 * and a thread's value counts only while its recorded number matches, so
 * a deleted and re-created key starts out NULL in every thread without
 * anyone walking the threads.
 */
#include <errno.h>
#include "lock.h"
#include "pthread_impl.h"

static volatile uint32_t key_lock;
static uint32_t key_seq[PTHREAD_KEYS_MAX];          /* odd: in use */
static void (*key_dtor[PTHREAD_KEYS_MAX])(void *);

int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    __lock(&key_lock);
    for (unsigned k = 0; k < PTHREAD_KEYS_MAX; k++) {
        if (key_seq[k] % 2 == 0) {
            key_seq[k]++;
            key_dtor[k] = destructor;
            __unlock(&key_lock);
            *key = k;
            return 0;
        }
    }
    __unlock(&key_lock);
    return EAGAIN;
}

int pthread_key_delete(pthread_key_t key)
{
    if (key >= PTHREAD_KEYS_MAX)
        return EINVAL;
    __lock(&key_lock);
    int r = key_seq[key] % 2 ? 0 : EINVAL;
    if (r == 0) {
        key_seq[key]++;
        key_dtor[key] = NULL;
    }
    __unlock(&key_lock);
    return r;
}

void *pthread_getspecific(pthread_key_t key)
{
    struct __pthread *self = __pthread_self();
    if (key >= PTHREAD_KEYS_MAX || self->tsd_seq[key] != key_seq[key])
        return NULL;
    return (void *)self->tsd[key];
}

int pthread_setspecific(pthread_key_t key, const void *value)
{
    if (key >= PTHREAD_KEYS_MAX || key_seq[key] % 2 == 0)
        return EINVAL;
    struct __pthread *self = __pthread_self();
    self->tsd[key] = value;
    self->tsd_seq[key] = key_seq[key];
    return 0;
}

/* POSIX: repeat while destructors leave values behind, up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds. */
void __tsd_run_destructors(struct __pthread *self)
{
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        int ran = 0;
        for (unsigned k = 0; k < PTHREAD_KEYS_MAX; k++) {
            void (*dtor)(void *) = key_dtor[k];
            void *v = (void *)self->tsd[k];
            if (!v || !dtor || self->tsd_seq[k] != key_seq[k])
                continue;
            self->tsd[k] = NULL;
            dtor(v);
            ran = 1;
        }
        if (!ran)
            return;
    }
}
