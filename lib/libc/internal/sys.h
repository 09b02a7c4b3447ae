/*
 * sys.h — the only way libc reaches the operating system. libaerie
 * implements these on top of the kernel's invocations; the host tests
 * implement them on Linux (tests/libc/host_sys.c with glibc,
 * tests/libc/linux_sys.c with raw system calls). Nothing else in libc
 * talks to the OS, so porting libc means implementing this file.
 *
 * Conventions for every function below:
 *  - An error is a negative AE_* value from <aerie/errors.h>; libc turns it
 *    into errno in one place (__errno_from_ae, src/errno/ae_errno.c).
 *  - Any thread may call any function at any time, concurrently.
 *  - None of them touches errno or any other libc state.
 */
#ifndef LIBC_SYS_H
#define LIBC_SYS_H

#include <stddef.h>
#include <stdint.h>

/* Ends the program — every thread of it — with status as its exit status
 * (what the container manager reports; 0..255 is meaningful). */
_Noreturn void __sys_exit(int status);

/* Writes buf[0..n) to the program's console stream (its log; stdout and
 * stderr go here until files exist). Writes all n bytes or fails: returns
 * n, or a negative AE_* error. n == 0 returns 0. */
long __sys_log_write(const char *buf, size_t n);

/* Reads up to n bytes of the program's standard input (the input of its
 * console stream, `aerie run -i`), waiting while it is empty: the bytes
 * read, 0 at its end (or when it has none), or a negative AE_* error. */
long __sys_log_read(char *buf, size_t n);

/* Maps bytes (a multiple of 4096, > 0) of fresh read/write memory, zeroed
 * and 4096-aligned. Returns NULL when out of memory (or quota). */
void *__sys_pages_alloc(size_t bytes);

/* Unmaps a range exactly as an earlier __sys_pages_alloc returned it
 * (same address, same size). */
void __sys_pages_free(void *p, size_t bytes);

/* Nanoseconds since an arbitrary start (boot); never goes backwards. */
uint64_t __sys_clock_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 00:00:00 UTC. */
uint64_t __sys_clock_realtime_ns(void);

/* Blocks the calling thread for at least ns nanoseconds (0 just yields).
 * Returns 0, or a negative AE_* error. */
int __sys_sleep_ns(uint64_t ns);

/* Gives the CPU to another ready thread, if there is one. */
void __sys_yield(void);

/*
 * Starts a thread in the calling task. The new thread begins in entry(arg)
 * as if entry had just been called (SysV ABI): RSP = stack_top - 8 with a
 * zero return address at [RSP], so RSP + 8 is 16-byte aligned (stack_top
 * itself is 16-byte aligned), its FS base is tls (the thread pointer, see
 * __sys_set_tls), SSE state is the ABI's initial state (MXCSR 0x1f80, x87
 * control word 0x37f), and other registers are unspecified. entry never
 * returns; it ends with __sys_thread_exit. On success returns 0 and
 * stores an identifier of the thread in *handle; otherwise a negative
 * AE_* error (AE_ENOMEM, AE_ELIMIT) and no thread was started.
 */
int __sys_thread_create(void (*entry)(void *), void *arg, void *stack_top, void *tls,
                        uint64_t *handle);

/* Ends the calling thread (the program ends when its last thread does).
 * It must not read or write the caller's stack or TLS: libc frees them as
 * soon as the thread has announced its exit, so write it as a bare
 * system-call stub. */
_Noreturn void __sys_thread_exit(void);

/* Sets the calling thread's FS base to tp (the x86-64 thread pointer; libc
 * keeps a self-pointer at %fs:0). Returns 0, or a negative AE_* error. */
int __sys_set_tls(void *tp);

/*
 * If *addr == expected (compared atomically with the decision to sleep),
 * blocks until woken by __sys_futex_wake on the same address, or until
 * timeout_ns nanoseconds have passed (~0ull: no timeout). Returns 0 when
 * woken (spurious wake-ups are allowed; callers re-check), AE_EAGAIN when
 * *addr != expected, AE_ETIMEOUT when the time ran out. addr is 4-byte
 * aligned and private to the task.
 */
int __sys_futex_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns);

/* Wakes up to count threads blocked in __sys_futex_wait on addr
 * (count == ~0u: all). Returns the number woken, or a negative AE_* error. */
int __sys_futex_wake(volatile uint32_t *addr, unsigned count);

/*
 * Files by name: the file system. Paths are NUL-terminated and follow
 * POSIX's rules ("" names nothing: AE_ENOENT); they arrive absolute
 * (libc joins a relative one to the working directory, src/unistd/cwd.c). flags are
 * <fcntl.h>'s O_* values (Linux's numbers); mode is the permission bits,
 * stored as given (there is no umask). __sys_open makes the open file an
 * fd-table entry: its ops (fd.h) and object. A program that was given no
 * file system gets AE_EACCES from each of these.
 */
struct fd_ops;
struct stat;
int __sys_open(const char *path, int flags, unsigned mode, const struct fd_ops **ops,
               void **obj);
int __sys_stat(const char *path, struct stat *st);
int __sys_lstat(const char *path, struct stat *st);
int __sys_truncate(const char *path, long size);
int __sys_mkdir(const char *path, unsigned mode);
int __sys_unlink(const char *path);
/* Sends the file writes still queued (write-behind) before the program ends. */
void __sys_fs_flush(void);
int __sys_rmdir(const char *path);
int __sys_rename(const char *from, const char *to);
int __sys_symlink(const char *target, const char *link);
/* Returns the target's length (at most cap bytes of it are in buf). */
long __sys_readlink(const char *path, char *buf, size_t cap);
int __sys_link(const char *old, const char *new_name);
int __sys_chmod(const char *path, unsigned mode);
/* uid, gid: (unsigned)-1 leaves one as it is; follow: 0 acts on a final link. */
int __sys_chown(const char *path, unsigned uid, unsigned gid, int follow);

