/*
 * csum.c — the Internet checksum (RFC 1071): the one's complement of the
 * one's complement sum of 16-bit big-endian words. Since 2^16 = 1
 * (mod 2^16 - 1), a sum of wider words folded at the end gives the same
 * result as adding 16-bit words, and byte order only swaps the result.
 */
#include "proto.h"

/* Folds acc, the end-around sum of native little-endian 64-bit words
 * (a byte-order swap of the folded sum gives the big-endian sum, RFC 1071
 * section 2(B)), into sum, then adds the tail p[0..len) as big-endian
 * 16-bit words. */
static uint32_t csum_finish(uint32_t sum, uint64_t acc, const uint8_t *p, size_t len)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    uint64_t be = sum + (uint64_t)(((acc & 0xff) << 8) | (acc >> 8));
    while (len >= 2) {
        be += get16(p);
        p += 2;
        len -= 2;
    }
    if (len)
        be += (uint32_t)p[0] << 8;
    while (be >> 32)
        be = (be & 0xffffffffu) + (be >> 32);
    while (be >> 16)
        be = (be & 0xffff) + (be >> 16);
    return (uint32_t)be;
}

/* Sums the bytes eight at a time, then the tail. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    while (len >= 8) {
        uint64_t w;
        __builtin_memcpy(&w, p, 8);           /* unaligned-safe load */
        acc += w;
        acc += acc < w;                       /* end-around carry */
        p += 8;
        len -= 8;
    }
    return csum_finish(sum, acc, p, len);
}

/* csum_add over the bytes copied from src to dst, in one pass: each word
 * is loaded once, stored, and summed from the register, so the sum is of
 * what dst holds even if src changes meanwhile (a client's ring slot).
 * One pass instead of a copy and a sum: under emulation a 1472-byte
 * datagram's copy and checksum were each about a sixth of the service's
 * work per datagram. */
uint32_t csum_copy(uint32_t sum, uint8_t *dst, const uint8_t *src, size_t len)
{
    uint64_t acc = 0;
#if defined(__x86_64__)
    /* 64 bytes a step: eight loads, eight stores and one add-with-carry
     * chain, in general registers (left to itself the compiler moves the
     * words through SSE registers, more instructions under emulation):
     * under four instructions per word instead of seven (the end-around
     * carry below costs a compare and an add per word). This loop was a
     * third of the guest instructions per datagram sent
     * (docs/EVALUATION.md, "UDP: where a datagram's host time goes, and the
     * checksum copy"). */
    while (len >= 64) {
        uint64_t a, b, c, d;
        __asm__("movq (%[s]), %[a]\n\tmovq 8(%[s]), %[b]\n\tmovq 16(%[s]), %[c]\n\tmovq 24(%[s]), %[d]\n\t"
                "movq %[a], (%[t])\n\tmovq %[b], 8(%[t])\n\tmovq %[c], 16(%[t])\n\tmovq %[d], 24(%[t])\n\t"
                "addq %[a], %[acc]\n\tadcq %[b], %[acc]\n\tadcq %[c], %[acc]\n\tadcq %[d], %[acc]\n\t"
                "movq 32(%[s]), %[a]\n\tmovq 40(%[s]), %[b]\n\tmovq 48(%[s]), %[c]\n\tmovq 56(%[s]), %[d]\n\t"
                "movq %[a], 32(%[t])\n\tmovq %[b], 40(%[t])\n\tmovq %[c], 48(%[t])\n\tmovq %[d], 56(%[t])\n\t"
                "adcq %[a], %[acc]\n\tadcq %[b], %[acc]\n\tadcq %[c], %[acc]\n\tadcq %[d], %[acc]\n\t"
                "adcq $0, %[acc]"
                : [acc] "+r"(acc), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d)
                : [s] "r"(src), [t] "r"(dst)
                : "cc", "memory");
        src += 64;
        dst += 64;
        len -= 64;
    }
#endif
    while (len >= 8) {
        uint64_t w;
        __builtin_memcpy(&w, src, 8);
        __builtin_memcpy(dst, &w, 8);
        acc += w;
        acc += acc < w;
        src += 8;
        dst += 8;
        len -= 8;
    }
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i];
    return csum_finish(sum, acc, dst, len);
}

uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The UDP pseudo-header (RFC 768): source, destination, zero, protocol, length. */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
                   (uint64_t)proto + len;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}
