# tests/kernel/ktest.mk — the kernel test suite, a boot task of its own.
KTEST_SRCS := tests/kernel/start.S $(wildcard tests/kernel/*.c) kernel/lib/string.c
$(BUILD)/uobj/kernel/lib/string.c.o: UEXTRA := -Ikernel
$(eval $(call user_program,ktest,$(KTEST_SRCS)))
