/*
 * boot_task.c — starts the first user program. The first boot module is
 * a static ELF64 executable; the kernel loads its segments into Memory
 * objects, gives it a stack with its UTCB at the top and the System V
 * start block every program gets (aerie/capenv.h), a page describing the
 * boot, and the boot capabilities (aerie/boot.h), and starts it. From
 * then on the kernel creates nothing on its own.
 */
#include "boot_task.h"
#include "bootinfo.h"
#include "quota.h"
#include "task.h"
#include "thread.h"
#include "memobj.h"
#include "ioport.h"
#include "irq.h"
#include "kmem.h"
#include "memory.h"
#include "pagetable.h"
#include "pmm.h"
#include "acpi.h"
#include "apic.h"
#include "percpu.h"
#include "printk.h"
#include "rtc.h"
#include "kconfig.h"
#include "arch_hooks.h"
#include "lib/string.h"
#include <aerie/boot.h>
#include <aerie/capenv.h>
#include "elf.h"
#include <aerie/kip.h>
#include <aerie/errors.h>

#define BOOT_STACK_BYTES (64 * 1024)
#define BOOT_PRIO 20

static struct quota *root_quota;
struct thread *boot_thread;

void boot_task_exited(uint64_t status)
{
    kprintf("\nboot: the boot task exited with status %lu\n", status);
    if (kconfig.exit_on_halt)
        arch_qemu_exit((int)(status & 0x7F));
}
static struct task *root_task;

static void fail(const char *what)
{
    panic("boot: cannot start the boot task: %s", what);
}

static void must(int err, const char *what)
{
    if (err)
        panic("boot: cannot start the boot task: %s (error %d)", what, err);
}

/* Installs o in the boot task's slot. */
/* Records a new object in the boot quota, so destroying the quota would
 * destroy it; its creation reference stays until then. */
static void adopt(struct kobject *o)
{
    if (o != &root_quota->obj)
        must(quota_adopt(root_quota, o), "recording a boot object");
}

static void give(uint64_t slot, struct kobject *o, uint8_t rights)
{
    must(cap_install(&root_task->cspace, slot, o, rights, 0), "installing a boot capability");
}

static struct memobj *new_memory(uint64_t bytes)
{
    int err;
    struct memobj *m = memobj_create_pages(root_quota, bytes, 0, &err);
    must(m ? 0 : err, "allocating boot task memory");
    adopt(&m->obj);
    return m;
}

static void copy_to_memobj(struct memobj *m, uint64_t off, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t o = off + i;
        ((uint8_t *)phys_to_virt(memobj_page(m, o / PAGE_SIZE)))[o % PAGE_SIZE] = src[i];
    }
}

/* Maps m at va with flags, charging the boot task; m's only reference is
 * then the mapping's (plus a capability if given). */
static void map(struct memobj *m, uint64_t va, unsigned flags)
{
    must(vspace_map(&root_task->vs, m, 0, va, m->npages, flags), "mapping boot task memory");
}

