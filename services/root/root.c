/*
 * root.c — the boot task. It owns every resource the kernel hands out at
 * boot; it reads the boot image (an archive in boot module 1), starts the
 * services that the boot configuration (boot.conf in the image) names,
 * each with its own quota and exactly the capabilities listed for it, and
 * then watches them: it reports each exit and crash, and restarts the
 * services marked restart=yes.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <aerie/boot.h>
#include <aerie/fault.h>
#include <aerie/errors.h>
#include <aerie/proto/console.h>
#include <aerie/proto/net.h>
#include <aerie/proto/root.h>
#include <aerie/proto/cm.h>
#include <time.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/spawn.h>
#include <libaerie/net.h>
#include "bootconf.h"
#include "img.h"
#include "pci.h"

#define RESTARTS_MAX 3
#define ADMIN_BADGE  CON_ADMIN_BADGE

struct service {
    const struct bc_service *cfg;
    uint64_t quota, task, thread;    /* while running */
    uint64_t serve_ep;               /* the endpoint it receives on, if any */
    uint64_t net_client;             /* its client of the net service (grant net:PORTS), 0: none */
    unsigned restarts;               /* after crashes (at most RESTARTS_MAX) */
    unsigned kills;                  /* debug kills (fault injection; not counted in restarts) */
    unsigned incarnation;            /* 1 for the first start, then one more per start */
    uint64_t keep_quota;             /* grant "keep": a quota that outlives its instances, or 0 */
    struct kept { uint64_t key, slot; } *kept;   /* ROOT_KEEP_*: held for its next instance */
    unsigned nkept, kept_cap;
    bool running;
};

static struct bootconf conf;
static struct service services[BC_MAX_SERVICES];
static struct img image;
static const uint8_t *image_base;
static uint64_t image_mem = AERIE_BOOT_MODULE0 + 1;
static uint64_t fault_ep;
static uint64_t quota_budget;        /* bytes root can give away */

static struct service *by_serve(const char *name, size_t len)
{
    for (unsigned i = 0; i < conf.nservices; i++)
        if (services[i].serve_ep && strlen(conf.services[i].serve) == len &&
            !memcmp(conf.services[i].serve, name, len))
            return &services[i];
    return 0;
}

static uint64_t quota_bytes(const struct bc_service *c)
{
    return c->mem_percent ? quota_budget / 100 * c->mem : c->mem;
}

/* A new slot holding a copy of cap with rights and badge. */
static uint64_t mint(uint64_t cap, uint64_t rights, uint64_t badge)
{
    uint64_t s = ae_slot_alloc();
    if (ae_cap_copy(cap, s, rights, badge) < 0) {
        ae_slot_free(s);
        return 0;
    }
    return s;
}

static bool parse_range(const char *s, uint64_t *a, uint64_t *b)
{
    char *end;
    *a = strtoull(s, &end, 0);
    if (*end != '-' && *end != '+')
        return false;
    char sep = *end;
    *b = strtoull(end + 1, &end, 0);
    if (*end)
        return false;
    if (sep == '+')
        *b = *a + *b;
    return true;
}

static bool parse_gsi(const char *s, uint64_t *gsi)
{
    char *end;
    *gsi = strtoull(s, &end, 10);
    return end != s && !*end;
}

/* Makes the capability a grant names, for service index idx: served
 * endpoints (NAME, NAME.admin, NAME.server), kdebug, image, and device
 * pieces (ioport:LO-HI, devmem:BASE+SIZE). 0 if unknown. pci:... and
 * net:... stand for several capabilities: see grant() below. */
