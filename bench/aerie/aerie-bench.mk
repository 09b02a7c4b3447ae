# bench/aerie/aerie-bench.mk — Aerie's own benchmark programs, the boot
# images make bench boots (bench/aerie/run.sh), and the single-measure
# targets bench-ipc, bench-fs and bench-net.

# $(call bench_images,NAME,CONF,DEPS,MKIMAGE-SPECS[,MORE-PLANS]):
# build/NAME-quick.img and build/NAME-full.img (and one per MORE-PLANS),
# boot images whose boot.conf is CONF with @PLAN@ replaced by the plan
# (the benchmark program's argument).
define bench_images
$(foreach p,quick full $(5),$(BUILD)/$(1)-$(p).img): $(BUILD)/$(1)-%.img: $(2) $(BUILD)/tools/mkimage $(3)
	@echo "  IMAGE   $$@"
	@sed 's/@PLAN@/$$*/' $(2) > $(BUILD)/$(1)-$$*.conf
	@$(BUILD)/tools/mkimage -o $$@ boot.conf=$(BUILD)/$(1)-$$*.conf $(4)
all: $(foreach p,quick full $(5),$(BUILD)/$(1)-$(p).img)
AERIE_BENCH_IMAGES += $(foreach p,quick full $(5),$(BUILD)/$(1)-$(p).img)
endef
AERIE_BENCH_IMAGES := $(BUILD)/ipcbench.elf

# ---- IPC round trip (issue 3): the boot task alone ----
$(eval $(call user_program,ipcbench,bench/aerie/start.S bench/aerie/ipcbench.c))

# The host's cache-line round trip between its two CPUs, which cross-CPU
# IPC under TCG follows (bench/aerie/ipc-compare.sh prints it).
$(BUILD)/tools/lineping: bench/aerie/lineping.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) -pthread -o $@ $<

.PHONY: bench-ipc
bench-ipc: deps-run
	@$(MAKE) -s --no-print-directory all $(BUILD)/tools/lineping
	@$(BUILD)/tools/lineping
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" --initrd $(BUILD)/ipcbench.elf $(KERNEL) \
	    > $(BUILD)/bench/ipcbench.log || true
	@grep -aq '^BENCH DONE ipcbench' $(BUILD)/bench/ipcbench.log || \
	    { echo "bench-ipc: the benchmark did not finish; see $(BUILD)/bench/ipcbench.log"; exit 1; }
	@grep -a '^ipc round trip' $(BUILD)/bench/ipcbench.log | tr -d '\r'
	@echo "samples: $(BUILD)/bench/ipcbench.log"

# ---- file system (issue 6): through libc in a session of the fs service ----
$(eval $(call libc_program,fsbench,bench/aerie/fsbench.c))
$(eval $(call bench_images,fsbench,bench/aerie/fsbench.conf,$(BUILD)/console.elf $(BUILD)/fs.elf $(BUILD)/fsbench.elf,\
    bin/console=$(BUILD)/console.elf bin/fs=$(BUILD)/fs.elf bin/fsbench=$(BUILD)/fsbench.elf))

.PHONY: bench-fs
bench-fs: deps-run
	@$(MAKE) -s --no-print-directory all
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" --initrd $(BUILD)/root.elf,$(BUILD)/fsbench-full.img \
	    $(KERNEL) > $(BUILD)/bench/fsbench.log || true
	@grep -aq '^BENCH DONE fsbench' $(BUILD)/bench/fsbench.log || \
	    { echo "bench-fs: the benchmark did not finish; see $(BUILD)/bench/fsbench.log"; exit 1; }
	@grep -a -A7 '^fs benchmark' $(BUILD)/bench/fsbench.log | tr -d '\r'
	@echo "samples: $(BUILD)/bench/fsbench.log"

# ---- UDP bandwidth (issue 7) ----
# bench-net: 1472-byte payloads from 1, 2, 4 and 8 sender threads in the
# guest to a receiver on the host over QEMU user networking
# (tools/udprecv, which counts). BENCH_SECONDS per run.
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

