/*
 * atexit.c — C11 7.22.4.2. Functions are kept in blocks of 32: the first
 * is static, so the 32 registrations C guarantees never fail; more blocks
 * come from malloc. Functions registered while exit runs them are run too.
 */
#include <stdlib.h>
#include "libc.h"
#include "lock.h"

#define PER_BLOCK 32

struct atexit_block {
    struct atexit_block *prev;
    int count;
    void (*fn[PER_BLOCK])(void);
};

static volatile uint32_t atexit_lock;
static struct atexit_block first_block;
static struct atexit_block *top = &first_block;

int atexit(void (*fn)(void))
{
    __lock(&atexit_lock);
    if (top->count == PER_BLOCK) {
        struct atexit_block *b = calloc(1, sizeof *b);
        if (!b) {
            __unlock(&atexit_lock);
            return -1;
        }
        b->prev = top;
        top = b;
    }
    top->fn[top->count++] = fn;
    __unlock(&atexit_lock);
    return 0;
}

/* Pops and runs functions until none are left; the lock is not held
 * while one runs, so it may call atexit. */
void __run_atexit(void)
{
    for (;;) {
        __lock(&atexit_lock);
        while (top->count == 0 && top->prev)
            top = top->prev;        /* the emptied malloc'd block is left: we are exiting */
        if (top->count == 0) {
            __unlock(&atexit_lock);
            return;
        }
        void (*fn)(void) = top->fn[--top->count];
        __unlock(&atexit_lock);
        fn();
    }
}