static uint64_t resolve(const char *name, unsigned idx, struct service *sv, uint64_t *rights)
{
    *rights = AERIE_R_ALL;
    size_t n = strlen(name);
    if (!strcmp(name, "kdebug"))
        return mint(AERIE_BOOT_KDEBUG, AERIE_R_ALL, 0);
    if (!strcmp(name, "image"))
        return mint(image_mem, AERIE_R_READ | AERIE_R_EXEC, 0);   /* programs inside are mapped executable */
    if (!strcmp(name, "irqctl"))
        return mint(AERIE_BOOT_IRQ_CONTROL, AERIE_R_ALL, 0);
    uint64_t a, b, s;
    if (!strncmp(name, "ioport:", 7) && parse_range(name + 7, &a, &b) && a <= b && b <= 0xFFFF) {
        s = ae_slot_alloc();
        return ae_invokev(AERIE_BOOT_IOPORT, AERIE_IO_SUBRANGE, sv->quota, a, b, s) < 0 ? 0 : s;
    }
    if (!strncmp(name, "irq:", 4) && parse_gsi(name + 4, &a)) {   /* an ISA line: edge, active high */
        s = ae_slot_alloc();
        return ae_invokev(AERIE_BOOT_IRQ_CONTROL, AERIE_IRQCTL_GET_GSI, sv->quota, a, 0, s) < 0 ? 0 : s;
    }
    if (!strncmp(name, "devmem:", 7) && parse_range(name + 7, &a, &b) && b > a) {
        s = ae_slot_alloc();
        return ae_invokev(AERIE_BOOT_DEVMEM, AERIE_DEVMEM_CREATE, sv->quota, a, b - a, s) < 0 ? 0 : s;
    }
    struct service *srv;
    if (n > 7 && !strcmp(name + n - 7, ".server") && (srv = by_serve(name, n - 7)) && srv == sv)
        return mint(srv->serve_ep, AERIE_R_READ | AERIE_R_WRITE | AERIE_R_GRANT, 0);
    if (!strcmp(name, "keeper"))         /* ROOT_KEEP_*: capabilities held across its restarts */
        return mint(fault_ep, AERIE_R_WRITE | AERIE_R_GRANT, ROOT_KEEP_BADGE | (idx + 1));
    if (!strcmp(name, "keep")) {         /* its memory that outlives its instances (docs/RESTART.md) */
        if (!sv->keep_quota) {
            sv->keep_quota = ae_slot_alloc();
            if (ae_quota_create(AERIE_BOOT_QUOTA, AERIE_OBJ_QUOTA, sv->keep_quota, quota_bytes(sv->cfg),
                                0, sv->cfg->objects) < 0) {
                ae_slot_free(sv->keep_quota);
                sv->keep_quota = 0;
                return 0;
            }
        }
        return mint(sv->keep_quota, AERIE_R_ALL, 0);
    }
    if (!strcmp(name, "root.admin"))     /* ROOT_* requests (aerie/proto/root.h) */
        return mint(fault_ep, AERIE_R_WRITE, PROTO_ADMIN_BADGE | (idx + 1));
    if (n > 6 && !strcmp(name + n - 6, ".admin") && (srv = by_serve(name, n - 6)))
        return mint(srv->serve_ep, AERIE_R_WRITE | AERIE_R_GRANT, ADMIN_BADGE);
    if ((srv = by_serve(name, n)))
        return mint(srv->serve_ep, AERIE_R_WRITE | AERIE_R_GRANT, idx + 1);
    (void)idx;
    return 0;
}

static void name_stream(unsigned idx);

/* What a new service is given: named capabilities (root's copies are
 * deleted once the child has its own) and environment strings. */
#define CHILD_GRANTS (BC_MAX_GRANTS + 16)
#define CHILD_ENV    4

struct child_grants {
    struct ae_grant g[CHILD_GRANTS];
    unsigned n;
    uint64_t minted[CHILD_GRANTS];
    unsigned nminted;
    char names[8][16];               /* names made up here (pci.barN, ...) */
    unsigned nnames;
    char optional[BC_MAX_GRANTS][BC_NAME_MAX];   /* optional grants' names, without their '?' */
    char env[CHILD_ENV][64];
    const char *envp[CHILD_ENV + 1];
    unsigned nenv;
};

static bool give(struct child_grants *cg, const char *name, uint64_t slot, uint64_t rights)
{
    if (!slot || cg->n == CHILD_GRANTS)
        return false;
    cg->minted[cg->nminted++] = slot;
    cg->g[cg->n++] = (struct ae_grant){ name, slot, rights, 0 };
    return true;
}

static const char *made_name(struct child_grants *cg, const char *fmt, unsigned i)
{
    if (cg->nnames == 8)
        return "pci.?";
    snprintf(cg->names[cg->nnames], sizeof cg->names[0], fmt, i);
    return cg->names[cg->nnames++];
}

static void add_env(struct child_grants *cg, const char *fmt, uint64_t a, uint64_t b, uint64_t c)
{
    if (cg->nenv == CHILD_ENV)
        return;
    snprintf(cg->env[cg->nenv], sizeof cg->env[0], fmt, a, b, c);
    cg->envp[cg->nenv] = cg->env[cg->nenv];
    cg->envp[++cg->nenv] = 0;
}

