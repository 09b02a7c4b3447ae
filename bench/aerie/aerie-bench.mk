# bench/aerie/aerie-bench.mk — Aerie's own benchmark programs.
$(eval $(call user_program,ipcbench,bench/aerie/start.S bench/aerie/ipcbench.c))

# bench-ipc: the IPC round trip (issue 3), on the benchmark machine size.
.PHONY: bench-ipc
bench-ipc: deps-run
	@$(MAKE) -s --no-print-directory all
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" --initrd $(BUILD)/ipcbench.elf $(KERNEL) \
	    > $(BUILD)/bench/ipcbench.log || true
	@grep -aq '^BENCH DONE ipcbench' $(BUILD)/bench/ipcbench.log || \
	    { echo "bench-ipc: the benchmark did not finish; see $(BUILD)/bench/ipcbench.log"; exit 1; }
	@grep -a '^ipc round trip' $(BUILD)/bench/ipcbench.log | tr -d '\r'
	@echo "samples: $(BUILD)/bench/ipcbench.log"

# bench-fs: file-system throughput and metadata rates (issue 6), through
# libc in a session of the fs service, on the benchmark machine size.
$(eval $(call libc_program,fsbench,bench/aerie/fsbench.c))
FSBENCH_IMG := $(BUILD)/fsbench.img
$(FSBENCH_IMG): $(BUILD)/tools/mkimage bench/aerie/fsbench.conf $(BUILD)/console.elf $(BUILD)/fs.elf $(BUILD)/fsbench.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=bench/aerie/fsbench.conf bin/console=$(BUILD)/console.elf \
	    bin/fs=$(BUILD)/fs.elf bin/fsbench=$(BUILD)/fsbench.elf
all: $(FSBENCH_IMG)

.PHONY: bench-fs
bench-fs: deps-run
	@$(MAKE) -s --no-print-directory all
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" --initrd $(BUILD)/root.elf,$(FSBENCH_IMG) $(KERNEL) \
	    > $(BUILD)/bench/fsbench.log || true
	@grep -aq '^BENCH DONE fsbench' $(BUILD)/bench/fsbench.log || \
	    { echo "bench-fs: the benchmark did not finish; see $(BUILD)/bench/fsbench.log"; exit 1; }
	@grep -a -A7 '^fs benchmark' $(BUILD)/bench/fsbench.log | tr -d '\r'
	@echo "samples: $(BUILD)/bench/fsbench.log"

# bench-net: UDP bandwidth (issue 7), 1472-byte payloads from 1, 2, 4 and 8
# sender threads in the guest to a receiver on the host (tools/udprecv,
# which counts), on the benchmark machine size. BENCH_SECONDS per run.
$(eval $(call libc_program,udpbench,bench/aerie/udpbench.c apps/udpsend/sender.c))
$(BUILD)/uobj/bench/aerie/udpbench.c.o: UEXTRA := -Iapps/udpsend
UDPBENCH_IMG := $(BUILD)/boot-udpbench.img
BENCH_SECONDS ?= 10

$(UDPBENCH_IMG): $(BUILD)/tools/mkimage bench/aerie/udpbench.conf $(BUILD)/console.elf $(BUILD)/net.elf \
                 $(BUILD)/udpbench.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=bench/aerie/udpbench.conf bin/console=$(BUILD)/console.elf \
	    bin/net=$(BUILD)/net.elf images/udpbench/prog=$(BUILD)/udpbench.elf
all: $(UDPBENCH_IMG)

.PHONY: bench-net
bench-net: deps-run
	@$(MAKE) -s --no-print-directory all
	@BENCH_SECONDS=$(BENCH_SECONDS) BUILD=$(BUILD) bench/aerie/bench-net.sh
