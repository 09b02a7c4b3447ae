/*
 * aerie/syscall.h — the system-call interface: numbers, the message-info
 * word, timeouts, and the capability-space operations. docs/ABI.md is the
 * prose version of this file; keep them in step.
 *
 * Convention (x86-64 `syscall`): RAX = number, arguments in RDI, RSI, RDX,
 * R10, R8, R9. Results: RAX = a message info word (>= 0) or a negative
 * AE_* error; RDX = the badge for receives. RCX and R11 are clobbered.
 * Numbers below AERIE_SYS_BASE are not Aerie calls: they are delivered to
 * the thread's fault handler as a FAULT_SYSCALL message (see fault.h).
 */
#ifndef AERIE_SYSCALL_H
#define AERIE_SYSCALL_H

#ifndef __ASSEMBLY__
#include <stdint.h>
#endif

#define AERIE_SYS_BASE        0x1000
#define AERIE_SYS_CALL        0x1000  /* (cap, info, timeout): IPC call, or invoke a kernel object */
#define AERIE_SYS_SEND        0x1001  /* (cap, info, timeout): IPC send; reply through a saved reply cap */
#define AERIE_SYS_RECV        0x1002  /* (cap, timeout): receive on an endpoint, or wait on a notification */
#define AERIE_SYS_REPLY       0x1003  /* (info): reply to the caller last received */
#define AERIE_SYS_REPLY_RECV  0x1004  /* (cap, info, timeout): reply, then receive on cap */
#define AERIE_SYS_SIGNAL      0x1005  /* (cap, bits): signal a notification */
#define AERIE_SYS_YIELD       0x1006  /* (): give up the rest of the time slice */
#define AERIE_SYS_CAP         0x1007  /* (op, a, b, c, d): operate on the caller's capability space */
#define AERIE_SYS_FUTEX       0x1008  /* (op, addr, value, timeout) */
#define AERIE_SYS_EXIT        0x1009  /* (status, flags): end this thread; its fault handler is told */
#define AERIE_SYS_REPLY_SAVE  0x100A  /* (slot): keep the pending reply as a one-shot reply cap */
#define AERIE_SYS_SET_TLS     0x100B  /* (address): set this thread's FS base */
#define AERIE_SYS_LAST        0x100B

/* AERIE_SYS_EXIT flags */
#define AERIE_EXIT_QUIET      0x1     /* no FAULT_EXIT message: one thread of many ends */

/* Message info word: label (31 bits), number of capabilities, number of
 * message words. It is never negative, so RAX tells info from error. */
#define AERIE_MSG_WORDS       64      /* message registers in the UTCB */
#define AERIE_MSG_CAPS        3       /* capabilities per message */

#define AERIE_INFO(label, nwords, ncaps) \
    (((uint64_t)(label) << 32) | ((uint64_t)(ncaps) << 8) | (uint64_t)(nwords))
#define AERIE_INFO_LABEL(i)   (((uint64_t)(i) >> 32) & 0x7FFFFFFF)
#define AERIE_INFO_NCAPS(i)   (((uint64_t)(i) >> 8) & 0xFF)
#define AERIE_INFO_NWORDS(i)  ((uint64_t)(i) & 0xFF)
#define AERIE_INFO_FLAGS(i)   (((uint64_t)(i) >> 16) & 0xFFFF)
#define AERIE_INFO_CAPS_DROPPED 0x1   /* flag on receive: the window could not take every cap */
#define AERIE_INFO_KERNEL     0x2     /* flag on receive: the kernel built this message (a fault,
                                         exception, foreign system call or exit); no thread can
                                         send a message that carries it */
#define AERIE_LABEL_MAX       0x7FFFFFFF

/* Timeouts, in nanoseconds relative to the call. */
#define AERIE_TIMEOUT_POLL    0ull           /* never block */
#define AERIE_TIMEOUT_FOREVER (~0ull)

/* AERIE_SYS_CAP operations on the caller's own capability space. Slot 0
 * is never a capability; slots are numbered 1 .. AERIE_CSPACE_MAX-1. */
#define AERIE_CSPACE_MAX      262144         /* 2^18: a manager holds a few per container */
#define AERIE_CAP_COPY        1   /* (src, dst, rights_mask, badge): dst gets src & mask; badge only from an unbadged cap */
#define AERIE_CAP_MOVE        2   /* (src, dst) */
#define AERIE_CAP_DELETE      3   /* (slot) */
#define AERIE_CAP_REVOKE      4   /* (slot): delete every capability derived from slot */
#define AERIE_CAP_INFO        5   /* (slot) -> RAX = type | rights << 8, RDX = badge */

/* AERIE_SYS_FUTEX operations, on a 32-bit word in the caller's own memory. */
#define AERIE_FUTEX_WAIT      1   /* (addr, expected, timeout): AE_EAGAIN if *addr != expected */
#define AERIE_FUTEX_WAKE      2   /* (addr, count) -> number woken */

#endif
