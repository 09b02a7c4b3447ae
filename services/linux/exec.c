/*
 * exec.c — loading a Linux program into a fresh address space and
 * starting a thread in it with the System V start block Linux builds:
 * argc, argv, envp, and the auxiliary vector glibc and musl read
 * (AT_PHDR for their TLS, AT_RANDOM for canaries, AT_HWCAP, AT_PAGESZ,
 * AT_ENTRY, AT_EXECFN..., and AT_SYSINFO_EHDR: the vDSO, vdso_map.c,
 * through which the C libraries tell the time without a system call).
 *
 * A dynamically linked program (PT_INTERP) is loaded as Linux loads it:
 * its interpreter — a file of the container's own root, read as execve
 * reads a program (sys_proc.c) — goes top-down in the mmap area, the
 * program at its own base, and the thread starts at the interpreter's
 * entry with AT_BASE and AT_ENTRY telling it where both are. The
 * interpreter then maps the libraries itself (mmap of files, sys_mem.c).
 *
 * Read-only segments map the program file's pages directly (the image's
 * program is a slice of the boot image: every process and container
 * running it shares its text); writable segments are copied into
 * private pages, their bss left to demand paging.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "elf.h"
#include "lx.h"
#include "flock.h"
#include "sys.h"

#define START_BLOCK_MAX (256u << 10)
#define HEAD_VIEW       (16u << 10)     /* what load maps of a file for its headers */

/* Part of a program file mapped into the personality for a moment: a
 * load needs the headers and the writable segments' bytes, not the
 * whole file (busybox: 1.9 MiB, every page a page-table entry to make
 * and remove again). A file already mapped whole is read there. */
struct part {
    uint64_t va, bytes;         /* our temporary mapping (0: none) */
};

static const uint8_t *view_part(struct lx_mem *m, uint64_t off, uint64_t len, struct part *pt)
{
    *pt = (struct part){ 0, 0 };
    if (m->map)
        return m->map + off;
    uint64_t start = LX_PAGE_DOWN(off), end = LX_PAGE_UP(off + len);
    if (end <= start)
        end = start + LX_PAGE;
    uint64_t va = ae_vm_reserve(end - start);
    if (!va)
        return NULL;
    if (lx_task_map(lx.task, m->slot, start, va, end - start, AERIE_MAP_R) < 0) {
        ae_vm_release(va, end - start);
        return NULL;
    }
    *pt = (struct part){ va, end - start };
    return (const uint8_t *)va + (off - start);
}

static void unview_part(struct part *pt)
{
    if (pt->va) {
        ae_task_unmap(lx.task, pt->va, pt->bytes);
        ae_vm_release(pt->va, pt->bytes);
    }
    pt->va = 0;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* Does everything elf_parse_linux reads — the ELF header, the program
 * headers, the notes, the interpreter's path — lie in the first len bytes? */
static bool headers_within(const uint8_t *f, uint64_t len)
{
    if (len < 64)
        return false;
    uint64_t phoff = get_le(f + 32, 8), phnum = get_le(f + 56, 2);
    if (phoff > len || phnum * 56 > len - phoff)
        return false;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + i * 56;
        uint64_t off = get_le(ph + 8, 8), filesz = get_le(ph + 32, 8);
        unsigned type = (unsigned)get_le(ph, 4);
        if ((type == 4 /* PT_NOTE */ || type == 3 /* PT_INTERP */) && (off > len || filesz > len - off))
            return false;
    }
    return true;
}

void lx_exe_put(struct lx_exe *e)
{
    if (!e || --e->refs)
        return;
    lx_mem_put(e->mem);
    free(e);
}

