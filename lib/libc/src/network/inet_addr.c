/*
 * inet_addr.c — POSIX inet_addr and inet_ntoa. inet_addr takes the
 * classic forms a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits) and a
 * (32 bits), each part decimal, octal (leading 0) or hex (0x), and
 * returns (in_addr_t)-1 for anything else. As BSD's inet_aton (and
 * glibc's), the address ends at the first white space.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>

/* One part at *s: its value in *v; false if there is no valid number. */
static int part(const char **s, uint64_t *v)
{
    const char *p = *s;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0') {
        base = 8;
    }
    const char *start = p;
    uint64_t x = 0;
    for (;; p++) {
        unsigned d = *p >= '0' && *p <= '9' ? (unsigned)(*p - '0')
                   : *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10)
                   : *p >= 'A' && *p <= 'F' ? (unsigned)(*p - 'A' + 10) : 99;
        if (d >= base)
            break;
        x = x * base + d;
        if (x > 0xffffffffu)
            return 0;
    }
    if (p == start && base != 8)
        return 0;                       /* "0x" alone; a lone "0" is fine */
    *v = x;
    *s = p;
    return 1;
}

in_addr_t inet_addr(const char *cp)
{
    uint64_t v[4];
    int n = 0;
    for (;;) {
        if (n == 4 || !part(&cp, &v[n++]))
            return (in_addr_t)-1;
        if (*cp == '\0' || isspace((unsigned char)*cp))
            break;
        if (*cp++ != '.')
            return (in_addr_t)-1;
    }
    uint64_t addr = v[n - 1];
    if (addr > (0xffffffffu >> (8 * (n - 1))))
        return (in_addr_t)-1;           /* the last part fills what the others leave */
    for (int i = 0; i < n - 1; i++) {
        if (v[i] > 255)
            return (in_addr_t)-1;
        addr |= v[i] << (24 - 8 * i);
    }
    return htonl((uint32_t)addr);
}

char *inet_ntoa(struct in_addr in)
{
    static __thread char buf[INET_ADDRSTRLEN];
    const unsigned char *a = (const unsigned char *)&in.s_addr;
    snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return buf;
}
