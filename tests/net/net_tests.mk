# tests/net/net_tests.mk — the in-QEMU net tests: their programs, the boot
# image they run in (build/boot-net.img) and the host script that drives
# the guest with socat (tests/net/net_qemu.sh).
$(eval $(call libc_program,nettest,tests/net/nettest.c))
$(eval $(call libc_program,nethostile,tests/net/nethostile.c))

NET_TEST_IMG := $(BUILD)/boot-net.img
$(NET_TEST_IMG): $(BUILD)/tools/mkimage tests/boot/net.conf $(BUILD)/console.elf $(BUILD)/net.elf \
                 $(BUILD)/images/udpecho.elf $(BUILD)/nettest.elf $(BUILD)/nethostile.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/boot/net.conf bin/console=$(BUILD)/console.elf \
	    bin/net=$(BUILD)/net.elf images/udpecho/prog=$(BUILD)/images/udpecho.elf \
	    bin/nettest=$(BUILD)/nettest.elf bin/nethostile=$(BUILD)/nethostile.elf
all: $(NET_TEST_IMG)

NET_FRAMES_IMG := $(BUILD)/boot-net-frames.img
$(NET_FRAMES_IMG): $(BUILD)/tools/mkimage tests/boot/net-frames.conf $(BUILD)/console.elf $(BUILD)/net.elf \
                   $(BUILD)/images/udpecho.elf $(BUILD)/nettest.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/boot/net-frames.conf bin/console=$(BUILD)/console.elf \
	    bin/net=$(BUILD)/net.elf images/udpecho/prog=$(BUILD)/images/udpecho.elf bin/nettest=$(BUILD)/nettest.elf
all: $(NET_FRAMES_IMG)