/* Grant "pci:VENDOR:DEVICE" (hex): one PCI function, and only it — its
 * 4 KiB of configuration space ("pci.cfg"), each BAR ("pci.barN": device
 * memory, or I/O ports), and an MSI vector ("pci.irq", with the message
 * to program in PCI_MSI=ADDRESS:DATA). All is made from the service's
 * own quota, so it ends with the service. */
static bool grant_pci(struct child_grants *cg, const char *spec, unsigned idx, struct service *sv)
{
    char *end;
    unsigned long vendor = strtoul(spec, &end, 16), device;
    if (*end != ':' || vendor > 0xffff)
        return false;
    device = strtoul(end + 1, &end, 16);
    if (*end || device > 0xffff)
        return false;
    const struct aerie_bootinfo *bi = ae_start.bootinfo;
    pci_scan(bi->acpi_mcfg_base, bi->acpi_mcfg_bus_end);
    struct pci_func *f = pci_claim((uint16_t)vendor, (uint16_t)device, (int)idx);
    if (!f)
        return false;
    uint64_t s = ae_slot_alloc();
    if (ae_invokev(AERIE_BOOT_DEVMEM, AERIE_DEVMEM_CREATE, sv->quota, f->cfg_phys, 4096, s) < 0 ||
        !give(cg, "pci.cfg", s, AERIE_R_READ | AERIE_R_WRITE))
        return false;
    for (unsigned i = 0; i < PCI_BARS; i++) {
        const struct pci_bar *b = &f->bar[i];
        if (!b->size)
            continue;
        s = ae_slot_alloc();
        uint64_t base = b->base & ~4095ull, bytes = (b->base + b->size - base + 4095) & ~4095ull;
        int64_t r = b->io ? ae_invokev(AERIE_BOOT_IOPORT, AERIE_IO_SUBRANGE, sv->quota, b->base,
                                       b->base + b->size - 1, s)
                          : ae_invokev(AERIE_BOOT_DEVMEM, AERIE_DEVMEM_CREATE, sv->quota, base, bytes, s);
        if (r < 0 || !give(cg, made_name(cg, "pci.bar%u", i), s, AERIE_R_ALL))
            return false;
    }
    uint64_t msi[2];
    s = ae_slot_alloc();
    int cpu = sv->cfg->cpu >= 0 ? sv->cfg->cpu : 0;
    if (ae_invoke(AERIE_BOOT_IRQ_CONTROL, AERIE_IRQCTL_GET_MSI, 3, AE_ARGS(sv->quota, s, (uint64_t)cpu), msi, 2) < 0 ||
        !give(cg, "pci.irq", s, AERIE_R_ALL))
        return false;
    add_env(cg, "PCI_MSI=0x%lx:0x%lx%.0lu", msi[0], msi[1], 0);
    add_env(cg, "PCI_FUNCTION=%02lx:%02lx.%lx", f->bus, f->dev, f->fn);
    return true;
}

/* Grant "net:PORTS" (e.g. net:7, net:7000-7010+9000, net:udp:7+tcp:80+conns:64):
 * root asks the net service, as its admin, for a client that may use
 * those ports and gives the service the capability it returns under the
 * name "net". Items joined by '+': a bare range or udp:RANGE (UDP ports),
 * tcp:RANGE (TCP ports to listen on), out:RANGE (TCP ports to connect
 * to), conns:N (TCP connections; the service's default otherwise). */
static bool parse_net_item(const char *spec, const char **end, struct ae_net_range *r, uint8_t *kind,
                           unsigned long *conns)
{
    static const struct { const char *pre; uint8_t kind; } kinds[] = {
        { "udp:", NET_PORTS_UDP }, { "tcp:", NET_PORTS_TCP }, { "out:", NET_PORTS_TCP_OUT },
    };
    char *e;
    if (!strncmp(spec, "conns:", 6)) {
        *conns = strtoul(spec + 6, &e, 10);
        *end = e;
        return e != spec + 6 && *conns >= 1 && *conns <= NET_CONNS_MAX;
    }
    *kind = NET_PORTS_UDP;
    for (unsigned i = 0; i < 3; i++)
        if (!strncmp(spec, kinds[i].pre, 4)) {
            *kind = kinds[i].kind;
            spec += 4;
        }
    unsigned long lo = strtoul(spec, &e, 10), hi = lo;
    if (*e == '-')
        hi = strtoul(e + 1, &e, 10);
    *end = e;
    *r = (struct ae_net_range){ (uint16_t)lo, (uint16_t)hi };
    return lo != 0 && hi >= lo && hi <= 0xffff;
}

