# kernel/kernel.mk — the kernel: compiled freestanding, linked twice so the
# second image carries a symbol table for backtraces (see ksyms.h).

KERNEL      := $(BUILD)/kernel.elf
# The files of the IPC path are compiled as one unit, kernel/ipc_unit.c
# (kernel/hot.h), never on their own.
KERNEL_UNIT := kernel/object.c kernel/trace.c kernel/cap.c kernel/sched.c kernel/thread.c kernel/ipc.c \
               kernel/syscall.c
KERNEL_C    := $(filter-out $(KERNEL_UNIT),$(wildcard kernel/*.c kernel/lib/*.c kernel/arch/x86_64/*.c)) \
               lib/fmt/fmt.c lib/elf/elf.c
KERNEL_S    := $(wildcard kernel/arch/x86_64/*.S)
KERNEL_OBJS := $(patsubst %,$(BUILD)/kobj/%.o,$(KERNEL_C) $(KERNEL_S))
KERNEL_LD   := kernel/arch/x86_64/kernel.ld
KLDFLAGS    := -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

$(BUILD)/kobj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -DAERIE_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

# The IPC unit (its system-call switch) as compares, not jump tables: a table is one more
# page (of .rodata) for the IPC path to touch after every address-space
# switch, which costs a software-TLB refill under QEMU TCG (kernel/hot.h).
$(BUILD)/kobj/kernel/ipc_unit.c.o: KCFLAGS += -fno-jump-tables

$(BUILD)/kobj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/kobj/ksyms0.S: $(BUILD)/tools/ksymgen
	@mkdir -p $(@D)
	@$(BUILD)/tools/ksymgen < /dev/null > $@

$(BUILD)/kobj/kernel.pass1: $(KERNEL_OBJS) $(BUILD)/kobj/ksyms0.S.o $(KERNEL_LD)
	@echo "  LD      $@"
	@$(LD) -n -nostdlib $(KLDFLAGS) -T $(KERNEL_LD) -o $@ $(KERNEL_OBJS) $(BUILD)/kobj/ksyms0.S.o

$(BUILD)/kobj/ksyms.S: $(BUILD)/kobj/kernel.pass1 $(BUILD)/tools/ksymgen
	@$(NM) -n $< | $(BUILD)/tools/ksymgen > $@

$(BUILD)/kobj/%.S.o: $(BUILD)/kobj/%.S
	@$(CC) $(KASFLAGS) -c $< -o $@

$(KERNEL): $(KERNEL_OBJS) $(BUILD)/kobj/ksyms.S.o $(KERNEL_LD)
	@echo "  LD      $@"
	@$(LD) -n -nostdlib $(KLDFLAGS) -T $(KERNEL_LD) -o $@ $(KERNEL_OBJS) $(BUILD)/kobj/ksyms.S.o

-include $(KERNEL_OBJS:.o=.d)
