/*
 * aerie/errors.h — the one error enum of Aerie. Kernel invocations and
 * service protocols both return 0 or a negative AE_* value; libc turns
 * these into errno in exactly one place. Names and one-line meanings are
 * in aerie_error_names (lib/libaerie) so every tool prints the same text.
 */
#ifndef AERIE_ERRORS_H
#define AERIE_ERRORS_H

enum aerie_error {
    AE_OK            = 0,
    /* kernel: capabilities and invocations */
    AE_EINVAL        = -1,   /* an argument is out of its documented range */
    AE_ECAP          = -2,   /* the capability index names no capability */
    AE_ETYPE         = -3,   /* the capability names an object of another type */
    AE_ERIGHTS       = -4,   /* the capability lacks a right the operation needs */
    AE_ENOMEM        = -5,   /* the quota (or the machine) has no memory left */
    AE_ETIMEOUT      = -6,   /* the timeout expired (or "don't block" and no partner) */
    AE_EDEAD         = -7,   /* the object or the IPC partner was destroyed */
    AE_EBUSY         = -8,   /* the object is in a state that forbids this now */
    AE_ERANGE        = -9,   /* an address, size or index is outside the object */
    AE_ENOSYS        = -10,  /* no such operation on this object or protocol */
    AE_EFAULT        = -11,  /* a user address is not mapped as required */
    AE_ELIMIT        = -12,  /* a count limit (threads, objects, slots) is reached */
    AE_ECANCELED     = -13,  /* the operation was cancelled (IPC aborted, thread killed) */
    /* services: POSIX-shaped errors */
    AE_ENOENT        = -32,
    AE_EEXIST        = -33,
    AE_ENOTDIR       = -34,
    AE_EISDIR        = -35,
    AE_ENOTEMPTY     = -36,
    AE_ENOSPC        = -37,
    AE_ENAMETOOLONG  = -38,
    AE_EBADF         = -39,
    AE_EACCES        = -40,
    AE_EAGAIN        = -41,
    AE_EMFILE        = -42,
    AE_EFBIG         = -43,
    AE_EXDEV         = -44,
    AE_EROFS         = -45,
    AE_EADDRINUSE    = -46,
    AE_EADDRNOTAVAIL = -47,
    AE_EMSGSIZE      = -48,
    AE_ENOTCONN      = -49,
    AE_EDESTADDRREQ  = -50,
    AE_EAFNOSUPPORT  = -51,
    AE_EPROTO        = -52,  /* a malformed protocol message */
    AE_ENOTSUP       = -53,
    AE_ESRCH         = -54,  /* no such container / process */
    AE_ECONNREFUSED  = -55,
    AE_ELOOP         = -56,
    AE_EPERM         = -57,
    AE_ECONNRESET    = -58,  /* the peer reset the connection */
    AE_EISCONN       = -59,  /* already connected */
    AE_EIO           = -60,  /* the service died during the operation: its outcome is unknown (docs/RESTART.md) */
    AE_ERROR_MIN     = -60,
};

#endif