static bool grant_net(struct child_grants *cg, const char *spec, struct service *sv)
{
    struct service *net = by_serve("net", 3);
    if (!net || !net->running)
        return false;
    static uint64_t admin;
    if (!admin)
        admin = mint(net->serve_ep, AERIE_R_WRITE | AERIE_R_GRANT, ADMIN_BADGE);
    struct ae_net_range ranges[NET_MAX_RANGES];
    uint8_t kinds[NET_MAX_RANGES];
    unsigned n = 0;
    unsigned long conns = 0;
    while (*spec) {
        const char *end;
        bool is_conns = !strncmp(spec, "conns:", 6);
        if ((!is_conns && n == NET_MAX_RANGES) ||
            !parse_net_item(spec, &end, &ranges[n], &kinds[n], &conns) || (*end && *end != '+'))
            return false;
        n += !is_conns;
        spec = *end ? end + 1 : end;
    }
    uint64_t cap;
    int r = ae_net_admin_client_add_k(admin, ranges, kinds, n, (unsigned)conns, &sv->net_client, &cap);
    if (r) {
        printf("root: the net service refused a client for %s (error %d)\n", sv->cfg->name, r);
        return false;
    }
    return give(cg, "net", cap, AERIE_R_WRITE | AERIE_R_GRANT);
}

static void net_client_remove(struct service *sv)
{
    struct service *net = by_serve("net", 3);
    if (!sv->net_client || !net || !net->running)
        return;
    uint64_t admin = mint(net->serve_ep, AERIE_R_WRITE, ADMIN_BADGE);
    ae_net_admin_client_remove(admin, sv->net_client);
    ae_cap_delete(admin);
    ae_slot_free(admin);
    sv->net_client = 0;
}

/* The capabilities grant `name` stands for, added to cg. */
static bool grant(struct child_grants *cg, const char *name, unsigned idx, struct service *sv)
{
    if (!strncmp(name, "pci:", 4))
        return grant_pci(cg, name + 4, idx, sv);
    if (!strncmp(name, "net:", 4))
        return grant_net(cg, name + 4, sv);
    if (!strcmp(name, "clone")) {
        /* Not a capability: self.quota keeps AERIE_R_CLONE, so the service
         * (cm) may TASK_CLONE what it runs; quotas it makes from it
         * carry it (the files quotas it hands fs: docs/FORK.md), no
         * container gets it. */
        for (unsigned i = 0; i < cg->n; i++)
            if (!strcmp(cg->g[i].name, AE_GRANT_SELF_QUOTA))
                cg->g[i].rights |= AERIE_R_CLONE;
        return true;
    }
    uint64_t rights, s = resolve(name, idx, sv, &rights);
    return give(cg, name, s, rights);
}

/* Builds grants and starts service idx; reports and returns false on any
 * problem (the service then does not run; the others are unaffected). */
