/*
 * lxabi.h — the x86-64 Linux user ABI the personality speaks: error
 * numbers, flags, and the layouts of the structures Linux programs pass
 * to system calls (as Linux's UAPI headers define them, written here from
 * that specification). Everything carries an LX_ prefix so it never meets
 * the Aerie libc's own definitions.
 */
#ifndef LX_ABI_H
#define LX_ABI_H

#include <stdint.h>

/* errno values */
enum {
    LX_EPERM = 1, LX_ENOENT = 2, LX_ESRCH = 3, LX_EINTR = 4, LX_EIO = 5, LX_ENXIO = 6, LX_E2BIG = 7,
    LX_ENOEXEC = 8, LX_EBADF = 9, LX_ECHILD = 10, LX_EAGAIN = 11, LX_ENOMEM = 12, LX_EACCES = 13,
    LX_EFAULT = 14, LX_EBUSY = 16, LX_EEXIST = 17, LX_EXDEV = 18, LX_ENODEV = 19, LX_ENOTDIR = 20,
    LX_EISDIR = 21, LX_EINVAL = 22, LX_ENFILE = 23, LX_EMFILE = 24, LX_ENOTTY = 25, LX_ETXTBSY = 26,
    LX_EFBIG = 27, LX_ENOSPC = 28, LX_ESPIPE = 29, LX_EROFS = 30, LX_EMLINK = 31, LX_EPIPE = 32,
    LX_EDOM = 33, LX_ERANGE = 34, LX_EDEADLK = 35, LX_ENAMETOOLONG = 36, LX_ENOLCK = 37,
    LX_ENOSYS = 38, LX_ENOTEMPTY = 39, LX_ELOOP = 40, LX_ENOMSG = 42, LX_ENODATA = 61,
    LX_ETIME = 62, LX_EOVERFLOW = 75, LX_EBADFD = 77, LX_ELIBBAD = 80, LX_EILSEQ = 84, LX_ENOTSOCK = 88,
    LX_EDESTADDRREQ = 89, LX_EMSGSIZE = 90, LX_EPROTOTYPE = 91, LX_ENOPROTOOPT = 92,
    LX_EPROTONOSUPPORT = 93, LX_ESOCKTNOSUPPORT = 94, LX_EOPNOTSUPP = 95, LX_EAFNOSUPPORT = 97, LX_EADDRINUSE = 98,
    LX_EADDRNOTAVAIL = 99, LX_ENETUNREACH = 101, LX_ECONNRESET = 104, LX_ENOBUFS = 105, LX_ETOOMANYREFS = 109,
    LX_EISCONN = 106, LX_ENOTCONN = 107, LX_ETIMEDOUT = 110, LX_ECONNREFUSED = 111,
    LX_EALREADY = 114, LX_EINPROGRESS = 115,
};

/* open flags */
#define LX_O_ACCMODE   03
#define LX_O_RDONLY    00
#define LX_O_WRONLY    01
#define LX_O_RDWR      02
#define LX_O_CREAT     0100
#define LX_O_EXCL      0200
#define LX_O_NOCTTY    0400
#define LX_O_TRUNC     01000
#define LX_O_APPEND    02000
#define LX_O_NONBLOCK  04000
#define LX_O_ASYNC     020000   /* FASYNC: SIGIO to the owner when I/O is possible (fasync.c) */
#define LX_O_DSYNC     010000
#define LX_O_DIRECT    040000
#define LX_O_LARGEFILE 0100000
#define LX_O_DIRECTORY 0200000
#define LX_O_NOFOLLOW  0400000
#define LX_O_NOATIME   01000000
#define LX_O_CLOEXEC   02000000
#define LX_O_PATH      010000000
#define LX_O_TMPFILE   020200000

#define LX_AT_FDCWD            (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_REMOVEDIR        0x200
#define LX_AT_SYMLINK_FOLLOW   0x400
#define LX_AT_EACCESS          0x200
#define LX_AT_EMPTY_PATH       0x1000

