/*
 * test_virtio.c — host tests for the virtio-net driver (services/net/
 * virtio/) against the fake device of fake_virtio.c: bring-up and feature
 * negotiation, capability checks, the receive and transmit batches, one
 * notify per batch, interrupt suppression by flags and by EVENT_IDX
 * (kicks only when the device asks, a transmit interrupt per half queue,
 * the receive queue reposted by halves), MSI-X, a misbehaving device,
 * teardown, and the driver under the stack answering a ping.
 */
#include <stdlib.h>
#include <string.h>
#include "fake_virtio.h"
#include "vnet.h"
#include "netfake.h"
#include "ktest_host.h"

static struct fake_vdev *v;
static struct virtio_platform plat;
static struct vnet *d;

static void setup_device(void)
{
    if (v)
        fake_vdev_free(v);
    free(d);
    v = fake_vdev_new();
    plat = fake_vdev_platform(v);
    d = calloc(1, sizeof *d);
}

static int bring_up(const struct vnet_config *cfg)
{
    struct vnet_config def = { 0 };
    return vnet_init(d, &plat, cfg ? cfg : &def);
}

static bool status_seen_in_order(const uint8_t *want, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < v->nstatus && k < n; i++)
        if (v->status_log[i] == want[k])
            k++;
    return k == n;
}

#define F_EVENT_IDX (1ull << FV_F_EVENT_IDX)

static void virtio_init_negotiates_version1_mac_event_idx(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    CHECK_EQ(v->driver_features, 1ull << 32 | 1u << 5 | F_EVENT_IDX);   /* nothing else offered is taken */
    CHECK(d->event_idx && d->rx.event_idx && d->tx.event_idx);
    static const uint8_t seq[] = { 0, 1, 3, 11, 15 };     /* §3.1.1 */
    CHECK(status_seen_in_order(seq, sizeof seq));
    CHECK_EQ(v->status, 15);
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    CHECK(!memcmp(d->mac, mac, 6));
    CHECK_EQ(v->cfg[0x04] & 6, 6);                         /* memory space + bus master */
    CHECK_EQ(v->q[0].enable, 1);
    CHECK_EQ(v->q[1].enable, 1);
    CHECK_EQ(fake_vdev_avail_idx(v, 0), 256);              /* every RX buffer posted */
    CHECK_EQ(v->notifies[0], 1);
    CHECK_EQ(v->notify_before_ok, 0);
    CHECK_EQ(v->bad_access, 0);
    struct virtq_desc *desc = (struct virtq_desc *)(uintptr_t)v->q[0].desc;
    CHECK_EQ(desc[0].flags, VIRTQ_DESC_F_WRITE);
    CHECK(desc[0].len >= 1526);                            /* §5.1.6.3.1 */
    vnet_shutdown(d);
    CHECK_EQ(v->dma_allocs, v->dma_frees);
    CHECK_EQ(v->status, 0);
}

