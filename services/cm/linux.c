/*
 * linux.c — Linux programs in containers (aerie/proto/linux.h,
 * docs/LINUX.md). An image program without the Aerie note is checked as a
 * Linux program (static, or dynamically linked: then it needs the fs
 * grant, its interpreter being a file of its root) and replaced, for the
 * spawn, by the Linux personality, which gets the container's grants and
 * the program file's pages: the personality loads and runs the program
 * inside the container, with nothing an Aerie program of the same spec
 * could not have.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/linux.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "elf.h"
#include "cm.h"

#define LX_STACK (64 * 1024)

void cm_linux_release(struct cm_linux *lx)
{
    if (lx->exe_slot) {
        ae_cap_delete(lx->exe_slot);
        ae_slot_free(lx->exe_slot);
        lx->exe_slot = 0;
    }
    if (lx->ep_slot) {
        ae_cap_delete(lx->ep_slot);
        ae_slot_free(lx->ep_slot);
        lx->ep_slot = 0;
    }
}

/* The program file's pages (in mem: the boot image, or an imported
 * image's archive) as a Memory object of the container's quota. */
/* The program's file, read-only, for the personality. A boot-image file is
 * a slice of the boot module (no copy). An imported image's archive is an
 * ordinary Memory object, which the kernel does not slice: the file is
 * copied into a Memory charged to the container's own quota instead. */
static int copy_exe(struct container *c, const struct img_file *prog, uint64_t bytes, uint64_t slot)
{
    uint64_t va = ae_vm_reserve(bytes);
    if (!va)
        return AE_ENOMEM;
    int64_t r = ae_quota_create(c->run, AERIE_OBJ_MEMORY, slot, bytes, 0, 0);
    if (r == 0) {
        r = ae_task_map(ae_self.task, slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W);
        if (r == 0) {
            memcpy((void *)va, prog->data, prog->size);
            ae_task_unmap(ae_self.task, va, bytes);
        } else
            ae_cap_delete(slot);
    }
    ae_vm_release(va, bytes);
    return (int)r;
}

static int slice_exe(struct container *c, const struct img_file *prog, uint64_t mem, struct cm_linux *lx)
{
    uint64_t bytes = (prog->size + 4095) & ~4095ull;
    lx->exe_slot = ae_slot_alloc();
    if (!lx->exe_slot)
        return AE_ELIMIT;
    int64_t r = ae_invoke(mem, AERIE_MEM_SLICE, 4,
                          AE_ARGS(c->run, prog->data_offset, bytes, lx->exe_slot), 0, 0);
    if (r == AE_ETYPE)
        r = copy_exe(c, prog, bytes, lx->exe_slot);
    if (r < 0) {
        ae_slot_free(lx->exe_slot);
        lx->exe_slot = 0;
    }
    return (int)r;
}

