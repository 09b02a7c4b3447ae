/*
 * main.c — the control service's start and its one loop: wait for the
 * serial port's interrupt (or a short timeout while streams run), read
 * what arrived, handle each whole line, then poll the streams. It holds
 * COM2's eight I/O ports, COM2's IRQ line and "cm" — nothing else.
 */
#include <stdio.h>
#include <aerie/errors.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ctl.h"

#define COM2_BASE      0x2F8
#define GRANT_PORTS    "ioport:0x2f8-0x2ff"  /* names as in boot.conf */
#define GRANT_IRQ      "irq:3"
#define IRQ_BIT        0x1
#define STREAM_POLL_NS 10000000ull           /* 10 ms between polls of running streams */
#define IDLE_POLL_NS   1000000000ull         /* a look at the UART now and then, in case */
#define NOIRQ_POLL_NS  10000000ull           /* without an IRQ grant: poll every 10 ms */
#define READ_BUDGET    512                   /* bytes handled before streams get a turn */

static struct ctl ctl;

/* A notification the IRQ signals; 0 (poll instead) if there is no IRQ. */
static uint64_t bind_irq(uint64_t irq)
{
    uint64_t n = ae_slot_alloc();
    if (!irq || ae_quota_create(ae_self.quota, AERIE_OBJ_NOTIFICATION, n, 0, 0, 0) < 0 ||
        ae_invokev(irq, AERIE_IRQ_BIND, n, IRQ_BIT) < 0) {
        ae_slot_free(n);
        return 0;
    }
    ae_invoke0(irq, AERIE_IRQ_ACK);
    return n;
}

/* Handles up to READ_BUDGET received bytes; true if more may be waiting. */
static bool read_input(struct ctl *c)
{
    char buf[64];
    size_t total = 0, n;
    while (total < READ_BUDGET && (n = uart_read(&c->uart, buf, sizeof buf)) > 0) {
        total += n;
        for (size_t i = 0; i < n; i++) {
            const char *line;
            size_t len;
            enum ctl_feed ev = ctl_lines_feed(&c->lines, buf[i], &line, &len);
            if (ev == CTL_LINE && len > 0) {
                ctl_handle(c, line, len);
            } else if (ev == CTL_OVERLONG) {
                char id[CTL_ID_MAX + 1];
                ctl_line_id(line, len, id);
                reply_err(c, id, "line longer than %d bytes: refused", CTL_LINE_MAX);
            }
        }
    }
    return total >= READ_BUDGET;
}

static uint64_t wait_time(const struct ctl *c, uint64_t ntfn, bool more)
{
    if (more)
        return AERIE_TIMEOUT_POLL;
    if (stream_count(c))
        return STREAM_POLL_NS;
    return ntfn ? IDLE_POLL_NS : NOIRQ_POLL_NS;
}

static _Noreturn void serve(struct ctl *c, uint64_t irq, uint64_t ntfn)
{
    bool more = false;
    for (;;) {
        uint64_t bits = 0;
        uint64_t timeout = wait_time(c, ntfn, more);
        if (ntfn)
            ae_recv(ntfn, timeout, &bits);
        else if (timeout)
            ae_sleep_ns(timeout);
        if (bits & IRQ_BIT)
            ae_invoke0(irq, AERIE_IRQ_ACK);  /* before reading: a byte after the read raises it again */
        more = read_input(c);
        stream_poll(c);
    }
}

int main(void)
{
    uint64_t ports = ae_capenv_lookup(GRANT_PORTS), irq = ae_capenv_lookup(GRANT_IRQ);
    ctl.cm = ae_capenv_lookup("cm");
    if (!ports || !ctl.cm) {
        printf("ctl: needs grant=%s,cm (and %s for interrupts)\n", GRANT_PORTS, GRANT_IRQ);
        return 1;
    }
    if (!uart_init(&ctl.uart, ports, COM2_BASE)) {
        printf("ctl: no UART at COM2 (0x%x): no control channel (make run adds one)\n", COM2_BASE);
        return 0;                            /* not a failure: this machine has no channel */
    }
    uint64_t ntfn = bind_irq(irq);
    printf("ctl: ready on COM2 (%s)\n", ntfn ? "IRQ 3" : "polled: no IRQ grant");
    serve(&ctl, irq, ntfn);
}
