# Makefile — builds Aerie and runs it.
#
#   make          build the kernel, user programs and host tools under build/
#   make run      boot Aerie in QEMU (SMP=2 MEM=256M by default); ./aerie drives it
#   make test     every test: host unit tests and QEMU boots; ends "N passed, N failed"
#   make fuzz-kernel  the kernel fuzzer for 10^7 calls (FUZZ_CALLS=, FUZZ_SEED= to choose)
#   make iso      a GRUB-bootable ISO image (build/aerie.iso) of the system make run boots
#
# Non-recursive: each directory's fragment (*.mk) adds its rules here.

BUILD   ?= build
SMP     ?= 2
MEM     ?= 256M
JOBS    ?= 2
NET_HOSTPORT ?= 5555
HTTP_HOSTPORT ?= 8080
ECHO_HOSTPORT ?= 7007
# More forwards for containers of your own: make run FORWARD='8000 udp:5353:53'
FORWARD ?=
T       ?=
VERSION := 0.1.0-$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: all run test iso deps-build deps-run deps-test deps-iso clean
all:

include mk/toolchain.mk
include kernel/kernel.mk
include lib/libc/libc.mk
include mk/user.mk
include tests/kernel/ktest.mk
include bench/aerie/aerie-bench.mk
include services/services.mk
include tools/tools.mk
include tests/tests.mk
include tests/fuzz/fuzz.mk
include lib/image/image.mk
include services/fs/fs.mk
include services/net/net.mk
include bench/bench.mk

all: $(KERNEL) $(HOST_TOOLS) $(USER_PROGRAMS) $(USER_LIBS)

deps-build: ; @tools/deps.sh build
deps-run:   ; @tools/deps.sh build run
deps-test:  ; @tools/deps.sh build test
deps-iso:   ; @tools/deps.sh build iso

run: deps-run
	@tools/run.sh --check --build $(BUILD) --smp "$(SMP)" --mem "$(MEM)" --hostport "$(NET_HOSTPORT)" \
	    --port HTTP_HOSTPORT="$(HTTP_HOSTPORT)" --port ECHO_HOSTPORT="$(ECHO_HOSTPORT)" $(foreach f,$(FORWARD),--forward $f)
	@$(MAKE) -s --no-print-directory all
	@echo "Booting Aerie in QEMU (SMP=$(SMP) MEM=$(MEM)); quit with Ctrl-A X."
	@echo "UDP echo: host 127.0.0.1:$(NET_HOSTPORT) -> guest 10.0.2.15:7 (try: echo hi | socat - UDP:127.0.0.1:$(NET_HOSTPORT))"
	@echo "HTTP: host 127.0.0.1:$(HTTP_HOSTPORT) -> the httpd container, guest TCP port 80"
	@echo "      (try: curl http://127.0.0.1:$(HTTP_HOSTPORT)/)"
	@echo "TCP echo: host 127.0.0.1:$(ECHO_HOSTPORT) -> guest TCP port 7 (try: echo hi | nc -N 127.0.0.1 $(ECHO_HOSTPORT))"
	@echo "From another terminal, drive it with ./aerie (aerie-engine serves $(BUILD)/aerie.sock;"
	@echo "imported images are kept in $(BUILD)/store):"
	@echo "  ./aerie run hello    ./aerie start ticker 100 500    ./aerie ps    ./aerie logs -f ID    ./aerie --help"
	@tools/run.sh --build $(BUILD) --smp "$(SMP)" --mem "$(MEM)" --hostport "$(NET_HOSTPORT)" \
	    --port HTTP_HOSTPORT="$(HTTP_HOSTPORT)" --port ECHO_HOSTPORT="$(ECHO_HOSTPORT)" $(foreach f,$(FORWARD),--forward $f) -- \
	    --hostfwd tcp:127.0.0.1:$(HTTP_HOSTPORT)-:80 --hostfwd tcp:127.0.0.1:$(ECHO_HOSTPORT)-:7 \
	    --initrd "$(BOOT_MODULES)" $(KERNEL)

iso: deps-iso
	@$(MAKE) -s --no-print-directory $(BUILD)/aerie.iso

# The ISO boots what `make run` boots: the kernel with root and the boot
# image as multiboot modules (tools/grub.cfg); tests/boot/iso_boot.sh boots it.
$(BUILD)/aerie.iso: $(KERNEL) $(BUILD)/root.elf $(BOOT_IMG) tools/grub.cfg
	@mkdir -p $(BUILD)/iso/boot/grub
	@echo "  ISO     $@"
	@cp $(KERNEL) $(BUILD)/iso/boot/aerie.elf
	@cp $(BUILD)/root.elf $(BUILD)/iso/boot/root.elf
	@cp $(BOOT_IMG) $(BUILD)/iso/boot/boot.img
	@cp tools/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $(BUILD)/iso 2>/dev/null

clean:
	rm -rf $(BUILD) aerie
