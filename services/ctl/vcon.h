/*
 * vcon.h — a virtio-console device (virtio 1.1 §5.3) with the multiport
 * feature, driven from user space through lib/virtio, as ctl's control
 * channel: one port (id VCON_PORT, QEMU's `virtserialport,nr=1`) whose
 * bytes go to and come from a Unix socket on the host.
 *
 * Why a multiport serial port and not a console port: QEMU drops bytes a
 * console port (`virtconsole`) cannot write to its socket at once, but
 * holds a serial port's buffer until the socket takes it (it throttles the
 * port instead), so a slow host reader loses nothing. And only ports of a
 * multiport device tell the driver when the host side connects and leaves
 * (PORT_OPEN events), which is when ctl starts a link afresh.
 *
 * The rings in plain sight: control receive/transmit queues (2, 3) with
 * small buffers; the port's receive queue (4) kept full of VCON_RX_BUF
 * buffers, handed to the caller in batches; its transmit queue (5) fed
 * from a pool of VCON_TX_BUF buffers the caller fills. Not thread-safe:
 * ctl's one thread owns the device.
 */
#ifndef AERIE_CTL_VCON_H
#define AERIE_CTL_VCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio_pci.h"
#include "virtq.h"

#define VCON_PORT        1          /* the port ctl drives (qemu.sh: nr=1) */
#define VCON_RX_BUFS     128        /* QEMU's port queues hold 128 entries */
#define VCON_RX_BUF      4096       /* QEMU's socket reads are 4 KiB at most */
#define VCON_TX_BUFS     32
#define VCON_TX_BUF      (64u << 10)
#define VCON_CTL_BUFS    16         /* control messages in flight each way */
#define VCON_CTL_BUF     256        /* a control message with a port name */

/* §5.3.6.2 control events */
enum vcon_event {
    VCON_DEVICE_READY = 0, VCON_DEVICE_ADD = 1, VCON_DEVICE_REMOVE = 2, VCON_PORT_READY = 3,
    VCON_CONSOLE_PORT = 4, VCON_RESIZE = 5, VCON_PORT_OPEN = 6, VCON_PORT_NAME = 7,
};

/* What vcon_poll_control saw (bits). */
#define VCON_HOST_OPENED 0x1        /* the host connected to the port's socket */
#define VCON_HOST_CLOSED 0x2        /* it went away */

struct vcon_stats {
    uint64_t rx_bytes, tx_bytes, rx_bufs, tx_bufs, irqs, control_in, control_bad, tx_full;
};

struct vcon {
    struct virtio_pci pci;
    const struct virtio_platform *plat;
    struct virtq cin, cout, rx, tx;     /* queues 2, 3, 2+2*port, 3+2*port */
    void *qmem[4];
    size_t qsize[4];
    uint8_t *cbuf;                      /* VCON_CTL_BUFS in, then VCON_CTL_BUFS out */
    uint64_t cbuf_phys;
    uint8_t *rxbuf, *txbuf;
    uint64_t rxbuf_phys, txbuf_phys;
    uint16_t tx_free[VCON_TX_BUFS];     /* tx buffers not in the queue */
    unsigned ntx_free;
    uint16_t cout_free[VCON_CTL_BUFS];
    unsigned ncout_free;
    bool msix;
    bool port_added;                    /* the device offered our port and we took it */
    bool host_open;                     /* the host side is connected */
    struct vcon_stats stats;
};

/* Brings the device up (§3.1.1, §5.3.5): MULTIPORT negotiated, control
 * and port queues made, receive buffers posted, DRIVER_OK, DEVICE_READY
 * sent. With msix, every queue uses MSI-X vector 0 with the message given.
 * 0 or AE_ENOTSUP (not a modern virtio console with multiport),
 * AE_ENOMEM, AE_ERANGE, AE_EFAULT, AE_ETIMEOUT. */
int vcon_init(struct vcon *v, const struct virtio_platform *plat, bool msix, uint64_t addr,
              uint32_t data);

/* Handles the control messages that arrived (port added: taken and
 * opened from our side; port opened or closed by the host); returns
 * VCON_HOST_* bits for what changed. */
unsigned vcon_poll_control(struct vcon *v);

/* Passes up to budget received bytes, buffer by buffer, to fn, then puts
 * the buffers back in the queue. Returns the bytes passed. */
size_t vcon_rx(struct vcon *v, void (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx,
               size_t budget);

/* A free transmit buffer of VCON_TX_BUF bytes to fill, or NULL when all
 * are queued (completed ones are reclaimed first). */
uint8_t *vcon_tx_get(struct vcon *v);
/* Queues a buffer from vcon_tx_get with len bytes (len 0 returns it
 * unused); vcon_tx_kick tells the device. */
void vcon_tx_put(struct vcon *v, uint8_t *buf, size_t len);
void vcon_tx_kick(struct vcon *v);
/* Transmit buffers free now (after reclaiming completed ones). */
unsigned vcon_tx_room(struct vcon *v);

/* Interrupts: off while polling, back on before sleeping (true: work
 * arrived meanwhile, poll again; tx_too: also when a transmit buffer
 * completes, for a sender waiting for room); ack on each one (INTx:
 * reads the ISR). */
void vcon_irq_disable(struct vcon *v);
bool vcon_irq_enable(struct vcon *v, bool tx_too);
void vcon_irq_ack(struct vcon *v);

#endif
