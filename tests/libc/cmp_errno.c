/*
 * cmp_errno.c — libc's errno numbers are Linux's (docs/LIBC.md promises
 * it): each name in libc's <errno.h> has glibc's value; and the AE_* to
 * errno table gives the documented mapping for a few representatives.
 */
#include <errno.h>
#include <aerie/errors.h>
#include "cmp_util.h"
#include "errno_names.h"

extern const int libc_errno_values[];
int aerie___errno_from_ae(int ae);
long aerie___ae_ret(long r);
extern __thread int aerie_errno;

#define VALUE(name) name,
#define NAME(name) #name,
static const int glibc_values[] = { ERRNO_NAMES(VALUE) };
static const char *const names[] = { ERRNO_NAMES(NAME) };

static void errno_values_are_linux_values(void)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (libc_errno_values[i] != glibc_values[i] && host_test_ok) {
            host_test_ok = false;
            snprintf(host_test_why, sizeof host_test_why, "%s is %d, Linux says %d", names[i],
                     libc_errno_values[i], glibc_values[i]);
        }
    }
}

static void aerie_errors_map_to_errno(void)
{
    CHECK_EQ(aerie___errno_from_ae(AE_ENOMEM), ENOMEM);
    CHECK_EQ(aerie___errno_from_ae(AE_ENOENT), ENOENT);
    CHECK_EQ(aerie___errno_from_ae(AE_ETIMEOUT), ETIMEDOUT);
    CHECK_EQ(aerie___errno_from_ae(AE_EPERM), EPERM);
    CHECK_EQ(aerie___errno_from_ae(AE_EBADF), EBADF);
    CHECK_EQ(aerie___errno_from_ae(AE_ECAP), EBADF);
    CHECK_EQ(aerie___errno_from_ae(-20), EIO);          /* not an AE_* value */
    CHECK_EQ(aerie___errno_from_ae(-1000), EIO);
    for (int e = AE_ERROR_MIN; e < 0; e++)
        CHECK(aerie___errno_from_ae(e) > 0);
    aerie_errno = 0;
    CHECK_EQ(aerie___ae_ret(5), 5);
    CHECK_EQ(aerie_errno, 0);
    CHECK_EQ(aerie___ae_ret(AE_EEXIST), (unsigned long long)-1);
    CHECK_EQ(aerie_errno, EEXIST);
}

int main(void)
{
    RUN(errno_values_are_linux_values);
    RUN(aerie_errors_map_to_errno);
    return TESTS_DONE();
}