static bool start(unsigned idx)
{
    struct service *sv = &services[idx];
    const struct bc_service *c = sv->cfg;
    int64_t fi = img_lookup(&image, c->program, strlen(c->program));
    struct img_file file;
    if (fi < 0) {
        printf("root: service %s: program '%s' is not in the boot image; not started\n", c->name, c->program);
        return false;
    }
    img_get(&image, (uint32_t)fi, &file);
    sv->quota = ae_slot_alloc();
    int64_t r = ae_quota_create(AERIE_BOOT_QUOTA, AERIE_OBJ_QUOTA, sv->quota, quota_bytes(c), c->threads, c->objects);
    if (r < 0) {
        printf("root: service %s: cannot make its quota (limits %lu bytes, %u threads, %u objects; error %ld); "
               "not started\n", c->name, quota_bytes(c), c->threads, c->objects, r);
        return false;
    }
    static struct child_grants cg;
    memset(&cg, 0, sizeof cg);
    cg.g[cg.n++] = (struct ae_grant){ AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 };
    cg.g[cg.n++] = (struct ae_grant){ AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 };
    cg.g[cg.n++] = (struct ae_grant){ AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 };
    uint64_t fault = mint(fault_ep, AERIE_R_WRITE, idx + 1);
    cg.g[cg.n++] = (struct ae_grant){ "self.fault", fault, AERIE_R_WRITE, 0 };
    sv->incarnation++;
    add_env(&cg, "AERIE_INCARNATION=%lu%.0lu%.0lu", sv->incarnation, 0, 0);
    bool ok = true;
    for (unsigned i = 0; i < c->ngrants && ok; i++) {
        size_t n = strlen(c->grants[i]);
        bool optional = n && c->grants[i][n - 1] == '?';
        const char *name = c->grants[i];      /* the child's names must outlive this loop */
        if (optional) {
            snprintf(cg.optional[i], sizeof cg.optional[i], "%.*s", (int)(n - 1), c->grants[i]);
            name = cg.optional[i];
        }
        if (!grant(&cg, name, idx, sv) && !optional) {
            printf("root: service %s: unknown or unavailable capability '%s'; not started\n", c->name, name);
            ok = false;
        }
    }
    if (ok && sv->serve_ep) {
        char *n = malloc(BC_NAME_MAX + 8);
        snprintf(n, BC_NAME_MAX + 8, "%s.server", c->serve);
        give(&cg, n, mint(sv->serve_ep, AERIE_R_READ | AERIE_R_WRITE | AERIE_R_GRANT, 0), AERIE_R_ALL);
    }
    const char *argv[BC_MAX_ARGS + 2];
    unsigned argc = 0;
    argv[argc++] = c->name;
    for (unsigned i = 0; i < c->nargs; i++)
        argv[argc++] = c->args[i];
    argv[argc] = 0;
    char err[160] = "";
    struct ae_child child = { 0 };
    if (ok) {
        struct ae_spawn_args a = {
            .quota = sv->quota, .image = file.data, .image_len = file.size, .image_mem = image_mem,
            .image_off = file.data_offset, .argv = argv, .envp = cg.nenv ? cg.envp : 0,
            .grants = cg.g, .ngrants = cg.n,
            .fault_ep = fault, .cpu = c->cpu, .prio = c->prio, .stack_bytes = 64 * 1024,
        };
        if (ae_spawn(&a, &child, err, sizeof err)) {
            printf("root: service %s: %s; not started\n", c->name, err);
            ok = false;
        }
    }
    for (unsigned i = 0; i < cg.nminted; i++) {       /* the child has its copies now */
        ae_cap_delete(cg.minted[i]);
        ae_slot_free(cg.minted[i]);
    }
    ae_cap_delete(fault);
    ae_slot_free(fault);
    if (!ok) {
        net_client_remove(sv);
        ae_invoke0(sv->quota, AERIE_QUOTA_DESTROY);
        ae_slot_free(sv->quota);
        return false;
    }
    sv->task = child.task;
    sv->thread = child.thread;
    sv->running = true;
    for (unsigned i = 0; i < c->ngrants; i++)
        if (!strcmp(c->grants[i], "console"))
            name_stream(idx);
    return true;
}

/* Tells the console the name of the stream with badge idx + 1, so the
 * service's lines appear behind its name. */
static void name_stream(unsigned idx)
{
    struct service *con = by_serve("console", 7);
    if (!con || !con->running)
        return;
    static uint64_t admin;
    if (!admin)
        admin = mint(con->serve_ep, AERIE_R_WRITE, ADMIN_BADGE);
    const char *name = conf.services[idx].name;
    size_t len = strlen(name);
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = idx + 1;
    u->mr[1] = len;
    memcpy(&u->mr[2], name, len);
    ae_call(admin, AERIE_INFO(CON_NAME, 2 + (len + 7) / 8, 0), 1000000000ull);
}

static void stop(struct service *sv)
{
    net_client_remove(sv);           /* before its ring memory goes with its quota */
    pci_quiesce((int)(sv - services));   /* its device must not DMA into memory freed next */
    ae_invoke0(sv->quota, AERIE_QUOTA_DESTROY);
    ae_slot_free(sv->quota);
    ae_slot_free(sv->task);
    ae_slot_free(sv->thread);
    sv->running = false;
}