# bench-udp: make bench's udp_bw rows alone, Aerie and Linux in alternating
# boots (bench/aerie/bench-udp.sh; ROUNDS=3, PLAN=full|quick, LINUX=0,
# AERIE_BUILDS='old=/path/to/build' for an A/B of commits).
.PHONY: bench-udp
bench-udp: $(if $(filter 0,$(LINUX)),deps-run,bench-linux-image)
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/udpwire-quick.img $(BUILD)/udpwire-full.img \
	    $(BUILD)/tools/benchrun $(BUILD)/tools/udpsink
	@BUILD=$(BUILD) ROUNDS=$(or $(ROUNDS),3) PLAN=$(or $(PLAN),full) LINUX=$(LINUX) AERIE_BUILDS='$(AERIE_BUILDS)' \
	    bench/aerie/bench-udp.sh

# UDP_SENDER_CPU: where the benchmark's sending threads run
# (apps/udpsend/sender.c, SENDER_PLACE): 0 their creator's CPU (the
# default), 1 all on the next CPU, 2 spread over the CPUs after it. A
# stamp named for the value rebuilds sender.c when it changes.
UDP_SENDER_CPU ?= 0
$(BUILD)/udp-sender-cpu.$(UDP_SENDER_CPU):
	@mkdir -p $(@D)
	@rm -f $(BUILD)/udp-sender-cpu.*
	@touch $@
$(BUILD)/uobj/apps/udpsend/sender.c.o: UEXTRA := -DSENDER_PLACE=$(UDP_SENDER_CPU)
$(BUILD)/uobj/apps/udpsend/sender.c.o: $(BUILD)/udp-sender-cpu.$(UDP_SENDER_CPU)

# make bench's udp_bw: the same senders over the --netwire NIC to
# tools/udpsink (bench/udp_wire.h), as the Linux guest sends.
$(eval $(call libc_program,udpwire,bench/aerie/udpwire.c bench/aerie/say.c apps/udpsend/sender.c))
$(BUILD)/uobj/bench/aerie/udpwire.c.o: UEXTRA := -Iapps/udpsend
$(eval $(call bench_images,udpwire,bench/aerie/udpwire.conf,$(BUILD)/console.elf $(BUILD)/net.elf $(BUILD)/udpwire.elf,\
    bin/console=$(BUILD)/console.elf bin/net=$(BUILD)/net.elf bin/udpwire=$(BUILD)/udpwire.elf))

# ---- container start-up, memory per idle container, idle capacity ----
# startbench drives cm, which starts the images nop and idle (apps/), and
# forks forkee (docs/FORK.md); fs serves the files of the fork row that
# has some (files_1m).
$(eval $(call libc_program,startbench,bench/aerie/startbench.c bench/aerie/say.c))
$(eval $(call bench_images,startbench,bench/aerie/startbench.conf,\
    $(BUILD)/console.elf $(BUILD)/cm.elf $(BUILD)/fs.elf $(BUILD)/startbench.elf $(BUILD)/images/nop.elf \
    $(BUILD)/images/idle.elf $(BUILD)/images/forkee.elf,\
    bin/console=$(BUILD)/console.elf bin/cm=$(BUILD)/cm.elf bin/fs=$(BUILD)/fs.elf bin/startbench=$(BUILD)/startbench.elf \
    images/nop/prog=$(BUILD)/images/nop.elf -d images/nop/files \
    images/idle/prog=$(BUILD)/images/idle.elf -d images/idle/files \
    images/forkee/prog=$(BUILD)/images/forkee.elf -d images/forkee/files,mem burst))

