/*
 * csum.c — the Internet checksum (RFC 1071): the one's complement of the
 * one's complement sum of 16-bit big-endian words. Words are summed four
 * bytes at a time into 64 bits; since 2^16 = 1 (mod 2^16 - 1), folding the
 * wide sum at the end gives the same result as adding 16-bit words.
 */
#include "proto.h"

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    while (len >= 4) {
        acc += get32(p);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        acc += get16(p);
        p += 2;
        len -= 2;
    }
    if (len)
        acc += (uint32_t)p[0] << 8;
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
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
