/*
 * aerie/fault.h — messages the kernel sends to a thread's fault handler.
 * A faulting thread makes an IPC call on its handler endpoint with one of
 * these labels; the handler sees the badge of that endpoint capability.
 * Replying with label AERIE_FAULT_RESUME resumes the thread (optionally
 * with a new RIP/RSP/RAX); any other reply leaves it stopped.
 */
#ifndef AERIE_FAULT_H
#define AERIE_FAULT_H

#define AERIE_FAULT_PAGE      0x7A01   /* (address, error code, rip, rsp) */
#define AERIE_FAULT_EXCEPTION 0x7A02   /* (vector, error code, rip, rsp) */
#define AERIE_FAULT_SYSCALL   0x7A03   /* (rax, rdi, rsi, rdx, r10, r8, r9, rip, rsp) */
#define AERIE_FAULT_EXIT      0x7A04   /* (status): the thread called AERIE_SYS_EXIT */

/* The one notice of a quota watch (AERIE_QUOTA_WATCH in objects.h). No
 * thread sends it and nobody waits for a reply: the kernel builds it,
 * with AERIE_INFO_KERNEL, 7 words:
 *   (reason, how, detail, w0, w1, w2, w3)
 * reason AERIE_GONE_THREADS: the last live thread of the quota or of a
 *   descendant ended; how and detail say how that thread ended:
 *     AERIE_END_EXIT       it called AERIE_SYS_EXIT (quiet or not); detail = status
 *     AERIE_END_FAULT      it faulted with no handler, or its handler went away
 *                          (or refused the exit call); detail = the fault label,
 *                          w0..w3 = the fault message's first four words
 *     AERIE_END_DESTROYED  it, its task or its quota was destroyed
 * reason AERIE_GONE_DESTROYED: the quota was destroyed first (how = 0). */
#define AERIE_FAULT_GONE      0x7A05
#define AERIE_GONE_THREADS    1
#define AERIE_GONE_DESTROYED  2
#define AERIE_END_EXIT        1
#define AERIE_END_FAULT       2
#define AERIE_END_DESTROYED   3

#define AERIE_FAULT_RESUME    0        /* reply label: run again */
#define AERIE_RESUME_SET_RIP  0x1      /* reply word 0 flags; words 1..3 = rip, rsp, rax */
#define AERIE_RESUME_SET_RSP  0x2
#define AERIE_RESUME_SET_RAX  0x4

/* Page-fault error code bits (as the CPU reports them). */
#define AERIE_PF_PRESENT 0x1
#define AERIE_PF_WRITE   0x2
#define AERIE_PF_USER    0x4
#define AERIE_PF_FETCH   0x10
/* Not the CPU's (a bit x86-64 leaves reserved, inside the low 32 so a
 * handler that keeps only those keeps it): set by the kernel when a touch
 * of a lazy Memory page (AERIE_MEM_LAZY) could not be charged or
 * allocated, so the fault is the quota's limit, not a bad address. */
#define AERIE_PF_NOMEM   0x40000000ull

#endif
