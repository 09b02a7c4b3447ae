/*
 * spawn.c — the program loader (see libaerie/spawn.h).
 *
 * Private memory is made from the child's quota, filled, and mapped into
 * the child; the caller's capability to it is then deleted — mapped
 * memory lives as long as its mappings — so the child's space holds only
 * its grants. The few hundred bytes a small program's stack top and data
 * segment hold are written with Memory WRITE, without mapping them in the
 * caller: the unmap after a temporary mapping is a TLB shootdown on every
 * CPU the caller's other threads run on, which under emulation (or with a
 * descheduled vCPU) costs far more than the copy, and the container
 * manager creates a burst of containers on every CPU at once. Larger
 * contents are still copied through a mapping.
 */
#include <libaerie/spawn.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <stdbool.h>
#include <aerie/capenv.h>
#include <aerie/errors.h>
#include <aerie/kip.h>
#include "elf.h"
#include "fmt.h"

#define PAGE 4096ull
#define DEFAULT_STACK (64 * 1024)

/* At most this many bytes go by Memory WRITE calls (176 bytes each)
 * rather than through a temporary mapping: a stack top below its UTCB, a
 * segment's file bytes. */
#define WRITE_SMALL 3072

struct loader {
    const struct ae_spawn_args *a;
    struct elf_image img;
    uint64_t task, thread, stack_mem, fs_base, clone_at;
    char *err;
    size_t errlen;
};

static int fail(struct loader *l, int code, const char *what)
{
    fmt_snprintf(l->err, l->errlen, "%s (%s)", what, code == AE_ENOMEM ? "out of memory in the quota" :
                 code == AE_ELIMIT ? "quota object or thread limit" : "error");
    return code;
}

static void bytes_copy(void *dst, const void *src, uint64_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
}

