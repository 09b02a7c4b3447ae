/*
 * uart.c — the 16550 UART driver of the control channel (see uart.h).
 * Register offsets and bits are those of the National Semiconductor
 * PC16550D data sheet (section 8, "Registers").
 */
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include "uart.h"

enum {
    RBR = 0, THR = 0, DLL = 0,   /* DLAB=0: receive/transmit; DLAB=1: divisor low */
    IER = 1, DLM = 1,
    IIR = 2, FCR = 2,
    LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7,
};

#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20     /* with FIFOs on: the transmit FIFO is empty */
#define FIFO_BYTES      16
#define TX_SPINS        64       /* LSR reads before sleeping while the FIFO drains */

static uint8_t in8(struct uart *u, unsigned reg)
{
    uint64_t v = 0xFF;
    ae_invoke(u->io, AERIE_IO_IN, 2, AE_ARGS(u->base + reg, 1), &v, 1);
    return (uint8_t)v;
}

static void out8(struct uart *u, unsigned reg, uint8_t v)
{
    ae_invokev(u->io, AERIE_IO_OUT, u->base + reg, 1, v);
}

bool uart_init(struct uart *u, uint64_t io, uint16_t base)
{
    u->io = io;
    u->base = base;
    out8(u, SCR, 0x5A);                  /* a scratch register that keeps a value: a UART is there */
    if (in8(u, SCR) != 0x5A)
        return false;
    out8(u, IER, 0);
    out8(u, LCR, 0x80);                  /* DLAB: divisor 1 = 115200 baud */
    out8(u, DLL, 1);
    out8(u, DLM, 0);
    out8(u, LCR, 0x03);                  /* 8 data bits, no parity, 1 stop bit */
    out8(u, FCR, 0xC7);                  /* FIFOs on and cleared; interrupt at 14 bytes (or the
                                            character timeout): one wake-up per burst, not per byte */
    out8(u, MCR, 0x0B);                  /* DTR, RTS, OUT2 (gates the IRQ on a PC) */
    (void)in8(u, LSR);
    (void)in8(u, RBR);
    (void)in8(u, IIR);
    (void)in8(u, MSR);
    out8(u, IER, 0x01);                  /* interrupt when data arrives */
    u->tx_room = 0;
    return true;
}

size_t uart_read(struct uart *u, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap && (in8(u, LSR) & LSR_DATA_READY))
        buf[n++] = (char)in8(u, RBR);
    u->rx_bytes += n;
    return n;
}

/* Waits until the transmit FIFO is empty, then it takes FIFO_BYTES. The
 * host end may stop reading; then we wait with it (flow control). */
static void wait_tx_room(struct uart *u)
{
    for (unsigned spins = 0; !(in8(u, LSR) & LSR_THR_EMPTY); spins++)
        if (spins >= TX_SPINS)
            ae_sleep_ns(1000000);
    u->tx_room = FIFO_BYTES;
}

void uart_write(struct uart *u, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (u->tx_room == 0)
            wait_tx_room(u);
        out8(u, THR, (uint8_t)buf[i]);
        u->tx_room--;
    }
    u->tx_bytes += n;
}
