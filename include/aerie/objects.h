/*
 * aerie/objects.h — kernel object types, capability rights, and every
 * object's methods. A method is invoked with AERIE_SYS_CALL on a
 * capability: the label selects the method, message words carry the
 * arguments, and the reply's words carry the results. On error RAX is the
 * negative AE_* code and message word 0 holds the index of the argument
 * word at fault (or ~0 when no single argument is to blame).
 * docs/ABI.md describes each method; keep them in step.
 */
#ifndef AERIE_OBJECTS_H
#define AERIE_OBJECTS_H

/* Object types (AERIE_CAP_INFO reports them). */
enum aerie_obj_type {
    AERIE_OBJ_NONE = 0,
    AERIE_OBJ_QUOTA,
    AERIE_OBJ_TASK,
    AERIE_OBJ_THREAD,
    AERIE_OBJ_ENDPOINT,
    AERIE_OBJ_NOTIFICATION,
    AERIE_OBJ_MEMORY,
    AERIE_OBJ_IRQ_CONTROL,
    AERIE_OBJ_IRQ,
    AERIE_OBJ_IOPORT,
    AERIE_OBJ_DEVMEM,
    AERIE_OBJ_KDEBUG,
    AERIE_OBJ_REPLY,
    AERIE_OBJ_TYPES
};

/* Rights. A copy can only remove rights. */
#define AERIE_R_READ    0x01   /* endpoint: receive; notification: wait; memory: map readable; objects: info */
#define AERIE_R_WRITE   0x02   /* endpoint: send; notification: signal; memory: map writable */
#define AERIE_R_EXEC    0x04   /* memory: map executable */
#define AERIE_R_GRANT   0x08   /* endpoint: messages sent through it may carry capabilities */
#define AERIE_R_MANAGE  0x10   /* control methods: create, map, configure, destroy, ... */
#define AERIE_R_ALL     0x1F
#define AERIE_R_CLONE   0x20   /* quota: TASK_CLONE may name it as the source's quota. Not in
                                * AERIE_R_ALL: only the boot quota has it; QUOTA_CREATE passes it
                                * on to what it makes only from a capability that has it */

/* ---- Quota: the source of all kernel memory ---- */
#define AERIE_QUOTA_CREATE   1   /* (type, dst_slot, a0, a1, a2) -> () */
#define AERIE_QUOTA_INFO     2   /* () -> (limit_bytes, used_bytes, limit_threads, used_threads,
                                    limit_objects, used_objects, cpu_ns, ipc_calls, cpus); used: this
                                    quota and all below it; cpu_ns and ipc_calls (endpoint CALLs): of
                                    the threads charged to this quota itself; cpus: the CPUs its
                                    threads may run on, a bit per CPU */
#define AERIE_QUOTA_DESTROY  3   /* (): destroys everything made from it, and itself */
#define AERIE_QUOTA_WATCH    4   /* (child quota cap, endpoint cap or 0) -> (): on a DIRECT child of
                                    this quota (MANAGE on this one), sets / replaces / clears the
                                    child's watch: one AERIE_FAULT_GONE notice (aerie/fault.h) goes
                                    to the endpoint, with that capability's badge, when the child's
                                    last live thread (its own or a descendant's) ends, or when the
                                    child is destroyed, whichever is first. EBUSY once it has fired. */
#define AERIE_QUOTA_TRACE    5   /* (child quota cap, memory cap (READ|WRITE) or 0, kinds mask) -> ():
                                    on a DIRECT child of this quota (MANAGE on this one): the kernel
                                    writes the events of the threads charged to the child (the kinds'
                                    bits, aerie/trace.h) into the memory, a ring; 0 stops it */
/* QUOTA_CREATE arguments by type:
 *   QUOTA:        a0 = bytes, a1 = max threads, a2 = max objects: limits, not
 *                 reservations; every charge to the child is also a charge
 *                 to this quota and each ancestor, and fails at the first
 *                 level without room (docs/ABI.md, "Hierarchy");
 *                 optionally a3 = the CPUs its threads may run on (bit per
 *                 CPU): not empty and within this quota's, else EINVAL
 *                 (word 5); absent, this quota's CPUs
 *   TASK:         -
 *   THREAD:       a0 = task capability (slot in the caller's space)
 *   ENDPOINT:     -
 *   NOTIFICATION: -
 *   MEMORY:       a0 = bytes (rounded up to pages), a1 = AERIE_MEM_* flags */
#define AERIE_MEM_CONTIG     0x1   /* physically contiguous (DMA) */
#define AERIE_MEM_LAZY       0x2   /* pages allocated and charged on first touch
                                    * (a fault, WRITE, SET_UTCB, PHYS); untouched
                                    * pages read as zeros and cost nothing */

/* ---- Task: an address space and a capability space ---- */
#define AERIE_TASK_MAP       1   /* (memory cap, offset, vaddr, bytes, AERIE_MAP_* flags) */
#define AERIE_TASK_UNMAP     2   /* (vaddr, bytes) */
#define AERIE_TASK_CAP_COPY  3   /* (src slot in caller, dst slot in task, rights mask, badge) */
#define AERIE_TASK_CAP_DELETE 4  /* (slot in task) */
#define AERIE_TASK_INFO      5   /* () -> (threads, mapped_bytes, cap_slots_used, page_table_pages) */
#define AERIE_TASK_DESTROY   6   /* () */
#define AERIE_TASK_READ      7   /* (vaddr, length <= AERIE_MEM_RW_MAX) -> the bytes of its memory there */
#define AERIE_TASK_WRITE     8   /* (vaddr, length <= AERIE_MEM_WRITE_MAX, bytes from word 2): only
                                    into pages it has mapped writable */
#define AERIE_TASK_CLONE     9   /* (quota cap for the clone, the task's own quota cap, dst slot for
                                    the new task, dst slot for its thread): a copy of a stopped task
                                    with one thread, its memory shared copy-on-write (ABI.md);
                                    optional 5th word: AERIE_CLONE_* flags */