int cm_linux_prepare(struct container *c, const struct img_file *prog, struct ae_spawn_args *a,
                     struct cm_linux *lx, char *err, size_t errlen)
{
    const struct spec *s = c->spec;
    struct elf_image img;
    const char *why = elf_parse_linux(prog->data, prog->size, LX_USER_MIN, LX_USER_TOP, &img);
    if (why) {
        /* a script (docker images' entrypoint.sh) says what would run it */
        const uint8_t *d = prog->data;
        if (prog->size >= 2 && d[0] == '#' && d[1] == '!')
            why = "it is a script (#!), and a program here is an ELF file: give its interpreter as "
                  "--entrypoint and the script as its first argument";
        snprintf(err, errlen, "image: %s: its program %.100s is not a program Aerie runs: %s", s->image,
                 a->argv && a->argv[0] ? a->argv[0] : "prog", why);
        return AE_EINVAL;
    }
    /* a dynamically linked program's interpreter and libraries are files
     * of the container's own root, which only its fs session reaches */
    if (img.interp && !(s->grants & SPEC_GRANT_FS)) {
        snprintf(err, errlen, "grant: a dynamically linked Linux program needs fs (its interpreter %.*s "
                 "and libraries are the image's files)", (int)img.interp_len - 1,
                 (const char *)prog->data + img.interp_off);
        return AE_EINVAL;
    }
    if (!(s->grants & SPEC_GRANT_SELF)) {
        snprintf(err, errlen, "grant: a Linux program needs self (its memory and processes come "
                 "from the container's own quota)");
        return AE_EINVAL;
    }
    int64_t pi = img_lookup(&cm.image, LX_PERSONALITY_PATH, strlen(LX_PERSONALITY_PATH));
    if (pi < 0) {
        snprintf(err, errlen, "image: %s is a Linux program, and this boot image has no Linux "
                 "personality (%s)", s->image, LX_PERSONALITY_PATH);
        return AE_ENOENT;
    }
    unsigned argc = 0;
    while (a->argv[argc])
        argc++;
    if (a->ngrants + 2 > sizeof lx->grants / sizeof lx->grants[0] ||
        argc == 0 || argc + 4 > sizeof lx->argv / sizeof lx->argv[0]) {
        snprintf(err, errlen, "the container manager cannot describe this Linux program");
        return AE_EINVAL;
    }
    int r = slice_exe(c, prog, a->image_mem, lx);
    if (r) {
        snprintf(err, errlen, "mem: no room for the Linux program's file (error %d)", r);
        return r;
    }
    /* its endpoint, from the container's quota: cm keeps a way to send it signals */
    lx->ep_slot = ae_slot_alloc();
    c->lx_sig = ae_slot_alloc();
    if (!lx->ep_slot || !c->lx_sig || ae_quota_create(c->run, AERIE_OBJ_ENDPOINT, lx->ep_slot, 0, 0, 0) < 0 ||
        ae_cap_copy(lx->ep_slot, c->lx_sig, AERIE_R_WRITE, LX_SIG_BADGE) < 0) {
        snprintf(err, errlen, "mem: no room for the Linux personality's endpoint");
        if (c->lx_sig)
            ae_slot_free(c->lx_sig);
        c->lx_sig = 0;
        return AE_ENOMEM;
    }
    memcpy(lx->grants, a->grants, a->ngrants * sizeof *a->grants);
    lx->grants[a->ngrants] = (struct ae_grant){ LX_GRANT_EXE, lx->exe_slot, AERIE_R_READ | AERIE_R_EXEC, 0 };
    lx->grants[a->ngrants + 1] = (struct ae_grant){ LX_GRANT_EP, lx->ep_slot, AERIE_R_ALL, 0 };
    snprintf(lx->cpus, sizeof lx->cpus, "%s%lx", LX_OPT_CPUS, cm_cpus_of(s));
    unsigned n = 0;
    lx->argv[n++] = LX_ARGV0;
    lx->argv[n++] = lx->cpus;
    if (s->tty_rows) {
        snprintf(lx->tty, sizeof lx->tty, "%s%ux%u", LX_OPT_TTY, s->tty_rows, s->tty_cols);
        lx->argv[n++] = lx->tty;
    }
    lx->argv[n++] = LX_OPT_END;
    for (unsigned i = 0; a->argv[i]; i++)
        lx->argv[n++] = a->argv[i];
    lx->argv[n] = 0;
    struct img_file pf;
    img_get(&cm.image, (uint32_t)pi, &pf);
    a->image = pf.data;
    a->image_len = pf.size;
    a->image_mem = cm.image_mem;           /* the personality is the boot image's, whatever the program's is */
    a->image_off = pf.data_offset;
    a->argv = lx->argv;
    a->grants = lx->grants;
    a->ngrants += 2;
    a->stack_bytes = cm_stack_for(LX_STACK, lx->argv, a->envp);
    a->vm_base = LX_SELF_VM_BASE;
    /* lazy, as the container's own program would be: its .bss and stack
     * cost what it touches (see docs/LINUX.md, "Where the personality runs") */
    a->lazy = true;
    return 0;
}

bool cm_linux_signaled(uint64_t status, uint64_t f[3])
{
    if (status >> 56 != CM_LINUX_EXIT_MARK)
        return false;
    f[0] = CM_FAULT_LINUX_SIGNAL | ((status >> 48) & 0x7F) << 32;
    f[1] = status & 0xFFFFFFFFFFFFull;
    f[2] = 0;
    return true;
}

int cm_linux_signal(struct container *c, int sig)
{
    if (sig < 1 || sig > 64)
        return AE_EINVAL;
    if (c->state != CM_RUNNING)
        return AE_EBUSY;
    if (!c->lx_sig)
        return AE_ENOTSUP;                 /* an Aerie program: only CM_KILL */
    /* the personality receives between two system calls: a short wait at most */
    int64_t r = ae_send(c->lx_sig, AERIE_INFO((uint64_t)sig, 0, 0), 2000000000ull);
    return r == AE_ECAP || r == AE_EDEAD ? AE_EBUSY : (int)r;
}