static void describe_fault(const struct service *sv, uint64_t label, const uint64_t *w)
{
    const char *name = sv->cfg->name;
    if (label == AERIE_FAULT_EXIT)
        printf("root: service %s exited with status %lu\n", name, w[0]);
    else if (label == AERIE_FAULT_PAGE)
        printf("root: service %s crashed: page fault at 0x%lx (%s) rip 0x%lx\n", name, w[0],
               w[1] & AERIE_PF_WRITE ? "write" : w[1] & AERIE_PF_FETCH ? "fetch" : "read", w[2]);
    else if (label == AERIE_FAULT_EXCEPTION)
        printf("root: service %s crashed: exception %lu at rip 0x%lx\n", name, w[0], w[2]);
    else if (label == AERIE_FAULT_SYSCALL)
        printf("root: service %s made an unknown system call %lu at rip 0x%lx\n", name, w[0], w[7]);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* After service sv started again: the console learns the names of the
 * services' streams anew, and the container manager (if any) hears of it
 * so it can re-attach what it gave its containers through the service
 * (CM_SERVICE_RESTARTED: console streams). The call has a bound: a busy
 * or stuck manager cannot stop root from watching. */
static void restarted(struct service *sv)
{
    const char *name = sv->cfg->name;
    if (sv->cfg->serve[0] && !strcmp(sv->cfg->serve, "console"))
        for (unsigned i = 0; i < conf.nservices; i++)
            if (services[i].running)
                for (unsigned g = 0; g < conf.services[i].ngrants; g++)
                    if (!strcmp(conf.services[i].grants[g], "console"))
                        name_stream(i);
    struct service *cmsv = by_serve("cm", 2);
    if (!cmsv || !cmsv->running || cmsv == sv || !sv->cfg->serve[0])
        return;
    static uint64_t cm_admin;
    if (!cm_admin)
        cm_admin = mint(cmsv->serve_ep, AERIE_R_WRITE, ADMIN_BADGE);
    const char *serve = sv->cfg->serve;
    size_t len = strlen(serve);
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = len;
    memcpy(&u->mr[1], serve, len);
    int64_t r = ae_call(cm_admin, AERIE_INFO(CM_SERVICE_RESTARTED, 1 + (len + 7) / 8, 0), 5000000000ull);
    if (r < 0 || AERIE_INFO_LABEL((uint64_t)r))
        printf("root: the container manager did not take the restart of %s (%ld)\n", name,
               r < 0 ? r : -(int64_t)AERIE_INFO_LABEL((uint64_t)r));
}

/* ---- the keeper (ROOT_KEEP_*) ---- */

static struct kept *kept_find(struct service *sv, uint64_t key)
{
    for (unsigned i = 0; i < sv->nkept; i++)
        if (sv->kept[i].key == key)
            return &sv->kept[i];
    return 0;
}

static void kept_drop(struct service *sv, struct kept *k)
{
    ae_cap_delete(k->slot);
    ae_slot_free(k->slot);
    *k = sv->kept[--sv->nkept];
}

/* What a service kept, and its keep quota: gone once it will not come back. */
static void keep_clear(struct service *sv)
{
    while (sv->nkept)
        kept_drop(sv, &sv->kept[0]);
    if (sv->keep_quota) {
        ae_invoke0(sv->keep_quota, AERIE_QUOTA_DESTROY);
        ae_slot_free(sv->keep_quota);
        sv->keep_quota = 0;
    }
}

/* One ROOT_KEEP_* request; *cap is the capability that came with it (root
 * takes it: set to 0), or 0. Returns the status; replies itself. */
static void keeper(struct service *sv, uint64_t label, const uint64_t *w, unsigned nwords, uint64_t *cap)
{
    struct aerie_utcb *u = ae_utcb();
    int status = 0;
    struct kept *k;
    if (nwords < 1) {
        status = AE_EPROTO;
    } else if (label == ROOT_KEEP_PUT) {
        if (!*cap) {
            status = AE_EINVAL;
        } else if ((k = kept_find(sv, w[0]))) {
            ae_cap_delete(k->slot);
            ae_slot_free(k->slot);
            k->slot = *cap;
            *cap = 0;
        } else if (sv->nkept == ROOT_KEEP_MAX) {
            status = AE_ELIMIT;
        } else {
            if (sv->nkept == sv->kept_cap) {
                unsigned n = sv->kept_cap ? sv->kept_cap * 2 : 64;
                struct kept *m = realloc(sv->kept, n * sizeof *m);
                if (!m) {
                    ae_reply(AERIE_INFO(proto_label_of(AE_ENOMEM), 0, 0));
                    return;
                }
                sv->kept = m;
                sv->kept_cap = n;
            }
            sv->kept[sv->nkept++] = (struct kept){ w[0], *cap };
            *cap = 0;
        }
    } else if (label == ROOT_KEEP_NEXT) {
        struct kept *best;
        uint64_t badge;
        for (;;) {
            best = 0;
            for (unsigned i = 0; i < sv->nkept; i++)
                if (sv->kept[i].key > w[0] && (!best || sv->kept[i].key < best->key))
                    best = &sv->kept[i];
            /* An object destroyed meanwhile took our capability with it
             * (a client's memory the service kept a handle on): skip it,
             * or the reply would fail and end the service's recovery. */
            if (!best || ae_cap_info(best->slot, &badge) >= 0)
                break;
            kept_drop(sv, best);
        }
        if (best) {
            u->mr[0] = best->key;
            u->caps[0] = (uint32_t)best->slot;
            ae_reply(AERIE_INFO(0, 1, 1));
            return;
        }
        status = AE_ENOENT;
    } else if (label == ROOT_KEEP_DROP) {
        if ((k = kept_find(sv, w[0])))
            kept_drop(sv, k);
        else
            status = AE_ENOENT;
    } else {
        status = AE_ENOSYS;
    }
    ae_reply(AERIE_INFO(proto_label_of(status), 0, 0));
}

/* ROOT_DEBUG_KILL_SERVICE from a holder of "root.admin" (the container
 * manager): the service dies as a crash would end it, and starts again at
 * once. Replies before telling the manager, which may be the caller. */
static void debug_kill(const uint64_t *w, unsigned nwords, uint64_t caller)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t len = nwords ? w[0] : ~0ull;
    char name[ROOT_NAME_MAX + 1];
    int status = 0;
    struct service *sv = 0;
    if (len == 0 || len > ROOT_NAME_MAX || len > (uint64_t)(nwords - 1) * 8) {
        status = AE_EINVAL;
    } else {
        memcpy(name, &w[1], len);
        name[len] = 0;
        for (unsigned i = 0; i < conf.nservices; i++)
            if (!strcmp(conf.services[i].name, name) && services[i].running)
                sv = &services[i];
        if (!sv)
            status = AE_ENOENT;
        else if (!sv->cfg->restart || (uint64_t)(sv - services) + 1 == caller)
            status = AE_EPERM;           /* it would not come back (or the caller would kill itself) */
    }
    if (status) {
        ae_reply(AERIE_INFO(proto_label_of(status), 0, 0));
        return;
    }
    uint64_t t0 = now_ns();
    printf("root: debug-kill-service %s\n", name);
    stop(sv);
    sv->kills++;
    bool ok = start((unsigned)(sv - services));
    uint64_t t1 = now_ns();
    u->mr[0] = t1 - t0;
    u->mr[1] = sv->kills;
    ae_reply(AERIE_INFO(ok ? 0 : proto_label_of(AE_EAGAIN), 2, 0));
    if (ok)
        restarted(sv);
}

