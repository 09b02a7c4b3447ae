/*
 * uart.h — a 16550 UART driven through an I/O-port capability: the
 * control channel's serial line (COM2, which QEMU connects to a Unix
 * socket on the host). Receive raises the IRQ when one is bound; sending
 * waits for room in the transmit FIFO.
 */
#ifndef AERIE_CTL_UART_H
#define AERIE_CTL_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uart {
    uint64_t io;                 /* I/O-port capability covering base..base+7 */
    uint16_t base;
    unsigned tx_room;            /* bytes the transmit FIFO takes before we look again */
    uint64_t rx_bytes, tx_bytes; /* counters */
};

/* Programs 115200 8N1, FIFOs on, the receive interrupt enabled. False
 * if no UART answers at base. */
bool uart_init(struct uart *u, uint64_t io, uint16_t base);

/* Reads up to cap received bytes without waiting; returns the count. */
size_t uart_read(struct uart *u, char *buf, size_t cap);

/* Sends n bytes, waiting (sleeping briefly) while the FIFO is full. */
void uart_write(struct uart *u, const char *buf, size_t n);

#endif
