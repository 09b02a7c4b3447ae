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