/* Serves fault messages from the services, and root.admin requests,
 * forever. */
static _Noreturn void watch(void)
{
    uint64_t spare = 0;                  /* the receive window: a capability kept (ROOT_KEEP_PUT) */
    for (;;) {
        uint64_t badge;
        if (!spare)
            spare = ae_slot_alloc();
        ae_utcb()->recv_slots[0] = (uint32_t)spare;
        int64_t r = ae_recv(fault_ep, AERIE_TIMEOUT_FOREVER, &badge);
        ae_utcb()->recv_slots[0] = 0;
        if (r < 0)
            continue;
        uint64_t cap = AERIE_INFO_NCAPS((uint64_t)r) ? spare : 0;
        if (cap)
            spare = 0;
        if (cap && !(badge & ROOT_KEEP_BADGE) && !(badge & PROTO_ADMIN_BADGE)) {
            ae_cap_delete(cap);          /* only the keeper takes capabilities */
            ae_slot_free(cap);
            cap = 0;
        }
        uint64_t label = AERIE_INFO_LABEL((uint64_t)r), w[64];
        bool kernel = AERIE_INFO_FLAGS((uint64_t)r) & AERIE_INFO_KERNEL;
        unsigned nwords = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
        memcpy(w, ae_utcb()->mr, sizeof w);
        if (badge & ROOT_KEEP_BADGE) {
            uint64_t who = badge & ~ROOT_KEEP_BADGE;
            if (!kernel && who && who <= conf.nservices)
                keeper(&services[who - 1], label, w, nwords, &cap);
            if (cap) {
                ae_cap_delete(cap);
                ae_slot_free(cap);
            }
            continue;
        }
        if (cap) {
            ae_cap_delete(cap);
            ae_slot_free(cap);
        }
        if (badge & PROTO_ADMIN_BADGE) {
            uint64_t caller = badge & ~PROTO_ADMIN_BADGE;
            if (kernel || caller == 0 || caller > conf.nservices)
                continue;                /* root.admin carries requests only */
            if (label == ROOT_DEBUG_KILL_SERVICE)
                debug_kill(w, nwords, caller);
            else
                ae_reply(AERIE_INFO(proto_label_of(AE_ENOSYS), 0, 0));
            continue;
        }
        if (badge == 0 || badge > conf.nservices)
            continue;
        struct service *sv = &services[badge - 1];
        if (!sv->running)
            continue;
        describe_fault(sv, label, w);
        stop(sv);
        bool crashed = label != AERIE_FAULT_EXIT || w[0] != 0;
        if (sv->cfg->restart && crashed && sv->restarts < RESTARTS_MAX) {
            sv->restarts++;
            printf("root: restarting %s (%u of %u)\n", sv->cfg->name, sv->restarts, RESTARTS_MAX);
            if (start((unsigned)(badge - 1)))
                restarted(sv);
            else
                keep_clear(sv);
        } else {
            keep_clear(sv);              /* it will not come back: what it kept goes */
        }
    }
}

