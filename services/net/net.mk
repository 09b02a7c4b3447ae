# services/net/net.mk — the net service's OS-independent core (docs/NET.md):
# the stack (stack/), the shared rings (lib/netring/) and the virtio-net
# driver (virtio/), with their host tests and fuzzer.
#
#   make                  also builds $(BUILD)/net/netcore.o freestanding and
#                         checks it needs nothing but memcpy, memset, memcmp
#   make test             runs the net host tests and a short fuzz run
#   make fuzz-net         a long fuzz run: FUZZ_SECONDS=600 FUZZ_JOBS=1 by default;
#                         new inputs land in $(BUILD)/net/fuzz-corpus, crashes in
#                         $(BUILD)/net/fuzz-crashes/

NET_STACK_C  := $(wildcard services/net/stack/*.c) lib/netring/netring.c
NET_VIRTIO_C := $(wildcard services/net/virtio/*.c) $(wildcard lib/virtio/*.c)
NET_HDRS     := $(wildcard services/net/*.h services/net/stack/*.h services/net/virtio/*.h lib/virtio/*.h) \
                lib/netring/netring.h include/aerie/netring.h include/aerie/errors.h
NET_INC      := -Iinclude -Ilib/netring -Iservices/net -Iservices/net/stack
NET_VIRTIO_INC := -Iservices/net/virtio -Ilib/virtio

# ---- freestanding build of the core ---------------------------------------
NET_FS_OBJS  := $(patsubst %.c,$(BUILD)/net/fs/%.o,$(NET_STACK_C) $(NET_VIRTIO_C))
NET_FS_CFLAGS := $(FREESTAND) -isystem services/net/fs-shim $(NET_INC) $(NET_VIRTIO_INC)

$(BUILD)/net/fs/%.o: %.c $(NET_HDRS) services/net/fs-shim/string.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(NET_FS_CFLAGS) -c $< -o $@

# One relocatable object; the build fails if it needs anything else.
$(BUILD)/net/netcore.o: $(NET_FS_OBJS)
	@echo "  LD      $@"
	@$(LD) -r -o $@.tmp $(NET_FS_OBJS)
	@extra=$$($(NM) -u $@.tmp | awk '{print $$2}' | grep -vx -e memcpy -e memset -e memcmp); \
	if [ -n "$$extra" ]; then echo "net core needs more than memcpy/memset/memcmp: $$extra" >&2; \
	rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

all: $(BUILD)/net/netcore.o

# ---- host tests ------------------------------------------------------------
NET_TEST_DIR := tests/host/net
NET_TEST_CFLAGS := $(HOSTCFLAGS) $(SANFLAGS) $(NET_INC) -I$(NET_TEST_DIR) -Itests/host
NET_FAKE_C   := $(NET_TEST_DIR)/netfake.c
NET_TEST_DEPS := $(NET_STACK_C) $(NET_HDRS) $(NET_FAKE_C) $(NET_TEST_DIR)/netfake.h \
                 tests/host/ktest_host.h

$(BUILD)/tests/host/net/test_net_stack: $(NET_TEST_DIR)/test_net_stack.c $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

HOST_TESTS += $(BUILD)/tests/host/net/test_net_stack

# csum_copy alone against a byte-at-a-time reference, the source fenced by
# inaccessible pages (its 64-byte loop is assembly ASan does not see).
$(BUILD)/tests/host/net/test_csum_copy: $(NET_TEST_DIR)/test_csum_copy.c services/net/stack/csum.c $(NET_HDRS) \
                                        tests/host/ktest_host.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -o $@ $< services/net/stack/csum.c

HOST_TESTS += $(BUILD)/tests/host/net/test_csum_copy

$(BUILD)/tests/host/net/test_net_clients: $(NET_TEST_DIR)/test_net_clients.c $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

HOST_TESTS += $(BUILD)/tests/host/net/test_net_clients

$(BUILD)/tests/host/net/test_tcp: $(NET_TEST_DIR)/test_tcp.c $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

HOST_TESTS += $(BUILD)/tests/host/net/test_tcp

$(BUILD)/tests/host/net/test_tcp_loop: $(NET_TEST_DIR)/test_tcp_loop.c $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

HOST_TESTS += $(BUILD)/tests/host/net/test_tcp_loop

$(BUILD)/tests/host/net/test_netring: $(NET_TEST_DIR)/test_netring.c lib/netring/netring.c $(NET_HDRS) tests/host/ktest_host.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -pthread -o $@ $< lib/netring/netring.c

HOST_TESTS += $(BUILD)/tests/host/net/test_netring

# The driver against the fake device: the shim's <virtio_mmio.h> comes first.
NET_VIRTIO_TEST_C := $(NET_TEST_DIR)/fake_virtio.c $(NET_FAKE_C) $(NET_VIRTIO_C) $(NET_STACK_C)
$(BUILD)/tests/host/net/test_virtio: $(NET_TEST_DIR)/test_virtio.c $(NET_VIRTIO_TEST_C) $(NET_TEST_DEPS) \
                                     $(NET_TEST_DIR)/fake_virtio.h $(NET_TEST_DIR)/shim/virtio_mmio.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -I$(NET_TEST_DIR)/shim $(NET_VIRTIO_INC) -o $@ $< $(NET_VIRTIO_TEST_C)

HOST_TESTS += $(BUILD)/tests/host/net/test_virtio

# ---- fuzzing ---------------------------------------------------------------
CLANG        ?= clang
NET_FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
                   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                   $(NET_INC) -I$(NET_TEST_DIR)
NET_FUZZ     := $(BUILD)/tests/host/net/fuzz_net
NET_CORPUS   := $(NET_TEST_DIR)/corpus
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 1

$(NET_FUZZ): $(NET_TEST_DIR)/fuzz_net.c $(NET_TEST_DIR)/fuzz_net.h $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	@$(CLANG) $(NET_FUZZ_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

$(BUILD)/tests/host/net/fuzz_seeds: $(NET_TEST_DIR)/fuzz_seeds.c $(NET_TEST_DIR)/fuzz_net.h $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(NET_TEST_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

HOST_TESTS += $(NET_FUZZ)

# TCP's own target (segments, the client's area, calls, time).
NET_FUZZ_TCP := $(BUILD)/tests/host/net/fuzz_tcp
$(NET_FUZZ_TCP): $(NET_TEST_DIR)/fuzz_tcp.c $(NET_TEST_DEPS)
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	@$(CLANG) $(NET_FUZZ_CFLAGS) -o $@ $< $(NET_FAKE_C) $(NET_STACK_C)

HOST_TESTS += $(NET_FUZZ_TCP)

.PHONY: fuzz-net fuzz-net-seeds
# The long run: keeps what it finds in $(BUILD)/net/fuzz-corpus across runs.
fuzz-net: deps-test $(NET_FUZZ)
	@mkdir -p $(BUILD)/net/fuzz-corpus $(BUILD)/net/fuzz-crashes
	$(NET_FUZZ) -max_total_time=$(FUZZ_SECONDS) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
	    -timeout=10 -rss_limit_mb=2048 -use_value_profile=1 -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/net/fuzz-crashes/ $(BUILD)/net/fuzz-corpus $(NET_CORPUS)

# Rewrites the committed seed corpus (after a change to the input format).
fuzz-net-seeds: $(BUILD)/tests/host/net/fuzz_seeds
	@mkdir -p $(NET_CORPUS)
	$(BUILD)/tests/host/net/fuzz_seeds $(NET_CORPUS)

# ---- the service on Aerie (services/net/aerie/: the OS glue) ---------------
NET_SVC_C := $(wildcard services/net/aerie/*.c) $(wildcard services/net/stack/*.c) $(NET_VIRTIO_C) \
             lib/virtio/aerie/pci_grant.c
$(patsubst %,$(BUILD)/uobj/%.o,$(NET_SVC_C)): UEXTRA := -Ilib/netring -Iservices/net -Iservices/net/stack \
    -Iservices/net/virtio -Ilib/virtio -Ilib
$(eval $(call libc_program,net,$(NET_SVC_C)))