static uint64_t str_len(const char *s)
{
    uint64_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* New memory from the child's quota, mapped into the caller. When the
 * caller asks (a->lazy, AERIE_MEM_LAZY) the child pays for the pages of
 * its stack and private segments that someone touches — the loader's
 * copy of .data, the arguments at the stack's top, the program's own use
 * — not for a .bss or a stack it never reaches. */
static int new_memory(struct loader *l, uint64_t bytes, uint64_t *slot)
{
    *slot = ae_slot_alloc();
    if (!*slot)
        return AE_ELIMIT;
    int r = (int)ae_quota_create(l->a->quota, AERIE_OBJ_MEMORY, *slot, bytes, l->a->lazy ? AERIE_MEM_LAZY : 0, 0);
    if (r < 0) {
        ae_slot_free(*slot);
        *slot = 0;
    }
    return r < 0 ? r : 0;
}

/* Copies n bytes into mem at off with Memory WRITE calls; a lazy page is
 * allocated and charged as it is written, and a quota with no room for
 * it is a clean error (what was written before stays). */
static int write_memory(uint64_t mem, uint64_t off, const uint8_t *src, uint64_t n)
{
    while (n) {
        uint64_t k = n < AERIE_MEM_WRITE_MAX ? n : AERIE_MEM_WRITE_MAX;
        uint64_t a[2 + AERIE_MEM_WRITE_MAX / 8] = { off, k };
        bytes_copy(&a[2], src, k);
        int64_t r = ae_invoke(mem, AERIE_MEM_WRITE, 2 + (unsigned)((k + 7) / 8), a, 0, 0);
        if (r < 0)
            return (int)r;
        off += k;
        src += k;
        n -= k;
    }
    return 0;
}

static void *temp_memory(struct loader *l, uint64_t bytes, uint64_t *slot, int *r)
{
    if ((*r = new_memory(l, bytes, slot)))
        return 0;
    uint64_t va = ae_vm_reserve(bytes);
    *r = va ? (int)ae_task_map(ae_self.task, *slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) : AE_ENOMEM;
    if (*r < 0) {
        if (va)
            ae_vm_release(va, bytes);
        ae_cap_delete(*slot);
        ae_slot_free(*slot);
        return 0;
    }
    return (void *)va;
}

static void drop_temp(void *va, uint64_t bytes, uint64_t slot, bool keep_cap)
{
    ae_task_unmap(ae_self.task, (uint64_t)va, bytes);
    ae_vm_release((uint64_t)va, bytes);
    if (!keep_cap) {
        ae_cap_delete(slot);
        ae_slot_free(slot);
    }
}

/* The loader writes into the child's memory through its own mapping: a
 * lazy page it touched there would be charged at the touch, and a touch
 * the child's quota cannot pay for would fault the loader. So the pages
 * it will write are committed first (ae_mem_commit), and a full quota is
 * a clean error. */
#define commit ae_mem_commit

static uint64_t map_flags(uint32_t pf)
{
    return ((pf & ELF_PF_R) ? AERIE_MAP_R : 0) | ((pf & ELF_PF_W) ? AERIE_MAP_W : 0) |
           ((pf & ELF_PF_X) ? AERIE_MAP_X : 0) | AERIE_MAP_R;
}

static int load_segment(struct loader *l, const struct elf_seg *s)
{
    const struct ae_spawn_args *a = l->a;
    uint64_t start = s->vaddr & ~(PAGE - 1);
    uint64_t bytes = ((s->vaddr + s->memsz + PAGE - 1) & ~(PAGE - 1)) - start;
    int r;
    bool shareable = a->image_mem && !a->debuggable && !(s->flags & ELF_PF_W) && s->filesz == s->memsz &&
                     (s->offset % PAGE) == (s->vaddr % PAGE);
    if (shareable) {
        /* A lazy child's shared text is mapped lazily too: the kernel
         * makes the entries of the pages it runs, as it runs them, and a
         * short-lived container makes few (the tables are charged to its
         * quota at the touch, as its lazy pages are). */
        r = (int)ae_task_map(l->task, a->image_mem, a->image_off + (s->offset & ~(PAGE - 1)), start,
                             bytes, map_flags(s->flags) | (a->lazy ? AERIE_MAP_LAZY : 0));
        return r < 0 ? fail(l, r, "mapping a read-only segment") : 0;
    }
    uint64_t slot;
    const uint8_t *file = (const uint8_t *)a->image + s->offset;
    if (s->filesz <= WRITE_SMALL) {
        if ((r = new_memory(l, bytes, &slot)))
            return fail(l, r, "allocating a private segment");
        if ((r = write_memory(slot, s->vaddr - start, file, s->filesz))) {
            ae_cap_delete(slot);
            ae_slot_free(slot);
            return fail(l, r, "allocating a private segment");
        }
    } else {
        uint8_t *tmp = temp_memory(l, bytes, &slot, &r);
        if (!tmp)
            return fail(l, r, "allocating a private segment");
        if (a->lazy && (r = commit(slot, s->vaddr - start, s->filesz))) {
            drop_temp(tmp, bytes, slot, false);
            return fail(l, r, "allocating a private segment");
        }
        bytes_copy(tmp + (s->vaddr - start), file, s->filesz);
        drop_temp(tmp, bytes, slot, true);
    }
    /* A debugger writes breakpoints into a debuggable program's own copy. */
    r = (int)ae_task_map(l->task, slot, 0, start, bytes, map_flags(s->flags | (a->debuggable ? ELF_PF_W : 0)));
    ae_cap_delete(slot);
    ae_slot_free(slot);
    return r < 0 ? fail(l, r, "mapping a private segment") : 0;
}

/* The grants go to slots 1..n of the child, in order. */
static int give_grants(struct loader *l, struct aerie_capenv *env)
{
    const struct ae_spawn_args *a = l->a;
    env->magic = AERIE_CAPENV_MAGIC;
    env->count = 0;
    if (a->ngrants > AERIE_CAPENV_MAX)
        return fail(l, AE_EINVAL, "too many grants");
    for (unsigned i = 0; i < a->ngrants; i++) {
        const struct ae_grant *g = &a->grants[i];
        uint64_t src = g->slot;
        if (str_len(g->name) >= AERIE_CAPENV_NAME)
            return fail(l, AE_EINVAL, "a grant's name is too long");
        if (!src) {
            const char *n = g->name;
            src = str_eq(n, AE_GRANT_SELF_TASK) ? l->task :
                  str_eq(n, AE_GRANT_SELF_THREAD) ? l->thread :
                  str_eq(n, AE_GRANT_SELF_QUOTA) ? a->quota : 0;
        }
        uint64_t badge = 0;
        int64_t type = ae_cap_info(src, &badge);
        int64_t r = type < 0 ? type : ae_task_cap_copy(l->task, src, i + 1, g->rights, g->badge);
        if (r < 0) {
            fmt_snprintf(l->err, l->errlen, "cannot grant '%s' (error %ld)", g->name, r);
            return (int)r;
        }
        struct aerie_capenv_entry *e = &env->entries[env->count++];
        bytes_copy(e->name, g->name, str_len(g->name) + 1);
        e->slot = i + 1;
        e->type = (uint32_t)(type & 0xFF);
    }
    return 0;
}

/* Where the loader writes the stack's top: the bytes of the child's
 * addresses [lo, hi), at p. Every write is checked against it. */
struct window {
    uint8_t *p;
    uint64_t lo, hi;
};

/* The window's bytes for [addr, addr + n), or NULL if they are not all in it. */
static uint8_t *at(const struct window *w, uint64_t addr, uint64_t n)
{
    return addr >= w->lo && addr <= w->hi && n <= w->hi - addr ? w->p + (addr - w->lo) : NULL;
}

/* Puts the TLS block and the TCB below top (aerie/capenv.h); returns
 * the new top, or 0 if they do not fit. l->fs_base gets the TCB's address. */
static uint64_t build_tls(struct loader *l, const struct window *w, uint64_t base, uint64_t top, uint64_t utcb)
{
    const struct elf_image *img = &l->img;
    uint64_t align = img->has_tls && img->tls_align > 16 ? img->tls_align : 16;
    uint64_t tls = img->has_tls ? (img->tls_memsz + align - 1) & ~(align - 1) : 0;
    uint64_t tcb = (top - sizeof(struct aerie_tcb)) & ~(align - 1);
    if (tcb - base < tls + 8192)
        return 0;
    if (img->has_tls) {
        for (unsigned i = 0; i < img->nseg; i++) {
            const struct elf_seg *s = &img->seg[i];
            uint64_t in = img->tls_vaddr - s->vaddr;
            if (img->tls_vaddr >= s->vaddr && in < s->memsz && in + img->tls_filesz <= s->filesz) {
                uint8_t *dst = at(w, tcb - tls, img->tls_filesz);
                if (!dst)
                    return 0;
                bytes_copy(dst, (const uint8_t *)l->a->image + s->offset + in, img->tls_filesz);
            }
        }
    }
    struct aerie_tcb t = { .self = (struct aerie_tcb *)tcb, .utcb = (struct aerie_utcb *)utcb };
    uint8_t *dst = at(w, tcb, sizeof t);
    if (!dst)
        return 0;
    bytes_copy(dst, &t, sizeof t);
    l->fs_base = tcb;
    return tcb - tls;
}

/* At most how many bytes below its end build_stack writes: the UTCB,
 * TLS and TCB, capability environment, program headers, random bytes,
 * strings and the vectors (with slack for the alignments). */
static uint64_t stack_written(const struct loader *l)
{
    const struct ae_spawn_args *a = l->a;
    uint64_t n = AERIE_UTCB_SIZE + sizeof(struct aerie_tcb) + 2 * (l->img.tls_align + 16) +
                 l->img.tls_memsz + sizeof(struct aerie_capenv) +
                 a->ngrants * sizeof(struct aerie_capenv_entry) + (uint64_t)l->img.phnum * 56 + 256;
    for (unsigned i = 0; a->argv && a->argv[i]; i++)
        n += str_len(a->argv[i]) + 1 + 8;
    for (unsigned i = 0; a->envp && a->envp[i]; i++)
        n += str_len(a->envp[i]) + 1 + 8;
    return n + 32 * 8;
}

/* Builds the TLS, argv, envp, the capability environment and the
 * auxiliary vector at the top of the stack [base, base + bytes), below
 * the UTCB, through w; returns the child's RSP in *rsp. */
static int build_stack(struct loader *l, const struct window *w, uint64_t bytes, uint64_t base, uint64_t *rsp)
{
    const struct ae_spawn_args *a = l->a;
    uint64_t utcb = base + bytes - AERIE_UTCB_SIZE;
    uint64_t top = build_tls(l, w, base, utcb, utcb);
    if (!top)
        return fail(l, AE_EINVAL, "the program's TLS does not fit its stack");
    uint64_t env_bytes = sizeof(struct aerie_capenv) + a->ngrants * sizeof(struct aerie_capenv_entry);
    top = (top - env_bytes) & ~15ull;
    uint64_t env_at = top;
    uint8_t *env = at(w, env_at, env_bytes);
    if (!env)
        return fail(l, AE_EINVAL, "the capability environment does not fit the stack");
    int r = give_grants(l, (struct aerie_capenv *)env);
    if (r)
        return r;
    uint64_t ph_bytes = (uint64_t)l->img.phnum * 56;
    top = (top - ph_bytes) & ~15ull;
    uint64_t ph_at = top;
    top -= sizeof(struct aerie_clone_block);
    uint64_t clone_at = top;
    l->clone_at = clone_at;
    top -= 16;
    uint64_t rnd_at = top;
    uint64_t rnd[2] = { __builtin_ia32_rdtsc() * 0x9E3779B97F4A7C15ull, (uint64_t)l ^ __builtin_ia32_rdtsc() };
    uint8_t *ph = at(w, ph_at, ph_bytes), *clone = at(w, clone_at, sizeof(struct aerie_clone_block)),
            *rn = at(w, rnd_at, 16);
    if (!ph || !clone || !rn)
        return fail(l, AE_EINVAL, "the program headers do not fit the stack");
    bytes_copy(ph, (const uint8_t *)a->image + l->img.phoff, ph_bytes);
    bytes_copy(clone, &(struct aerie_clone_block){ 0 }, sizeof(struct aerie_clone_block));
    bytes_copy(rn, rnd, 16);
    unsigned argc = 0, envc = 0;
    while (a->argv && a->argv[argc])
        argc++;
    while (a->envp && a->envp[envc])
        envc++;
    /* the strings, packed downwards from strs_top; the vectors below
     * find them again by the same walk (no array: their count is bounded
     * only by the stack's size) */
    uint64_t strs_top = top;
    for (unsigned i = 0; i < argc + envc; i++) {
        const char *s = i < argc ? a->argv[i] : a->envp[i - argc];
        uint64_t n = str_len(s) + 1;
        if (top - base < n + 4096)
            return fail(l, AE_EINVAL, "arguments too large for the stack");
        top -= n;
        uint8_t *dst = at(w, top, n);
        if (!dst)
            return fail(l, AE_EINVAL, "arguments too large for the stack");
        bytes_copy(dst, s, n);
    }
    uint64_t aux[] = {
        AT_PAGESZ, PAGE, AT_ENTRY, l->img.entry, AT_PHDR, ph_at, AT_PHNUM, l->img.phnum,
        AT_RANDOM, rnd_at, AT_AERIE_UTCB, utcb, AT_AERIE_CAPENV, env_at,
        AT_AERIE_FIRST_SLOT, a->ngrants + 1, AT_AERIE_STACK_BASE, base, AT_AERIE_CLONE, clone_at,
        a->vm_base ? AT_AERIE_VM_BASE : AT_NULL, a->vm_base, AT_NULL, 0,
    };
    uint64_t nwords = 1 + argc + 1 + envc + 1 + sizeof aux / 8;
    uint64_t sp = (top - nwords * 8) & ~15ull;
    uint64_t *v = (uint64_t *)at(w, sp, nwords * 8);
    if (!v)
        return fail(l, AE_EINVAL, "arguments too large for the stack");
    *v++ = argc;
    for (unsigned i = 0; i < argc; i++)
        *v++ = strs_top -= str_len(a->argv[i]) + 1;
    *v++ = 0;
    for (unsigned i = 0; i < envc; i++)
        *v++ = strs_top -= str_len(a->envp[i]) + 1;
    *v++ = 0;
    bytes_copy(v, aux, sizeof aux);
    *rsp = sp;
    return 0;
}

/* The stack's Memory in l->stack_mem, its top built: a small top in a
 * buffer here and written with Memory WRITE (no mapping in the caller),
 * a larger one through a temporary mapping of the whole stack. */
static int make_stack(struct loader *l, uint64_t bytes, uint64_t base, uint64_t *rsp)
{
    uint64_t need = stack_written(l), utcb = base + bytes - AERIE_UTCB_SIZE;
    int r;
    if (need - AERIE_UTCB_SIZE <= WRITE_SMALL && need <= bytes) {
        uint8_t buf[WRITE_SMALL];
        for (unsigned i = 0; i < sizeof buf; i++)
            buf[i] = 0;                      /* the gaps between what is written read as zeros */
        struct window w = { buf, utcb - sizeof buf, utcb };
        if ((r = new_memory(l, bytes, &l->stack_mem)))
            return fail(l, r, "allocating the stack");
        if ((r = build_stack(l, &w, bytes, base, rsp)))
            return r;
        r = write_memory(l->stack_mem, *rsp - base, at(&w, *rsp, utcb - *rsp), utcb - *rsp);
        return r ? fail(l, r, "allocating the stack") : 0;
    }
    uint8_t *mem = temp_memory(l, bytes, &l->stack_mem, &r);
    if (!mem)
        return fail(l, r, "allocating the stack");
    /* The pages it will write, committed first (see commit above). */
    int cr = l->a->lazy ? commit(l->stack_mem, need < bytes ? (bytes - need) & ~(PAGE - 1) : 0,
                                 need < bytes ? bytes - ((bytes - need) & ~(PAGE - 1)) : bytes) : 0;
    struct window w = { mem, base, base + bytes };
    r = cr ? fail(l, cr, "allocating the stack") : build_stack(l, &w, bytes, base, rsp);
    drop_temp(mem, bytes, l->stack_mem, true);
    return r;
}

static int make_thread(struct loader *l, uint64_t stack_bytes, uint64_t rsp)
{
    const struct ae_spawn_args *a = l->a;
    int64_t r;
    if ((r = ae_invokev(l->thread, AERIE_THREAD_SET_UTCB, l->stack_mem, stack_bytes - AERIE_UTCB_SIZE)) < 0)
        return fail(l, (int)r, "setting the UTCB");
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = l->img.entry;
    regs[AERIE_REG_RSP] = rsp;
    regs[AERIE_REG_FS_BASE] = l->fs_base;
    uint64_t mask = (1u << AERIE_REG_RIP) | (1u << AERIE_REG_RSP) | (1u << AERIE_REG_FS_BASE);
    if ((r = ae_thread_set_regs(l->thread, mask, regs)) < 0)
        return fail(l, (int)r, "setting the registers");
    if (a->fault_ep && (r = ae_invokev(l->thread, AERIE_THREAD_SET_HANDLER, a->fault_ep)) < 0)
        return fail(l, (int)r, "setting the fault handler");
    if (a->prio && (r = ae_invokev(l->thread, AERIE_THREAD_SET_PRIORITY, a->prio)) < 0)
        return fail(l, (int)r, "setting the priority");
    if (a->cpu >= 0 && (r = ae_invokev(l->thread, AERIE_THREAD_SET_AFFINITY, (uint64_t)a->cpu)) < 0)
        return fail(l, (int)r, "setting the CPU");
    return 0;
}

static int load(struct loader *l)
{
    const struct ae_spawn_args *a = l->a;
    const char *why = elf_parse(a->image, a->image_len, AERIE_USER_MIN, AERIE_KIP_ADDR, &l->img);
    if (why) {
        fmt_snprintf(l->err, l->errlen, "bad program image: %s", why);
        return AE_EINVAL;
    }
    int r;
    l->task = ae_slot_alloc();
    l->thread = ae_slot_alloc();
    if ((r = (int)ae_quota_create(a->quota, AERIE_OBJ_TASK, l->task, 0, 0, 0)) < 0)
        return fail(l, r, "creating the task");
    if ((r = (int)ae_quota_create(a->quota, AERIE_OBJ_THREAD, l->thread, l->task, 0, 0)) < 0)
        return fail(l, r, "creating the thread");
    for (unsigned i = 0; i < l->img.nseg; i++)
        if ((r = load_segment(l, &l->img.seg[i])))
            return r;
    uint64_t stack_bytes = a->stack_bytes ? (a->stack_bytes + PAGE - 1) & ~(PAGE - 1) : DEFAULT_STACK;
    uint64_t base = AERIE_KIP_ADDR - stack_bytes;
    uint64_t rsp;
    if ((r = make_stack(l, stack_bytes, base, &rsp)))
        return r;
    if ((r = (int)ae_task_map(l->task, l->stack_mem, 0, base, stack_bytes, AERIE_MAP_R | AERIE_MAP_W)) < 0)
        return fail(l, r, "mapping the stack");
    return make_thread(l, stack_bytes, rsp);
}

static void release_slot(uint64_t *slot)
{
    if (*slot) {
        ae_cap_delete(*slot);
        ae_slot_free(*slot);
        *slot = 0;
    }
}

int ae_spawn(const struct ae_spawn_args *a, struct ae_child *child, char *err, size_t errlen)
{
    char dummy[1];
    struct loader l = { .a = a, .err = err ? err : dummy, .errlen = err ? errlen : sizeof dummy };
    int r = load(&l);
    release_slot(&l.stack_mem);             /* mapped now: the mapping keeps it */
    if (!r && !a->suspended && (r = (int)ae_invoke0(l.thread, AERIE_THREAD_RESUME)) < 0)
        fail(&l, r, "starting the thread");
    if (r) {
        if (l.task)
            ae_invoke0(l.task, AERIE_TASK_DESTROY);
        release_slot(&l.thread);
        release_slot(&l.task);
        return r;
    }
    child->task = l.task;
    child->thread = l.thread;
    child->clone_at = l.clone_at;
    return 0;
}