#define AERIE_CLONE_OWN_CAPS 0x1   /* CLONE: capabilities to objects the source does not own, other
                                    than Memory, are not copied (the caller installs the grants it
                                    means the clone to have) */
#define AERIE_CLONE_ALL_THREADS 0x2 /* CLONE: every thread of a task stopped by SUSPEND (at most
                                    AERIE_CLONE_MAX_THREADS), not one; the clone is born suspended
                                    (RESUME starts it); optional 6th word: a fault endpoint cap
                                    (WRITE) every new thread gets as its handler */
#define AERIE_CLONE_MAX_THREADS 64
#define AERIE_TASK_SUSPEND   10  /* (): stops every running or waiting thread of the task (a wait
                                    ends with ECANCELED; a SEND or CALL still queued is made again
                                    on RESUME; a CALL the server has keeps waiting for its reply:
                                    ABI.md); returns once all are off their CPUs */
#define AERIE_TASK_RESUME    11  /* ([AERIE_RESUME_BOOST]): restarts the threads SUSPEND stopped;
                                    only the task whose SUSPEND it was (EPERM) */
#define AERIE_TASK_CAP_GET   12  /* (slot in task, dst slot in caller, rights mask, badge): a copy of
                                    one of its capabilities for the caller (CAP_COPY the other way) */
#define AERIE_TASK_BORROW    13  /* (lender task cap, MANAGE): this task's lent ranges (below) become
                                    the lender's own page tables: its memory there is the lender's,
                                    and a lender's thread marked THREAD_RUN_BORROWED runs on this
                                    task's tables without a CR3 switch (ABI.md, "Borrowing") */
/* The lent ranges: the 2 MiB Aerie program region holding the kernel info
 * page, and everything from 512 GiB up (one top-level table entry each). */
#define AERIE_LENT_REGION_START 0x0000000000200000ull
#define AERIE_LENT_REGION_END   0x0000000000400000ull
#define AERIE_LENT_HIGH_START   0x0000008000000000ull
#define AERIE_MAP_R          0x1   /* required: x86-64 cannot map a page writable or executable but unreadable */
#define AERIE_MAP_W          0x2
#define AERIE_MAP_X          0x4
#define AERIE_MAP_UNCACHED   0x8
#define AERIE_MAP_LAZY       0x10  /* page-table entries made at first touch (16 pages a fault,
                                    * taken by the kernel) rather than all at MAP: for a large
                                    * range a task reads little of (a program's text). Not with
                                    * UNCACHED nor device memory (EINVAL, word 4) */

/* ---- Thread ---- */
#define AERIE_THREAD_SET_UTCB     1   /* (memory cap, offset) */
#define AERIE_THREAD_SET_REGS     2   /* (mask, regs...) in AERIE_REG_* order */
#define AERIE_THREAD_GET_REGS     3   /* () -> (regs...) */
#define AERIE_THREAD_SET_HANDLER  4   /* (endpoint cap or 0) */
#define AERIE_THREAD_SET_PRIORITY 5   /* (priority) <= the caller's own */
#define AERIE_THREAD_SET_AFFINITY 6   /* (cpu[, mask]): cpu, and every CPU of a mask (0: none), must be
                                         among its quota's CPUs (QUOTA_INFO's cpus), else EINVAL */
#define AERIE_THREAD_RESUME       7   /* ([flags]) */
#define AERIE_RESUME_BOOST        1   /* RESUME flag: run at the caller's priority until it first leaves its CPU */
#define AERIE_THREAD_SUSPEND      8   /* () */
#define AERIE_THREAD_DESTROY      9   /* () */
#define AERIE_THREAD_INFO        10   /* () -> (state, cpu, priority, fault_count, cpu_ns) */
#define AERIE_THREAD_RUN_BORROWED 11  /* (0 or 1): 1 promises the thread touches only its task's lent
                                         ranges, so it may run on the tables of a task that borrows
                                         its task's (TASK_BORROW) */