static void load_segment(const uint8_t *file, const struct elf_seg *sg)
{
    uint64_t start = sg->vaddr & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (sg->vaddr + sg->memsz + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    struct memobj *m = new_memory(end - start);
    copy_to_memobj(m, sg->vaddr - start, file + sg->offset, sg->filesz);
    unsigned flags = PT_R | ((sg->flags & ELF_PF_W) ? PT_W : 0) | ((sg->flags & ELF_PF_X) ? PT_X : 0);
    map(m, start, flags);
}

static void load_elf(const struct boot_module *mod, struct elf_image *img)
{
    const uint8_t *file = phys_to_virt(mod->base);
    const char *why = elf_parse(file, mod->len, AERIE_USER_MIN, AERIE_USER_MAX, img);
    if (why)
        panic("boot: the first boot module '%s' is not a program Aerie can run: %s", mod->name, why);
    for (unsigned i = 0; i < img->nseg; i++)
        load_segment(file, &img->seg[i]);
}

/* Puts the TLS block and TCB (aerie/capenv.h) below top; returns the
 * TCB's address, which becomes the thread's FS base. */
static uint64_t build_tls(struct memobj *stack, uint64_t stack_base, const struct elf_image *img,
                          uint64_t top, uint64_t *below)
{
    uint64_t align = img->has_tls && img->tls_align > 16 ? img->tls_align : 16;
    uint64_t tls = img->has_tls ? (img->tls_memsz + align - 1) & ~(align - 1) : 0;
    uint64_t tcb = (top - sizeof(struct aerie_tcb)) & ~(align - 1);
    if (tcb - stack_base < tls + 8192)
        panic("boot: the boot task's TLS does not fit its stack");
    if (img->has_tls) {
        const uint8_t *file = phys_to_virt(bootinfo.modules[0].base);
        const struct elf_seg *src = NULL;
        for (unsigned i = 0; i < img->nseg; i++)
            if (img->tls_vaddr >= img->seg[i].vaddr && img->tls_vaddr - img->seg[i].vaddr < img->seg[i].memsz)
                src = &img->seg[i];
        if (src && img->tls_vaddr - src->vaddr + img->tls_filesz <= src->filesz)
            copy_to_memobj(stack, tcb - tls - stack_base,
                           file + src->offset + (img->tls_vaddr - src->vaddr), img->tls_filesz);
    }
    struct aerie_tcb t = { .self = (struct aerie_tcb *)tcb,
                           .utcb = (struct aerie_utcb *)(AERIE_KIP_ADDR - AERIE_UTCB_SIZE) };
    copy_to_memobj(stack, tcb - stack_base, (const uint8_t *)&t, sizeof t);
    *below = tcb - tls;
    return tcb;
}

/* Writes the System V start block (aerie/capenv.h) at the top of the
 * stack, below the UTCB and the TLS; returns the initial RSP. */
static uint64_t build_start_stack(struct memobj *stack, uint64_t stack_base, const struct elf_image *img,
                                  uint64_t info_addr, uint64_t *fs_base)
{
    const struct boot_module *mod = &bootinfo.modules[0];
    uint64_t top;
    *fs_base = build_tls(stack, stack_base, img, AERIE_KIP_ADDR - AERIE_UTCB_SIZE, &top);
    uint64_t off_of = stack_base;                         /* stack address -> object offset */
    /* The module's command line ("path arg ...") becomes argv: the
     * string is copied once and split at spaces in place. */
    char words[BOOT_NAME_LEN];
    uint64_t name_len = strlen(mod->name) + 1;
    memcpy(words, mod->name, name_len);
    uint64_t name_at = (top - name_len) & ~15ull;
    uint64_t argv[16];
    unsigned argc = 0;
    for (uint64_t i = 0; i < name_len - 1; i++) {
        if (words[i] == ' ')
            words[i] = 0;
        else if ((i == 0 || words[i - 1] == 0) && argc < 16)
            argv[argc++] = name_at + i;
    }
    copy_to_memobj(stack, name_at - off_of, (const uint8_t *)words, name_len);
    /* Words of the kernel command line of the form key=value that are not
     * the kernel's become the boot task's environment (as Linux does for
     * init). */
    char envs[BOOT_CMDLINE_LEN];
    uint64_t env_len = strlen(bootinfo.cmdline) + 1;
    memcpy(envs, bootinfo.cmdline, env_len);
    uint64_t env_at = (name_at - env_len) & ~15ull;
    uint64_t envp[16];
    unsigned envc = 0;
    for (uint64_t i = 0; i < env_len - 1; i++) {
        if (envs[i] == ' ')
            envs[i] = 0;
    }
    for (uint64_t i = 0; i < env_len - 1; i++) {
        bool start = envs[i] && (i == 0 || envs[i - 1] == 0);
        if (start && i > 0 && strstr(&envs[i], "=") && strncmp(&envs[i], "ktest=", 6) != 0 && envc < 16)
            envp[envc++] = env_at + i;
    }
    copy_to_memobj(stack, env_at - off_of, (const uint8_t *)envs, env_len);
    uint64_t ph_bytes = (uint64_t)img->phnum * 56;
    uint64_t ph_at = (env_at - ph_bytes) & ~15ull;
    copy_to_memobj(stack, ph_at - off_of, (const uint8_t *)phys_to_virt(mod->base) + img->phoff, ph_bytes);
    uint64_t rnd[2] = { rdtsc() * 0x9E3779B97F4A7C15ull, rdtsc() ^ 0xA5A5A5A5DEADBEEFull };
    uint64_t rnd_at = ph_at - 16;
    copy_to_memobj(stack, rnd_at - off_of, (const uint8_t *)rnd, 16);
    uint64_t aux[] = {
        AT_PAGESZ, PAGE_SIZE, AT_ENTRY, img->entry,
        AT_PHDR, ph_at, AT_PHNUM, img->phnum, AT_RANDOM, rnd_at,
        AT_AERIE_UTCB, AERIE_KIP_ADDR - AERIE_UTCB_SIZE, AT_AERIE_BOOTINFO, info_addr,
        AT_AERIE_FIRST_SLOT, AERIE_BOOT_FIRST_FREE, AT_AERIE_STACK_BASE, stack_base,
        AT_NULL, 0,
    };
    uint64_t v[1 + 16 + 1 + 16 + 1 + sizeof aux / 8];
    unsigned n = 0;
    v[n++] = argc;
    for (unsigned i = 0; i < argc; i++)
        v[n++] = argv[i];
    v[n++] = 0;                                          /* end of argv */
    for (unsigned i = 0; i < envc; i++)
        v[n++] = envp[i];
    v[n++] = 0;                                          /* end of envp */
    memcpy(&v[n], aux, sizeof aux);
    n += sizeof aux / 8;
    uint64_t sp = (rnd_at - n * 8) & ~15ull;
    copy_to_memobj(stack, sp - off_of, (const uint8_t *)v, n * 8);
    return sp;
}

static void fill_bootinfo(struct aerie_bootinfo *bi, uint64_t utcb_addr)
{
    bi->magic = AERIE_KIP_MAGIC;
    bi->ncpus = ncpus;
    bi->nmodules = bootinfo.nmodules;
    if (bi->nmodules > AERIE_BOOT_MAX_MODULES)
        bi->nmodules = AERIE_BOOT_MAX_MODULES;
    for (unsigned i = 0; i < bi->nmodules; i++) {
        const struct boot_module *m = &bootinfo.modules[i];
        bi->modules[i].bytes = m->len;
        size_t n = strlen(m->name);
        if (n >= sizeof bi->modules[i].name)
            n = sizeof bi->modules[i].name - 1;
        memcpy(bi->modules[i].name, m->name, n);
    }
    size_t n = strlen(bootinfo.cmdline);
    if (n >= sizeof bi->cmdline)
        n = sizeof bi->cmdline - 1;
    memcpy(bi->cmdline, bootinfo.cmdline, n);
    bi->utcb_addr = utcb_addr;
    bi->acpi_mcfg_base = acpi.mcfg_base;
    bi->acpi_mcfg_bus_end = acpi.mcfg_bus_end;
}

static void give_devices(void)
{
    int err;
    struct kobject *irqctl = quota_new_object(root_quota, AERIE_OBJ_IRQ_CONTROL, sizeof(struct kobject), 0, &err);
    struct ioport *io = ioport_new(root_quota, 0, 0xFFFF, &err);
    struct devmem *dm = quota_new_object(root_quota, AERIE_OBJ_DEVMEM, sizeof *dm, 0, &err);
    struct kobject *kd = quota_new_object(root_quota, AERIE_OBJ_KDEBUG, sizeof(struct kobject), 0, &err);
    if (!irqctl || !io || !dm || !kd)
        fail("no memory for the device capabilities");
    adopt(irqctl);
    adopt(&io->obj);
    adopt(&dm->obj);
    adopt(kd);
    give(AERIE_BOOT_IRQ_CONTROL, irqctl, AERIE_R_ALL);
    give(AERIE_BOOT_IOPORT, &io->obj, AERIE_R_ALL);
    give(AERIE_BOOT_DEVMEM, &dm->obj, AERIE_R_ALL);
    give(AERIE_BOOT_KDEBUG, kd, AERIE_R_ALL);
    for (unsigned i = 0; i < bootinfo.nmodules && i < AERIE_BOOT_MAX_MODULES; i++) {
        const struct boot_module *bm = &bootinfo.modules[i];
        struct memobj *m = memobj_create_fixed(root_quota, bm->base, bm->len ? bm->len : 1, MEMOBJ_FIXED, &err);
        if (!m)
            fail("no memory for a boot module object");
        adopt(&m->obj);
        give(AERIE_BOOT_MODULE0 + i, &m->obj, AERIE_R_READ | AERIE_R_EXEC);
    }
}

void kip_init(void)
{
    kip_phys = kmem_alloc_pages(0);
    if (!kip_phys)
        panic("no page for the kernel info page");
    struct aerie_kip *k = phys_to_virt(kip_phys);
    k->magic = AERIE_KIP_MAGIC;
    k->version = 2;
    k->ncpus = ncpus;
    k->tsc_hz = tsc_hz;
    k->boot_tsc = rdtsc();
    k->boot_unix_ns = rtc_unix_seconds() * 1000000000ull;
    k->timer_hz = TIMER_HZ;
    k->clock_seq = 0;           /* the clock's values above never change after boot */
    k->cpu_flags = arch_kip_cpu_flags();
    const char *v = AERIE_VERSION;
    size_t n = strlen(v);
    memcpy(k->version_string, v, n < sizeof k->version_string ? n : sizeof k->version_string - 1);
}

void boot_task_start(void)
{
    if (bootinfo.nmodules == 0)
        fail("no boot module: give QEMU -initrd or GRUB a module line");
    /* The boot task's quota: all memory free now, less a reserve the
     * kernel keeps for page-table and slab overheads no quota can see. */
    uint64_t free = pmm_free_pages() * PAGE_SIZE;
    uint64_t reserve = free / 64 + (1u << 20);
    root_quota = quota_create_root(free > reserve ? free - reserve : 0);
    int err;
    root_task = task_new(root_quota, &err);
    must(root_task ? 0 : err, "creating its task");
    adopt(&root_task->obj);
    struct thread *th = thread_new(root_quota, root_task, BOOT_PRIO, &err);
    must(th ? 0 : err, "creating its thread");
    adopt(&th->obj);

    struct elf_image img;
    load_elf(&bootinfo.modules[0], &img);
    struct memobj *stack = new_memory(BOOT_STACK_BYTES);
    uint64_t stack_base = AERIE_KIP_ADDR - BOOT_STACK_BYTES;
    map(stack, stack_base, PT_R | PT_W);
    struct memobj *info = new_memory(PAGE_SIZE);
    uint64_t info_addr = stack_base - 2 * PAGE_SIZE;     /* a guard page between */
    fill_bootinfo(phys_to_virt(memobj_page(info, 0)), AERIE_KIP_ADDR - AERIE_UTCB_SIZE);
    map(info, info_addr, PT_R);
    must(thread_set_utcb(th, stack, BOOT_STACK_BYTES - AERIE_UTCB_SIZE), "setting its UTCB");

    give(AERIE_BOOT_TASK, &root_task->obj, AERIE_R_ALL);
    give(AERIE_BOOT_THREAD, &th->obj, AERIE_R_ALL);
    give(AERIE_BOOT_QUOTA, &root_quota->obj, AERIE_R_ALL | AERIE_R_CLONE);
    give(AERIE_BOOT_UTCB_MEM, &stack->obj, AERIE_R_READ | AERIE_R_WRITE);
    give_devices();

    struct trap_frame *tf = thread_frame(th);
    tf->rip = img.entry;
    tf->rsp = build_start_stack(stack, stack_base, &img, info_addr, &th->fs_base);
    boot_thread = th;
    kprintf("boot: started '%s' (%lu KiB) as the boot task\n", bootinfo.modules[0].name,
            bootinfo.modules[0].len / 1024);
    thread_start(th, 0);
}