static void virtio_init_refuses_device_without_version1(void)
{
    setup_device();
    v->offered &= ~(1ull << 32);
    CHECK_EQ(bring_up(NULL), AE_ENOTSUP);
    CHECK(v->status & 128);                                /* FAILED */
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

static void virtio_init_fails_cleanly_when_features_refused(void)
{
    setup_device();
    v->refuse_features = true;
    CHECK_EQ(bring_up(NULL), AE_ENOTSUP);
    CHECK(v->status & 128);
    CHECK(!(v->status & 4));
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

static void virtio_structure_outside_bar_rejected(void)
{
    setup_device();
    v->cfg[0x50 + 12] = 0x00;                              /* common cfg length 64 KiB */
    v->cfg[0x50 + 14] = 0x01;
    CHECK_EQ(bring_up(NULL), AE_ERANGE);
    setup_device();
    v->cfg[0x60 + 8] = 0xf0;                               /* notify at 0x3ff0 + 0x1000 */
    v->cfg[0x60 + 9] = 0x3f;
    CHECK_EQ(bring_up(NULL), AE_ERANGE);
}

static void virtio_capability_loop_terminates(void)
{
    setup_device();
    v->cfg[0x41] = 0x40;                                   /* MSI-X points at itself */
    CHECK_EQ(bring_up(NULL), AE_ENOTSUP);                  /* and the virtio caps are lost */
    setup_device();
    v->cfg[0x88 + 1] = 0x50;                               /* the last loops to the first */
    CHECK_EQ(bring_up(NULL), 0);                           /* first of each type wins */
    vnet_shutdown(d);
}

static void virtio_wrong_vendor_or_device_refused(void)
{
    setup_device();
    v->cfg[0] = 0x86;
    v->cfg[1] = 0x80;
    CHECK_EQ(bring_up(NULL), AE_ENOTSUP);
    CHECK_EQ(v->dma_allocs, 0);
    setup_device();
    v->cfg[2] = 0x42;                                      /* virtio, but a block device */
    CHECK_EQ(bring_up(NULL), AE_ENOTSUP);
    CHECK_EQ(v->dma_allocs, 0);
    CHECK_EQ(v->nstatus, 0);                               /* never touched */
    CHECK_EQ(v->cfg[0x04], 0);                             /* not even bus mastering */
}

static void virtio_no_mac_uses_fallback(void)
{
    setup_device();
    v->offered &= ~(1ull << 5);
    struct vnet_config cfg = { .fallback_mac = { 0x02, 0, 0, 0, 0, 7 } };
    CHECK_EQ(bring_up(&cfg), 0);
    CHECK_EQ(d->mac[0], 0x02);
    CHECK_EQ(d->mac[5], 7);
    CHECK_EQ(v->driver_features, 1ull << 32 | F_EVENT_IDX);
    vnet_shutdown(d);
    setup_device();
    v->offered &= ~(1ull << 5);
    CHECK_EQ(bring_up(NULL), AE_EINVAL);                   /* no MAC at all */
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

static void virtio_queue_size_fits_device(void)
{
    setup_device();
    v->q[0].max = 64;
    v->q[1].max = 100;                                     /* not a power of two */
    CHECK_EQ(bring_up(NULL), 0);
    CHECK_EQ(d->rx.size, 64);
    CHECK_EQ(d->tx.size, 64);
    CHECK_EQ(v->q[0].size, 64);
    CHECK_EQ(fake_vdev_avail_idx(v, 0), 64);
    CHECK_EQ(v->bad_access, 0);
    vnet_shutdown(d);
}

static void virtio_tx_batch_one_notify(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    uint8_t frames[10][100];
    struct net_frame f[10];
    for (int i = 0; i < 10; i++) {
        memset(frames[i], i + 1, sizeof frames[i]);
        f[i].data = frames[i];
        f[i].len = (uint16_t)(60 + i);
    }
    CHECK_EQ(vnet_tx_batch(d, f, 10), 10);
    CHECK_EQ(v->notifies[1], 1);
    CHECK_EQ(v->ntx, 10);
    for (unsigned i = 0; i < v->ntx; i++) {
        static const uint8_t zero[12];
        CHECK(!memcmp(v->txhdr[i], zero, 12));             /* no offloads requested */
        CHECK_EQ(v->txlen[i], 60 + i);
        CHECK(!memcmp(v->tx[i], frames[i], 60 + i));
    }
    CHECK_EQ(d->stats.tx_frames, 10);
    CHECK_EQ(v->errors + v->bad_access, 0);
    vnet_shutdown(d);
}

/* A device without EVENT_IDX, or a driver told not to take it: the
 * flags do the suppressing, as before the feature. */
static void virtio_event_idx_not_offered_or_refused(void)
{
    setup_device();
    v->offered &= ~F_EVENT_IDX;
    CHECK_EQ(bring_up(NULL), 0);
    CHECK_EQ(v->driver_features, 1ull << 32 | 1u << 5);
    CHECK(!d->event_idx && !d->rx.event_idx && !d->tx.event_idx);
    struct virtq_avail *tx_avail = (struct virtq_avail *)(uintptr_t)v->q[1].driver;
    CHECK_EQ(tx_avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);  /* completions reaped lazily */
    vnet_shutdown(d);
    setup_device();
    struct vnet_config cfg = { .no_event_idx = true };
    CHECK_EQ(bring_up(&cfg), 0);
    CHECK_EQ(v->driver_features, 1ull << 32 | 1u << 5);
    CHECK(!d->event_idx);
    vnet_shutdown(d);
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

static void virtio_tx_no_notify_when_device_says_so(void)
{
    setup_device();
    v->offered &= ~F_EVENT_IDX;                            /* the flag's way */
    CHECK_EQ(bring_up(NULL), 0);
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)v->q[1].device;
    used->flags = VIRTQ_USED_F_NO_NOTIFY;
    uint8_t frame[60] = { 1 };
    struct net_frame f = { frame, 60 };
    CHECK_EQ(vnet_tx_batch(d, &f, 1), 1);
    CHECK_EQ(v->notifies[1], 0);
    fake_vdev_process_tx(v);                               /* a polling device finds it */
    CHECK_EQ(v->ntx, 1);
    vnet_shutdown(d);
    setup_device();                                        /* with EVENT_IDX the flag means nothing */
    CHECK_EQ(bring_up(NULL), 0);
    used = (struct virtq_used *)(uintptr_t)v->q[1].device;
    used->flags = VIRTQ_USED_F_NO_NOTIFY;
    CHECK_EQ(vnet_tx_batch(d, &f, 1), 1);
    CHECK_EQ(v->notifies[1], 1);
    vnet_shutdown(d);
}

/* With EVENT_IDX the driver kicks only when its new buffers pass the
 * avail_event the device wrote: a device still busy with the first batch
 * (it wrote nothing since) hears of the second and third without a kick. */
static void virtio_event_idx_kicks_only_when_asked(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    v->tx_hold = true;
    uint8_t frame[60] = { 1 };
    struct net_frame f[4] = { { frame, 60 }, { frame, 60 }, { frame, 60 }, { frame, 60 } };
    CHECK_EQ(vnet_tx_batch(d, f, 4), 4);                   /* avail_event 0: passed */
    CHECK_EQ(v->notifies[1], 1);
    CHECK_EQ(vnet_tx_batch(d, f, 4), 4);
    CHECK_EQ(vnet_tx_batch(d, f, 1), 1);
    CHECK_EQ(v->notifies[1], 1);                           /* not asked again */
    fake_vdev_process_tx(v);                               /* asks for a kick at index 9 */
    CHECK_EQ(v->ntx, 9);
    CHECK_EQ(vnet_tx_batch(d, f, 2), 2);
    CHECK_EQ(v->notifies[1], 2);
    CHECK_EQ(vnet_tx_batch(d, f, 2), 2);
    CHECK_EQ(v->notifies[1], 2);
    CHECK_EQ(d->stats.notifies, 1 + 2);                    /* the same, and the RX one at bring-up */
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)v->q[1].device;
    uint16_t *avail_event = (uint16_t *)(void *)&used->ring[v->q[1].size];
    *avail_event = 12;                                     /* "tell me when entry 12 is there" */
    CHECK_EQ(vnet_tx_batch(d, f, 1), 1);                   /* index 13 -> 14: past it, silently */
    CHECK_EQ(v->notifies[1], 2);
    *avail_event = 14;
    CHECK_EQ(vnet_tx_batch(d, f, 1), 1);                   /* writes entry 14 */
    CHECK_EQ(v->notifies[1], 3);
    CHECK_EQ(v->errors + v->bad_access, 0);
    vnet_shutdown(d);
}

/* A full transmit queue asks for its interrupt when the device has sent
 * half of it, not at its first completion, and no more after that until
 * asked again; a device already past that point means "poll, do not
 * sleep". Without EVENT_IDX the first completion interrupts. */
static void virtio_event_idx_tx_irq_at_half_queue(void)
{
    for (int ev = 1; ev >= 0; ev--) {
        setup_device();
        v->q[1].max = 16;
        if (!ev)
            v->offered &= ~F_EVENT_IDX;
        CHECK_EQ(bring_up(NULL), 0);
        v->tx_hold = true;
        uint8_t frame[60] = { 0 };
        struct net_frame f[16];
        for (int i = 0; i < 16; i++)
            f[i] = (struct net_frame){ frame, 60 };
        CHECK_EQ(vnet_tx_batch(d, f, 16), 16);
        CHECK_EQ(fake_vdev_process_tx_n(v, 3), 3);         /* interrupts off: nothing */
        CHECK_EQ(v->irqs, 0);
        CHECK_EQ(vnet_tx_batch(d, f, 3), 3);               /* the 3 reclaimed, refilled */
        CHECK_EQ(vnet_tx_room(d), 0);
        CHECK(!vnet_irq_enable(d));
        CHECK_EQ(d->stats.tx_irq_armed, 1);
        if (ev) {
            CHECK_EQ(fake_vdev_process_tx_n(v, 7), 7);
            CHECK_EQ(v->irqs, 0);
            CHECK_EQ(fake_vdev_process_tx_n(v, 1), 1);     /* the 8th of 16 */
            CHECK_EQ(v->irqs, 1);
            CHECK_EQ(fake_vdev_process_tx_n(v, 8), 8);
            CHECK_EQ(v->irqs, 1);                          /* once */
        } else {
            CHECK_EQ(fake_vdev_process_tx_n(v, 1), 1);
            CHECK_EQ(v->irqs, 1);
            CHECK_EQ(fake_vdev_process_tx_n(v, 1), 1);
            CHECK_EQ(v->irqs, 2);                          /* until the driver turns it off */
            vnet_irq_disable(d);
            CHECK_EQ(fake_vdev_process_tx_n(v, 14), 14);
            CHECK_EQ(v->irqs, 2);
        }
        CHECK_EQ(vnet_tx_room(d), 16);
        CHECK_EQ(vnet_tx_batch(d, f, 16), 16);
        CHECK_EQ(fake_vdev_process_tx_n(v, 8), 8);         /* sent, not yet reclaimed */
        CHECK(virtq_enable_irq_after(&d->tx, 8));          /* already there: poll, do not sleep */
        CHECK_EQ(virtq_enable_irq_after(&d->tx, 9), !ev);
        vnet_irq_disable(d);
        CHECK_EQ(vnet_tx_room(d), 8);
        CHECK_EQ(v->qirqs[0], 0);
        CHECK_EQ(v->errors + v->bad_access, 0);
        vnet_shutdown(d);
    }
}

/* With EVENT_IDX one receive interrupt per arming, not one per frame; and
 * a device that asks to hear of every buffer it gets back (QEMU: its
 * avail_event follows the ring) is notified once per half queue reposted,
 * not once per batch. */
static void virtio_event_idx_rx_one_irq_and_refill_by_halves(void)
{
    setup_device();
    v->rx_wants_notify = true;
    CHECK_EQ(bring_up(NULL), 0);
    uint8_t frame[60] = { 0 };
    CHECK(!vnet_irq_enable(d));
    CHECK(fake_vdev_inject(v, frame, 60));
    CHECK(fake_vdev_inject(v, frame, 60));
    CHECK(fake_vdev_inject(v, frame, 60));
    CHECK_EQ(v->irqs, 1);                                  /* not 3 */
    vnet_irq_disable(d);
    struct net_frame f[NET_RX_BATCH];
    CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 3);
    vnet_rx_release(d);
    CHECK_EQ(fake_vdev_avail_idx(v, 0), 256);              /* 253 posted: no repost yet */
    unsigned n0 = v->notifies[0];
    for (int i = 0; i < 2000; i++) {
        CHECK(fake_vdev_inject(v, frame, 60));
        if (i % 4 == 3) {
            if (vnet_rx_batch(d, f, NET_RX_BATCH) != 4)
                CHECK(false);
            vnet_rx_release(d);
        }
    }
    CHECK_EQ(d->stats.rx_frames, 2003);
    CHECK_EQ(v->notifies[0] - n0, 2003 / 128);             /* one per 128 frames */
    CHECK_EQ(d->stats.rx_refills, 2003 / 128);
    CHECK_EQ(v->irqs, 1);
    CHECK_EQ(v->errors, 0);
    vnet_shutdown(d);
}

static void virtio_tx_full_then_reclaimed(void)
{
    setup_device();
    v->q[1].max = 16;
    CHECK_EQ(bring_up(NULL), 0);
    v->tx_hold = true;
    uint8_t frame[60] = { 0 };
    struct net_frame f[20];
    for (int i = 0; i < 20; i++)
        f[i] = (struct net_frame){ frame, 60 };
    CHECK_EQ(vnet_tx_room(d), 16);
    CHECK_EQ(vnet_tx_batch(d, f, 20), 16);
    CHECK_EQ(d->stats.tx_no_room, 4);
    CHECK_EQ(vnet_tx_room(d), 0);
    CHECK_EQ(vnet_tx_batch(d, f, 1), 0);
    CHECK(!vnet_irq_enable(d));                            /* TX full: wants its interrupt */
    struct virtq_avail *tx_avail = (struct virtq_avail *)(uintptr_t)v->q[1].driver;
    CHECK_EQ(tx_avail->flags, 0);
    fake_vdev_process_tx(v);
    CHECK_EQ(v->irqs, 1);
    CHECK_EQ(vnet_tx_room(d), 16);
    CHECK_EQ(vnet_tx_batch(d, f, 5), 5);
    vnet_shutdown(d);
}

/* Frames built in buffers the device lent (vnet_tx_frame) go to the queue
 * as they are, without a buffer of their own; a frame the queue had no
 * room for keeps its lent buffer for the next try; a private frame is
 * still copied; nothing leaks from the pool. */
static void virtio_tx_frame_lent_buffers_sent_in_place(void)
{
    setup_device();
    v->q[1].max = 4;
    CHECK_EQ(bring_up(NULL), 0);
    v->tx_hold = true;
    unsigned free0 = d->pool.nfree;
    struct net_frame f[5];
    for (unsigned i = 0; i < 4; i++) {
        uint8_t *b = vnet_tx_frame(d, i);
        CHECK(b != NULL);
        CHECK(vnet_tx_frame(d, i) == b);                   /* the same until sent */
        memset(b, 0x10 + i, 80);
        f[i] = (struct net_frame){ b, (uint16_t)(60 + i) };
    }
    CHECK(vnet_tx_frame(d, NET_TX_BATCH) == NULL);
    CHECK_EQ(d->pool.nfree, free0 - 4);
    uint8_t own[70];
    memset(own, 0x77, sizeof own);
    f[2] = (struct net_frame){ own, 70 };                  /* index 2's lent buffer unused */
    CHECK_EQ(vnet_tx_batch(d, f, 3), 3);
    CHECK_EQ(d->pool.nfree, free0 - 5);                    /* two lent sent, one copied */
    CHECK(vnet_tx_frame(d, 3) == f[3].data);               /* not sent: still lent */
    uint8_t *b0 = vnet_tx_frame(d, 0), *b1 = vnet_tx_frame(d, 1);
    CHECK(b0 != NULL && b0 != f[0].data && b1 != NULL && b1 != f[1].data);
    memset(b0, 0x20, 64);
    memset(b1, 0x21, 64);
    f[0] = (struct net_frame){ b0, 64 };
    f[1] = (struct net_frame){ b1, 64 };
    CHECK_EQ(vnet_tx_batch(d, f, 2), 1);                   /* one descriptor left */
    CHECK_EQ(d->stats.tx_no_room, 1);
    CHECK(vnet_tx_frame(d, 1) == b1);                      /* refused: keeps its buffer */
    fake_vdev_process_tx(v);
    CHECK_EQ(v->ntx, 4);
    CHECK(v->txlen[0] == 60 && v->tx[0][0] == 0x10 && v->tx[0][59] == 0x10);
    CHECK(v->txlen[1] == 61 && v->tx[1][0] == 0x11 && v->tx[1][60] == 0x11);
    CHECK(v->txlen[2] == 70 && v->tx[2][0] == 0x77 && v->tx[2][69] == 0x77);
    CHECK(v->txlen[3] == 64 && v->tx[3][0] == 0x20 && v->tx[3][63] == 0x20);
    vnet_tx_room(d);                                       /* reclaims */
    unsigned staged = 0;
    for (unsigned i = 0; i < NET_TX_BATCH; i++)
        staged += d->stage[i] != NULL;
    CHECK_EQ(d->pool.nfree + staged, free0);
    CHECK_EQ(v->errors + v->bad_access, 0);
    vnet_shutdown(d);
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

static void virtio_rx_batch_receives_and_reposts(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    uint8_t frame[3][80];
    for (int i = 0; i < 3; i++) {
        memset(frame[i], 0x10 + i, sizeof frame[i]);
        CHECK(fake_vdev_inject(v, frame[i], 60 + (size_t)i));
    }
    struct net_frame f[NET_RX_BATCH];
    CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(f[i].len, 60 + i);
        CHECK(!memcmp(f[i].data, frame[i], 60 + (size_t)i));
    }
    uint16_t before = fake_vdev_avail_idx(v, 0);
    vnet_rx_release(d);
    CHECK_EQ(fake_vdev_avail_idx(v, 0), before);           /* reposted by half queues */
    CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 0);
    /* the queue keeps cycling: far more frames than buffers */
    for (int i = 0; i < 2000; i++) {
        CHECK(fake_vdev_inject(v, frame[0], 60));
        if (vnet_rx_batch(d, f, NET_RX_BATCH) != 1)
            CHECK(false);
        vnet_rx_release(d);
    }
    CHECK_EQ(d->stats.rx_frames, 2003);
    CHECK_EQ((uint16_t)(fake_vdev_avail_idx(v, 0) - 256), 2003 / 128 * 128);  /* all went back */
    CHECK_EQ(v->errors, 0);
    vnet_shutdown(d);
}

