/*
 * main.c — the control service's start and its one loop: bring up the
 * virtio-console device root granted ("pci:1af4:1043"), then forever:
 * take the device's control events and received bytes, let every session
 * work through its input, give streams and transfers a turn, send what
 * is ready, and sleep on the device's interrupt (or a short timeout while
 * streams run) when nothing is left to do. It holds the console device,
 * "cm.admin", and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <aerie/errors.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ctl.h"

#define IRQ_BIT        0x1
#define STREAM_POLL_NS 10000000ull           /* 10 ms between polls of running streams */
#define INPUT_POLL_NS  2000000ull            /* 2 ms while input waits for a container's ring to drain */
#define LINK_POLL_NS   500000000ull          /* while the link is not up: look again */
#define NOIRQ_POLL_NS  1000000ull            /* without an interrupt: look every millisecond */
#define RX_BUDGET      (512u << 10)          /* bytes taken before sessions get a turn */

static struct ctl ctl;

/* The device's MSI-X interrupt, bound to a notification; false: poll. */
static bool bind_irq(struct ctl *c, uint64_t *addr, uint32_t *data)
{
    const char *msi = getenv("PCI_MSI");
    uint64_t irq = ae_capenv_lookup("pci.irq"), n = ae_slot_alloc();
    if (!msi || !irq || ae_quota_create(ae_self.quota, AERIE_OBJ_NOTIFICATION, n, 0, 0, 0) < 0 ||
        ae_invokev(irq, AERIE_IRQ_BIND, n, IRQ_BIT) < 0) {
        ae_slot_free(n);
        return false;
    }
    char *end;
    *addr = strtoull(msi, &end, 0);
    *data = (uint32_t)strtoul(*end == ':' ? end + 1 : end, NULL, 0);
    c->ntfn = n;
    c->irq = irq;
    return true;
}

/* Sessions whose output could not grow (out of memory) end here. */
static void reap_broken(struct ctl *c)
{
    for (unsigned i = 0; i < FRAME_CHANNELS; i++) {
        struct ctl_session *s = &c->sessions[i];
        if (s->open && s->out_broken) {
            session_close(s);
            link_control(c, FRAME_CLOSE, (uint16_t)i, 0);
        }
    }
}

/* One round; returns true if there is more to do at once. */
static bool round_once(struct ctl *c, bool *starved)
{
    link_events(c, vcon_poll_control(&c->dev));
    size_t got = vcon_rx(&c->dev, link_input, c, RX_BUDGET);
    bool more = got >= RX_BUDGET;
    for (unsigned i = 0; i < FRAME_CHANNELS; i++)
        if (c->sessions[i].open)
            more |= session_work(&c->sessions[i]);
    more |= xfer_poll(c);
    stream_poll(c);
    reap_broken(c);
    *starved = link_flush(c);
    return more;
}

static uint64_t wait_time(const struct ctl *c)
{
    if (input_waiting(c))
        return INPUT_POLL_NS;
    if (stream_count(c))
        return STREAM_POLL_NS;
    if (c->link.host && !c->link.up)
        return LINK_POLL_NS;
    return c->ntfn ? AERIE_TIMEOUT_FOREVER : NOIRQ_POLL_NS;
}

static _Noreturn void serve(struct ctl *c)
{
    vcon_irq_disable(&c->dev);
    for (;;) {
        bool starved;
        if (round_once(c, &starved))
            continue;
        uint64_t timeout = wait_time(c), bits = 0;
        if (!c->ntfn) {
            ae_sleep_ns(timeout);
            continue;
        }
        if (vcon_irq_enable(&c->dev, starved)) {
            vcon_irq_disable(&c->dev);
            continue;                        /* work arrived meanwhile */
        }
        ae_recv(c->ntfn, timeout, &bits);
        if (bits & IRQ_BIT) {
            vcon_irq_ack(&c->dev);
            ae_invoke0(c->irq, AERIE_IRQ_ACK);
        }
        vcon_irq_disable(&c->dev);
    }
}

int main(void)
{
    ctl.cm = ae_capenv_lookup("cm.admin");
    if (!ctl.cm) {
        printf("ctl: needs grant=cm.admin,pci:1af4:1043\n");
        return 1;
    }
    int r = virtio_grant_init(&ctl.grant, &ctl.plat);
    if (r) {
        printf("ctl: no virtio console (error %d): no control channel (make run adds one)\n", r);
        return 0;                            /* not a failure: this machine has no channel */
    }
    uint64_t addr = 0;
    uint32_t data = 0;
    bool msix = bind_irq(&ctl, &addr, &data);
    r = vcon_init(&ctl.dev, &ctl.plat, msix, addr, data);
    if (r && msix) {
        ctl.ntfn = 0;                        /* no MSI-X after all: poll */
        r = vcon_init(&ctl.dev, &ctl.plat, false, 0, 0);
    }
    if (r) {
        printf("ctl: the virtio console did not come up (error %d)\n", r);
        return 1;
    }
    frame_reader_init(&ctl.link.rd);
    /* A ctl before us (root restarts a crashed one) took its sessions
     * with it: the CLIs that fed containers' input are gone, so their
     * input ends, as when a CLI leaves (input.c, input_drop). */
    int64_t orphans = ae_cm_input_orphans(ctl.cm);
    if (orphans > 0)
        printf("ctl: a previous ctl's clients fed %ld containers' input: it ended\n", orphans);
    printf("ctl: ready on virtio-console %s (%s)\n", getenv("PCI_FUNCTION") ? getenv("PCI_FUNCTION") : "?",
           ctl.ntfn ? "MSI-X" : "polled");
    serve(&ctl);
}
