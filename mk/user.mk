# mk/user.mk — how user programs are built: freestanding C, statically
# linked at AERIE_PROGRAM_BASE with lib/user.ld, against libaerie.

UCFLAGS  := -std=gnu11 -ffreestanding -nostdinc -isystem $(GCC_INC) -fno-pic -fno-pie \
            -fno-stack-protector -fno-omit-frame-pointer -fno-strict-aliasing -O2 -g $(WARN) \
            -Iinclude -Ilib/libaerie/include -Ilib/fmt -Ilib/elf
ULDFLAGS := -nostdlib -static -T lib/user.ld -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

$(BUILD)/uobj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  UCC     $<"
	@$(CC) $(UCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/uobj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  UAS     $<"
	@$(CC) $(UCFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

LIBAERIE_SRCS := $(wildcard lib/libaerie/src/*.c) lib/fmt/fmt.c lib/elf/elf.c
LIBAERIE      := $(BUILD)/lib/libaerie.a
$(LIBAERIE): $(patsubst %,$(BUILD)/uobj/%.o,$(LIBAERIE_SRCS))
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

# user_program NAME, SOURCES: build/NAME.elf from SOURCES (C and .S).
define user_program
$(BUILD)/$(1).elf: $(patsubst %,$(BUILD)/uobj/%.o,$(2)) $(LIBAERIE) lib/user.ld
	@echo "  ULD     $$@"
	@$(LD) $(ULDFLAGS) -o $$@ $(patsubst %,$(BUILD)/uobj/%.o,$(2)) $(LIBAERIE)
USER_PROGRAMS += $(BUILD)/$(1).elf
endef

-include $(shell find $(BUILD)/uobj -name '*.d' 2>/dev/null)
