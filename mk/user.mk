# mk/user.mk — how Aerie's user programs are built: freestanding C against
# libc's headers (lib/libc/libc.mk defines UCFLAGS) and the Aerie ABI,
# statically linked at AERIE_PROGRAM_BASE with lib/user.ld.
#
#   $(call libc_program,NAME,SOURCES)  crt0 + SOURCES + libaerie + libc
#   $(call user_program,NAME,SOURCES)  SOURCES + libaerie only (its own _start)

UCFLAGS_AERIE := $(UCFLAGS) -Iinclude -Ilib/libaerie/include -Ilib/fmt -Ilib/elf -Ilib/image -Ilib
ULDFLAGS_AERIE := -nostdlib -static -T lib/user.ld -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

$(BUILD)/uobj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  UCC     $<"
	@$(CC) $(UCFLAGS_AERIE) $(UEXTRA) -MMD -MP -c $< -o $@

$(BUILD)/uobj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  UAS     $<"
	@$(CC) $(UCFLAGS_AERIE) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

# libaerie implements libc's sys.h, so it sees libc's internal header.
LIBAERIE_SRCS := $(wildcard lib/libaerie/src/*.c lib/libaerie/src/*.S) lib/fmt/fmt.c lib/elf/elf.c lib/image/img.c \
                 lib/netring/netring.c
LIBAERIE      := $(BUILD)/lib/libaerie.a
$(patsubst %,$(BUILD)/uobj/%.o,$(filter lib/libaerie/%,$(LIBAERIE_SRCS))): UEXTRA := -iquote lib/libc/internal -Ilib/netring
$(BUILD)/uobj/lib/netring/netring.c.o: UEXTRA := -Ilib/netring
$(LIBAERIE): $(patsubst %,$(BUILD)/uobj/%.o,$(LIBAERIE_SRCS))
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

define user_program
$(BUILD)/$(1).elf: $(patsubst %,$(BUILD)/uobj/%.o,$(2)) $(LIBAERIE) lib/user.ld
	@echo "  ULD     $$@"
	@$(LD) $(ULDFLAGS_AERIE) -o $$@ $(patsubst %,$(BUILD)/uobj/%.o,$(2)) $(LIBAERIE) $(LIBGCC)
USER_PROGRAMS += $(BUILD)/$(1).elf
endef

define libc_program
$(BUILD)/$(1).elf: $(patsubst %,$(BUILD)/uobj/%.o,$(2)) $(LIBAERIE) $(LIBC_A) $(LIBC_CRT0) lib/user.ld
	@echo "  ULD     $$@"
	@mkdir -p $$(@D)
	@$(LD) $(ULDFLAGS_AERIE) -o $$@ $(LIBC_CRT0) $(patsubst %,$(BUILD)/uobj/%.o,$(2)) \
	    --start-group $(LIBAERIE) $(LIBC_A) --end-group $(LIBGCC)
USER_PROGRAMS += $(BUILD)/$(1).elf
endef

-include $(shell find $(BUILD)/uobj -name '*.d' 2>/dev/null)
