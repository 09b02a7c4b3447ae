/*
 * persist.h — the fs service's memory that outlives its task
 * (docs/RESTART.md). Everything the service knows — the session table,
 * the core's trees, every account's chunk lists — lives in one heap of
 * Memory made from the "keep" quota root holds across restarts, mapped at
 * a fixed address (P_BASE); the Memory objects that hold file pages are
 * mapped at addresses from the same fixed region. Root's keeper holds a
 * copy of every capability this state names, keyed by the address of the
 * field that holds it, so a new instance gets them back, writes the new
 * slots into those fields, maps everything where it was, resets every lock
 * (a dead worker may have held one) and serves on: pointers stay valid.
 */
#ifndef AERIE_FS_PERSIST_H
#define AERIE_FS_PERSIST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P_BASE       0x500000000000ull   /* the heap; then address space for mappings */
#define P_HEAP_BYTES (8ull << 20)        /* made at the first start */
#define P_EXT_BYTES  (1ull << 20)        /* then it grows by extents of this much */
#define P_HEAP_MAX   (1ull << 30)        /* address space for it (the quota bounds it first) */
#define P_EXT_MAX    1024u
#define P_VM_BASE    (P_BASE + (1ull << 32))
#define P_KEY_HEAP   1                    /* the heap's own key at the keeper */

/* Maps the heap: a new one (false), or the previous instance's (true:
 * recovering). *app is the pointer the service keeps in it (its
 * struct fs_service), NULL in a new heap. Returns -1 if neither works. */
int p_init(void ***app);
/* After p_init said recovering: every kept capability back into its
 * field, every recorded mapping mapped again, every registered lock reset.
 * Returns the number of capabilities restored, or a negative error. */
int p_recover(void);

void *p_malloc(size_t n);
void *p_calloc(size_t n, size_t size);
void p_free(void *p);

/* The quota memory that outlives us comes from ("keep"; our own without it). */
uint64_t p_quota(void);

/* Address space in the fixed region; released ranges are handed out
 * again (first fit), so page tables made for them are used again. */
uint64_t p_vm_reserve(uint64_t bytes);
void p_vm_release(uint64_t va, uint64_t bytes);

/* The keeper: root holds a copy of *field's capability under the field's
 * address until p_unkeep; p_recover writes the new slot into *field. */
int p_keep(uint64_t *field);
void p_unkeep(uint64_t *field);

/* Maps *memfield's Memory at va (recorded: p_recover maps it again), and
 * removes the records (and mappings) inside [va, va + bytes). */
int p_map(uint64_t *memfield, uint64_t off, uint64_t va, uint64_t bytes, uint64_t flags);
void p_unmap(uint64_t va, uint64_t bytes);
/* The same for mappings no structure names any more (a chunk a restart cut
 * off between its mapping and its link): each one's capability is also let
 * go, by the keeper and by us, so its Memory goes back to its quota. */
void p_unmap_orphans(uint64_t va, uint64_t bytes);

/* Locks in the heap: registered so recovery resets them. */
int p_mutex_init(pthread_mutex_t *m);
void p_mutex_destroy(pthread_mutex_t *m);

/* The heap bytes of the records p_map and p_mutex_init keep (metadata
 * budgets count them: ../meta.h). */
size_t p_map_record_bytes(void);
size_t p_lock_record_bytes(void);

/* For FS stats and docs: heap bytes handed out. */
uint64_t p_heap_used(void);

#endif
