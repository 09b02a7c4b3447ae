/*
 * t_memrace.c — Memory CLONE while threads of the caller's task keep
 * writing the object through their own mapping (forkcow step 1). Each
 * writer counts in its own word of one shared page and checks every
 * time that the word still holds its last count: a write that landed in
 * the page the clone holds after the source had been given its own copy
 * (a stale writable TLB entry on one CPU while another CPU's write fault
 * copied the page) is lost to the source and seen by the clone. The
 * clone must also be a snapshot: what it reads right after CLONE returns
 * it reads again later, and no word is ahead of what its writer had
 * written when CLONE returned.
 */
#include "kt.h"

#define RACE_ROUNDS 150
#define RACE_WRITERS 2

struct race_writer {
    volatile uint64_t *word;     /* its own word in the mapped object */
    volatile uint64_t done_at;   /* its count whenever it looks (not in the object) */
    volatile uint64_t lost;      /* times the word did not hold its last write */
};

static volatile int race_stop, race_running;

/* Counts in its word as fast as it can; a word that does not hold the
 * writer's own last value means one of its writes went elsewhere. */
static void race_write(void *arg)
{
    struct race_writer *w = arg;
    uint64_t c = *w->word;
    __atomic_add_fetch(&race_running, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
        uint64_t seen = *w->word;
        if (seen != c) {
            w->lost++;
            c = seen;
        }
        *w->word = ++c;
        w->done_at = c;
    }
    __atomic_sub_fetch(&race_running, 1, __ATOMIC_ACQ_REL);
    ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
}

static uint64_t race_get(uint64_t mem, uint64_t off)
{
    uint64_t v = ~0ull;
    if (ae_invoke(mem, AERIE_MEM_READ, 2, (uint64_t[]){ off, 8 }, &v, 1))
        return ~1ull;
    return v;
}

KTEST_CPUS(memclone_while_writers_write, 2,
           "Memory CLONE of an object that threads on other CPUs keep writing through their mapping: no write is "
           "lost to the source, and the clone never sees a write made after CLONE returned")
{
    enum { PAGES = 4 };
    uint64_t sq = env->quota, mem;
    CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &mem, PAGES * 4096, 0, 0));
    uint64_t va = ae_vm_reserve(PAGES * 4096);
    CHECK(va != 0);
    CHECK_OK(ae_task_map(ae_self.task, mem, 0, va, PAGES * 4096, AERIE_MAP_R | AERIE_MAP_W));
    volatile uint64_t *p = (volatile uint64_t *)va;
    static struct race_writer w[RACE_WRITERS];
    struct ae_thread th[RACE_WRITERS] = { 0 };
    race_stop = 0;
    race_running = 0;
    unsigned ncpu = kt_ncpus();
    for (unsigned k = 0; k < RACE_WRITERS; k++) {
        w[k] = (struct race_writer){ .word = &p[k * 64] };       /* one page, separate cache lines */
        int cpu = ncpu > 2 ? (int)(1 + k % (ncpu - 1)) : (int)(k == 0 ? 1 : 0);
        CHECK_OK(kt_thread(env, &th[k], race_write, &w[k], cpu));
    }
    CHECK(kt_wait(&race_running, RACE_WRITERS, 5000));
    uint64_t clone_lost = 0, ahead = 0;
    for (unsigned r = 0; r < RACE_ROUNDS; r++) {
        uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 0, 4), c = ae_slot_alloc();
        CHECK_OK(ae_invokev(mem, AERIE_MEM_CLONE, q, sq, c));
        uint64_t after[RACE_WRITERS], first[RACE_WRITERS];
        for (unsigned k = 0; k < RACE_WRITERS; k++)
            after[k] = w[k].done_at;
        for (unsigned k = 0; k < RACE_WRITERS; k++) {
            first[k] = race_get(c, k * 64 * 8);
            /* The writer's count lags its word by one write at most. */
            if (first[k] > after[k] + 1)
                ahead++;
        }
        ae_sleep_ns(200000);                                    /* the writers write on */
        for (unsigned k = 0; k < RACE_WRITERS; k++)
            if (race_get(c, k * 64 * 8) != first[k])
                clone_lost++;
        CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
        ae_cap_delete(q);
        ae_slot_free(c);
    }
    __atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
    CHECK(kt_wait(&race_running, 0, 5000));
    for (unsigned k = 0; k < RACE_WRITERS; k++) {
        CHECK_EQ(w[k].lost, 0);
        CHECK_EQ(*w[k].word, w[k].done_at);
    }
    CHECK_EQ(clone_lost, 0);
    CHECK_EQ(ahead, 0);
    CHECK_OK(ae_task_unmap(ae_self.task, va, PAGES * 4096));
}
