/*
 * phases.c — a QEMU 7.2 TCG plugin, for measuring only (never part of
 * Aerie): guest instructions executed between passes over one marker
 * address (a "phase"), per vCPU and split kernel/user, with the CR3 writes
 * (address-space switches) among them and the hottest translation blocks
 * of each phase. Halted vCPUs execute nothing, so idle time is not
 * counted, unlike -icount's clock. Used for make bench-udp's instructions
 * per datagram: the marker is udpwire's send_streams, entered once per
 * run (docs/EVALUATION.md, "UDP: where a datagram's host time goes").
 * The plugin API's few declarations are written out as in segments.c.
 *
 *   gcc -O2 -shared -fPIC -o /tmp/phases.so tools/tcgplugin/phases.c
 *   PH_OUT=/tmp/ph.out tools/qemu.sh ... --qemu "-plugin /tmp/phases.so,mark=0x2008c0"
 *
 * Counters are plain adds from both vCPU threads (a lost count now and
 * then is below the figures' precision). A user address also names code
 * in every other program linked at the same place (all are linked at
 * 0x200000): passes through other programs' code there at boot show as
 * extra phases at the start (udpwire's send_streams is nic_init in net
 * and add_env in root: boot only). The hot blocks' addresses are the
 * reader's to name (addr2line on kernel.elf, and on each program's ELF
 * for a user address).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb; struct qemu_plugin_insn; typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb)(unsigned int, void *);
typedef void (*exit_cb)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, udata_cb, enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, udata_cb, enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, exit_cb, void *);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct tb { uint64_t va; unsigned n; unsigned cr3; uint64_t execs, last; struct tb *next; };
static struct tb *all;
static uint64_t mark = 0x2008c0;
static uint64_t insns[4][2], cr3s[4];
static FILE *out;
static int phase;

static void on_tb(unsigned v, void *ud)
{
    struct tb *t = ud;
    t->execs++;
    insns[v & 3][t->va >> 63] += t->n;
    cr3s[v & 3] += t->cr3;
}

static int by_insns(const void *a, const void *b)
{
    const struct tb *x = *(struct tb *const *)a, *y = *(struct tb *const *)b;
    uint64_t nx = (x->execs - x->last) * x->n, ny = (y->execs - y->last) * y->n;
    return nx < ny ? 1 : nx > ny ? -1 : 0;
}

static void on_mark(unsigned v, void *ud)
{
    (void)ud;
    static uint64_t prev[4][2], prevc[4];
    fprintf(out, "PHASE %d (mark on vCPU %u)", phase++, v);
    for (int c = 0; c < 2; c++) {
        fprintf(out, " cpu%d: kernel %lu user %lu cr3 %lu;", c, insns[c][1] - prev[c][1], insns[c][0] - prev[c][0],
                cr3s[c] - prevc[c]);
        prev[c][0] = insns[c][0];
        prev[c][1] = insns[c][1];
        prevc[c] = cr3s[c];
    }
    fprintf(out, "\n");
    size_t n = 0;
    for (struct tb *t = all; t; t = t->next)
        n++;
    struct tb **v_ = malloc(n * sizeof *v_);
    n = 0;
    for (struct tb *t = all; t; t = t->next)
        v_[n++] = t;
    qsort(v_, n, sizeof *v_, by_insns);
    /* the same address translated again (or in another program) adds up */
    for (size_t i = 0; i < n && i < 60; i++)
        if ((v_[i]->execs - v_[i]->last) * v_[i]->n != 0)
            fprintf(out, "  %016lx %lu\n", v_[i]->va, (v_[i]->execs - v_[i]->last) * v_[i]->n);
    for (struct tb *t = all; t; t = t->next)
        t->last = t->execs;
    free(v_);
    fflush(out);
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *qtb)
{
    (void)id;
    struct tb *t = calloc(1, sizeof *t);
    t->va = qemu_plugin_tb_vaddr(qtb);
    t->n = (unsigned)qemu_plugin_tb_n_insns(qtb);
    for (size_t i = 0; i < t->n; i++) {
        struct qemu_plugin_insn *q = qemu_plugin_tb_get_insn(qtb, i);
        const uint8_t *d = qemu_plugin_insn_data(q);
        size_t sz = qemu_plugin_insn_size(q), o = 0;
        if (qemu_plugin_insn_vaddr(q) == mark)
            qemu_plugin_register_vcpu_insn_exec_cb(q, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
        while (o < sz && (d[o] & 0xf0) == 0x40)
            o++;
        if (o + 2 < sz && d[o] == 0x0f && d[o + 1] == 0x22 && ((d[o + 2] >> 3) & 7) == 3)
            t->cr3++;
    }
    t->next = all;                    /* translation is serialised in QEMU 7.2 (tb_lock) */
    all = t;
    qemu_plugin_register_vcpu_tb_exec_cb(qtb, on_tb, QEMU_PLUGIN_CB_NO_REGS, t);
}

static void on_exit_(qemu_plugin_id_t id, void *ud)
{
    (void)id;
    on_mark(9, ud);
    fclose(out);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (!strncmp(argv[i], "mark=", 5))
            mark = strtoull(argv[i] + 5, NULL, 0);
    out = fopen(getenv("PH_OUT") ? getenv("PH_OUT") : "phases.out", "w");
    if (!out)
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
