/*
 * ipc_unit.c — the files the IPC path runs through, compiled as one unit
 * (kernel/hot.h): the path's pieces are always_inline and defined in
 * these files, so each is included before the files that use it. The
 * files are not compiled on their own (kernel/kernel.mk).
 *
 * The unit is compiled with -fno-jump-tables: a switch's table is one
 * more page of .rodata for the path to touch after every address-space
 * switch (kernel/kernel.mk).
 */
#include "object.c"
#include "trace.c"
#include "cap.c"
#include "sched.c"
#include "thread.c"
#include "ipc.c"
#include "syscall.c"
