/*
 * aerie_debug.c — a GDB remote-serial-protocol stub for one container
 * (gdb's "Remote Protocol" appendix: packets $data#checksum, acked with
 * +). Each packet becomes one or a few `debug CID OP` requests to ctl,
 * which asks cm (CM_DEBUG), which stops and resumes the container's
 * first thread, reads and writes its registers (THREAD_GET/SET_REGS) and
 * its memory (TASK_READ/WRITE) with the capabilities it holds for that
 * container only. Registers are sent in gdb's amd64 order: rax rbx rcx
 * rdx rsi rdi rbp rsp r8..r15 rip (8 bytes each), eflags cs ss ds es fs
 * gs (4 bytes each); the FPU and SSE registers are left out (gdb marks
 * them unavailable).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <aerie/proto/cm.h>
#include <aerie/fault.h>
#include "aerie_debug.h"

#define PKT_MAX 4096
#define NREGS 19                         /* enum aerie_reg */
#define BP_MAX 64

/* enum aerie_reg index of gdb's registers 0..17. */
static const int gdb_to_aerie[18] = { 3, 4, 5, 6, 7, 8, 9, 1, 10, 11, 12, 13, 14, 15, 16, 17, 0, 2 };

struct dbg {
    struct conn *c;
    uint64_t cid;
    int in, out;
    char cidtext[24];
    struct { uint64_t addr; uint8_t orig; bool used; } bp[BP_MAX];
    char reply[PKT_MAX + 1];             /* the text of the last ok/err */
    bool interrupted;
};

/* One `debug CID OP ARGS...` request: 0 and the reply's words in d->reply,
 * or -1 with the error message there. */
static int request(struct dbg *d, const char *op, const char *a1, const char *a2, const char *a3)
{
    const char *w[5] = { d->cidtext, op, a1, a2, a3 };
    int n = 2 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    conn_send(d->c, id, "debug", w, n);
    conn_expect(d->c, id, &r);
    snprintf(d->reply, sizeof d->reply, "%s", r.rest);
    return strcmp(r.kind, "ok") ? -1 : 0;
}

/* The words of the last reply as numbers (hex). */
static int reply_words(struct dbg *d, uint64_t *w, int max)
{
    int n = 0;
    char *p = d->reply, *end;
    while (n < max && *p) {
        w[n++] = strtoull(p, &end, 16);
        if (end == p)
            break;
        p = end;
    }
    return n;
}

/* ---- packets ---- */

static void put_raw(struct dbg *d, const char *s, size_t n)
{
    while (n) {
        ssize_t k = write(d->out, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            exit(1);
        s += k;
        n -= (size_t)k;
    }
}

static void send_packet(struct dbg *d, const char *data)
{
    static char buf[PKT_MAX + 8];
    unsigned sum = 0;
    size_t n = strlen(data);
    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)data[i];
    int len = snprintf(buf, sizeof buf, "$%s#%02x", data, sum & 0xff);
    put_raw(d, buf, (size_t)len);
}