# make bench-burst: the starts-at-once rows alone (issue 16): startbench's
# plan burst (20 warm-up starts, 10 rounds of 16 and of 64 at once), with
# each row's p50 and p99 by nearest rank (as tools/benchstat).
.PHONY: bench-burst
bench-burst: deps-run
	@$(MAKE) -s --no-print-directory all
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" \
	    --initrd $(BUILD)/root.elf,$(BUILD)/startbench-burst.img $(KERNEL) > $(BUILD)/bench/burstbench.log || true
	@grep -aq '^BENCH DONE startbench' $(BUILD)/bench/burstbench.log || \
	    { echo "bench-burst: the benchmark did not finish; see $(BUILD)/bench/burstbench.log"; exit 1; }
	@grep -a '^SAMPLE startup_parallel' $(BUILD)/bench/burstbench.log | tr -d '\r' | \
	    sort -k2,2 -k5,5 -k6,6n | \
	    awk '{ k = $$2 " " $$5; v[k, ++n[k]] = $$6 } \
	         END { for (k in n) { i50 = int(n[k] * 0.5); i99 = int(n[k] * 0.99); \
	               if (i50 < n[k] * 0.5) i50++; if (i99 < n[k] * 0.99) i99++; \
	               printf "%-22s %-5s p50 %9.3f ms  p99 %9.3f ms (%d samples)\n", substr(k, 1, index(k, " ") - 1), \
	               substr(k, index(k, " ") + 1), v[k, i50] / 1e6, v[k, i99] / 1e6, n[k] } }' | sort
	@echo "samples: $(BUILD)/bench/burstbench.log"

# bench-mem: the memory and density rows alone (issue 16), Aerie beside
# Linux in the same machine: startbench's plan mem (bench/aerie/startbench.c)
# and the Linux guest's bench.boot=mem (bench/linux/init), then benchstat.
# LINUX=0: the Aerie boot alone (while changing Aerie; no Linux figure).
.PHONY: bench-mem
bench-mem: $(if $(filter 0,$(LINUX)),deps-run,bench-linux-image)
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/startbench-mem.img $(BUILD)/tools/benchrun \
	    $(BUILD)/tools/benchstat
	@BUILD=$(BUILD) LINUX=$(LINUX) bench/aerie/bench-mem.sh

# make bench-fork: the `aerie fork` rows of startbench alone (plan fork:
# fork_cold, fork_cold_ready, fork_clone, fork_mem for a small, a large,
# a four-thread warm forkee and a small one with 1 MiB of files), with
# each row's median. Its boot has the fs service (forkbench.conf).
$(BUILD)/startbench-fork.img: bench/aerie/forkbench.conf $(BUILD)/tools/mkimage $(BUILD)/console.elf \
    $(BUILD)/cm.elf $(BUILD)/fs.elf $(BUILD)/startbench.elf $(BUILD)/images/forkee.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$< bin/console=$(BUILD)/console.elf \
	    bin/cm=$(BUILD)/cm.elf bin/fs=$(BUILD)/fs.elf bin/startbench=$(BUILD)/startbench.elf \
	    images/forkee/prog=$(BUILD)/images/forkee.elf -d images/forkee/files

.PHONY: bench-fork
bench-fork: deps-run
	@$(MAKE) -s --no-print-directory all $(BUILD)/startbench-fork.img
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" \
	    --initrd $(BUILD)/root.elf,$(BUILD)/startbench-fork.img $(KERNEL) > $(BUILD)/bench/forkbench.log || true
	@grep -aq '^BENCH DONE startbench' $(BUILD)/bench/forkbench.log || \
	    { echo "bench-fork: the benchmark did not finish; see $(BUILD)/bench/forkbench.log"; exit 1; }
	@grep -a '^SAMPLE fork_' $(BUILD)/bench/forkbench.log | tr -d '\r' | sort -k2,2 -k5,5 -k6,6n | \
	    awk '{ k = $$2 " " $$5; v[k, ++n[k]] = $$6; u[k] = $$7 } \
	         END { for (k in n) { m = n[k] % 2 ? v[k, (n[k] + 1) / 2] : (v[k, n[k] / 2] + v[k, n[k] / 2 + 1]) / 2; \
	               printf "%-16s %-12s median %12.0f %s (%d samples)\n", substr(k, 1, index(k, " ") - 1), \
	               substr(k, index(k, " ") + 1), m, u[k], n[k] } }' | sort
	@echo "samples: $(BUILD)/bench/forkbench.log"

