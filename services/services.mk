# services/services.mk — the boot task (root), the services, the example
# apps, and the boot image that carries them (build/boot.img).

$(eval $(call libc_program,root,services/root/root.c services/root/bootconf.c services/root/pci.c))
$(eval $(call libc_program,console,services/console/console.c))
$(eval $(call libc_program,hello,apps/hello/hello.c))
$(eval $(call libc_program,udpecho,apps/udpecho/udpecho.c))
$(eval $(call libc_program,netstat,apps/netstat/netstat.c))
$(eval $(call libc_program,udpsend,apps/udpsend/udpsend.c apps/udpsend/sender.c))

BOOT_CONF ?= services/root/boot.conf
BOOT_IMG  := $(BUILD)/boot.img
BOOT_IMG_FILES := boot.conf=$(BOOT_CONF) bin/console=$(BUILD)/console.elf bin/hello=$(BUILD)/hello.elf \
                  bin/net=$(BUILD)/net.elf images/udpecho/prog=$(BUILD)/udpecho.elf \
                  bin/netstat=$(BUILD)/netstat.elf images/udpsend/prog=$(BUILD)/udpsend.elf

$(BOOT_IMG): $(BUILD)/tools/mkimage $(BOOT_CONF) $(BUILD)/console.elf $(BUILD)/hello.elf $(BUILD)/net.elf \
             $(BUILD)/udpecho.elf $(BUILD)/netstat.elf $(BUILD)/udpsend.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ $(BOOT_IMG_FILES)

# The QEMU modules: the boot task, then the boot image.
BOOT_MODULES := $(BUILD)/root.elf,$(BOOT_IMG)
all: $(BOOT_IMG)

# ---- host tests and fuzzers of root's parsers --------------------------
$(BUILD)/tests/host/test_bootconf: tests/host/test_bootconf.c services/root/bootconf.c services/root/bootconf.h lib/fmt/fmt.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Iservices/root -Ilib/fmt -Itests/host -o $@ tests/host/test_bootconf.c services/root/bootconf.c lib/fmt/fmt.c

$(BUILD)/tests/host/test_elf: tests/host/test_elf.c lib/elf/elf.c lib/elf/elf.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Ilib/elf -Itests/host -o $@ tests/host/test_elf.c lib/elf/elf.c

$(BUILD)/fuzz/fuzz_elf: tests/fuzz/fuzz_elf.c lib/elf/elf.c lib/elf/elf.h
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Ilib/elf -o $@ tests/fuzz/fuzz_elf.c lib/elf/elf.c

$(BUILD)/fuzz/fuzz_bootconf: tests/fuzz/fuzz_bootconf.c services/root/bootconf.c lib/fmt/fmt.c
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Iservices/root -Ilib/fmt -o $@ tests/fuzz/fuzz_bootconf.c services/root/bootconf.c lib/fmt/fmt.c

HOST_TESTS += $(BUILD)/tests/host/test_bootconf $(BUILD)/tests/host/test_elf $(BUILD)/fuzz/fuzz_elf $(BUILD)/fuzz/fuzz_bootconf

# A boot image with a broken boot.conf: root must name each mistake and
# still start what is right (tests/tests.list: boot_bad_config).
$(BUILD)/boot-bad.img: $(BUILD)/tools/mkimage tests/boot/bad.conf $(BUILD)/console.elf $(BUILD)/hello.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/boot/bad.conf bin/console=$(BUILD)/console.elf \
	    bin/hello=$(BUILD)/hello.elf bin/broken=tests/boot/not-a-program.txt
all: $(BUILD)/boot-bad.img
include tests/net/net_tests.mk
