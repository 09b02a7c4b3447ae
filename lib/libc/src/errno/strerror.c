/*
 * strerror.c — the message for each errno value (C11 7.24.6.2), and the
 * POSIX strerror_r. The table is indexed by the numbers in <errno.h>.
 */
#include <errno.h>
#include <string.h>

static const char *const messages[] = {
    [0]               = "No error information",
    [EPERM]           = "Operation not permitted",
    [ENOENT]          = "No such file or directory",
    [ESRCH]           = "No such process",
    [EINTR]           = "Interrupted system call",
    [EIO]             = "I/O error",
    [ENXIO]           = "No such device or address",
    [E2BIG]           = "Argument list too long",
    [ENOEXEC]         = "Exec format error",
    [EBADF]           = "Bad file descriptor",
    [ECHILD]          = "No child process",
    [EAGAIN]          = "Resource temporarily unavailable",
    [ENOMEM]          = "Out of memory",
    [EACCES]          = "Permission denied",
    [EFAULT]          = "Bad address",
    [EBUSY]           = "Resource busy",
    [EEXIST]          = "File exists",
    [EXDEV]           = "Cross-device link",
    [ENODEV]          = "No such device",
    [ENOTDIR]         = "Not a directory",
    [EISDIR]          = "Is a directory",
    [EINVAL]          = "Invalid argument",
    [ENFILE]          = "Too many open files in system",
    [EMFILE]          = "No file descriptors available",
    [ENOTTY]          = "Not a tty",
    [ETXTBSY]         = "Text file busy",
    [EFBIG]           = "File too large",
    [ENOSPC]          = "No space left on device",
    [ESPIPE]          = "Invalid seek",
    [EROFS]           = "Read-only file system",
    [EMLINK]          = "Too many links",
    [EPIPE]           = "Broken pipe",
    [EDOM]            = "Domain error",
    [ERANGE]          = "Result not representable",
    [EDEADLK]         = "Resource deadlock would occur",
    [ENAMETOOLONG]    = "Filename too long",
    [ENOLCK]          = "No locks available",
    [ENOSYS]          = "Function not implemented",
    [ENOTEMPTY]       = "Directory not empty",
    [ELOOP]           = "Symbolic link loop",
    [ENOMSG]          = "No message of desired type",
    [EIDRM]           = "Identifier removed",
    [ENOSTR]          = "Device not a stream",
    [ENODATA]         = "No data available",
    [ETIME]           = "Device timeout",
    [ENOSR]           = "Out of streams resources",
    [ENOLINK]         = "Link has been severed",
    [EPROTO]          = "Protocol error",
    [EMULTIHOP]       = "Multihop attempted",
    [EBADMSG]         = "Bad message",
    [EOVERFLOW]       = "Value too large for data type",
    [EILSEQ]          = "Illegal byte sequence",
    [ENOTSOCK]        = "Not a socket",
    [EDESTADDRREQ]    = "Destination address required",
    [EMSGSIZE]        = "Message too large",
    [EPROTOTYPE]      = "Protocol wrong type for socket",
    [ENOPROTOOPT]     = "Protocol not available",
    [EPROTONOSUPPORT] = "Protocol not supported",
    [EOPNOTSUPP]      = "Not supported",
    [EAFNOSUPPORT]    = "Address family not supported by protocol",
    [EADDRINUSE]      = "Address in use",
    [EADDRNOTAVAIL]   = "Address not available",
    [ENETDOWN]        = "Network is down",
    [ENETUNREACH]     = "Network unreachable",
    [ENETRESET]       = "Connection reset by network",
    [ECONNABORTED]    = "Connection aborted",
    [ECONNRESET]      = "Connection reset by peer",
    [ENOBUFS]         = "No buffer space available",
    [EISCONN]         = "Socket is connected",
    [ENOTCONN]        = "Socket not connected",
    [ETIMEDOUT]       = "Operation timed out",
    [ECONNREFUSED]    = "Connection refused",
    [EHOSTUNREACH]    = "Host is unreachable",
    [EALREADY]        = "Operation already in progress",
    [EINPROGRESS]     = "Operation in progress",
    [ESTALE]          = "Stale file handle",
    [EDQUOT]          = "Quota exceeded",
    [ECANCELED]       = "Operation canceled",
    [EOWNERDEAD]      = "Previous owner died",
    [ENOTRECOVERABLE] = "State not recoverable",
};

static const char *message_of(int e)
{
    if (e < 0 || e >= (int)(sizeof messages / sizeof messages[0]) || !messages[e])
        return NULL;
    return messages[e];
}

char *strerror(int e)
{
    const char *m = message_of(e);
    return (char *)(m ? m : "Unknown error");
}

int strerror_r(int e, char *buf, size_t size)
{
    const char *m = message_of(e);
    int ret = 0;
    if (!m) {
        m = "Unknown error";
        ret = EINVAL;
    }
    size_t n = strlen(m);
    if (n >= size) {
        if (size) {
            memcpy(buf, m, size - 1);
            buf[size - 1] = 0;
        }
        return ERANGE;
    }
    memcpy(buf, m, n + 1);
    return ret;
}
