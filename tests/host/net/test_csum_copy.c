/*
 * test_csum_copy.c — csum_copy (services/net/stack/csum.c, branch udp5:
 * 64 bytes a step in inline assembly, which ASan does not see) against a
 * byte-at-a-time reference: every length 0..2048, every source and
 * destination misalignment 0..7, input sums up to 2^32 - 1, chained at
 * even and odd splits. The source ends (and, for the underflow side,
 * starts) at a page the test makes inaccessible, so a load one byte past
 * either end faults; the destination is fenced by canary bytes. ASan and
 * UBSan on for the C around it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "proto.h"
#include "ktest_host.h"

#define MAXLEN 2048u

/* The RFC 1071 sum, 16 bits at a time, big-endian, an odd byte as the
 * high half of a last word; folded to 16 bits. */
static uint32_t reference(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    for (size_t i = 0; i + 1 < len; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}

/* One's complement has two zeros (0x0000 and 0xffff): equal sums may
 * differ in which one they name. */
static uint32_t norm(uint32_t folded)
{
    return folded == 0xffff ? 0 : folded;
}

static uint32_t swap16(uint32_t v)
{
    return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

static uint8_t *pages;              /* [guard][data x 2][guard][data x 2][guard] */
static long pg;

static void setup_pages(void)
{
    if (pages)
        return;
    pg = sysconf(_SC_PAGESIZE);
    pages = mmap(NULL, (size_t)pg * 7, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    mprotect(pages, (size_t)pg, PROT_NONE);
    mprotect(pages + 3 * pg, (size_t)pg, PROT_NONE);
    mprotect(pages + 6 * pg, (size_t)pg, PROT_NONE);
}

static void fill(uint8_t *p, size_t n, uint32_t seed, int kind)
{
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = kind == 1 ? 0xff : kind == 2 ? 0 : (uint8_t)(x >> 16);
    }
}

/* Every length, every source/destination misalignment: the copy is
 * exact, nothing around the destination is written, and the sum is the
 * reference's, for several input sums. The source ends one byte before
 * the first guard page. */
static void csum_copy_every_length_and_alignment_ends_at_guard(void)
{
    setup_pages();
    uint8_t *src_end = pages + 3 * pg;            /* the guard page after the source */
    static uint8_t dstbuf[MAXLEN + 32];
    static const uint32_t ins[] = { 0, 1, 0xffff, 0x1fffe, 0xffffffffu };
    for (int kind = 0; kind < 3; kind++) {
        for (size_t len = 0; len <= MAXLEN; len++) {
            uint8_t *src = src_end - len;          /* its last byte touches the guard */
            fill(src, len, (uint32_t)len * 7u + 3u, kind);
            for (size_t doff = 0; doff < 8; doff++) {
                memset(dstbuf, 0xa5, sizeof dstbuf);
                uint32_t in = ins[(len + doff) % (sizeof ins / sizeof ins[0])];
                uint32_t got = csum_copy(in, dstbuf + 8 + doff, src, len);
                CHECK(!memcmp(dstbuf + 8 + doff, src, len));
                for (size_t i = 0; i < 8 + doff; i++)
                    CHECK(dstbuf[i] == 0xa5);
                for (size_t i = 8 + doff + len; i < sizeof dstbuf; i++)
                    CHECK(dstbuf[i] == 0xa5);
                CHECK(got <= 0xffff);
                CHECK_EQ(norm(got), norm(reference(in, src, len)));
                if (!host_test_ok)
                    return;
            }
        }
    }
}

/* The source starts just after a guard page: nothing before it is read,
 * and every source misalignment (the start moved by 0..7 bytes). */
static void csum_copy_every_misalignment_starts_at_guard(void)
{
    setup_pages();
    uint8_t *start = pages + 4 * pg;               /* just after the middle guard */
    static uint8_t dstbuf[MAXLEN + 32];
    for (size_t soff = 0; soff < 8; soff++)
        for (size_t len = 0; len + soff <= MAXLEN; len++) {
            uint8_t *src = start + soff;
            fill(src, len, (uint32_t)(len ^ soff), (int)(len % 3));
            for (size_t doff = 0; doff < 8; doff++) {
                memset(dstbuf, 0x5a, sizeof dstbuf);
                uint32_t in = (uint32_t)(len * 2654435761u + doff);
                uint32_t got = csum_copy(in, dstbuf + 8 + doff, src, len);
                CHECK(!memcmp(dstbuf + 8 + doff, src, len));
                CHECK(dstbuf[7 + doff] == 0x5a && dstbuf[8 + doff + len] == 0x5a);
                CHECK_EQ(norm(got), norm(reference(in, src, len)));
                if (!host_test_ok)
                    return;
            }
        }
}

/* Chained as udp_output does after its header: an even split carries the
 * sum straight on; an odd one shifts the second part by a byte, which is
 * the byte swap of its sum (RFC 1071 section 2(B)). */
static void csum_copy_chained_at_even_and_odd_splits(void)
{
    setup_pages();
    uint8_t *src_end = pages + 3 * pg;
    static uint8_t dst[MAXLEN + 16];
    for (size_t len = 0; len <= MAXLEN; len += (len < 200 ? 1 : 61)) {
        uint8_t *src = src_end - len;
        fill(src, len, (uint32_t)len + 99u, (int)(len % 3));
        uint32_t whole = norm(reference(0x1234, src, len));
        for (size_t k = 0; k <= len; k += (len < 80 ? 1 : 7)) {
            memset(dst, 0, sizeof dst);
            uint32_t a = csum_copy(0x1234, dst + (k & 7), src, k);
            if (k % 2 == 0) {
                uint32_t b = csum_copy(a, dst + (k & 7) + k, src + k, len - k);
                CHECK_EQ(norm(b), whole);
            } else {
                uint32_t b = csum_copy(0, dst + (k & 7) + k, src + k, len - k);
                uint64_t s = (uint64_t)a + swap16(b);
                while (s >> 16)
                    s = (s & 0xffff) + (s >> 16);
                CHECK_EQ(norm((uint32_t)s), whole);
            }
            CHECK(!memcmp(dst + (k & 7), src, len));
            if (!host_test_ok)
                return;
        }
    }
}

/* In place (source and destination the same bytes): what udp_output's
 * gathered datagrams would be if they came through here. */
static void csum_copy_in_place(void)
{
    static uint8_t buf[MAXLEN + 8];
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= MAXLEN; len += 13) {
            fill(buf + off, len, (uint32_t)len, 0);
            uint32_t want = norm(reference(7, buf + off, len));
            CHECK_EQ(norm(csum_copy(7, buf + off, buf + off, len)), want);
            CHECK_EQ(norm(reference(7, buf + off, len)), want);
        }
}

int main(void)
{
    RUN(csum_copy_every_length_and_alignment_ends_at_guard);
    RUN(csum_copy_every_misalignment_starts_at_guard);
    RUN(csum_copy_chained_at_even_and_odd_splits);
    RUN(csum_copy_in_place);
    return TESTS_DONE();
}
