# tests/kernel/ktest.mk — the kernel test suite, a boot task of its own.
KTEST_SRCS := tests/kernel/start.S $(wildcard tests/kernel/*.c) kernel/lib/string.c
$(BUILD)/uobj/kernel/lib/string.c.o: UEXTRA := -Ikernel
$(eval $(call user_program,ktest,$(KTEST_SRCS)))

# make fuzz-kernel: the kernel fuzzer (tests/kernel/t_fuzz.c) for
# FUZZ_CALLS invocations (10^7 unless given) from FUZZ_SEED (drawn from
# the clock unless given, and printed either way so a run can be
# repeated), on SMP CPUs. The log is $(BUILD)/fuzz-kernel.log.
FUZZ_CALLS ?= 10000000
FUZZ_SEED  ?=
.PHONY: fuzz-kernel
fuzz-kernel: deps-test
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/ktest.elf
	@tools/fuzz-kernel.sh "$(FUZZ_CALLS)" "$(FUZZ_SEED)" "$(SMP)" $(KERNEL) $(BUILD)/ktest.elf $(BUILD)/fuzz-kernel.log