/* fcntl */
#define LX_F_DUPFD 0
#define LX_F_GETFD 1
#define LX_F_SETFD 2
#define LX_F_GETFL 3
#define LX_F_SETFL 4
#define LX_F_GETLK 5
#define LX_F_OFD_GETLK 36
#define LX_F_OFD_SETLK 37
#define LX_F_OFD_SETLKW 38
#define LX_F_SETLK 6
#define LX_F_SETLKW 7
#define LX_F_SETOWN 8
#define LX_F_GETOWN 9
#define LX_F_SETSIG 10
#define LX_F_GETSIG 11
#define LX_F_SETOWN_EX 15
#define LX_F_GETOWN_EX 16
#define LX_F_OWNER_TID  0      /* struct f_owner_ex's type */
#define LX_F_OWNER_PID  1
#define LX_F_OWNER_PGRP 2
#define LX_F_DUPFD_CLOEXEC 1030
#define LX_F_GETPIPE_SZ 1032
#define LX_F_ADD_SEALS 1033
#define LX_F_GET_SEALS 1034
#define LX_FD_CLOEXEC 1

/* mode bits */
#define LX_S_IFMT   0170000
#define LX_S_IFSOCK 0140000
#define LX_S_IFLNK  0120000
#define LX_S_IFREG  0100000
#define LX_S_IFBLK  0060000
#define LX_S_IFDIR  0040000
#define LX_S_IFCHR  0020000
#define LX_S_IFIFO  0010000

#define LX_DT_UNKNOWN 0
#define LX_DT_FIFO 1
#define LX_DT_CHR 2
#define LX_DT_DIR 4
#define LX_DT_REG 8
#define LX_DT_LNK 10
#define LX_DT_SOCK 12

#define LX_SEEK_SET 0
#define LX_SEEK_CUR 1
#define LX_SEEK_END 2
#define LX_SEEK_DATA 3
#define LX_SEEK_HOLE 4

/* mmap */
#define LX_PROT_NONE  0
#define LX_PROT_READ  1
#define LX_PROT_WRITE 2
#define LX_PROT_EXEC  4
#define LX_PROT_GROWSDOWN 0x01000000
#define LX_PROT_GROWSUP   0x02000000
#define LX_MAP_SHARED    0x01
#define LX_MAP_PRIVATE   0x02
#define LX_MAP_SHARED_VALIDATE 0x03
#define LX_MAP_TYPE      0x0f
#define LX_MAP_FIXED     0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_MAP_32BIT     0x40
#define LX_MAP_GROWSDOWN 0x0100
#define LX_MAP_DENYWRITE 0x0800
#define LX_MAP_EXECUTABLE 0x1000
#define LX_MAP_LOCKED    0x2000
#define LX_MAP_NORESERVE 0x4000
#define LX_MAP_POPULATE  0x8000
#define LX_MAP_NONBLOCK  0x10000
#define LX_MAP_STACK     0x20000
#define LX_MAP_HUGETLB   0x40000
#define LX_MAP_FIXED_NOREPLACE 0x100000
#define LX_MREMAP_MAYMOVE 1
#define LX_MREMAP_FIXED   2
#define LX_MREMAP_DONTUNMAP 4
#define LX_MADV_DONTNEED  4

/* clone */
#define LX_CSIGNAL              0x000000ff
#define LX_CLONE_VM             0x00000100
#define LX_CLONE_FS             0x00000200
#define LX_CLONE_FILES          0x00000400
#define LX_CLONE_SIGHAND        0x00000800
#define LX_CLONE_PIDFD          0x00001000
#define LX_CLONE_PTRACE         0x00002000
#define LX_CLONE_VFORK          0x00004000
#define LX_CLONE_PARENT         0x00008000
#define LX_CLONE_THREAD         0x00010000
#define LX_CLONE_NEWNS          0x00020000
#define LX_CLONE_SYSVSEM        0x00040000
#define LX_CLONE_SETTLS         0x00080000
#define LX_CLONE_PARENT_SETTID  0x00100000
#define LX_CLONE_CHILD_CLEARTID 0x00200000
#define LX_CLONE_DETACHED       0x00400000
#define LX_CLONE_UNTRACED       0x00800000
#define LX_CLONE_CHILD_SETTID   0x01000000
#define LX_CLONE_NEWCGROUP      0x02000000
#define LX_CLONE_NEWUTS         0x04000000
#define LX_CLONE_NEWIPC         0x08000000
#define LX_CLONE_NEWUSER        0x10000000
#define LX_CLONE_NEWPID         0x20000000
#define LX_CLONE_NEWNET         0x40000000
#define LX_CLONE_IO             0x80000000ull

