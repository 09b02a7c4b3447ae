# bench/bench.mk — `make bench`: the papers' evaluation, Aerie beside Linux
# in the same QEMU machine (bench/README.md).
#
#   make bench           the full run (about 25 minutes here)
#   make bench QUICK=1   every measure with fewer samples (under 5 minutes)
#   make bench LONG=1    the full run plus 1000 idle runc containers (about an hour)
#
# Host tools (-Werror like all host code): benchrun (runs one QEMU boot with
# time limits and a progress line), udpsink (the host end of the UDP
# benchmark), benchstat (CSV, statistics, summary, plot data).
# Linux guest programs: static, built with the host's gcc and glibc.

QUICK ?=
LONG  ?=

BENCH_TOOLS := $(BUILD)/tools/benchrun $(BUILD)/tools/udpsink $(BUILD)/tools/benchstat
HOST_TOOLS  += $(BENCH_TOOLS)

BENCH_GUEST_DIR   := $(BUILD)/bench/linux/guest
BENCH_GUEST_PROGS := startup ipc fsbench udpsend capacity nop idle lxbench
BENCH_GUEST_BINS  := $(addprefix $(BENCH_GUEST_DIR)/,$(BENCH_GUEST_PROGS))
BENCH_GUEST_CFLAGS := -std=gnu11 -O2 -static -s $(WARN) -pthread

$(BUILD)/tools/udpsink: bench/udp_wire.h

$(BENCH_GUEST_DIR)/%: bench/linux/guest/%.c bench/linux/guest/bench.c bench/linux/guest/bench.h bench/udp_wire.h
	@mkdir -p $(@D)
	@echo "  GUESTCC $@"
	@$(HOSTCC) $(BENCH_GUEST_CFLAGS) -o $@ $< bench/linux/guest/bench.c

# nop and idle are what the start-up benchmark times: nothing else linked in.
# lxbench runs on Aerie's Linux personality too, so it stands alone.
$(BENCH_GUEST_DIR)/nop $(BENCH_GUEST_DIR)/idle $(BENCH_GUEST_DIR)/lxbench: $(BENCH_GUEST_DIR)/%: bench/linux/guest/%.c
	@mkdir -p $(@D)
	@echo "  GUESTCC $@"
	@$(HOSTCC) $(BENCH_GUEST_CFLAGS) -o $@ $<

BENCH_LINUX_IMAGE := $(BUILD)/bench/linux/initramfs.cpio

$(BENCH_LINUX_IMAGE): $(BENCH_GUEST_BINS) bench/linux/build.sh bench/linux/init
	@bench/linux/build.sh $(BUILD)/bench/linux $(BENCH_GUEST_DIR)

.PHONY: bench bench-linux-image bench-aerie-images deps-bench bench-tcp
deps-bench: ; @tools/deps.sh build run bench

bench-linux-image: deps-bench
	@$(MAKE) -s --no-print-directory $(BENCH_LINUX_IMAGE) $(BENCH_TOOLS)

# The Aerie side (bench/aerie/run.sh): the kernel, the boot task and the
# benchmark boot images of both plans (bench/aerie/aerie-bench.mk).
bench-aerie-images: deps-bench
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(AERIE_BENCH_IMAGES) $(BOOT_IMG) aerie \
	    $(BUILD)/tools/aerie-engine

bench: bench-linux-image bench-aerie-images
	@BUILD=$(BUILD) QUICK=$(QUICK) LONG=$(LONG) bench/run.sh

# TCP and HTTP alone (bench/tcp.sh; make bench runs it last).
bench-tcp: bench-linux-image
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/boot-tcp.img $(BUILD)/tools/slirp_backlog.so
	@BUILD=$(BUILD) bench/tcp.sh

# benchstat's host test (tests/tests.list: benchstat_host).
HOST_TESTS += $(BUILD)/tests/host/test_benchstat
$(BUILD)/tests/host/test_benchstat: tests/host/test_benchstat.c tests/host/ktest_host.h $(BUILD)/tools/benchstat
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itests/host -o $@ tests/host/test_benchstat.c
