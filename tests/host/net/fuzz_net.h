/*
 * fuzz_net.h — the op codes of fuzz_net.c's input format, shared with the
 * seed generator (fuzz_seeds.c).
 */
#ifndef AERIE_FUZZ_NET_H
#define AERIE_FUZZ_NET_H

enum fuzz_op {
    FUZZ_OP_FRAME,          /* len16, fix, bytes: net_rx (fix: 1 IP, 2 ICMP/UDP checksums redone) */
    FUZZ_OP_DEV_FRAME,      /* len16, fix, bytes: queued on the fake NIC for net_poll */
    FUZZ_OP_UDP,            /* client, port, len/6, flags, nflips, (pos16, xor)...: a UDP frame */
    FUZZ_OP_TX_SLOT,        /* client, slot, ip32, rport16, lport16, len16, fill, prod+= */
    FUZZ_OP_POKE,           /* client, rx?, off16, val32: raw write to a client's rings */
    FUZZ_OP_POLL,           /* net_poll */
    FUZZ_OP_TIME,           /* delta16 << 18 ns */
    FUZZ_OP_API,            /* client, forged?(id32), sub-op, operands */
    FUZZ_OP_LIFE,           /* client, sub-op: remove+re-add, detach, attach, timers */
    FUZZ_OP_BURST,          /* kind, count: many ARP requests, echoes, or sends to new hosts */
    FUZZ_NOPS
};

#endif
