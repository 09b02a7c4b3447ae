# tests/libc/libc_tests.mk — libc's tests (included from tests/tests.mk).
#
# Three builds of the same library:
#  static/  libc.a and crt0.o exactly as programs get them, linked into
#           static executables with linux_sys.c standing in for libaerie:
#           the real start-up, TLS and clone-based threads, no glibc.
#  host/    libc's sources compiled for the host with ASan and UBSan, every
#           symbol renamed aerie_* (objcopy --redefine-syms), linked beside
#           glibc: tests compare aerie_printf with printf and so on, and
#           run the self-tests under the sanitizers (host_sys.c: sys.h on
#           glibc, real pthreads and futexes).
#  fuzz/    the same with clang -fsanitize=fuzzer,address: libFuzzer
#           targets that compare the printf engine and strto* with glibc.

LT := $(BUILD)/tests/libc
LIBC_TEST_INC := -Itests/host -Itests/libc -iquote lib/libc/internal -iquote lib/fmt -Iinclude

# ---- static executables ------------------------------------------------

LIBC_SELF_TESTS := t_startup t_thread t_malloc t_stdio t_misc t_abort
LINUX_SYS_OBJS  := $(LT)/static/linux_sys.o $(LT)/static/nofiles_sys.o $(LT)/static/linux_sys_x86_64.o

$(LT)/static/linux_sys.o $(LT)/static/nofiles_sys.o: $(LT)/static/%.o: tests/libc/%.c lib/libc/internal/sys.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(LIBC_CFLAGS) -c $< -o $@

$(LT)/static/linux_sys_x86_64.o: tests/libc/linux_sys_x86_64.S
	@mkdir -p $(@D)
	@$(CC) $(LIBC_CFLAGS) -c $< -o $@

$(LT)/static/%.o: tests/libc/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(UCFLAGS) $(LIBC_TEST_INC) $(TEST_EXTRA_CFLAGS) -MMD -MP -c $< -o $@

# t_abort checks that a smashed canary (%fs:0x28) stops the program.
$(LT)/static/t_abort.o: TEST_EXTRA_CFLAGS := -fstack-protector-all

$(LT)/static/%: $(LT)/static/%.o $(LINUX_SYS_OBJS) $(LIBC_A) $(LIBC_CRT0)
	@echo "  LD      $@"
	@$(CC) $(ULDFLAGS) -o $@ $(LIBC_CRT0) $< $(LINUX_SYS_OBJS) $(ULIBS)

LIBC_STATIC_BINS := $(addprefix $(LT)/static/,$(LIBC_SELF_TESTS))

HOST_TESTS += $(LIBC_STATIC_BINS)

-include $(wildcard $(LT)/static/*.d)

# ---- host builds, renamed aerie_* --------------------------------------

LIBC_HOST_CFLAGS := -std=gnu11 -ffreestanding -nostdinc -isystem lib/libc/include \
                    -isystem $(GCC_INC) -fno-tree-loop-distribute-patterns -O2 -g $(WARN) \
                    $(SANFLAGS) -iquote lib/libc/internal -iquote lib/fmt -Iinclude
LIBC_HOST_SRCS   := $(filter-out %/get_tp.c,$(LIBC_SRCS))
LIBC_HOST_OBJS   := $(patsubst %,$(LT)/host/obj/%.o,$(LIBC_HOST_SRCS))

$(LT)/host/obj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $< (libc)"
	@$(HOSTCC) $(LIBC_HOST_CFLAGS) -MMD -MP -c $< -o $@

$(LT)/host/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@$(HOSTCC) $(LIBC_HOST_CFLAGS) -c $< -o $@

# One relocatable object, then every symbol it defines renamed aerie_*.
$(LT)/host/libc_all.o: $(LIBC_HOST_OBJS)
	@$(LD) -r -o $@ $(LIBC_HOST_OBJS)

$(LT)/host/aerie.syms: $(LT)/host/libc_all.o
	@$(NM) -g --defined-only $< | awk '{ print $$3, "aerie_" $$3 }' > $@

$(LT)/host/libc_renamed.o: $(LT)/host/libc_all.o $(LT)/host/aerie.syms
	@echo "  RENAME  $@"
	@$(OBJCOPY) --redefine-syms=$(LT)/host/aerie.syms $< $@

$(LT)/host/host_sys.o $(LT)/host/nofiles_sys.o: $(LT)/host/%.o: tests/libc/%.c lib/libc/internal/sys.h
	@mkdir -p $(@D)
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -iquote lib/libc/internal -c $< -o $@

LIBC_HOST_LINK := $(LT)/host/libc_renamed.o $(LT)/host/host_sys.o $(LT)/host/nofiles_sys.o

# Self-tests: written against libc's own headers, renamed like libc.
$(LT)/host/self/%.o: tests/libc/%.c $(LT)/host/aerie.syms
	@mkdir -p $(@D)
	@echo "  HOSTCC  $< (self-test)"
	@$(HOSTCC) $(LIBC_HOST_CFLAGS) $(LIBC_TEST_INC) -MMD -MP -MT $@ -MF $(@:.o=.d) -c $< -o $@.tmp
	@$(OBJCOPY) --redefine-syms=$(LT)/host/aerie.syms $@.tmp $@
	@rm -f $@.tmp

$(LT)/host/self/%: $(LT)/host/self/%.o $(LIBC_HOST_LINK)
	@echo "  LD      $@"
	@$(HOSTCC) $(SANFLAGS) -pthread -o $@ $< $(LIBC_HOST_LINK)

# Comparisons: glibc's headers, aerie_* declared in tests/libc/aerie.h.
$(LT)/host/cmp/%.o: tests/libc/%.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itests/host -Itests/libc -MMD -MP -c $< -o $@

$(LT)/host/cmp/%: $(LT)/host/cmp/%.o $(LIBC_HOST_LINK)
	@echo "  LD      $@"
	@$(HOSTCC) $(SANFLAGS) -pthread -o $@ $< $(LIBC_HOST_LINK)

LIBC_HOST_SELF := t_thread t_malloc t_stdio t_misc
LIBC_CMP_TESTS := cmp_printf cmp_strtol cmp_string cmp_stdlib cmp_errno cmp_inet
HOST_TESTS += $(addprefix $(LT)/host/self/,$(LIBC_HOST_SELF)) \
              $(addprefix $(LT)/host/cmp/,$(LIBC_CMP_TESTS))

-include $(LIBC_HOST_OBJS:.o=.d) $(wildcard $(LT)/host/*/*.d)