/* wait */
#define LX_WNOHANG    1
#define LX_WUNTRACED  2
#define LX_WSTOPPED   2
#define LX_WEXITED    4
#define LX_WCONTINUED 8
#define LX_WNOWAIT    0x01000000
#define LX_WALL       0x40000000
#define LX_WCLONE     0x80000000u
#define LX_P_ALL  0
#define LX_P_PID  1
#define LX_P_PGID 2
#define LX_P_PIDFD 3

/* signals */
enum {
    LX_SIGHUP = 1, LX_SIGINT, LX_SIGQUIT, LX_SIGILL, LX_SIGTRAP, LX_SIGABRT, LX_SIGBUS, LX_SIGFPE,
    LX_SIGKILL, LX_SIGUSR1, LX_SIGSEGV, LX_SIGUSR2, LX_SIGPIPE, LX_SIGALRM, LX_SIGTERM, LX_SIGSTKFLT,
    LX_SIGCHLD, LX_SIGCONT, LX_SIGSTOP, LX_SIGTSTP, LX_SIGTTIN, LX_SIGTTOU, LX_SIGURG, LX_SIGXCPU,
    LX_SIGXFSZ, LX_SIGVTALRM, LX_SIGPROF, LX_SIGWINCH, LX_SIGIO, LX_SIGPWR, LX_SIGSYS,
};
#define LX_NSIG 64
#define LX_SIG_DFL 0ull
#define LX_SIG_IGN 1ull
#define LX_SA_NOCLDSTOP 0x00000001
#define LX_SA_NOCLDWAIT 0x00000002
#define LX_SA_SIGINFO   0x00000004
#define LX_SA_RESTORER  0x04000000
#define LX_SA_ONSTACK   0x08000000
#define LX_SA_RESTART   0x10000000
#define LX_SA_NODEFER   0x40000000
#define LX_SA_RESETHAND 0x80000000u
#define LX_SIG_BLOCK   0
#define LX_SIG_UNBLOCK 1
#define LX_SIG_SETMASK 2
#define LX_SS_ONSTACK 1
#define LX_SS_DISABLE 2
#define LX_MINSIGSTKSZ 2048

/* si_code values */
#define LX_SI_USER    0
#define LX_SI_KERNEL  0x80
#define LX_SI_QUEUE   (-1)
#define LX_SI_TIMER   (-2)
#define LX_SI_TKILL   (-6)
#define LX_POLL_IN    1        /* si_code of an F_SETSIG signal: what the file can do */
#define LX_POLL_OUT   2
#define LX_POLL_ERR   4
#define LX_POLL_HUP   6
#define LX_CLD_EXITED 1
#define LX_CLD_KILLED 2
#define LX_CLD_DUMPED 3
#define LX_SEGV_MAPERR 1
#define LX_SEGV_ACCERR 2
#define LX_ILL_ILLOPN 2
#define LX_FPE_INTDIV 1
#define LX_BUS_ADRALN 1
#define LX_BUS_ADRERR 2
#define LX_TRAP_BRKPT 1

struct lx_sigaction {              /* what rt_sigaction passes (sigsetsize 8) */
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

struct lx_siginfo {
    int32_t signo, err, code, pad;
    union {
        struct { int32_t pid; uint32_t uid; int32_t status; int32_t pad; int64_t utime, stime; } chld;
        struct { int32_t pid; uint32_t uid; } kill;
        struct { uint64_t addr; } fault;
        struct { int32_t tid, overrun; uint64_t value; } timer;
        struct { int64_t band; int32_t fd; } poll;
        uint8_t pad_[112];
    };
};
_Static_assert(sizeof(struct lx_siginfo) == 128, "siginfo is 128 bytes");

struct lx_stack {                  /* stack_t */
    uint64_t sp;
    int32_t flags, pad;
    uint64_t size;
};

struct lx_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved[8];
};
_Static_assert(sizeof(struct lx_sigcontext) == 256, "sigcontext is 256 bytes");

struct lx_ucontext {
    uint64_t flags;
    uint64_t link;
    struct lx_stack stack;
    struct lx_sigcontext mcontext;
    uint64_t sigmask;
};
_Static_assert(sizeof(struct lx_ucontext) == 304, "ucontext is 304 bytes");