/* One byte from gdb; -1 at its end. */
static int get_byte(struct dbg *d)
{
    unsigned char b;
    for (;;) {
        ssize_t k = read(d->in, &b, 1);
        if (k == 1)
            return b;
        if (k < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* The next packet's data into pkt (acked); -1 when gdb went away. A
 * lone ^C between packets sets interrupted. */
static int get_packet(struct dbg *d, char *pkt)
{
    for (;;) {
        int b = get_byte(d);
        if (b < 0)
            return -1;
        if (b == 3) {
            d->interrupted = true;
            continue;
        }
        if (b != '$')
            continue;                        /* acks and noise */
        size_t n = 0;
        unsigned sum = 0;
        while ((b = get_byte(d)) >= 0 && b != '#') {
            if (n < PKT_MAX)
                pkt[n++] = (char)b;
            sum += (unsigned)b;
        }
        char cs[3] = { 0 };
        int h = get_byte(d), l = get_byte(d);
        if (b < 0 || h < 0 || l < 0)
            return -1;
        cs[0] = (char)h;
        cs[1] = (char)l;
        pkt[n] = 0;
        if (strtoul(cs, NULL, 16) != (sum & 0xff)) {
            put_raw(d, "-", 1);
            continue;
        }
        put_raw(d, "+", 1);
        return 0;
    }
}

/* ---- hex ---- */

static void hex_le(char *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        sprintf(out + 2 * i, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
}

static uint64_t parse_le(const char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        char b[3] = { p[2 * i], p[2 * i + 1], 0 };
        v |= strtoull(b, NULL, 16) << (8 * i);
    }
    return v;
}

/* ---- registers ---- */

static int get_regs(struct dbg *d, uint64_t *regs)
{
    return request(d, "regs", NULL, NULL, NULL) || reply_words(d, regs, NREGS) != NREGS ? -1 : 0;
}

static int set_regs(struct dbg *d, uint64_t mask, const uint64_t *regs)
{
    const char *w[2 + 1 + NREGS];
    static char words[1 + NREGS][20];
    snprintf(words[0], sizeof words[0], "%llx", (unsigned long long)mask);
    w[0] = d->cidtext;
    w[1] = "setregs";
    w[2] = words[0];
    for (int i = 0; i < NREGS; i++) {
        snprintf(words[1 + i], sizeof words[1 + i], "%llx", (unsigned long long)regs[i]);
        w[3 + i] = words[1 + i];
    }
    char id[CTL_ID_MAX + 1];
    struct ctl_reply r;
    conn_send(d->c, id, "debug", w, 3 + NREGS);
    conn_expect(d->c, id, &r);
    return strcmp(r.kind, "ok") ? -1 : 0;
}

/* gdb's register n (0..23) in hex into out; false for one we do not have. */
static bool reg_hex(const uint64_t *regs, unsigned n, char *out)
{
    if (n < 17)
        hex_le(out, regs[gdb_to_aerie[n]], 8);
    else if (n == 17)
        hex_le(out, regs[gdb_to_aerie[n]] & ~0x100ull, 4);   /* TF is the stub's own (single steps) */
    else if (n < 24)
        hex_le(out, 0, 4);                   /* segment registers: flat */
    else
        return false;
    return true;
}

static void pkt_g(struct dbg *d)
{
    uint64_t regs[NREGS];
    char out[24 * 16 + 1] = "";
    if (get_regs(d, regs)) {
        send_packet(d, "E01");
        return;
    }
    for (unsigned n = 0; n < 24; n++)
        reg_hex(regs, n, out + strlen(out));
    send_packet(d, out);
}

static void pkt_G(struct dbg *d, const char *hex)
{
    uint64_t regs[NREGS], mask = 0;
    if (strlen(hex) < 17 * 16 + 8 || get_regs(d, regs)) {
        send_packet(d, "E01");
        return;
    }
    for (unsigned n = 0; n < 18; n++) {
        regs[gdb_to_aerie[n]] = parse_le(hex + 16 * n, n == 17 ? 4 : 8);
        mask |= 1ull << gdb_to_aerie[n];
    }
    send_packet(d, set_regs(d, mask, regs) ? "E01" : "OK");
}

static void pkt_p(struct dbg *d, const char *arg)
{
    uint64_t regs[NREGS];
    char out[17];
    unsigned n = (unsigned)strtoul(arg, NULL, 16);
    if (get_regs(d, regs))
        send_packet(d, "E01");
    else if (!reg_hex(regs, n, out))
        send_packet(d, "xxxxxxxxxxxxxxxx");  /* one we do not have (gdb's Linux orig_rax...): unavailable */
    else
        send_packet(d, out);
}

static void pkt_P(struct dbg *d, const char *arg)
{
    uint64_t regs[NREGS];
    char *eq;
    unsigned n = (unsigned)strtoul(arg, &eq, 16);
    if (*eq != '=' || get_regs(d, regs)) {
        send_packet(d, "E01");
        return;
    }
    if (n >= 18) {                           /* segment registers, and ones we do not have, stay */
        send_packet(d, "OK");
        return;
    }
    regs[gdb_to_aerie[n]] = parse_le(eq + 1, n == 17 ? 4 : 8);
    send_packet(d, set_regs(d, 1ull << gdb_to_aerie[n], regs) ? "E01" : "OK");
}

/* ---- memory ---- */

static int mem_read(struct dbg *d, uint64_t addr, size_t len, char *hex)
{
    while (len) {
        size_t chunk = len > 256 ? 256 : len;
        char a[20], l[8];
        snprintf(a, sizeof a, "%llx", (unsigned long long)addr);
        snprintf(l, sizeof l, "%zx", chunk);
        if (request(d, "read", a, l, NULL) || strlen(d->reply) != 2 * chunk)
            return -1;
        memcpy(hex, d->reply, 2 * chunk);
        hex += 2 * chunk;
        *hex = 0;
        addr += chunk;
        len -= chunk;
    }
    return 0;
}

static int mem_write(struct dbg *d, uint64_t addr, size_t len, const char *hex)
{
    while (len) {
        size_t chunk = len > 176 ? 176 : len;
        char a[20], l[8], b[2 * 176 + 1];
        snprintf(a, sizeof a, "%llx", (unsigned long long)addr);
        snprintf(l, sizeof l, "%zx", chunk);
        memcpy(b, hex, 2 * chunk);
        b[2 * chunk] = 0;
        for (char *p = b; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        if (request(d, "write", a, l, b))
            return -1;
        hex += 2 * chunk;
        addr += chunk;
        len -= chunk;
    }
    return 0;
}

static void pkt_m(struct dbg *d, const char *arg)
{
    static char hex[2 * PKT_MAX + 1];
    char *comma;
    uint64_t addr = strtoull(arg, &comma, 16);
    size_t len = *comma == ',' ? strtoul(comma + 1, NULL, 16) : 0;
    if (len > PKT_MAX / 2)
        len = PKT_MAX / 2;
    hex[0] = 0;
    send_packet(d, mem_read(d, addr, len, hex) ? "E01" : hex);
}

static void pkt_M(struct dbg *d, const char *arg)
{
    char *comma, *colon;
    uint64_t addr = strtoull(arg, &comma, 16);
    size_t len = *comma == ',' ? strtoul(comma + 1, &colon, 16) : 0;
    if (*comma != ',' || *colon != ':' || strlen(colon + 1) < 2 * len) {
        send_packet(d, "E01");
        return;
    }
    send_packet(d, mem_write(d, addr, len, colon + 1) ? "E01" : "OK");
}

/* Z0/z0: a software breakpoint is an int3 byte in the container's own
 * copy of its program; the original byte is put back on removal. */
static void pkt_Z(struct dbg *d, const char *arg, bool insert)
{
    if (arg[0] != '0' || arg[1] != ',') {
        send_packet(d, "");                  /* hardware breakpoints, watchpoints: not offered */
        return;
    }
    uint64_t addr = strtoull(arg + 2, NULL, 16);
    int free_i = -1;
    for (int i = 0; i < BP_MAX; i++) {
        if (d->bp[i].used && d->bp[i].addr == addr) {
            if (insert) {
                send_packet(d, "OK");
                return;
            }
            char orig[3];
            snprintf(orig, sizeof orig, "%02x", d->bp[i].orig);
            if (mem_write(d, addr, 1, orig)) {
                send_packet(d, "E01");
                return;
            }
            d->bp[i].used = false;
            send_packet(d, "OK");
            return;
        }
        if (!d->bp[i].used && free_i < 0)
            free_i = i;
    }
    if (!insert) {
        send_packet(d, "OK");
        return;
    }
    char hex[3];
    if (free_i < 0 || mem_read(d, addr, 1, hex) || mem_write(d, addr, 1, "cc")) {
        send_packet(d, "E01");
        return;
    }
    d->bp[free_i].addr = addr;
    d->bp[free_i].orig = (uint8_t)strtoul(hex, NULL, 16);
    d->bp[free_i].used = true;
    send_packet(d, "OK");
}

/* ---- stops ---- */

/* The Linux signal gdb shows for a stop: SIGTRAP for breakpoints, steps
 * and the stop at attach, the fault's own for a crash held for it, SIGINT
 * for a ^C. status: the words of a `debug status` reply. */
static unsigned stop_signal(const struct dbg *d, const uint64_t *st)
{
    if (st[0] != CM_DBG_TRAPPED)
        return d->interrupted ? 2 : 5;
    if (st[1] == AERIE_FAULT_PAGE)
        return 11;
    if (st[1] != AERIE_FAULT_EXCEPTION)
        return 31;                           /* SIGSYS: a foreign system call */
    switch (st[2]) {
    case 0:  return 8;                       /* divide error: SIGFPE */
    case 1: case 3: return 5;                /* debug, breakpoint: SIGTRAP */
    case 6:  return 4;                       /* invalid opcode: SIGILL */
    case 16: case 19: return 8;
    default: return 11;                      /* general protection and the rest: SIGSEGV */
    }
}

/* The stop reply for the container's state now: Txx, or Wxx / Xxx when
 * it has ended (its exit status, or the signal of its fault). */
static void report_stop(struct dbg *d, const uint64_t *st)
{
    char out[64];
    if (st[0] == CM_DBG_ENDED) {
        char id[CTL_ID_MAX + 1];
        const char *w[1] = { d->cidtext };
        struct ctl_reply r;
        conn_send(d->c, id, "status", w, 1);
        conn_expect(d->c, id, &r);
        if (!strncmp(r.rest, "exited ", 7))
            snprintf(out, sizeof out, "W%02x", (unsigned)strtoul(r.rest + 7, NULL, 10) & 0xff);
        else
            snprintf(out, sizeof out, "X%02x", !strncmp(r.rest, "killed", 6) ? 9 : 11);
    } else {
        snprintf(out, sizeof out, "T%02xthread:1;", stop_signal(d, st));
    }
    send_packet(d, out);
}

static int status_words(struct dbg *d, uint64_t *st)
{
    if (request(d, "status", NULL, NULL, NULL))
        return -1;
    return reply_words(d, st, 7) >= 1 ? 0 : -1;
}

/* c or s: lets it run, then waits for it to stop (a ^C from gdb stops
 * it) and reports why. */
static void resume(struct dbg *d, bool step)
{
    uint64_t st[7] = { 0 };
    d->interrupted = false;
    if (request(d, step ? "step" : "cont", NULL, NULL, NULL)) {
        send_packet(d, "E01");
        return;
    }
    for (;;) {
        if (status_words(d, st)) {
            st[0] = CM_DBG_ENDED;
            break;
        }
        if (st[0] != CM_DBG_RUNNING)
            break;
        struct pollfd p = { .fd = d->in, .events = POLLIN };
        if (poll(&p, 1, 20) > 0) {
            int b = get_byte(d);
            if (b < 0)
                return;
            if (b == 3) {
                d->interrupted = true;
                request(d, "stop", NULL, NULL, NULL);
            }
        }
    }
    report_stop(d, st);
}

/* ---- the loop ---- */

static bool handle(struct dbg *d, char *pkt)
{
    uint64_t st[7] = { 0 };
    switch (pkt[0]) {
    case '?':
        if (status_words(d, st))
            st[0] = CM_DBG_ENDED;
        report_stop(d, st);
        return true;
    case 'g': pkt_g(d); return true;
    case 'G': pkt_G(d, pkt + 1); return true;
    case 'p': pkt_p(d, pkt + 1); return true;
    case 'P': pkt_P(d, pkt + 1); return true;
    case 'm': pkt_m(d, pkt + 1); return true;
    case 'M': pkt_M(d, pkt + 1); return true;
    case 'Z': pkt_Z(d, pkt + 1, true); return true;
    case 'z': pkt_Z(d, pkt + 1, false); return true;
    case 'c': resume(d, false); return true;
    case 's': resume(d, true); return true;
    case 'H': case 'T': send_packet(d, "OK"); return true;
    case 'D':
        for (int i = 0; i < BP_MAX; i++)     /* gdb removes its own first; this is for the rest */
            if (d->bp[i].used) {
                char orig[3];
                snprintf(orig, sizeof orig, "%02x", d->bp[i].orig);
                mem_write(d, d->bp[i].addr, 1, orig);
            }
        send_packet(d, request(d, "detach", NULL, NULL, NULL) ? "E01" : "OK");
        return false;
    case 'k':
        request(d, "detach", NULL, NULL, NULL);
        return false;
    case 'q':
        if (!strncmp(pkt, "qSupported", 10))
            send_packet(d, "PacketSize=1000");
        else if (!strcmp(pkt, "qAttached"))
            send_packet(d, "1");
        else if (!strcmp(pkt, "qC"))
            send_packet(d, "QC1");
        else if (!strcmp(pkt, "qfThreadInfo"))
            send_packet(d, "m1");
        else if (!strcmp(pkt, "qsThreadInfo"))
            send_packet(d, "l");
        else
            send_packet(d, "");
        return true;
    default:
        send_packet(d, "");                  /* not supported: gdb does without */
        return true;
    }
}

int debug_serve(struct conn *c, uint64_t cid, int in, int out)
{
    static struct dbg d;
    static char pkt[PKT_MAX + 1];
    d.c = c;
    d.cid = cid;
    d.in = in;
    d.out = out;
    snprintf(d.cidtext, sizeof d.cidtext, "%llu", (unsigned long long)cid);
    if (request(&d, "attach", NULL, NULL, NULL)) {
        size_t bad;
        long n = ctl_unescape(d.reply, strlen(d.reply), &bad);
        if (n >= 0)
            d.reply[n] = 0;
        fprintf(stderr, "aerie: debug: %s\n", d.reply);
        return 1;
    }
    while (get_packet(&d, pkt) == 0) {
        if (!handle(&d, pkt)) {
            struct pollfd p = { .fd = in, .events = POLLIN };
            if (poll(&p, 1, 2000) > 0)       /* gdb acks the last reply before it lets go */
                get_byte(&d);
            return 0;
        }
    }
    request(&d, "detach", NULL, NULL, NULL);  /* gdb went away: the container runs on */
    return 0;
}