$(LT)/host/cmp/cmp_errno: $(LT)/host/cmp/cmp_errno.o $(LT)/host/self/errno_values.o $(LIBC_HOST_LINK)
	@echo "  LD      $@"
	@$(HOSTCC) $(SANFLAGS) -pthread -o $@ $^

# ---- libFuzzer targets (clang) -----------------------------------------

FUZZ_CC      := clang
CLANG_INC    := $(shell $(FUZZ_CC) -print-resource-dir 2>/dev/null)/include
LIBC_FUZZ_CFLAGS := -std=gnu11 -ffreestanding -nostdinc -isystem lib/libc/include \
                    -isystem $(CLANG_INC) -O1 -g $(WARN) -fsanitize=fuzzer-no-link,address \
                    -iquote lib/libc/internal -iquote lib/fmt -Iinclude
LIBC_FUZZ_OBJS := $(patsubst %,$(LT)/fuzz/obj/%.o,$(LIBC_HOST_SRCS))

$(LT)/fuzz/obj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CLANG   $< (libc)"
	@$(FUZZ_CC) $(LIBC_FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(LT)/fuzz/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(LIBC_FUZZ_CFLAGS) -c $< -o $@

$(LT)/fuzz/libc_all.o: $(LIBC_FUZZ_OBJS)
	@$(LD) -r -o $@ $(LIBC_FUZZ_OBJS)

$(LT)/fuzz/aerie.syms: $(LT)/fuzz/libc_all.o
	@$(NM) -g --defined-only $< | awk '{ print $$3, "aerie_" $$3 }' > $@

$(LT)/fuzz/libc_renamed.o: $(LT)/fuzz/libc_all.o $(LT)/fuzz/aerie.syms
	@$(OBJCOPY) --redefine-syms=$(LT)/fuzz/aerie.syms $< $@

$(LT)/fuzz/host_sys.o $(LT)/fuzz/nofiles_sys.o: $(LT)/fuzz/%.o: tests/libc/%.c lib/libc/internal/sys.h
	@mkdir -p $(@D)
	@$(FUZZ_CC) -std=gnu11 -O1 -g $(WARN) -Iinclude -iquote lib/libc/internal \
	    -fsanitize=address -c $< -o $@

$(LT)/fuzz/%.o: tests/libc/%.c
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZ_CC) -std=gnu11 -O1 -g $(WARN) -Itests/libc -fsanitize=fuzzer,address -MMD -MP -c $< -o $@

$(LT)/fuzz/%: $(LT)/fuzz/%.o $(LT)/fuzz/libc_renamed.o $(LT)/fuzz/host_sys.o $(LT)/fuzz/nofiles_sys.o
	@echo "  LD      $@"
	@$(FUZZ_CC) -fsanitize=fuzzer,address -pthread -o $@ $^

LIBC_FUZZERS := $(LT)/fuzz/fuzz_printf $(LT)/fuzz/fuzz_strtol
HOST_TESTS += $(LIBC_FUZZERS)

-include $(LIBC_FUZZ_OBJS:.o=.d) $(wildcard $(LT)/fuzz/*.d)

# ---- the same self-tests on Aerie --------------------------------------
# Linked like every Aerie program (crt0 + libaerie + libc) and booted as the
# boot task in QEMU: the real start block, TLS, threads, futexes, memory
# and console output of Aerie (tests/tests.list, libc_aerie_*).

LIBC_AERIE_TESTS := t_startup t_thread t_malloc t_stdio t_misc
$(foreach t,$(LIBC_AERIE_TESTS),$(eval $(call libc_program,libc_$(t),tests/libc/$(t).c)))
$(patsubst %,$(BUILD)/uobj/tests/libc/%.c.o,$(LIBC_AERIE_TESTS)): UEXTRA := -Itests/host -Itests/libc -iquote lib/libc/internal