static void virtio_rx_bad_lengths_dropped(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    unsigned free0 = d->pool.nfree;
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)v->q[0].driver;
    fake_vdev_used_raw(v, 0, avail->ring[0], 5);           /* shorter than the header */
    fake_vdev_used_raw(v, 0, avail->ring[1], 5000);        /* longer than the buffer */
    fake_vdev_used_raw(v, 0, avail->ring[2], 12);          /* a header, no frame */
    struct net_frame f[NET_RX_BATCH];
    CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 0);
    CHECK_EQ(d->stats.rx_bad_len, 3);
    CHECK_EQ(d->pool.nfree, free0 + 3);                    /* all three back in the pool */
    uint8_t frame[64] = { 7 };
    CHECK(fake_vdev_inject(v, frame, 64));
    CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 1);
    vnet_rx_release(d);
    vnet_shutdown(d);
}

static void virtio_bad_used_ids_counted(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    fake_vdev_used_raw(v, 0, 999, 100);                    /* no such descriptor */
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)v->q[0].driver;
    uint16_t id = avail->ring[0];
    fake_vdev_used_raw(v, 0, id, 100);
    fake_vdev_used_raw(v, 0, id, 100);                     /* the same buffer twice */
    struct net_frame f[NET_RX_BATCH];
    CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 1);
    CHECK_EQ(d->stats.bad_used, 2);
    vnet_rx_release(d);
    fake_vdev_used_raw(v, 1, 12345, 0);                    /* TX: a completion for nothing */
    CHECK_EQ(vnet_tx_room(d), 256);
    CHECK_EQ(d->stats.bad_used, 3);
    vnet_shutdown(d);
}

