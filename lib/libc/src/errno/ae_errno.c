/*
 * ae_errno.c — the one place an Aerie error (a negative AE_* value from
 * <aerie/errors.h>) becomes an errno value. Kernel-level errors map to the
 * nearest POSIX meaning; the POSIX-shaped service errors map one to one.
 */
#include <aerie/errors.h>
#include <errno.h>
#include "libc.h"

static const unsigned char errno_of[] = {
    [-AE_EINVAL]        = EINVAL,
    [-AE_ECAP]          = EBADF,        /* a capability name is a descriptor */
    [-AE_ETYPE]         = EBADF,
    [-AE_ERIGHTS]       = EPERM,
    [-AE_ENOMEM]        = ENOMEM,
    [-AE_ETIMEOUT]      = ETIMEDOUT,
    [-AE_EDEAD]         = EPIPE,        /* the other end is gone */
    [-AE_EIO]           = EIO,          /* the service died during the call (it restarts) */
    [-AE_EBUSY]         = EBUSY,
    [-AE_ERANGE]        = EFAULT,       /* an address or size outside the object */
    [-AE_ENOSYS]        = ENOSYS,
    [-AE_EFAULT]        = EFAULT,
    [-AE_ELIMIT]        = EAGAIN,       /* POSIX's "resource temporarily unavailable" */
    [-AE_ECANCELED]     = ECANCELED,
    [-AE_ENOENT]        = ENOENT,
    [-AE_EEXIST]        = EEXIST,
    [-AE_ENOTDIR]       = ENOTDIR,
    [-AE_EISDIR]        = EISDIR,
    [-AE_ENOTEMPTY]     = ENOTEMPTY,
    [-AE_ENOSPC]        = ENOSPC,
    [-AE_ENAMETOOLONG]  = ENAMETOOLONG,
    [-AE_EBADF]         = EBADF,
    [-AE_EACCES]        = EACCES,
    [-AE_EAGAIN]        = EAGAIN,
    [-AE_EMFILE]        = EMFILE,
    [-AE_EFBIG]         = EFBIG,
    [-AE_EXDEV]         = EXDEV,
    [-AE_EROFS]         = EROFS,
    [-AE_EADDRINUSE]    = EADDRINUSE,
    [-AE_EADDRNOTAVAIL] = EADDRNOTAVAIL,
    [-AE_EMSGSIZE]      = EMSGSIZE,
    [-AE_ENOTCONN]      = ENOTCONN,
    [-AE_EDESTADDRREQ]  = EDESTADDRREQ,
    [-AE_EAFNOSUPPORT]  = EAFNOSUPPORT,
    [-AE_EPROTO]        = EPROTO,
    [-AE_ENOTSUP]       = ENOTSUP,
    [-AE_ESRCH]         = ESRCH,
    [-AE_ECONNREFUSED]  = ECONNREFUSED,
    [-AE_ELOOP]         = ELOOP,
    [-AE_EPERM]         = EPERM,
    [-AE_ECONNRESET]    = ECONNRESET,
    [-AE_EISCONN]       = EISCONN,
};

_Static_assert(sizeof errno_of == 1 - AE_ERROR_MIN, "every AE_* error has an errno");

int __errno_from_ae(int ae)
{
    if (ae >= 0 || ae < AE_ERROR_MIN || !errno_of[-ae])
        return EIO;                     /* not an error we know: say so plainly */
    return errno_of[-ae];
}

long __ae_ret(long r)
{
    if (r >= 0)
        return r;
    errno = __errno_from_ae((int)r);
    return -1;
}