#define AERIE_THREAD_SET_ANSWERS 12  /* (word, ...): up to AERIE_ANSWERS_MAX standing answers to foreign
                                         system calls, each word (number << 32) | result, number below
                                         AERIE_SYS_BASE; the kernel answers such a call itself (RAX = the
                                         result, zero-extended), without a fault; no words: none (ABI.md,
                                         "Standing answers") */
#define AERIE_ANSWERS_MAX         8
/* Register order for SET_REGS (word i+1, mask bit i) and GET_REGS (word i). */
enum aerie_reg {
    AERIE_REG_RIP, AERIE_REG_RSP, AERIE_REG_RFLAGS, AERIE_REG_RAX, AERIE_REG_RBX,
    AERIE_REG_RCX, AERIE_REG_RDX, AERIE_REG_RSI, AERIE_REG_RDI, AERIE_REG_RBP,
    AERIE_REG_R8, AERIE_REG_R9, AERIE_REG_R10, AERIE_REG_R11, AERIE_REG_R12,
    AERIE_REG_R13, AERIE_REG_R14, AERIE_REG_R15, AERIE_REG_FS_BASE,
    AERIE_REG_COUNT
};
#define AERIE_PRIO_MAX       31
#define AERIE_PRIO_DEFAULT   10
/* THREAD_INFO states */
enum aerie_thread_state {
    AERIE_TS_INACTIVE, AERIE_TS_RUNNABLE, AERIE_TS_BLOCKED, AERIE_TS_SUSPENDED, AERIE_TS_DEAD
};

/* ---- Memory ---- */
#define AERIE_MEM_INFO       1   /* () -> (bytes, flags, bytes of pages allocated: a lazy object's touched ones) */
#define AERIE_MEM_PHYS       2   /* (offset) -> (physical address); needs MANAGE */
#define AERIE_MEM_READ       3   /* (offset, length <= AERIE_MEM_RW_MAX) -> the bytes; needs READ */
#define AERIE_MEM_WRITE      4   /* (offset, length <= AERIE_MEM_WRITE_MAX, bytes from word 2); needs WRITE */
#define AERIE_MEM_RW_MAX     256 /* bytes one READ returns */
#define AERIE_MEM_WRITE_MAX  176 /* bytes one WRITE carries (the kernel decodes 24 argument words) */
#define AERIE_MEM_SLICE      5   /* (quota cap, offset, bytes, dst slot): a boot module's pages
                                    [offset, offset+bytes) as a Memory object of their own, with
                                    this capability's rights; needs READ */

#define AERIE_MEM_COMMIT     6   /* (offset, bytes <= AERIE_MEM_COMMIT_MAX): a lazy object's
                                  * pages in the range get allocated and charged now, so
                                  * a loader writing them through its own mapping cannot
                                  * fault; ENOMEM if the quota has no room (the pages had
                                  * before stay). Needs WRITE; on other objects a no-op */
#define AERIE_MEM_COMMIT_MAX (4ull << 20)
#define AERIE_MEM_CLONE      7   /* (quota cap, the object's own quota cap with AERIE_R_CLONE,
                                  * dst slot): a copy-on-write clone of the object, charged to
                                  * the quota (a page for each page it shares); READ and WRITE
                                  * on the object; mapped in the caller's address space at
                                  * most (else EBUSY); not DMA, device, boot, pinned or UTCB
                                  * memory (ETYPE / EBUSY) */

/* ---- IRQ control, IRQs ---- */
#define AERIE_IRQCTL_GET_GSI 1   /* (quota cap, gsi, flags, dst slot) */
#define AERIE_IRQCTL_GET_MSI 2   /* (quota cap, dst slot, cpu) -> (msi address, msi data) */
#define AERIE_IRQ_LEVEL      0x1
#define AERIE_IRQ_ACTIVE_LOW 0x2
#define AERIE_IRQ_BIND       1   /* (notification cap, bits) */
#define AERIE_IRQ_ACK        2   /* () */

/* ---- I/O ports and device memory ---- */
#define AERIE_IO_IN          1   /* (port, width 1|2|4) -> (value) */
#define AERIE_IO_OUT         2   /* (port, width, value) */
#define AERIE_IO_SUBRANGE    3   /* (quota cap, first port, last port, dst slot) */
#define AERIE_DEVMEM_CREATE  1   /* (quota cap, physical address, bytes, dst slot): a device Memory object */

/* ---- Kernel debug console (the boot task's, never a container's) ---- */
#define AERIE_KDEBUG_WRITE   1   /* (length, bytes...) */
#define AERIE_KDEBUG_STATS   2   /* () -> (free pages, total pages, objects alive, cpus,
                                    messages delivered on the sender's CPU, across CPUs) */
#define AERIE_KDEBUG_EXIT    3   /* (code): end the QEMU run (isa-debug-exit) */
#define AERIE_KDEBUG_FLUSH_BENCH 4  /* (rounds, pages) -> (TSC cycles): rounds of two CR3
                                       writes, each followed by a read from `pages` pages */
#define AERIE_KDEBUG_FLUSH_ROUNDS 10000  /* at most, per call */
#define AERIE_KDEBUG_FLUSH_PAGES  64     /* at most */

#endif