static void virtio_irq_suppression_and_isr(void)
{
    for (int ev = 1; ev >= 0; ev--) {
        setup_device();
        if (!ev)
            v->offered &= ~F_EVENT_IDX;
        CHECK_EQ(bring_up(NULL), 0);
        uint8_t frame[60] = { 0 };
        CHECK(!vnet_irq_enable(d));
        CHECK(fake_vdev_inject(v, frame, 60));
        CHECK_EQ(v->irqs, 1);
        CHECK_EQ(vnet_irq_ack(d), VIRTIO_ISR_QUEUE);       /* INTx: read clears */
        CHECK_EQ(virtio_pci_isr(&d->pci), 0);
        vnet_irq_disable(d);                               /* polling */
        CHECK(fake_vdev_inject(v, frame, 60));
        CHECK_EQ(v->irqs, 1);
        CHECK(vnet_irq_enable(d));                         /* work is waiting: poll first */
        struct net_frame f[NET_RX_BATCH];
        CHECK_EQ(vnet_rx_batch(d, f, NET_RX_BATCH), 2);
        vnet_rx_release(d);
        CHECK(!vnet_irq_enable(d));
        CHECK(fake_vdev_inject(v, frame, 60));
        CHECK_EQ(v->irqs, 2);
        CHECK(fake_vdev_inject(v, frame, 60));
        CHECK_EQ(v->irqs, ev ? 2 : 3);                     /* EVENT_IDX: one per arming */
        CHECK_EQ(v->errors, 0);
        vnet_shutdown(d);
    }
}

