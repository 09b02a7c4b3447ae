/*
 * cmp_inet.c — libc's IPv4 address text and byte order against glibc:
 * inet_pton, inet_ntop, inet_addr and inet_ntoa over hand-picked edge
 * cases and a few hundred thousand generated strings, the byte-order
 * functions over random values; and socket() on the host, which has no
 * network, fails with EACCES as in an Aerie program without the grant.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include "cmp_util.h"

int aerie_inet_pton(int af, const char *src, void *dst);
const char *aerie_inet_ntop(int af, const void *src, char *dst, unsigned size);
uint32_t aerie_inet_addr(const char *cp);
char *aerie_inet_ntoa(struct in_addr in);
uint32_t aerie_htonl(uint32_t v);
uint16_t aerie_htons(uint16_t v);
uint32_t aerie_ntohl(uint32_t v);
uint16_t aerie_ntohs(uint16_t v);
int aerie_socket(int domain, int type, int protocol);
extern __thread int aerie_errno;

static const char *const edge[] = {
    "0.0.0.0", "255.255.255.255", "10.0.2.15", "1.2.3.4", "256.1.1.1", "1.2.3.256", "1.2.3", "1.2.3.4.5",
    "01.2.3.4", "1.02.3.4", "00.0.0.0", "0x1.2.3.4", "1..2.3", ".1.2.3", "1.2.3.", "", " 1.2.3.4",
    "1.2.3.4 ", "1.2.3.4x", "1234.1.1.1", "1.2.3.-4", "+1.2.3.4", "127.1", "10.527", "4294967295",
    "4294967296", "0x7f.1", "0377.0377.0377.0377", "0400.0.0.1", "0x100.0.0.1", "1.0xffffff", "1.0x1000000",
    "1.2.0xffff", "1.2.0x10000", "0", "0x", "08.1.1.1", "1.2.3.4\n", "1.2.3.4\t5",
};

static void check_text(const char *s)
{
    unsigned char a[4] = { 0 }, b[4] = { 0 };
    int ga = inet_pton(AF_INET, s, a), aa = aerie_inet_pton(AF_INET, s, b);
    char what[200], e[64], g[64];
    cmp_cases++;
    if (ga != aa || (ga == 1 && memcmp(a, b, 4))) {
        snprintf(what, sizeof what, "inet_pton(\"%s\")", s);
        snprintf(e, sizeof e, "%d %u.%u.%u.%u", ga, a[0], a[1], a[2], a[3]);
        snprintf(g, sizeof g, "%d %u.%u.%u.%u", aa, b[0], b[1], b[2], b[3]);
        cmp_fail(what, e, g);
    }
    uint32_t gx = inet_addr(s), ax = aerie_inet_addr(s);
    cmp_cases++;
    if (gx != ax) {
        snprintf(what, sizeof what, "inet_addr(\"%s\")", s);
        snprintf(e, sizeof e, "0x%08x", gx);
        snprintf(g, sizeof g, "0x%08x", ax);
        cmp_fail(what, e, g);
    }
}

/* A string of digits, dots and a few other bytes that looks like an address. */
static void random_text(char *s, size_t n)
{
    static const char alphabet[] = "0123456789012345678901234567890123456789....xXaFf ";
    size_t len = (size_t)(rand() % 18);
    for (size_t i = 0; i < len && i < n - 1; i++)
        s[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
    s[len < n - 1 ? len : n - 1] = 0;
}

static void inet_text_matches_glibc(void)
{
    cmp_begin();
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        check_text(edge[i]);
    srand(7);
    char s[32];
    for (int i = 0; i < 200000; i++) {
        random_text(s, sizeof s);
        check_text(s);
    }
    for (int i = 0; i < 100000; i++) {                 /* well-formed-ish quads with random parts */
        snprintf(s, sizeof s, "%d.%d.%d.%d", rand() % 300, rand() % 300, rand() % 300, rand() % 300);
        check_text(s);
    }
    cmp_end();
}

static void inet_ntop_matches_glibc(void)
{
    cmp_begin();
    srand(11);
    for (int i = 0; i < 100000; i++) {
        uint32_t v = (uint32_t)rand() * 2654435761u;
        char g[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
        unsigned size = (unsigned)(rand() % 18);
        errno = aerie_errno = 0;
        const char *gr = inet_ntop(AF_INET, &v, g, size);
        int ge = errno;
        const char *ar = aerie_inet_ntop(AF_INET, &v, a, size);
        cmp_cases++;
        if ((gr == NULL) != (ar == NULL) || (gr && strcmp(g, a)) || (!gr && ge != aerie_errno)) {
            char what[64];
            snprintf(what, sizeof what, "inet_ntop(0x%08x, size %u)", v, size);
            cmp_fail(what, gr ? g : "NULL", ar ? a : "NULL");
        }
        struct in_addr in = { v };
        char keep[INET_ADDRSTRLEN];
        snprintf(keep, sizeof keep, "%s", inet_ntoa(in));
        cmp_cases++;
        if (strcmp(keep, aerie_inet_ntoa(in)))
            cmp_fail("inet_ntoa", keep, aerie_inet_ntoa(in));
    }
    char buf[64];
    aerie_errno = 0;
    CHECK(aerie_inet_ntop(AF_INET6, buf, buf, sizeof buf) == NULL);
    CHECK_EQ(aerie_errno, EAFNOSUPPORT);
    aerie_errno = 0;
    CHECK_EQ(aerie_inet_pton(AF_INET6, "::1", buf), -1);
    CHECK_EQ(aerie_errno, EAFNOSUPPORT);
    cmp_end();
}

static void byte_order_matches_glibc(void)
{
    srand(13);
    for (int i = 0; i < 100000; i++) {
        uint32_t v = (uint32_t)rand() ^ (uint32_t)rand() << 16;
        CHECK_EQ(aerie_htonl(v), htonl(v));
        CHECK_EQ(aerie_ntohl(v), ntohl(v));
        CHECK_EQ(aerie_htons((uint16_t)v), htons((uint16_t)v));
        CHECK_EQ(aerie_ntohs((uint16_t)v), ntohs((uint16_t)v));
    }
}

static void socket_without_network_is_eacces(void)
{
    aerie_errno = 0;
    CHECK_EQ(aerie_socket(AF_INET, SOCK_DGRAM, 0), -1);
    CHECK_EQ(aerie_errno, EACCES);
    aerie_errno = 0;
    CHECK_EQ(aerie_socket(AF_INET6, SOCK_DGRAM, 0), -1);
    CHECK_EQ(aerie_errno, EAFNOSUPPORT);
}

int main(void)
{
    RUN(inet_text_matches_glibc);
    RUN(inet_ntop_matches_glibc);
    RUN(byte_order_matches_glibc);
    RUN(socket_without_network_is_eacces);
    return TESTS_DONE();
}
