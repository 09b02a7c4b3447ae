/*
 * pagetable.h — user page tables (4-level x86-64). The portable kernel
 * (vspace.c) decides what to map; this file only writes entries. Page-table
 * pages are charged to the quota passed in.
 */
#ifndef AERIE_PAGETABLE_H
#define AERIE_PAGETABLE_H

#include <stdint.h>
#include <stdbool.h>

struct quota;

#define PT_R        0x1
#define PT_W        0x2
#define PT_X        0x4
#define PT_UNCACHED 0x8
#define PT_LAZY     0x10   /* a mapping's, never an entry's: entries made at first touch */

/* A new top-level table sharing the kernel half; 0 on failure. */
uint64_t pt_create(struct quota *q, int *err);
/* Maps one 4 KiB page; allocates intermediate tables (counted in *pt_pages). */
int pt_map(uint64_t root, struct quota *q, uint64_t *pt_pages, uint64_t va, uint64_t pa, unsigned flags);
/* Maps npages from va, page i at page(ctx, i) (0: left empty), with one
 * walk per page table rather than per page. On an error the entries made
 * so far stay (the caller clears its range). */
int pt_map_range(uint64_t root, struct quota *q, uint64_t *pt_pages, uint64_t va, uint64_t npages,
                 unsigned flags, uint64_t (*page)(void *ctx, uint64_t i), void *ctx);
/* Clears the entry for va if present. */
void pt_unmap(uint64_t root, uint64_t va);
/* Clears every entry of [va, va + npages pages): one walk per table, and
 * a range without tables costs one look per missing table. */
void pt_unmap_range(uint64_t root, uint64_t va, uint64_t npages);
/* Clears the write bit of every entry of [va, va + npages pages): one
 * walk per page table, not per page. */
void pt_write_protect(uint64_t root, uint64_t va, uint64_t npages);
/* Physical address va maps to (user, present), or 0; *writable set. */
uint64_t pt_translate(uint64_t root, uint64_t va, bool *writable);
/* Frees every user-half table and the root; returns the pages freed. */
uint64_t pt_destroy(uint64_t root);

/* Borrowing (vspace.c, "Lent ranges"): croot's entries for the lent
 * ranges name proot's tables — the page table of the 2 MiB region below
 * the kernel info page (croot's own is kept in *saved), and every
 * top-level entry from 512 GiB up that proot has. AE_EBUSY when croot
 * has a table of its own there (it once mapped something). */
int pt_lend(uint64_t croot, uint64_t proot, uint64_t *saved);
/* croot's lent entries cleared and its own region table back. */
void pt_unlend(uint64_t croot, uint64_t saved);
/* A top-level entry proot made after pt_lend, for lent address va,
 * copied into croot: true if one was (the access is to be retried). */
bool pt_lend_sync(uint64_t croot, uint64_t proot, uint64_t va);

/* Loads root on this CPU (inline: it runs right after the CR3 write, see
 * kernel/hot.h). */
static inline void pt_activate(uint64_t root)
{
    uint64_t cur;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cur));
    if (cur != root)
        __asm__ volatile("mov %0, %%cr3" :: "r"(root) : "memory");
}
uint64_t pt_kernel_root(void);

/* Makes every CPU in mask (bit per CPU index) drop stale translations;
 * returns when all have. Call with no spinlock held that those CPUs may
 * need... any spinlock is fine: waiting CPUs service requests. */
void tlb_shootdown(uint64_t cpu_mask, bool tables_freed);
/* Drops this CPU's translations of npages from va in the loaded tables
 * (invlpg each: cheaper than a CR3 reload for a few pages, above all
 * under TCG, where a reload empties the whole soft TLB). */
void tlb_flush_pages_local(uint64_t va, uint64_t npages);
/* Services this CPU's pending shootdown request, if any. */
void tlb_service(void);

#endif