struct lx_exe *lx_exe_image(uint64_t slot, const char *name)
{
    uint64_t info[2];
    if (ae_invoke(slot, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return NULL;
    struct lx_exe *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->mem = lx_mem_adopt(slot, info[0]);
    if (!e->mem) {
        free(e);
        return NULL;
    }
    e->refs = 1;
    e->size = info[0];
    /* the image's program is not a file of the container: name it by image */
    strcpy(e->path, "/proc/self/exe");
    if (name && strlen(name) < sizeof e->path - 2 && !strchr(name, '/')) {
        e->path[0] = '/';
        strcpy(e->path + 1, name);
    }
    return e;
}

/* /proc/PID/exe opened for reading: the program's bytes. */
static int64_t exe_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    (void)t;
    struct lx_exe *e = f->obj;
    const uint8_t *b = lx_mem_view(e->mem);
    uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
    if (!b)
        return -LX_EIO;
    if (pos >= e->size)
        return 0;
    if (n > e->size - pos)
        n = e->size - pos;
    memcpy(buf, b + pos, n);
    if (off < 0)
        f->pos += n;
    return (int64_t)n;
}

static int exe_stat(struct lx_file *f, struct lx_stat *st)
{
    struct lx_exe *e = f->obj;
    st->mode = LX_S_IFREG | 0755;
    st->size = (int64_t)e->size;
    st->ino = e->ino ? e->ino : 0x3000;
    return 0;
}

static void exe_release(struct lx_file *f)
{
    lx_exe_put(f->obj);
}

static const struct lx_file_ops exe_ops = {
    .kind = "exe", .read = exe_read, .stat = exe_stat, .release = exe_release,
};

int lx_exe_open(struct lx_exe *e, struct lx_file **out)
{
    struct lx_file *f = lx_file_new(&exe_ops, LX_O_RDONLY, e);
    if (!f)
        return -LX_ENOMEM;
    e->refs++;
    strncpy(f->path, e->path, sizeof f->path - 1);
    *out = f;
    return 0;
}

static unsigned seg_prot(uint32_t pf)
{
    return ((pf & ELF_PF_R) ? LX_PROT_READ : 0) | ((pf & ELF_PF_W) ? LX_PROT_WRITE : 0) |
           ((pf & ELF_PF_X) ? LX_PROT_EXEC : 0);
}

/* One PT_LOAD segment at bias; relro_end: where the part of it the C
 * library will make read-only (PT_GNU_RELRO) ends, page-aligned down, or 0. */
static int load_segment(struct lx_mm *mm, struct lx_exe *e, const struct elf_seg *s, uint64_t bias,
                        uint64_t relro_end)
{
    uint64_t va = s->vaddr + bias, start = LX_PAGE_DOWN(va), end = LX_PAGE_UP(va + s->memsz);
    unsigned prot = seg_prot(s->flags);
    bool direct = !(s->flags & ELF_PF_W) && s->filesz == s->memsz && (s->offset % LX_PAGE) == (va % LX_PAGE);
    if (direct)
        return lx_mm_map(mm, start, end - start, prot, LX_VMA_FILE, e->mem, LX_PAGE_DOWN(s->offset));
    int r = lx_mm_map(mm, start, end - start, prot | LX_PROT_WRITE, 0, NULL, 0);
    /* glibc's start makes [segment start, relro_end) read-only: with the
     * chunk already split there, that mprotect changes one mapping (two
     * calls) instead of splitting a chunk first (ten) */
    uint64_t split = relro_end > start && relro_end < end ? relro_end : 0;
    if (!r)
        r = lx_mm_populate(mm, start, end, split);
    if (r)
        return r;
    if (s->filesz) {
        struct part pt;
        void *dst = lx_user(mm, va, s->filesz, LX_PROT_WRITE);
        const uint8_t *src = dst ? view_part(e->mem, s->offset, s->filesz, &pt) : NULL;
        if (!src)
            return -LX_ENOMEM;
        memcpy(dst, src, s->filesz);
        unview_part(&pt);
    }
    return prot & LX_PROT_WRITE ? 0 : lx_mm_protect(mm, start, end - start, prot);
}

/* Where the program headers are once loaded (0 if no segment has them). */
static uint64_t phdr_address(const struct elf_image *img, uint64_t bias)
{
    uint64_t bytes = (uint64_t)img->phnum * 56;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        if (img->phoff >= s->offset && img->phoff + bytes <= s->offset + s->filesz)
            return s->vaddr + bias + (img->phoff - s->offset);
    }
    return 0;
}