/*
 * UDP/IPv4 (sockets, src/network/). The program has at most one session
 * with the platform's network service; datagrams for all its ports arrive
 * in one queue in order, and libc sorts them to sockets. Addresses and
 * ports are in host byte order. Unlike the rest of this file, the caller
 * serializes these calls (one lock), except __sys_net_wait.
 */
struct __sys_dgram {
    uint32_t ip;                    /* the sender */
    uint16_t port;
    uint16_t local_port;            /* the port it arrived at */
    uint16_t len;
    const unsigned char *data;      /* valid until __sys_net_consume */
};

/* 0 if the program may use the network at all, else AE_EACCES. */
int __sys_net_available(void);
/* Our own IPv4 address: 0 and *ip, or an AE_* error. */
int __sys_net_addr(uint32_t *ip);
/* Binds port (0: any free port the program may use). 0 and *bound, or
 * AE_EACCES (not granted), AE_EADDRINUSE, AE_EADDRNOTAVAIL (none free). */
int __sys_net_bind(uint16_t port, uint16_t *bound);
int __sys_net_unbind(uint16_t port);
/* Queues a datagram from bound port lport. 0, AE_EAGAIN (no room now),
 * AE_EMSGSIZE, or another AE_* error. */
int __sys_net_send(uint16_t lport, uint32_t ip, uint16_t port, const void *buf, size_t len);
/* How many datagrams __sys_net_send would take now without AE_EAGAIN. */
unsigned __sys_net_tx_room(void);
/* The next received datagram, left in the queue; 0 or AE_EAGAIN. */
int __sys_net_peek(struct __sys_dgram *d);
/* Removes the datagram __sys_net_peek showed. */
void __sys_net_consume(void);
/* Asks to be woken when a datagram arrives (rx) or sending has room (tx);
 * returns 1 if there is still none (the caller may wait), 0 if there is. */
int __sys_net_arm(int rx, int tx);
/* Waits until woken (perhaps spuriously) or timeout_ns (~0ull: forever)
 * passed: 0 or AE_ETIMEOUT. Any thread, concurrently with the others. */
int __sys_net_wait(uint64_t timeout_ns);
/* Withdraws both requests of __sys_net_arm. */
void __sys_net_disarm(void);

/*
 * TCP over the same session (src/network/tcp.c). A socket is a number the
 * platform gives; data moves through memory shared with the network
 * service, so send and receive never block here: AE_EAGAIN means "not
 * now", and __sys_net_arm/__sys_net_wait (which also watch TCP) sleep
 * until something changed. The caller serializes, as above.
 */
#define __SYS_TCP_FREE       0
#define __SYS_TCP_BOUND      1
#define __SYS_TCP_LISTEN     2
#define __SYS_TCP_CONNECTING 3
#define __SYS_TCP_OPEN       4
#define __SYS_TCP_DONE       5
#define __SYS_TCP_NEW        0xffffffffu     /* connect: a new socket */
#define __SYS_TCP_O_NODELAY   0x1u
#define __SYS_TCP_O_KEEPALIVE 0x2u
#define __SYS_TCP_O_REUSEADDR 0x4u
#define __SYS_TCP_OPT_NODELAY   1u
#define __SYS_TCP_OPT_KEEPALIVE 2u
#define __SYS_TCP_OPT_KEEPIDLE  3u
#define __SYS_TCP_OPT_KEEPINTVL 4u
#define __SYS_TCP_OPT_KEEPCNT   5u

struct __sys_tcp_info {
    uint32_t state;                 /* __SYS_TCP_* */
    int32_t  error;                 /* AE_* once DONE, or 0 */
    int      rx_fin;                /* the peer sends no more */
    int      tx_done;               /* nothing more can be sent */
    uint32_t rx_ready;              /* bytes to read (listener: connections to accept) */
    uint32_t tx_room;               /* bytes a send would take now */
    uint32_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
};

/* 0 if the program may use TCP, else AE_EACCES. */
int __sys_tcp_available(void);
int __sys_tcp_bind(uint16_t port, unsigned opts, uint32_t *sock, uint16_t *bound);
int __sys_tcp_listen(uint32_t sock, unsigned backlog, uint32_t rcvbuf, uint32_t sndbuf, unsigned opts);
/* Starts connecting and returns; the socket's state says how it ends. */
int __sys_tcp_connect(uint32_t sock, uint32_t ip, uint16_t port, uint32_t rcvbuf, uint32_t sndbuf,
                      unsigned opts, uint32_t *sock_out, uint16_t *lport);
int __sys_tcp_setopt(uint32_t sock, unsigned opt, uint32_t value);
int __sys_tcp_info(uint32_t sock, struct __sys_tcp_info *info);
/* 0 and *sock, or AE_EAGAIN. */
int __sys_tcp_accept(uint32_t listener, uint32_t *sock);
/* Bytes, 0 at the end of the stream, AE_EAGAIN, or the connection's error. */
long __sys_tcp_recv(uint32_t sock, void *buf, size_t len, int peek);
/* Bytes taken (perhaps fewer than len), AE_EAGAIN, AE_EDEAD (no more
 * sending), or the connection's error. */
long __sys_tcp_send(uint32_t sock, const void *buf, size_t len);
int __sys_tcp_shutdown(uint32_t sock);
int __sys_tcp_close(uint32_t sock);

#endif
