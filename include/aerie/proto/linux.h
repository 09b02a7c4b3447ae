/*
 * aerie/proto/linux.h — how the container manager starts the Linux
 * personality (services/linux/, docs/LINUX.md), and the address-space
 * layout the two agree on.
 *
 * An image whose program lacks the Aerie note is a static x86-64 Linux
 * program. cm then spawns the personality (bin/linux of the boot image)
 * into the container's task in its place, with the container's grants
 * (its spec must grant self) plus LX_GRANT_EXE: the program file's pages,
 * read-only (a slice of the boot image, aerie/objects.h AERIE_MEM_SLICE).
 * Its arguments are LX_ARGV0, then options, then "--", then the Linux
 * program's argv (argv[0] = the image name); its environment is the
 * spec's, unchanged, and becomes the Linux program's.
 *
 * The personality runs the program's first process in its own task: its
 * own code lives in the 2 MiB region every Aerie program uses below the
 * kernel info page (aerie/kip.h), its heap and stacks from LX_SELF_VM_BASE
 * up, and Linux processes own [LX_USER_MIN, LX_USER_TOP). Other processes
 * get tasks of their own, which the personality sees through windows of
 * LX_USER_TOP bytes from LX_MIRROR_BASE up.
 */
#ifndef AERIE_PROTO_LINUX_H
#define AERIE_PROTO_LINUX_H

#include <stdint.h>

#define LX_PERSONALITY_PATH "bin/linux"     /* in the boot image */
#define LX_GRANT_EXE        "linux.exe"     /* the program file, READ|EXEC */
#define LX_ARGV0            "linux"
#define LX_OPT_CPUS         "cpus="         /* hexadecimal mask of the CPUs it may use */
#define LX_OPT_TTY          "tty="         /* ROWSxCOLS: fds 0-2 are a terminal (spec tty=; docs/LINUX.md) */
#define LX_OPT_END          "--"
/* The personality's endpoint, made by cm from the container's quota: cm
 * keeps a send-only copy badged LX_SIG_BADGE and sends on it a message
 * whose label is a Linux signal for the program (CM_SIGNAL: aerie kill,
 * Ctrl-C in aerie run). */
#define LX_GRANT_EP         "linux.ep"
#define LX_SIG_BADGE        (1ull << 49)

/*
 * `aerie exec` (CM_EXEC, docs/LINUX.md "Programs run from outside"): on
 * the same capability, a message labelled LX_EXEC_LABEL (no signal is
 * that big) asks the personality to start a new process: word 0 the exec
 * number n cm gave it, 1 argc | LX_EXEC_* flags << 32, 2 the text's
 * length, 3.. the text: argc NUL-terminated argv words (argv[0] the
 * program: a path, or a name looked up in PATH), then NUL-terminated
 * NAME=VALUE words added to the container's environment. A SEND: cm
 * never waits for the container's answer. The personality reports in its
 * exec board, a page it maps at LX_EXEC_BOARD in its own task at the
 * first such request, which cm reads with Task READ: slot n %
 * LX_EXEC_SLOTS says what became of exec n. The board is the container's
 * own memory, so what it says is only the container's word about its own
 * process (cm checks nothing else in it).
 */
#define LX_EXEC_LABEL       0x100
/* Input for exec n's fd 0 (LX_EXEC_STDIN): word 0 n, 1 the offset of
 * these bytes in its input (| LX_EXEC_IN_EOF: the end follows them), 2
 * the length, 3.. the bytes. Taken only at the offset the board's in_pos
 * says and as far as its buffer has room; the sender sends the rest again. */
#define LX_EXEC_INPUT_LABEL 0x101
#define LX_EXEC_STDIN       0x1ull      /* fd 0 reads the input CM_EXEC_INPUT sends (else /dev/null) */
#define LX_EXEC_TTY         0x2ull      /* fds 0-2 are a terminal of its own, fed by that input (exec -t) */
#define LX_EXEC_BOARD       0x00007DF000000000ull   /* the last 64 GiB below LX_SELF_VM_BASE */
#define LX_EXEC_SLOTS       64
#define LX_EXEC_TEXT_MAX    ((64 - 3) * 8)
enum lx_exec_state {
    LX_EXEC_NONE    = 0,  /* not (yet) taken: slot.seq is another exec's */
    LX_EXEC_RUNNING = 1,  /* value: its pid */
    LX_EXEC_FAILED  = 2,  /* value: the Linux errno that stopped it (ENOENT: no such program) */
    LX_EXEC_EXITED  = 3,  /* value: its wait status (exit code << 8, or the signal) */
};
struct lx_exec_slot {
    uint64_t seq;         /* the exec number this slot now describes */
    uint64_t state;       /* enum lx_exec_state */
    int64_t value;
    uint64_t in_pos;      /* LX_EXEC_STDIN: input bytes taken so far (| LX_EXEC_IN_EOF once ended) */
};
#define LX_EXEC_IN_EOF      (1ull << 63)

#define LX_USER_MIN      0x0000000000400000ull  /* above the Aerie program region and the KIP */
#define LX_USER_TOP      0x0000001000000000ull  /* 64 GiB: the end of a Linux address space */
#define LX_MIRROR_BASE   0x0000100000000000ull  /* 16 TiB: windows onto other processes */
#define LX_SELF_VM_BASE  0x00007E0000000000ull  /* the personality's own heap and stacks */
/* (the windows end at LX_EXEC_BOARD, above) */

/*
 * Pid 1 ended by a signal: the personality ends its thread (AERIE_SYS_EXIT)
 * with a status that says so, CM_LINUX_SIGNALED(signal, fault address):
 * the top byte 'L', the signal in bits 48..54, the address below. cm then
 * records the container as faulted, fault label CM_FAULT_LINUX_SIGNAL |
 * signal << 32, fault address as given. (Any program could end with such
 * a status: it only describes its own end.)
 */
#define CM_LINUX_EXIT_MARK    0x4Cull
#define CM_LINUX_SIGNALED(sig, addr) \
    ((CM_LINUX_EXIT_MARK << 56) | ((uint64_t)(sig) & 0x7F) << 48 | ((uint64_t)(addr) & 0xFFFFFFFFFFFFull))
#define CM_FAULT_LINUX_SIGNAL 0x7B01

#endif
