/*
 * check_more.h — checks the fs and image tests add to ktest_host.h:
 * CHECK_RC compares signed results (AE_* codes print as numbers with
 * their sign), CHECK_STR compares strings. Failures say expected and got.
 */
#ifndef AERIE_CHECK_MORE_H
#define AERIE_CHECK_MORE_H

#include <string.h>
#include "ktest_host.h"

#define CHECK_RC(expr, want) do { long long _g = (long long)(expr), _w = (long long)(want); \
    if (_g != _w && host_test_ok) { host_test_ok = false; \
    snprintf(host_test_why, sizeof host_test_why, "%s:%d: %s: expected %lld, got %lld", \
             __FILE__, __LINE__, #expr, _w, _g); } } while (0)

#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if ((!_a || strcmp(_a, _b)) && host_test_ok) { host_test_ok = false; \
    snprintf(host_test_why, sizeof host_test_why, "%s:%d: %s: expected \"%.160s\", got \"%.160s\"", \
             __FILE__, __LINE__, #a, _b, _a ? _a : "(null)"); } } while (0)

#endif