static void virtio_msix_programs_table_and_vectors(void)
{
    setup_device();
    struct vnet_config cfg = { .use_msix = true, .msix_addr = 0xfee00000u, .msix_data = 0x4041 };
    CHECK_EQ(bring_up(&cfg), 0);
    uint32_t *t = (uint32_t *)v->bar1;
    CHECK_EQ(t[0], 0xfee00000u);
    CHECK_EQ(t[1], 0);
    CHECK_EQ(t[2], 0x4041);
    CHECK_EQ(t[3] & 1, 0);                                 /* unmasked */
    CHECK(v->cfg[0x43] & 0x80);                            /* MSI-X enabled */
    CHECK_EQ(v->q[0].msix, 0);
    CHECK_EQ(v->q[1].msix, 0);
    CHECK_EQ(v->msix_config, VIRTIO_MSI_NO_VECTOR);
    CHECK_EQ(vnet_irq_ack(d), VIRTIO_ISR_QUEUE);
    vnet_shutdown(d);
    setup_device();
    v->cfg[0x34] = 0x50;                                   /* skip the MSI-X capability */
    CHECK_EQ(bring_up(&cfg), AE_ENOTSUP);
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

static void virtio_under_stack_answers_ping(void)
{
    setup_device();
    CHECK_EQ(bring_up(NULL), 0);
    struct net_stack *s = calloc(1, sizeof *s);
    struct net_config cfg = { .ip = IP_US, .netmask = 0xffffff00u, .gateway = IP_PEER };
    memcpy(cfg.mac, d->mac, 6);
    CHECK_EQ(net_init(s, &cfg, &vnet_dev_ops, d, NULL), 0);
    uint8_t f[256];
    static const uint8_t zero[6];
    size_t n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_PEER, zero, IP_US);
    CHECK(fake_vdev_inject(v, f, n));
    struct pkt p = pkt_default();
    memcpy(p.eth_dst, d->mac, 6);
    p.payload = (const uint8_t *)"abcdefgh";
    p.len = 8;
    n = pkt_icmp(f, &p, 8, 77, 1);
    CHECK(fake_vdev_inject(v, f, n));
    CHECK_EQ(net_poll(s, 1000), 2);
    CHECK_EQ(v->ntx, 2);                                   /* ARP reply, echo reply */
    CHECK_EQ(v->notifies[1], 1);                           /* in one batch */
    struct parsed r;
    CHECK(v->ntx == 2 && parse_frame(v->tx[1], v->txlen[1], &r));
    CHECK_EQ(r.proto, 1);
    CHECK_EQ(r.l4[0], 0);
    CHECK(r.ip_csum_ok && r.l4_csum_ok);
    CHECK(!memcmp(r.eth_src, d->mac, 6));
    CHECK_EQ(net_poll(s, 2000), 0);
    free(s);
    vnet_shutdown(d);
    CHECK_EQ(v->dma_allocs, v->dma_frees);
}