/* `aerie exec` (docs/LINUX.md, "Programs run from outside"). cm only asks
 * and reads: the request is a SEND on the capability cm already holds for
 * signals (a label no signal has), bounded by a timeout, so a container
 * that does not listen holds a worker (and ctl) for a quarter of a
 * second at most; the answer is the container's own word in its exec board, read
 * with Task READ, so no reply of the container's is ever waited for. */
/* ctl, one thread for every client, waits while cm does: a request waits
 * a quarter of a second at most for the personality to receive (it does
 * between any two system calls), a piece of input 20 ms (ctl offers it
 * again next round) */
#define EXEC_SEND_NS 250000000ull
#define EXEC_INPUT_SEND_NS 20000000ull

/* CM_EXEC's flags go to the personality as they are */
_Static_assert(CM_EXEC_STDIN == LX_EXEC_STDIN && CM_EXEC_TTY == LX_EXEC_TTY, "exec flags agree");

int cm_linux_exec(struct container *c, uint64_t argc_flags, const void *text, uint64_t len, uint64_t *n)
{
    if (c->state != CM_RUNNING)
        return AE_EBUSY;
    if (!c->lx_sig || !c->task)
        return AE_ENOTSUP;
    if (len > LX_EXEC_TEXT_MAX || len > CM_EXEC_TEXT_MAX)
        return AE_EINVAL;
    uint64_t seq = ++c->exec_seq;
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = seq;
    u->mr[1] = argc_flags;
    u->mr[2] = len;
    if (len % 8)
        u->mr[3 + len / 8] = 0;
    memcpy(&u->mr[3], text, len);
    int64_t r = ae_send(c->lx_sig, AERIE_INFO(LX_EXEC_LABEL, 3 + (unsigned)((len + 7) / 8), 0), EXEC_SEND_NS);
    if (r == AE_ECAP || r == AE_EDEAD)
        return AE_EBUSY;
    if (r < 0)
        return (int)r;
    *n = seq;
    return 0;
}

int cm_linux_exec_status(struct container *c, uint64_t n, uint64_t w[3])
{
    if (c->state != CM_RUNNING)
        return AE_EBUSY;
    if (!c->lx_sig || !c->task)
        return AE_ENOTSUP;
    if (n == 0 || n > c->exec_seq)
        return AE_EINVAL;
    struct lx_exec_slot slot, again;
    uint64_t at = LX_EXEC_BOARD + (n % LX_EXEC_SLOTS) * sizeof slot;
    w[0] = CM_EXEC_PENDING;
    w[1] = w[2] = 0;
    /* Read twice: the personality may be rewriting the slot on another
     * CPU (its number first set to 0, then the fields, then the number),
     * so two reads that differ are a slot in change, asked again next
     * time. Not mapped yet: it has not taken its first request. */
    if (ae_invoke(c->task, AERIE_TASK_READ, 2, AE_ARGS(at, sizeof slot), (uint64_t *)&slot, sizeof slot / 8) < 0 ||
        ae_invoke(c->task, AERIE_TASK_READ, 2, AE_ARGS(at, sizeof slot), (uint64_t *)&again, sizeof slot / 8) < 0 ||
        memcmp(&slot, &again, sizeof slot))
        return 0;
    if (slot.seq > n && slot.seq <= c->exec_seq) {
        w[0] = CM_EXEC_LOST;
        return 0;
    }
    if (slot.seq != n)
        return 0;
    w[0] = slot.state <= LX_EXEC_EXITED ? slot.state : CM_EXEC_PENDING;
    w[1] = (uint64_t)slot.value;
    w[2] = slot.in_pos;
    return 0;
}

int cm_linux_exec_input(struct container *c, uint64_t n, uint64_t off_eof, const void *p, uint64_t len)
{
    if (c->state != CM_RUNNING)
        return AE_EBUSY;
    if (!c->lx_sig || !c->task)
        return AE_ENOTSUP;
    if (n == 0 || n > c->exec_seq || len > CM_EXEC_IN_CHUNK)
        return AE_EINVAL;
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = n;
    u->mr[1] = off_eof;
    u->mr[2] = len;
    if (len % 8)
        u->mr[3 + len / 8] = 0;
    memcpy(&u->mr[3], p, len);
    int64_t r = ae_send(c->lx_sig, AERIE_INFO(LX_EXEC_INPUT_LABEL, 3 + (unsigned)((len + 7) / 8), 0),
                        EXEC_INPUT_SEND_NS);
    return r == AE_ECAP || r == AE_EDEAD ? AE_EBUSY : (int)r;
}
