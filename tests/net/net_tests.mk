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
                   $(BUILD)/images/udpecho.elf $(BUILD)/images/tcpecho.elf $(BUILD)/nettest.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/boot/net-frames.conf bin/console=$(BUILD)/console.elf \
	    bin/net=$(BUILD)/net.elf images/udpecho/prog=$(BUILD)/images/udpecho.elf \
	    images/tcpecho/prog=$(BUILD)/images/tcpecho.elf bin/nettest=$(BUILD)/nettest.elf
all: $(NET_FRAMES_IMG)

# The TCP tests (tests/net/tcp_qemu.sh): the httpd image gets a 1 MiB file
# of random bytes, made once per build tree, which curl must fetch intact.
$(eval $(call libc_program,tcptest,tests/net/tcptest.c))
TCP_WWW := $(BUILD)/tcp-www
$(TCP_WWW)/www/big.bin: $(shell find apps/httpd/files)
	@mkdir -p $(TCP_WWW)
	@cp -r apps/httpd/files/. $(TCP_WWW)/
	@head -c 1048576 /dev/urandom > $@

TCP_TEST_IMG := $(BUILD)/boot-tcp.img
TCP_IMG_FILES := $(filter-out images/httpd/%,$(BOOT_IMG_FILES)) images/httpd/prog=$(BUILD)/images/httpd.elf \
                 images/httpd/files=$(TCP_WWW) bin/tcptest=$(BUILD)/tcptest.elf
$(TCP_TEST_IMG): $(BUILD)/tools/mkimage tests/boot/tcp.conf $(SERVICE_ELFS) $(APP_IMAGE_DEPS) \
                 $(BUILD)/tcptest.elf $(TCP_WWW)/www/big.bin
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/boot/tcp.conf $(TCP_IMG_FILES)
all: $(TCP_TEST_IMG)
