# tests/tests.mk — `make test`: builds everything, then tools/testrun runs
# the entries of tests/tests.list (host unit tests and QEMU boots) and prints
# "N passed, N failed" as its last line. T=PATTERN runs matching entries only.

HOST_TESTS += $(BUILD)/tests/host/test_pmm

include tests/libc/libc_tests.mk
include tests/fs/fs_tests.mk
include tests/linux/linux_tests.mk

$(BUILD)/tests/host/test_pmm: tests/host/test_pmm.c kernel/pmm.c kernel/pmm.h tests/host/shim/pmm_platform.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itests/host/shim -Ikernel -Itests/host -o $@ tests/host/test_pmm.c kernel/pmm.c

test: deps-test
	@$(MAKE) -s --no-print-directory all $(HOST_TESTS) $(BUILD)/aerie.iso
	@set -f; $(BUILD)/tools/testrun -j $(JOBS) -L $(BUILD)/test-logs $(T)