/* Files */
struct lx_timespec { int64_t sec, nsec; };
struct lx_timeval { int64_t sec, usec; };

struct lx_stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    struct lx_timespec atime, mtime, ctime;
    int64_t unused[3];
};
_Static_assert(sizeof(struct lx_stat) == 144, "struct stat is 144 bytes");

struct lx_statx_ts { int64_t sec; uint32_t nsec; int32_t reserved; };
struct lx_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, spare0;
    uint64_t ino, size, blocks, attributes_mask;
    struct lx_statx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t mnt_id;
    uint32_t dio_mem_align, dio_offset_align;
    uint64_t spare3[12];
};
_Static_assert(sizeof(struct lx_statx) == 256, "struct statx is 256 bytes");
#define LX_STATX_BASIC_STATS 0x7ff

struct lx_statfs {
    int64_t type, bsize, blocks, bfree, bavail, files, ffree;
    int32_t fsid[2];
    int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct lx_statfs) == 120, "struct statfs is 120 bytes");

struct lx_dirent64 {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    char name[];
};

struct lx_iovec { uint64_t base, len; };

struct lx_pollfd { int32_t fd; int16_t events, revents; };
#define LX_POLLIN   0x001
#define LX_POLLPRI  0x002
#define LX_POLLOUT  0x004
#define LX_POLLERR  0x008
#define LX_POLLHUP  0x010
#define LX_POLLNVAL 0x020
#define LX_POLLRDNORM 0x040
#define LX_POLLWRNORM 0x100

struct lx_epoll_event { uint32_t events; uint64_t data; } __attribute__((packed));
#define LX_EPOLL_CTL_ADD 1
#define LX_EPOLL_CTL_DEL 2
#define LX_EPOLL_CTL_MOD 3
#define LX_EPOLLRDHUP 0x2000
#define LX_EPOLLEXCLUSIVE (1u << 28)
#define LX_EPOLLWAKEUP (1u << 29)
#define LX_EPOLLET (1u << 31)
#define LX_EPOLLONESHOT (1u << 30)

/* ioctl */
#define LX_TCGETS     0x5401
#define LX_TCSETS     0x5402
#define LX_TCSETSW    0x5403
#define LX_TCSETSF    0x5404
#define LX_TCSBRK     0x5409
#define LX_TCXONC     0x540A
#define LX_TCFLSH     0x540B
#define LX_TIOCSCTTY  0x540E
#define LX_TIOCGPGRP  0x540F
#define LX_TIOCSPGRP  0x5410
#define LX_TIOCGWINSZ 0x5413
#define LX_TIOCSWINSZ 0x5414
#define LX_FIONREAD   0x541B
#define LX_FIONBIO    0x5421
#define LX_TIOCNOTTY  0x5422
#define LX_TIOCGSID   0x5429
#define LX_FIOASYNC   0x5452
#define LX_FIOCLEX    0x5451
#define LX_FIONCLEX   0x5450

/* misc */
struct lx_utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };
struct lx_rlimit { uint64_t cur, max; };
#define LX_RLIM_INFINITY (~0ull)
enum {
    LX_RLIMIT_CPU, LX_RLIMIT_FSIZE, LX_RLIMIT_DATA, LX_RLIMIT_STACK, LX_RLIMIT_CORE, LX_RLIMIT_RSS,
    LX_RLIMIT_NPROC, LX_RLIMIT_NOFILE, LX_RLIMIT_MEMLOCK, LX_RLIMIT_AS, LX_RLIMIT_LOCKS,
    LX_RLIMIT_SIGPENDING, LX_RLIMIT_MSGQUEUE, LX_RLIMIT_NICE, LX_RLIMIT_RTPRIO, LX_RLIMIT_RTTIME,
    LX_RLIM_NLIMITS
};
struct lx_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};
_Static_assert(sizeof(struct lx_sysinfo) == 112, "struct sysinfo is 112 bytes");
struct lx_rusage { struct lx_timeval utime, stime; int64_t rest[14]; };
struct lx_tms { int64_t utime, stime, cutime, cstime; };
struct lx_itimerval { struct lx_timeval interval, value; };

#define LX_ARCH_SET_GS 0x1001
#define LX_ARCH_SET_FS 0x1002
#define LX_ARCH_GET_FS 0x1003
#define LX_ARCH_GET_GS 0x1004

