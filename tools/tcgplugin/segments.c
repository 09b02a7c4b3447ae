/*
 * segments.c — a QEMU 7.2 TCG plugin, for measuring only (never part of
 * Aerie): what the guest does between two CR3 writes on a vCPU (a
 * "segment"). Under TCG a CR3 write empties the software TLB and the jump
 * cache, so what a segment costs beyond its instructions is one refill per
 * distinct 4 KiB page it touches (code and data, per privilege of the
 * instruction) and one hash look-up per distinct instruction reached by an
 * indirect transfer (ret, indirect call/jmp, syscall, sysret, iret) or from
 * another page. Prints the averages over segments of lo..hi instructions
 * (the IPC halves of make bench-ipc), and the look-up targets and pages of one.
 * The plugin API's few declarations are written out below (Debian ships
 * no qemu-plugin.h); the ABI is QEMU_PLUGIN_VERSION 1.
 *
 *   gcc -O2 -shared -fPIC -o /tmp/segments.so tools/tcgplugin/segments.c
 *   SEG_OUT=/tmp/seg.out tools/qemu.sh --test --smp 2 --mem 2G \
 *       --qemu "-plugin /tmp/segments.so" --append exit_on_halt \
 *       --initrd build/ipcbench.elf build/kernel.elf
 * (docs/EVALUATION.md, "Same-CPU IPC and the CR3 write").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb; struct qemu_plugin_insn; typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb)(unsigned int, void *);
typedef void (*mem_cb)(unsigned int, qemu_plugin_meminfo_t, uint64_t, void *);
typedef void (*exit_cb)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, udata_cb, enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *, mem_cb, enum qemu_plugin_cb_flags, enum qemu_plugin_mem_rw, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, exit_cb, void *);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct ins { uint64_t va; int ind; int cr3; };
#define MAXP 1024
struct seg { uint64_t pg[MAXP]; int np; uint64_t lt[MAXP]; int nl, nlk; long insns; uint64_t prev; int prev_ind; };
static struct seg S[4];
static long nseg; static double sum_pages, sum_lk, sum_lk_k, sum_insns;
static long lo = 900, hi = 1400, dumpat = 3000;
static uint64_t dump[MAXP]; static int ndump; static uint64_t dumppg[MAXP]; static int ndumppg;
static void add(uint64_t *a, int *n, uint64_t x) { for (int i = 0; i < *n; i++) if (a[i] == x) return; if (*n < MAXP) a[(*n)++] = x; }
static void on_insn(unsigned v, void *ud)
{
    struct ins *in = ud; struct seg *s = &S[v & 3];
    add(s->pg, &s->np, (in->va >> 12) * 2 + (in->va >> 63));
    if (s->prev && (s->prev_ind || (s->prev >> 12) != (in->va >> 12))) {
        int before = s->nl; add(s->lt, &s->nl, in->va);
        if (s->nl > before && (in->va >> 63)) s->nlk++;
    }
    s->prev = in->va; s->prev_ind = in->ind; s->insns++;
    if (in->cr3) {
        if (s->insns >= lo && s->insns <= hi) { nseg++; sum_pages += s->np; sum_lk += s->nl; sum_lk_k += s->nlk; sum_insns += s->insns; if (nseg == dumpat) { for (int i = 0; i < s->nl; i++) dump[i] = s->lt[i]; ndump = s->nl; for (int i = 0; i < s->np; i++) dumppg[i] = s->pg[i]; ndumppg = s->np; } }
        s->np = s->nl = s->nlk = 0; s->insns = 0;
    }
}
static void on_mem(unsigned v, qemu_plugin_meminfo_t info, uint64_t va, void *ud)
{
    (void)info; struct ins *in = ud;
    add(S[v & 3].pg, &S[v & 3].np, (va >> 12) * 2 + (in->va >> 63));
}
static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *q = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *d = qemu_plugin_insn_data(q); size_t sz = qemu_plugin_insn_size(q);
        struct ins *in = calloc(1, sizeof *in);
        in->va = qemu_plugin_insn_vaddr(q);
        size_t o = 0;
        while (o < sz && (d[o] == 0x66 || d[o] == 0xf2 || d[o] == 0xf3 || d[o] == 0x2e || d[o] == 0x3e)) o++;
        if (o < sz && (d[o] & 0xf0) == 0x40) o++;
        if (o < sz) {
            uint8_t b = d[o];
            if (b == 0xc3 || b == 0xc2 || b == 0xcf || b == 0xcd) in->ind = 1;
            if (b == 0xff && o + 1 < sz) { int r = (d[o + 1] >> 3) & 7; if (r == 2 || r == 4) in->ind = 1; }
            if (b == 0x0f && o + 1 < sz && (d[o + 1] == 0x05 || d[o + 1] == 0x07)) in->ind = 1;
            if (b == 0x0f && o + 2 < sz && d[o + 1] == 0x22 && ((d[o + 2] >> 3) & 7) == 3) in->cr3 = 1;
        }
        qemu_plugin_register_vcpu_insn_exec_cb(q, on_insn, QEMU_PLUGIN_CB_NO_REGS, in);
        qemu_plugin_register_vcpu_mem_cb(q, on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, in);
    }
}
static void on_exit_(qemu_plugin_id_t id, void *ud)
{
    (void)id; (void)ud;
    FILE *f = fopen(getenv("SEG_OUT") ? getenv("SEG_OUT") : "segments.out", "w");
    fprintf(f, "segments of %ld..%ld instructions: %ld; per segment: %.1f instructions, %.1f pages, %.1f look-up targets (%.1f in the kernel)\n",
            lo, hi, nseg, sum_insns / nseg, sum_pages / nseg, sum_lk / nseg, sum_lk_k / nseg);
    for (int i = 0; i < ndump; i++) fprintf(f, "%016lx\n", dump[i]);
    for (int i = 0; i < ndumppg; i++) fprintf(f, "page %016lx%s\n", (dumppg[i] >> 1) << 12, (dumppg[i] & 1) ? " (kernel)" : "");
    fclose(f);
}
__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) { if (sscanf(argv[i], "lo=%ld", &lo) == 1 || sscanf(argv[i], "dump=%ld", &dumpat) == 1) continue; sscanf(argv[i], "hi=%ld", &hi); }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
