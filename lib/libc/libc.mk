# lib/libc/libc.mk — the C library for container programs: build/lib/libc.a
# and build/lib/crt0.o, and the flags user programs compile and link with.
#
#   UCFLAGS    CFLAGS for user programs (freestanding, static, our headers)
#   ULDFLAGS   LDFLAGS for user programs
#   ULIBS      what to link after a program's objects (libc.a, libgcc)
#
# A program links as: $(CC) $(ULDFLAGS) -o prog $(LIBC_CRT0) prog.o $(ULIBS)
# (with libaerie's archive before $(ULIBS) once it provides sys.h).

LIBC_A    := $(BUILD)/lib/libc.a
LIBC_CRT0 := $(BUILD)/lib/crt0.o

UCFLAGS   := -std=gnu11 -ffreestanding -nostdinc -isystem lib/libc/include \
             -isystem $(GCC_INC) -fno-pic -fno-pie -static -fno-omit-frame-pointer \
             -g -O2 $(WARN)
ULDFLAGS  := -nostdlib -static -no-pie -z noexecstack
ULIBS     := $(LIBC_A) $(shell $(CC) -print-libgcc-file-name)

# libc's own code: no stack protector (it runs before the canary exists),
# and no loop-to-memset rewriting (memset would call itself).
LIBC_CFLAGS := $(UCFLAGS) -fno-stack-protector -fno-tree-loop-distribute-patterns \
               -iquote lib/libc/internal -iquote lib/fmt -Iinclude

LIBC_SRCS := $(wildcard lib/libc/src/*/*.c lib/libc/src/*/x86_64/*.c lib/libc/src/*/x86_64/*.S) \
             lib/fmt/fmt.c
LIBC_SRCS := $(filter-out %/crt0.S,$(LIBC_SRCS))
LIBC_OBJS := $(patsubst %,$(BUILD)/libc/%.o,$(LIBC_SRCS))

$(BUILD)/libc/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(LIBC_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libc/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(LIBC_CFLAGS) -MMD -MP -c $< -o $@

$(LIBC_A): $(LIBC_OBJS)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	@rm -f $@
	@$(AR) rcs $@ $(LIBC_OBJS)

$(LIBC_CRT0): $(BUILD)/libc/lib/libc/src/startup/x86_64/crt0.S.o
	@mkdir -p $(@D)
	@cp $< $@

all: $(LIBC_A) $(LIBC_CRT0)

-include $(LIBC_OBJS:.o=.d)