static bool open_boot_image(void)
{
    const struct aerie_bootinfo *bi = ae_start.bootinfo;
    if (bi->nmodules < 2) {
        printf("root: no boot image (the second boot module): nothing to start\n");
        return false;
    }
    uint64_t bytes = (bi->modules[1].bytes + 4095) & ~4095ull;
    uint64_t va = ae_vm_reserve(bytes);
    if (!va || ae_task_map(AERIE_BOOT_TASK, image_mem, 0, va, bytes, AERIE_MAP_R) < 0) {
        printf("root: cannot map the boot image\n");
        return false;
    }
    image_base = (const uint8_t *)va;
    struct img_error e;
    if (img_open(&image, image_base, bi->modules[1].bytes, &e)) {
        printf("root: the boot image is not valid: entry %ld, %s: %s\n", e.entry, e.field, e.reason);
        return false;
    }
    return true;
}

static bool read_config(void)
{
    int64_t i = img_lookup(&image, "boot.conf", 9);
    if (i < 0) {
        printf("root: the boot image has no boot.conf: nothing to start\n");
        return false;
    }
    struct img_file f;
    img_get(&image, (uint32_t)i, &f);
    static char err[2048];
    int bad = bootconf_parse((const char *)f.data, f.size, &conf, err, sizeof err);
    if (bad)
        printf("root: %d line(s) of boot.conf are wrong and were skipped:\n%s\n", bad, err);
    return true;
}

int main(void)
{
    uint64_t info[6];
    ae_quota_info(AERIE_BOOT_QUOTA, info);
    quota_budget = info[0] - info[1];
    printf("root: %lu MiB to hand out\n", quota_budget >> 20);
    fault_ep = ae_slot_alloc();
    ae_quota_create(AERIE_BOOT_QUOTA, AERIE_OBJ_ENDPOINT, fault_ep, 0, 0, 0);
    if (open_boot_image() && read_config()) {
        for (unsigned i = 0; i < conf.nservices; i++) {
            services[i].cfg = &conf.services[i];
            if (conf.services[i].serve[0]) {
                services[i].serve_ep = ae_slot_alloc();
                ae_quota_create(AERIE_BOOT_QUOTA, AERIE_OBJ_ENDPOINT, services[i].serve_ep, 0, 0, 0);
            }
        }
        unsigned started = 0;
        for (unsigned i = 0; i < conf.nservices; i++)
            started += start(i);
        printf("root: started %u of %u services\n", started, conf.nservices);
    }
    watch();
}
