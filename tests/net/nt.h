/*
 * nt.h — the in-QEMU net tests' harness: each test is a function run by
 * NT_RUN(name); it fails on the first CHECK that does not hold, naming
 * the expression and both values (errno's name too), and prints
 * "TEST PASS name" or "TEST FAIL name: why" on the kernel console (the
 * programs hold kdebug), which tests/net/net_qemu.sh reads.
 */
#ifndef NT_H
#define NT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <libaerie/kdebug.h>

struct nt {
    bool failed;
    char why[200];
};

extern unsigned nt_ran;

#define NT_FAIL(...) do { snprintf(t->why, sizeof t->why, __VA_ARGS__); t->failed = true; return; } while (0)
#define CHECK(c) do { if (!(c)) NT_FAIL("%s:%d: %s (errno %d: %s)", __FILE__, __LINE__, #c, errno, strerror(errno)); } while (0)
#define CHECK_EQ(x, y) do { long long _x = (long long)(x), _y = (long long)(y); if (_x != _y) \
    NT_FAIL("%s:%d: %s == %s: got %lld, want %lld (errno %d: %s)", __FILE__, __LINE__, #x, #y, _x, _y, \
            errno, strerror(errno)); } while (0)
/* A call that must fail with -1 and this errno. */
#define CHECK_ERR(call, e) do { errno = 0; long long _r = (long long)(call); int _e = errno; if (_r != -1 || _e != (e)) \
    NT_FAIL("%s:%d: %s: got %lld errno %d (%s), want -1 errno %d (%s)", __FILE__, __LINE__, #call, _r, _e, \
            strerror(_e), (e), strerror(e)); } while (0)

#define NT_RUN(name) do { struct nt _t = { 0 }; name(&_t); nt_ran++; \
    if (_t.failed) ae_kprintf("TEST FAIL %s: %s\n", #name, _t.why); else ae_kprintf("TEST PASS %s\n", #name); } while (0)

#endif
