/*
 * libaerie/syscall.h — the system calls as inline functions, one per
 * call in aerie/syscall.h. Nothing here allocates or locks.
 */
#ifndef LIBAERIE_SYSCALL_H
#define LIBAERIE_SYSCALL_H

#include <stdint.h>
#include <aerie/syscall.h>

/* An Aerie system call keeps the x87, MMX and SSE control words but not
 * their data registers (docs/ABI.md, "FPU state across a call"): the
 * compiler must keep nothing there across one. */
#define AE_SYSCALL_FPU_CLOBBERS                                                                     \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",      \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)",    \
        "st(5)", "st(6)", "st(7)", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7"

static inline int64_t ae_syscall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                 uint64_t e, uint64_t *rdx_out)
{
    register uint64_t r10 __asm__("r10") = d;
    register uint64_t r8 __asm__("r8") = e;
    uint64_t rax = nr, rdx = c;
    __asm__ volatile("syscall"
                     : "+a"(rax), "+d"(rdx), "+D"(a), "+S"(b), "+r"(r10), "+r"(r8)
                     :
                     : "rcx", "r11", "r9", "memory", AE_SYSCALL_FPU_CLOBBERS);
    if (rdx_out)
        *rdx_out = rdx;
    return (int64_t)rax;
}

static inline int64_t ae_call(uint64_t cap, uint64_t info, uint64_t timeout)
{
    return ae_syscall(AERIE_SYS_CALL, cap, info, timeout, 0, 0, 0);
}

static inline int64_t ae_send(uint64_t cap, uint64_t info, uint64_t timeout)
{
    return ae_syscall(AERIE_SYS_SEND, cap, info, timeout, 0, 0, 0);
}

static inline int64_t ae_recv(uint64_t cap, uint64_t timeout, uint64_t *badge)
{
    return ae_syscall(AERIE_SYS_RECV, cap, timeout, 0, 0, 0, badge);
}

static inline int64_t ae_reply(uint64_t info)
{
    return ae_syscall(AERIE_SYS_REPLY, info, 0, 0, 0, 0, 0);
}

static inline int64_t ae_reply_recv(uint64_t cap, uint64_t info, uint64_t timeout, uint64_t *badge)
{
    return ae_syscall(AERIE_SYS_REPLY_RECV, cap, info, timeout, 0, 0, badge);
}

/* ae_reply_recv, and *replied = what the REPLY returned (0: delivered;
 * AE_EINVAL: nobody waited; AE_EDEAD: the caller went away). */
static inline int64_t ae_reply_recv_ex(uint64_t cap, uint64_t info, uint64_t timeout, uint64_t *badge,
                                       int64_t *replied)
{
    register uint64_t r10 __asm__("r10") = 0;
    register uint64_t r8 __asm__("r8") = 0;
    uint64_t rax = AERIE_SYS_REPLY_RECV, rdx = timeout, rdi = cap, rsi = info;
    __asm__ volatile("syscall"
                     : "+a"(rax), "+d"(rdx), "+D"(rdi), "+S"(rsi), "+r"(r10), "+r"(r8)
                     :
                     : "rcx", "r11", "r9", "memory", AE_SYSCALL_FPU_CLOBBERS);
    if (badge)
        *badge = rdx;
    *replied = (int64_t)rsi;
    return (int64_t)rax;
}

static inline int64_t ae_signal(uint64_t cap, uint64_t bits)
{
    return ae_syscall(AERIE_SYS_SIGNAL, cap, bits, 0, 0, 0, 0);
}

static inline void ae_yield(void)
{
    ae_syscall(AERIE_SYS_YIELD, 0, 0, 0, 0, 0, 0);
}

static inline int64_t ae_sleep_ns(uint64_t ns)
{
    return ae_syscall(AERIE_SYS_RECV, 0, ns, 0, 0, 0, 0);
}

static inline int64_t ae_cap_copy(uint64_t src, uint64_t dst, uint64_t rights, uint64_t badge)
{
    return ae_syscall(AERIE_SYS_CAP, AERIE_CAP_COPY, src, dst, rights, badge, 0);
}

static inline int64_t ae_cap_move(uint64_t src, uint64_t dst)
{
    return ae_syscall(AERIE_SYS_CAP, AERIE_CAP_MOVE, src, dst, 0, 0, 0);
}

static inline int64_t ae_cap_delete(uint64_t slot)
{
    return ae_syscall(AERIE_SYS_CAP, AERIE_CAP_DELETE, slot, 0, 0, 0, 0);
}

static inline int64_t ae_cap_revoke(uint64_t slot)
{
    return ae_syscall(AERIE_SYS_CAP, AERIE_CAP_REVOKE, slot, 0, 0, 0, 0);
}

/* Returns type | rights << 8, or an error; *badge gets the badge. */
static inline int64_t ae_cap_info(uint64_t slot, uint64_t *badge)
{
    return ae_syscall(AERIE_SYS_CAP, AERIE_CAP_INFO, slot, 0, 0, 0, badge);
}

static inline int64_t ae_futex_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout)
{
    return ae_syscall(AERIE_SYS_FUTEX, AERIE_FUTEX_WAIT, (uint64_t)addr, expected, timeout, 0, 0);
}

static inline int64_t ae_futex_wake(volatile uint32_t *addr, uint64_t count)
{
    return ae_syscall(AERIE_SYS_FUTEX, AERIE_FUTEX_WAKE, (uint64_t)addr, count, 0, 0, 0);
}

static inline int64_t ae_reply_save(uint64_t slot)
{
    return ae_syscall(AERIE_SYS_REPLY_SAVE, slot, 0, 0, 0, 0, 0);
}

static inline int64_t ae_set_tls(uint64_t tp)
{
    return ae_syscall(AERIE_SYS_SET_TLS, tp, 0, 0, 0, 0, 0);
}

/* Ends the calling thread; its fault handler gets FAULT_EXIT(status). */
__attribute__((noreturn)) static inline void ae_thread_exit(uint64_t status)
{
    ae_syscall(AERIE_SYS_EXIT, status, 0, 0, 0, 0, 0);
    for (;;)
        __asm__ volatile("ud2");
}

#endif
