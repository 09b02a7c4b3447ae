# mk/toolchain.mk — compiler and flags for the three kinds of code Aerie builds:
# the freestanding kernel, freestanding user programs, and host tools/tests.
# Every kind is built with -Werror: a warning is a bug we have not read yet.

CC        ?= gcc
HOSTCC    ?= gcc
LD        ?= ld
OBJCOPY   ?= objcopy
NM        ?= nm
# busybox, Debian's busybox-static, unmodified: a Linux program that cm runs
# under the Linux personality (docs/LINUX.md), in the boot image and in the
# Linux ABI benchmark.
BUSYBOX   ?= /bin/busybox
# bash from Debian's bash-static, unmodified: the Linux tests' second shell.
BASH_STATIC ?= /bin/bash-static
GCC_INC   := $(shell $(CC) -print-file-name=include)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter
FREESTAND := -std=gnu11 -ffreestanding -nostdinc -isystem $(GCC_INC) -fno-builtin \
             -fno-stack-protector -fno-pic -fno-pie -fno-omit-frame-pointer \
             -fno-strict-aliasing -g -O2 $(WARN)

# The kernel: higher half (-mcmodel=kernel), no red zone (interrupts land on
# the kernel stack), and no SSE/x87 so the kernel never touches user FPU state.
KCFLAGS   := $(FREESTAND) -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
             -Iinclude -Ikernel -Ikernel/arch/x86_64 -Ilib/fmt -Ilib/elf
KASFLAGS  := -Iinclude -Ikernel -Ikernel/arch/x86_64 -g -D__ASSEMBLY__

# Host tools and host unit tests, with sanitizers for the tests.
HOSTCFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