struct start_info {
    uint64_t entry, phdr, phnum, bias;
    uint64_t base;                  /* AT_BASE: the program interpreter's (0: none) */
    const uint8_t *phdrs;           /* copied to the stack when phdr is 0 */
    const char *execfn;
};

static uint64_t hwcap(void)
{
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

/* Builds the start block at the top of the stack; returns the RSP (0 if
 * it does not fit). Layout, from the top down: the strings, the random
 * bytes, then (16-aligned) argc, argv, envp and the auxiliary vector. */
static uint64_t build_stack(struct lx_mm *mm, uint64_t top, char *const *argv, unsigned argc,
                            char *const *envp, unsigned envc, const struct start_info *si)
{
    uint64_t strbytes = strlen(si->execfn) + 1 + 7;
    for (unsigned i = 0; i < argc; i++)
        strbytes += strlen(argv[i]) + 1;
    for (unsigned i = 0; i < envc; i++)
        strbytes += strlen(envp[i]) + 1;
    uint64_t phbytes = si->phdr ? 0 : si->phnum * 56;
    uint64_t words = 1 + argc + 1 + envc + 1 + 2 * 22;
    uint64_t total = strbytes + 16 + phbytes + words * 8 + 64;
    if (total > START_BLOCK_MAX)
        return 0;
    uint64_t low = (top - total) & ~15ull;
    uint8_t *mem = lx_user(mm, low, top - low, LX_PROT_WRITE);
    if (!mem)
        return 0;
#define AT(addr) (mem + ((addr) - low))
    uint64_t p = top;
    uint64_t *ptrs = malloc((argc + envc + 1) * sizeof *ptrs);
    if (!ptrs)
        return 0;
    for (unsigned i = 0; i < argc + envc; i++) {
        const char *s = i < argc ? argv[i] : envp[i - argc];
        uint64_t n = strlen(s) + 1;
        p -= n;
        memcpy(AT(p), s, n);
        ptrs[i] = p;
    }
    uint64_t n = strlen(si->execfn) + 1;
    p -= n;
    memcpy(AT(p), si->execfn, n);
    uint64_t execfn = p;
    p -= 7;
    memcpy(AT(p), "x86_64", 7);
    uint64_t platform = p;
    p = (p - 16) & ~15ull;
    uint64_t random = p;
    lx_random(AT(p), 16);
    uint64_t phdr = si->phdr;
    if (!phdr) {
        p = (p - phbytes) & ~15ull;
        memcpy(AT(p), si->phdrs, phbytes);
        phdr = p;
    }
    uint64_t aux[] = {
        LX_AT_PHDR, phdr, LX_AT_PHENT, 56, LX_AT_PHNUM, si->phnum, LX_AT_PAGESZ, LX_PAGE,
        LX_AT_BASE, si->base, LX_AT_FLAGS, 0, LX_AT_ENTRY, si->entry, LX_AT_UID, 0, LX_AT_EUID, 0,
        LX_AT_GID, 0, LX_AT_EGID, 0, LX_AT_SECURE, 0, LX_AT_RANDOM, random, LX_AT_HWCAP, hwcap(),
        LX_AT_HWCAP2, 0, LX_AT_CLKTCK, 100, LX_AT_PLATFORM, platform, LX_AT_EXECFN, execfn,
        LX_AT_MINSIGSTKSZ, LX_MINSIGSTKSZ,
        lx.vdso ? LX_AT_SYSINFO_EHDR : LX_AT_IGNORE, lx.vdso ? LX_VDSO_ADDR : 0, LX_AT_NULL, 0,
    };
    uint64_t nwords = 1 + argc + 1 + envc + 1 + sizeof aux / 8;
    uint64_t sp = (p - nwords * 8) & ~15ull;
    uint64_t *w = (uint64_t *)AT(sp);
    *w++ = argc;
    for (unsigned i = 0; i < argc; i++)
        *w++ = ptrs[i];
    *w++ = 0;
    for (unsigned i = 0; i < envc; i++)
        *w++ = ptrs[argc + i];
    *w++ = 0;
    memcpy(w, aux, sizeof aux);
#undef AT
    free(ptrs);
    return sp;
}

/* One ELF file of a load, its headers viewed and parsed: the program,
 * or the program interpreter it names. */
struct elf_file {
    struct lx_exe *e;
    struct part head;
    const uint8_t *file;        /* at least its headers */
    struct elf_image img;
    uint64_t bias;              /* where its address 0 goes */
    const char *name;           /* for messages */
};

static const char *elf_open(struct lx_exe *e, struct elf_file *f)
{
    uint64_t n = e->size < HEAD_VIEW ? e->size : HEAD_VIEW;
    f->e = e;
    f->file = view_part(e->mem, 0, n, &f->head);
    if (f->file && f->head.va && !headers_within(f->file, n)) {
        unview_part(&f->head);                    /* unusual headers: the whole file, then */
        f->file = lx_mem_view(e->mem);
    }
    return f->file ? elf_parse_linux(f->file, e->size, LX_USER_MIN, LX_MMAP_TOP, &f->img) : "unreadable";
}

/* The page-aligned span [lo, hi) of an image's segments, before its bias. */
static void elf_span(const struct elf_image *img, uint64_t *lo, uint64_t *hi)
{
    *lo = ~0ull;
    *hi = 0;
    for (unsigned i = 0; i < img->nseg; i++) {
        if (LX_PAGE_DOWN(img->seg[i].vaddr) < *lo)
            *lo = LX_PAGE_DOWN(img->seg[i].vaddr);
        if (LX_PAGE_UP(img->seg[i].vaddr + img->seg[i].memsz) > *hi)
            *hi = LX_PAGE_UP(img->seg[i].vaddr + img->seg[i].memsz);
    }
}

/* Every segment of f at f->bias; returns the end of the last one. */
static int elf_load(struct lx_mm *mm, struct elf_file *f, uint64_t *end)
{
    const struct elf_image *img = &f->img;
    uint64_t relro_end = img->relro_memsz ? LX_PAGE_DOWN(img->relro_vaddr + img->relro_memsz + f->bias) : 0;
    *end = 0;
    for (unsigned i = 0; i < img->nseg; i++) {
        int err = load_segment(mm, f->e, &img->seg[i], f->bias, relro_end);
        if (err)
            return err;
        uint64_t e = LX_PAGE_UP(img->seg[i].vaddr + f->bias + img->seg[i].memsz);
        if (e > *end)
            *end = e;
    }
    return 0;
}

/* The program interpreter prog names (PT_INTERP), from the container's
 * own files (lx_interp_find), parsed: a shared object (ET_DYN) that needs
 * no interpreter itself, as Linux's binfmt_elf insists (ELIBBAD). */
static int interp_open(struct lx_thread *t, struct elf_file *prog, struct elf_file *in)
{
    char path[ELF_INTERP_MAX];
    memcpy(path, prog->file + prog->img.interp_off, prog->img.interp_len);   /* ends in its NUL (elf.c) */
    struct lx_exe *ie;
    int err = lx_interp_find(t, path, &ie);
    if (err == -LX_ELIBBAD) {
        lx_log("linux: %s: cannot run it: its program interpreter %s: not an ELF file (a script)\n",
               prog->name, path);
        return err;
    }
    if (err) {
        lx_log("linux: %s: cannot run it: its program interpreter %s %s (error %d)\n", prog->name, path,
               err == -LX_ENOENT ? "is not in the container's files" : "cannot be opened", -err);
        return err;
    }
    const char *why = elf_open(ie, in);
    if (!why && in->img.type != ELF_ET_DYN)
        why = "not a shared object (ET_DYN)";
    if (!why && in->img.interp)
        why = "it needs a program interpreter itself";
    if (why) {
        lx_log("linux: %s: cannot run it: its program interpreter %s: %s\n", prog->name, path, why);
        unview_part(&in->head);
        lx_exe_put(ie);
        in->e = NULL;
        return -LX_ELIBBAD;
    }
    return 0;
}

static void elf_close(struct elf_file *f, bool put)
{
    unview_part(&f->head);
    if (put && f->e)
        lx_exe_put(f->e);
}

/* The interpreter goes where mmap would put it (top-down from below the
 * stack, as Linux places it in the mmap area); later mappings go below. */
static int interp_load(struct lx_mm *mm, struct elf_file *in)
{
    uint64_t lo, hi, end;
    elf_span(&in->img, &lo, &hi);
    uint64_t base = lx_mm_find_free(mm, hi - lo);
    if (!base)
        return -LX_ENOMEM;
    in->bias = base - lo;
    mm->mmap_hint = base;
    return elf_load(mm, in, &end);
}

/* A new address space holding e (and the program interpreter it names,
 * if it is dynamically linked), its stack and start block. */
static struct lx_mm *load(struct lx_thread *t, struct lx_exe *e, char *const *argv, unsigned argc,
                          char *const *envp, unsigned envc, uint64_t *entry, uint64_t *sp, int *err)
{
    struct elf_file prog = { 0 }, in = { 0 };
    const char *why = elf_open(e, &prog);
    /* the image's program has no path of the container's (lx_exe_image): its argv[0] says more */
    prog.name = !strcmp(e->path, "/proc/self/exe") && argc ? argv[0] : e->path;
    const struct elf_image *img = &prog.img;
    prog.bias = !why && img->type == ELF_ET_DYN ? LX_PIE_BASE : 0;
    for (unsigned i = 0; !why && prog.bias && i < img->nseg; i++)
        if (img->seg[i].vaddr + img->seg[i].memsz > LX_MMAP_TOP - prog.bias)
            why = "a position-independent program too large for the address space";
    if (why) {
        lx_log("linux: %s: cannot run it: %s\n", prog.name, why);
        elf_close(&prog, false);
        *err = -LX_ENOEXEC;
        return NULL;
    }
    if (img->interp && (*err = interp_open(t, &prog, &in))) {
        elf_close(&prog, false);
        return NULL;
    }
    struct lx_mm *mm = lx_mm_new(!lx.own_task_used);
    if (!mm) {
        elf_close(&prog, false);
        elf_close(&in, true);
        *err = -LX_ENOMEM;
        return NULL;
    }
    if (mm->own_task)
        lx.own_task_used = true;
    uint64_t brk = 0;
    *err = elf_load(mm, &prog, &brk);
    mm->brk_start = mm->brk = brk;
    if (!*err)
        *err = lx_mm_map(mm, LX_STACK_TOP - LX_STACK_MAX, LX_STACK_MAX, LX_PROT_READ | LX_PROT_WRITE,
                         LX_VMA_STACK, NULL, 0);
    if (!*err && in.e)
        *err = interp_load(mm, &in);
    struct start_info si = {
        .entry = img->entry + prog.bias, .phdr = phdr_address(img, prog.bias), .phnum = img->phnum,
        .phdrs = prog.file + img->phoff, .execfn = argc ? argv[0] : e->path, .bias = prog.bias,
        .base = in.e ? in.bias : 0,
    };
    if (!*err && !(*sp = build_stack(mm, LX_STACK_TOP, argv, argc, envp, envc, &si)))
        *err = -LX_E2BIG;
    *entry = in.e ? in.img.entry + in.bias : si.entry;
    elf_close(&prog, false);
    elf_close(&in, true);
    if (*err) {
        if (mm->own_task)
            lx.own_task_used = false;
        lx_mm_put(mm);
        return NULL;
    }
    return mm;
}

/* Everything the old program had that does not survive exec. */
static void forget_old(struct lx_proc *p, struct lx_thread *keep)
{
    for (struct lx_thread *o = p->threads, *n; o; o = n) {
        n = o->next;
        if (o != keep)
            lx_thread_free(o);
    }
    if (p->files) {
        for (unsigned i = 0; i < p->files->n; i++)   /* POSIX locks go with each fd exec closes */
            if (p->files->fds[i].file && p->files->fds[i].cloexec)
                lx_locks_closing(p, p->files->fds[i].file);
        lx_files_cloexec(p->files);
    }
    lx_ptimers_drop(p);                         /* POSIX timers do not survive exec */
    p->membarrier = false;                      /* nor a membarrier registration */
    if (p->sighand) {
        for (int s = 1; s <= LX_NSIG; s++)
            if (p->sighand->act[s].handler != LX_SIG_IGN)
                p->sighand->act[s] = (struct lx_sigaction){ 0 };
    }
    keep->altstack = (struct lx_stack){ .flags = LX_SS_DISABLE };
    if (p->vfork_parent) {
        lx_wake_thread(p->vfork_parent, LX_WAKE_EVENT);
        p->vfork_parent = NULL;
    }
}

int lx_exec_image(struct lx_thread *t, struct lx_exe *e, char *const *argv, unsigned argc,
                  char *const *envp, unsigned envc)
{
    struct lx_proc *p = t->proc;
    uint64_t entry = 0, sp = 0;
    /* A vfork child's exec keeps the thread's CPU (its parent's, where it
     * was put: sys_proc.c); any other thread goes where lx_thread_attach
     * says, as pid 1's first program must (on our CPU), and a fork
     * child's (round the CPUs again, not stuck where fork put it) */
    int keep_cpu = t->slot && p->vfork_parent ? t->cpu + 1 : 0;
    /* a process `aerie exec` starts, loading its first program: nothing
     * of it ran yet, so a thread that cannot be had is its caller's error
     * (a later execve of it is past the point of no return as any is) */
    bool fresh = !p->mm && p->exec_seq && !p->parent;
    int err;
    struct lx_mm *mm = load(t, e, argv, argc, envp, envc, &entry, &sp, &err);
    if (!mm)
        return err;
    /* past here the old program is gone whatever happens */
    forget_old(p, t);
    lx_thread_detach(t);
    lx_thread_retid(t, p->pid);
    struct lx_mm *old = p->mm;
    p->mm = mm;
    lx_mm_put(old);
    e->refs++;
    if (p->exe)
        lx_exe_put(p->exe);
    p->exe = e;
    const char *base = argc ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : argc ? argv[0] : e->path;
    memset(p->comm, 0, sizeof p->comm);
    strncpy(p->comm, base, sizeof p->comm - 1);
    t->fs_base = 0;
    t->clear_tid = t->robust_list = 0;
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = entry;
    regs[AERIE_REG_RSP] = sp;
    regs[AERIE_REG_RFLAGS] = 0x202;
    lx.cpu_hint = keep_cpu;
    if ((err = lx_thread_attach(t, mm->task)) ||
        (err = lx_thread_set_regs(t, (1u << AERIE_REG_COUNT) - 1, regs)) ||
        (err = lx_thread_start(t))) {
        if (fresh)
            return err;      /* a process `aerie exec` is starting: it discards it and says why (outside.c) */
        lx_log("linux: exec of %s: cannot start its thread (error %d)\n", e->path, err);
        lx_proc_exit(p, LX_SIGKILL);
        return 0;
    }
    return 0;
}
