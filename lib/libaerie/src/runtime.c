/*
 * runtime.c — a program's knowledge of itself: its capabilities, free
 * capability slots, free address ranges, memory and threads.
 */
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>
#include <aerie/kip.h>

struct ae_self ae_self;

/* A tiny spinlock: the runtime must work before any thread library. */
static volatile uint32_t rt_lock;
static void lock(void) { while (__atomic_exchange_n(&rt_lock, 1, __ATOMIC_ACQUIRE)) ae_yield(); }
static void unlock(void) { __atomic_store_n(&rt_lock, 0, __ATOMIC_RELEASE); }

#define FREE_SLOTS_MAX 256
static uint64_t slot_next;
static uint64_t free_slots[FREE_SLOTS_MAX];
static unsigned nfree_slots;

/* Anonymous memory and thread stacks live from 1 GiB up, far from the
 * program image and its stack (one 2 MiB region below 4 MiB). */
#define VM_BASE 0x40000000ull
static uint64_t vm_next = VM_BASE;

int ae_runtime_init(struct ae_tcb_head *tcb, struct aerie_utcb *utcb, uint64_t first_free_slot)
{
    tcb->self = tcb;
    tcb->utcb = utcb;
    slot_next = first_free_slot;
    /* The UTCB is needed to make the call that sets FS: write the
     * arguments there directly. */
    utcb->mr[0] = 1ull << AERIE_REG_FS_BASE;
    for (unsigned i = 1; i <= AERIE_REG_COUNT; i++)
        utcb->mr[i] = 0;
    utcb->mr[1 + AERIE_REG_FS_BASE] = (uint64_t)tcb;
    int64_t r = ae_call(ae_self.thread, AERIE_INFO(AERIE_THREAD_SET_REGS, 1 + AERIE_REG_COUNT, 0),
                        AERIE_TIMEOUT_FOREVER);
    return (int)r < 0 ? (int)r : 0;
}

uint64_t ae_slot_alloc(void)
{
    uint64_t s = 0;
    lock();
    if (nfree_slots)
        s = free_slots[--nfree_slots];
    else if (slot_next < AERIE_CSPACE_MAX)
        s = slot_next++;
    unlock();
    return s;
}

void ae_slot_free(uint64_t slot)
{
    if (!slot)
        return;
    lock();
    if (nfree_slots < FREE_SLOTS_MAX)
        free_slots[nfree_slots++] = slot;
    unlock();
}

uint64_t ae_vm_reserve(uint64_t bytes)
{
    bytes = (bytes + 4095) & ~4095ull;
    lock();
    uint64_t va = vm_next;
    if (bytes > AERIE_USER_MAX - va)
        va = 0;
    else
        vm_next += bytes + 4096;          /* an unmapped guard page after each range */
    unlock();
    return va;
}

void *ae_mem_map_new(uint64_t bytes, uint64_t *mem_slot)
{
    bytes = (bytes + 4095) & ~4095ull;
    uint64_t slot = ae_slot_alloc();
    if (!slot)
        return 0;
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, slot, bytes, 0, 0) < 0) {
        ae_slot_free(slot);
        return 0;
    }
    uint64_t va = ae_vm_reserve(bytes);
    if (!va || ae_task_map(ae_self.task, slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        ae_cap_delete(slot);
        ae_slot_free(slot);
        return 0;
    }
    *mem_slot = slot;
    return (void *)va;
}

void ae_mem_unmap_delete(void *addr, uint64_t bytes, uint64_t mem_slot)
{
    bytes = (bytes + 4095) & ~4095ull;
    ae_task_unmap(ae_self.task, (uint64_t)addr, bytes);
    ae_cap_delete(mem_slot);
    ae_slot_free(mem_slot);
}

__attribute__((noreturn)) static void thread_entry(void (*fn)(void *), void *arg)
{
    fn(arg);
    ae_thread_exit(0);
}

int ae_thread_start(struct ae_thread *th, void (*fn)(void *), void *arg, int cpu, uint64_t stack_bytes)
{
    stack_bytes = (stack_bytes + 4095) & ~4095ull;
    th->mem_bytes = stack_bytes + 4096;           /* stack, then a page for TCB and UTCB */
    th->mem = ae_mem_map_new(th->mem_bytes, &th->mem_slot);
    if (!th->mem)
        return AE_ENOMEM;
    char *top_page = (char *)th->mem + stack_bytes;
    struct ae_tcb_head *tcb = (struct ae_tcb_head *)top_page;
    struct aerie_utcb *utcb = (struct aerie_utcb *)(top_page + 4096 - AERIE_UTCB_SIZE);
    tcb->self = tcb;
    tcb->utcb = utcb;
    th->thread_slot = ae_slot_alloc();
    int64_t r = ae_quota_create(ae_self.quota, AERIE_OBJ_THREAD, th->thread_slot, ae_self.task, 0, 0);
    if (r < 0)
        goto fail_mem;
    r = ae_invokev(th->thread_slot, AERIE_THREAD_SET_UTCB, th->mem_slot, stack_bytes + 4096 - AERIE_UTCB_SIZE);
    if (r < 0)
        goto fail_thread;
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = (uint64_t)thread_entry;
    regs[AERIE_REG_RSP] = (uint64_t)top_page - 8;  /* as if just called */
    regs[AERIE_REG_RDI] = (uint64_t)fn;
    regs[AERIE_REG_RSI] = (uint64_t)arg;
    regs[AERIE_REG_FS_BASE] = (uint64_t)tcb;
    uint64_t mask = (1u << AERIE_REG_RIP) | (1u << AERIE_REG_RSP) | (1u << AERIE_REG_RDI) |
                    (1u << AERIE_REG_RSI) | (1u << AERIE_REG_FS_BASE);
    if ((r = ae_thread_set_regs(th->thread_slot, mask, regs)) < 0)
        goto fail_thread;
    if (cpu >= 0 && (r = ae_invokev(th->thread_slot, AERIE_THREAD_SET_AFFINITY, (uint64_t)cpu)) < 0)
        goto fail_thread;
    if ((r = ae_invoke0(th->thread_slot, AERIE_THREAD_RESUME)) < 0)
        goto fail_thread;
    return 0;
fail_thread:
    ae_cap_delete(th->thread_slot);
fail_mem:
    ae_slot_free(th->thread_slot);
    ae_mem_unmap_delete(th->mem, th->mem_bytes, th->mem_slot);
    return (int)r;
}

void ae_thread_destroy(struct ae_thread *th)
{
    ae_cap_delete(th->thread_slot);
    ae_slot_free(th->thread_slot);
    ae_mem_unmap_delete(th->mem, th->mem_bytes, th->mem_slot);
}