# ---- services restarting (issue 17): console, fs and net killed under containers ----
RESTARTBENCH_APPS := ticker fsstream udpecho udpping
$(eval $(call libc_program,restartbench,bench/aerie/restartbench.c bench/aerie/say.c))
$(eval $(call bench_images,restartbench,bench/aerie/restartbench.conf,\
    $(BUILD)/console.elf $(BUILD)/fs.elf $(BUILD)/net.elf $(BUILD)/cm.elf $(BUILD)/restartbench.elf \
    $(foreach a,$(RESTARTBENCH_APPS),$(BUILD)/images/$(a).elf),\
    bin/console=$(BUILD)/console.elf bin/fs=$(BUILD)/fs.elf bin/net=$(BUILD)/net.elf bin/cm=$(BUILD)/cm.elf \
    bin/restartbench=$(BUILD)/restartbench.elf \
    $(foreach a,$(RESTARTBENCH_APPS),images/$(a)/prog=$(BUILD)/images/$(a).elf -d images/$(a)/files)))

.PHONY: bench-restart
bench-restart: deps-run
	@$(MAKE) -s --no-print-directory all
	@mkdir -p $(BUILD)/bench
	@tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" \
	    --initrd $(BUILD)/root.elf,$(BUILD)/restartbench-$(or $(BENCH_PLAN),full).img $(KERNEL) \
	    > $(BUILD)/bench/restartbench.log || true
	@grep -a '^BENCH DONE restartbench' $(BUILD)/bench/restartbench.log | grep -vq failed || \
	    { echo "bench-restart: the benchmark did not finish; see $(BUILD)/bench/restartbench.log"; exit 1; }
	@grep -a '^restart ' $(BUILD)/bench/restartbench.log | tr -d '\r'
	@echo "samples: $(BUILD)/bench/restartbench.log"

# ---- the Linux ABI (issue 13): lxbench under the Linux personality ----
# lxdrive runs the static Linux program lxbench (bench/linux/guest/, built
# by bench/bench.mk's rules, the same file the Linux guest runs) as
# containers; busybox is the build machine's busybox-static.
LXBENCH_BIN := $(BUILD)/bench/linux/guest/lxbench
$(eval $(call libc_program,lxdrive,bench/aerie/lxdrive.c bench/aerie/say.c))
$(eval $(call bench_images,lxdrive,bench/aerie/lxdrive.conf,\
    $(BUILD)/console.elf $(BUILD)/fs.elf $(BUILD)/cm.elf $(BUILD)/linux.elf $(BUILD)/lxdrive.elf \
    $(LXBENCH_BIN) $(BUSYBOX),\
    bin/console=$(BUILD)/console.elf bin/fs=$(BUILD)/fs.elf bin/cm=$(BUILD)/cm.elf bin/linux=$(BUILD)/linux.elf \
    bin/lxdrive=$(BUILD)/lxdrive.elf images/lxbench/prog=$(LXBENCH_BIN) \
    images/lxbench/files/bin/busybox=$(BUSYBOX) images/lxbench/files/bin/sh=$(BUSYBOX) \
    images/busybox/prog=$(BUSYBOX) images/busybox/files/bin/sh=$(BUSYBOX),tree))

# bench-linux: that benchmark alone, with its Linux counterpart (the
# benchmark guest booted with bench.boot=lx); BENCH_PLAN=quick|full|tree
# (tree: issue 13's tree workload alone, 5 samples on 2 CPUs and on 1).
.PHONY: bench-linux
bench-linux: bench-linux-image
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/lxdrive-quick.img $(BUILD)/lxdrive-full.img \
	    $(BUILD)/lxdrive-tree.img
	@BUILD=$(BUILD) BENCH_PLAN=$(or $(BENCH_PLAN),quick) bench/aerie/bench-linux.sh
