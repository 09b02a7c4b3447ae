/*
 * runtime.c — a program's knowledge of itself: its capabilities, free
 * capability slots, free address ranges, memory and threads.
 */
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>
#include <aerie/kip.h>
#include <stdbool.h>

struct ae_self ae_self __attribute__((section(".bss.hot.0")));     /* touched at start: user.ld */
struct ae_start ae_start __attribute__((section(".bss.hot.0")));

/* Capability slots: a bitmap over the whole space (set = in use), lowest
 * free first so the space stays dense. Slots below slot_first are the
 * ones the program was started with. Zero-initialised, so in .bss: a
 * program's lazy data pages (spawn.c) are only charged for the part of
 * this 32 KiB map its slots reach. Slot 0, never a capability, is marked
 * with the granted ones at start. The runtime's lock sits just before
 * the map so that one page holds both. */
static struct {
    volatile uint32_t lock;   /* a tiny spinlock: the runtime must work before any thread library */
    uint64_t used[AERIE_CSPACE_MAX / 64];
} rt __attribute__((section(".bss.hot.2")));   /* last of the hot ones: its start shares their page */
static void lock(void) { while (__atomic_exchange_n(&rt.lock, 1, __ATOMIC_ACQUIRE)) ae_yield(); }
static void unlock(void) { __atomic_store_n(&rt.lock, 0, __ATOMIC_RELEASE); }
#define slot_used rt.used
static uint64_t slot_first = 1;
static uint64_t slot_hint __attribute__((section(".bss.hot.0")));

/* Anonymous memory and thread stacks live from 1 GiB up (or from where
 * AT_AERIE_VM_BASE says), far from the program image and its stack (one
 * 2 MiB region below 4 MiB). Released ranges are reused first-fit, so
 * page tables made for them are reused. */
#define VM_BASE 0x40000000ull
#define VM_HOLES 64
static uint64_t vm_next = VM_BASE;
static struct { uint64_t va, bytes; } vm_holes[VM_HOLES];
static unsigned vm_nholes __attribute__((section(".bss.hot.0")));

uint64_t ae_auxv(uint64_t key)
{
    for (const uint64_t *a = ae_start.auxv; a && a[0] != AT_NULL; a += 2)
        if (a[0] == key)
            return a[1];
    return 0;
}

/* The fs client asks for the generation several times per request: the
 * block's address (fixed by the loader, the same in a clone, whose memory
 * is a copy) is looked up in the auxiliary vector once. Only a found one
 * is kept, so an early call made before the vector is known changes
 * nothing later. */
/* In the page touched at start (user.ld): its first write may come when
 * the container's memory is used up (memhog's report), and a lazily
 * charged page could not be had then. */
static const volatile struct aerie_clone_block *kept __attribute__((section(".bss.hot.0")));

uint64_t ae_clone_generation(void)
{
    const volatile struct aerie_clone_block *b = __atomic_load_n(&kept, __ATOMIC_RELAXED);
    if (!b) {
        b = (const void *)ae_auxv(AT_AERIE_CLONE);
        __atomic_store_n(&kept, b, __ATOMIC_RELAXED);
    }
    return b ? b->generation : 0;
}

uint64_t ae_clone_index(void)
{
    const volatile struct aerie_clone_block *b = (const void *)ae_auxv(AT_AERIE_CLONE);
    return b ? b->index : 0;
}

static bool name_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

uint64_t ae_capenv_lookup(const char *name)
{
    const struct aerie_capenv *env = ae_start.capenv;
    if (!env || env->magic != AERIE_CAPENV_MAGIC)
        return 0;
    for (uint32_t i = 0; i < env->count && i < AERIE_CAPENV_MAX; i++)
        if (name_eq(env->entries[i].name, name))
            return env->entries[i].slot;
    return 0;
}

void ae_runtime_start(uint64_t *sp)
{
    ae_start.argc = (int)sp[0];
    ae_start.argv = (char **)(sp + 1);
    ae_start.envp = ae_start.argv + ae_start.argc + 1;
    char **e = ae_start.envp;
    while (*e)
        e++;
    ae_runtime_start_auxv((const uint64_t *)(e + 1));
}

void ae_runtime_start_auxv(const uint64_t *auxv)
{
    ae_start.auxv = auxv;
    ae_start.capenv = (const struct aerie_capenv *)ae_auxv(AT_AERIE_CAPENV);
    ae_start.bootinfo = (const struct aerie_bootinfo *)ae_auxv(AT_AERIE_BOOTINFO);
    if (ae_start.bootinfo) {
        ae_self = (struct ae_self){ .task = AERIE_BOOT_TASK, .thread = AERIE_BOOT_THREAD,
                                    .quota = AERIE_BOOT_QUOTA, .utcb_mem = AERIE_BOOT_UTCB_MEM,
                                    .kdebug = AERIE_BOOT_KDEBUG };
    } else {
        ae_self = (struct ae_self){ .task = ae_capenv_lookup("self.task"),
                                    .thread = ae_capenv_lookup("self.thread"),
                                    .quota = ae_capenv_lookup("self.quota"),
                                    .kdebug = ae_capenv_lookup("kdebug"),
                                    .fault = ae_capenv_lookup("self.fault") };
    }
    uint64_t vm_base = ae_auxv(AT_AERIE_VM_BASE);
    if (vm_base && vm_base % 4096 == 0 && vm_base < AERIE_USER_MAX)
        vm_next = vm_base;
    slot_first = ae_auxv(AT_AERIE_FIRST_SLOT);
    if (slot_first < 1 || slot_first >= AERIE_CSPACE_MAX)
        slot_first = 1;
    for (uint64_t i = 0; i < slot_first; i++)
        slot_used[i / 64] |= 1ull << (i % 64);
}