#define LX_CLOCK_REALTIME 0
#define LX_CLOCK_MONOTONIC 1
#define LX_CLOCK_PROCESS_CPUTIME_ID 2
#define LX_CLOCK_THREAD_CPUTIME_ID 3
#define LX_CLOCK_MONOTONIC_RAW 4
#define LX_CLOCK_REALTIME_COARSE 5
#define LX_CLOCK_MONOTONIC_COARSE 6
#define LX_CLOCK_BOOTTIME 7
#define LX_TIMER_ABSTIME 1

#define LX_FUTEX_WAIT 0
#define LX_FUTEX_WAKE 1
#define LX_FUTEX_REQUEUE 3
#define LX_FUTEX_CMP_REQUEUE 4
#define LX_FUTEX_WAKE_OP 5
#define LX_FUTEX_LOCK_PI 6
#define LX_FUTEX_UNLOCK_PI 7
#define LX_FUTEX_WAIT_BITSET 9
#define LX_FUTEX_WAKE_BITSET 10
#define LX_FUTEX_PRIVATE_FLAG 128
#define LX_FUTEX_CLOCK_REALTIME 256

#define LX_PR_SET_PDEATHSIG 1
#define LX_PR_GET_PDEATHSIG 2
#define LX_PR_GET_DUMPABLE 3
#define LX_PR_SET_DUMPABLE 4
#define LX_PR_SET_NAME 15
#define LX_PR_GET_NAME 16

#define LX_GRND_NONBLOCK 1
#define LX_GRND_RANDOM 2

/* auxiliary vector */
#define LX_AT_NULL 0
#define LX_AT_IGNORE 1
#define LX_AT_PHDR 3
#define LX_AT_PHENT 4
#define LX_AT_PHNUM 5
#define LX_AT_PAGESZ 6
#define LX_AT_BASE 7
#define LX_AT_FLAGS 8
#define LX_AT_ENTRY 9
#define LX_AT_UID 11
#define LX_AT_EUID 12
#define LX_AT_GID 13
#define LX_AT_EGID 14
#define LX_AT_PLATFORM 15
#define LX_AT_HWCAP 16
#define LX_AT_CLKTCK 17
#define LX_AT_SECURE 23
#define LX_AT_RANDOM 25
#define LX_AT_HWCAP2 26
#define LX_AT_EXECFN 31
#define LX_AT_MINSIGSTKSZ 51
#define LX_AT_SYSINFO_EHDR 33

/* sockets */
#define LX_AF_UNIX 1
#define LX_AF_INET 2
#define LX_AF_INET6 10
#define LX_SOCK_STREAM 1
#define LX_SOCK_DGRAM 2
#define LX_SOCK_RAW 3
#define LX_SOCK_NONBLOCK 04000
#define LX_SOCK_CLOEXEC 02000000
#define LX_SOL_SOCKET 1
#define LX_SO_REUSEADDR 2
#define LX_SO_TYPE 3
#define LX_SO_ERROR 4
#define LX_SO_BROADCAST 6
#define LX_SO_SNDBUF 7
#define LX_SO_RCVBUF 8
#define LX_SO_KEEPALIVE 9
#define LX_SO_REUSEPORT 15
#define LX_SO_RCVTIMEO 20
#define LX_SO_SNDTIMEO 21
#define LX_SO_ACCEPTCONN 30
#define LX_SO_PROTOCOL 38
#define LX_SO_DOMAIN 39
#define LX_MSG_PEEK 2
#define LX_MSG_CTRUNC 8
#define LX_MSG_CMSG_CLOEXEC 0x40000000
#define LX_SCM_RIGHTS 1
#define LX_SCM_CREDENTIALS 2
#define LX_SCM_MAX_FD 253
#define LX_SO_PASSCRED 16
#define LX_MSG_TRUNC 0x20
#define LX_MSG_DONTWAIT 0x40
#define LX_MSG_NOSIGNAL 0x4000
#define LX_SHUT_RD 0
#define LX_SHUT_WR 1
#define LX_SHUT_RDWR 2
struct lx_sockaddr_in { uint16_t family, port; uint32_t addr; uint8_t zero[8]; };
struct lx_msghdr {
    uint64_t name;
    uint32_t namelen, pad;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, pad2;
};

#endif
