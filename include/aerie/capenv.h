/*
 * aerie/capenv.h — how a program starts: the initial stack and the
 * capability environment.
 *
 * Every program, the boot task included, starts with RSP pointing at a
 * System V style block: argc, argv[] and NULL, envp[] and NULL, then
 * auxiliary vector pairs ending with AT_NULL. Besides the standard
 * entries (AT_PHDR, AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_RANDOM) Aerie adds
 * the ones below. The capability environment maps names ("console",
 * "fs", "self.quota", ...) to slots: a program holds only what is listed.
 */
#ifndef AERIE_CAPENV_H
#define AERIE_CAPENV_H

#include <stdint.h>

#define AT_NULL    0
#define AT_PHDR    3
#define AT_PHNUM   5
#define AT_PAGESZ  6
#define AT_ENTRY   9
#define AT_RANDOM  25
#define AT_AERIE_UTCB       0x1000   /* address of the first thread's UTCB */
#define AT_AERIE_CAPENV     0x1001   /* address of struct aerie_capenv */
#define AT_AERIE_FIRST_SLOT 0x1002   /* lowest slot the program may use freely */
#define AT_AERIE_BOOTINFO   0x1003   /* boot task only: struct aerie_bootinfo */
#define AT_AERIE_STACK_BASE 0x1004   /* lowest address of the initial stack */
#define AT_AERIE_VM_BASE    0x1005   /* where the runtime's anonymous memory starts (absent: 1 GiB) */
#define AT_AERIE_CLONE      0x1006   /* address of struct aerie_clone_block (docs/FORK.md) */

/*
 * The clone block: 32 bytes of the start area the loader writes zeroed,
 * which the container manager rewrites in every clone `aerie fork` makes
 * before the clone runs. generation counts the forks along this line (0 in
 * a program that was started, the original's + 1 in its clones), index is
 * the clone's place among those made by one fork (1..N; 0 in the
 * original), random is 16 bytes no other clone got. A program that keeps
 * its own random state reseeds when generation changes (libc's
 * getrandom and arc4random do: lib/libc/src/stdlib/random.c).
 */
struct aerie_clone_block {
    uint64_t generation;
    uint64_t index;
    uint64_t random[2];
};

/*
 * The thread pointer. The loader sets FS of the first thread to a
 * struct aerie_tcb with the program's TLS block (PT_TLS: .tdata copied,
 * .tbss zeroed) right below it, as x86-64 TLS "variant II" expects, so
 * %fs:0 is the TCB itself and %fs:8 the thread's UTCB.
 */
struct aerie_utcb;
struct aerie_tcb {
    struct aerie_tcb *self;          /* %fs:0 */
    struct aerie_utcb *utcb;         /* %fs:8 */
    uint64_t runtime[3];             /* for the C library's thread structure */
    uint64_t stack_guard;            /* %fs:0x28, where GCC looks for it */
    uint64_t reserved[2];
};

_Static_assert(sizeof(struct aerie_tcb) == 64, "TCB layout");

#define AERIE_CAPENV_MAGIC  0x564E4550u   /* "PENV" */
#define AERIE_CAPENV_NAME   24
#define AERIE_CAPENV_MAX    32

struct aerie_capenv_entry {
    char name[AERIE_CAPENV_NAME];    /* NUL-terminated */
    uint32_t slot;
    uint32_t type;                   /* enum aerie_obj_type */
};

struct aerie_capenv {
    uint32_t magic;
    uint32_t count;
    struct aerie_capenv_entry entries[];
};

_Static_assert(sizeof(struct aerie_capenv_entry) == 32, "capenv entry layout");

#endif