int main(void)
{
    RUN(virtio_init_negotiates_version1_mac_event_idx);
    RUN(virtio_event_idx_not_offered_or_refused);
    RUN(virtio_init_refuses_device_without_version1);
    RUN(virtio_init_fails_cleanly_when_features_refused);
    RUN(virtio_structure_outside_bar_rejected);
    RUN(virtio_capability_loop_terminates);
    RUN(virtio_wrong_vendor_or_device_refused);
    RUN(virtio_no_mac_uses_fallback);
    RUN(virtio_queue_size_fits_device);
    RUN(virtio_tx_batch_one_notify);
    RUN(virtio_tx_no_notify_when_device_says_so);
    RUN(virtio_tx_full_then_reclaimed);
    RUN(virtio_event_idx_kicks_only_when_asked);
    RUN(virtio_event_idx_tx_irq_at_half_queue);
    RUN(virtio_event_idx_rx_one_irq_and_refill_by_halves);
    RUN(virtio_tx_frame_lent_buffers_sent_in_place);
    RUN(virtio_rx_batch_receives_and_reposts);
    RUN(virtio_rx_bad_lengths_dropped);
    RUN(virtio_bad_used_ids_counted);
    RUN(virtio_irq_suppression_and_isr);
    RUN(virtio_msix_programs_table_and_vectors);
    RUN(virtio_under_stack_answers_ping);
    fake_vdev_free(v);
    free(d);
    return TESTS_DONE();
}