uint64_t ae_slot_alloc(void)
{
    uint64_t s = 0;
    lock();
    for (uint64_t w = slot_hint; w < AERIE_CSPACE_MAX / 64; w++) {
        if (~slot_used[w]) {
            unsigned b = (unsigned)__builtin_ctzll(~slot_used[w]);
            slot_used[w] |= 1ull << b;
            slot_hint = w;
            s = w * 64 + b;
            break;
        }
    }
    unlock();
    return s;
}

void ae_slot_free(uint64_t slot)
{
    if (slot < slot_first || slot >= AERIE_CSPACE_MAX)
        return;
    lock();
    slot_used[slot / 64] &= ~(1ull << (slot % 64));
    if (slot / 64 < slot_hint)
        slot_hint = slot / 64;
    unlock();
}

uint64_t ae_vm_reserve(uint64_t bytes)
{
    bytes = ((bytes + 4095) & ~4095ull) + 4096;   /* an unmapped guard page after each range */
    lock();
    uint64_t va = 0;
    for (unsigned i = 0; i < vm_nholes; i++) {
        if (vm_holes[i].bytes >= bytes) {
            va = vm_holes[i].va;
            vm_holes[i].va += bytes;
            vm_holes[i].bytes -= bytes;
            if (!vm_holes[i].bytes)
                vm_holes[i] = vm_holes[--vm_nholes];
            break;
        }
    }
    if (!va && bytes <= AERIE_USER_MAX - vm_next) {
        va = vm_next;
        vm_next += bytes;
    }
    unlock();
    return va;
}

void ae_vm_release(uint64_t va, uint64_t bytes)
{
    bytes = ((bytes + 4095) & ~4095ull) + 4096;
    lock();
    for (unsigned i = 0; i < vm_nholes; i++) {          /* merge with a neighbour */
        if (vm_holes[i].va + vm_holes[i].bytes == va) {
            vm_holes[i].bytes += bytes;
            unlock();
            return;
        }
        if (va + bytes == vm_holes[i].va) {
            vm_holes[i].va = va;
            vm_holes[i].bytes += bytes;
            unlock();
            return;
        }
    }
    if (vm_nholes < VM_HOLES) {
        vm_holes[vm_nholes].va = va;
        vm_holes[vm_nholes].bytes = bytes;
        vm_nholes++;
    }
    unlock();
}

static void *mem_map_new(uint64_t quota, uint64_t bytes, uint64_t *mem_slot)
{
    bytes = (bytes + 4095) & ~4095ull;
    uint64_t slot = ae_slot_alloc();
    if (!slot)
        return 0;
    if (ae_quota_create(quota, AERIE_OBJ_MEMORY, slot, bytes, 0, 0) < 0) {
        ae_slot_free(slot);
        return 0;
    }
    uint64_t va = ae_vm_reserve(bytes);
    if (!va || ae_task_map(ae_self.task, slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, bytes);
        ae_cap_delete(slot);
        ae_slot_free(slot);
        return 0;
    }
    *mem_slot = slot;
    return (void *)va;
}

void *ae_mem_map_new(uint64_t bytes, uint64_t *mem_slot)
{
    return mem_map_new(ae_self.quota, bytes, mem_slot);
}

void ae_mem_unmap_delete(void *addr, uint64_t bytes, uint64_t mem_slot)
{
    bytes = (bytes + 4095) & ~4095ull;
    ae_task_unmap(ae_self.task, (uint64_t)addr, bytes);
    ae_vm_release((uint64_t)addr, bytes);
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
    uint64_t quota = th->quota ? th->quota : ae_self.quota;
    th->mem = mem_map_new(quota, th->mem_bytes, &th->mem_slot);
    if (!th->mem)
        return AE_ENOMEM;
    char *top_page = (char *)th->mem + stack_bytes;
    struct aerie_tcb *tcb = (struct aerie_tcb *)top_page;
    struct aerie_utcb *utcb = (struct aerie_utcb *)(top_page + 4096 - AERIE_UTCB_SIZE);
    tcb->self = tcb;
    tcb->utcb = utcb;
    th->thread_slot = ae_slot_alloc();
    int64_t r = ae_quota_create(quota, AERIE_OBJ_THREAD, th->thread_slot, ae_self.task, 0, 0);
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
    if (th->fault_ep && (r = ae_invokev(th->thread_slot, AERIE_THREAD_SET_HANDLER, th->fault_ep)) < 0)
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
    ae_invoke0(th->thread_slot, AERIE_THREAD_DESTROY);   /* a started thread outlives its capability */
    ae_cap_delete(th->thread_slot);
    ae_slot_free(th->thread_slot);
    ae_mem_unmap_delete(th->mem, th->mem_bytes, th->mem_slot);
}
