# tools/tools.mk — host tools: the test runner, the kernel symbol table
# generator, and ./aerie, the command line that drives a running Aerie
# (docs/CM.md). Plain C with -Werror, run on the build machine.

HOST_TOOLS := $(BUILD)/tools/testrun $(BUILD)/tools/ksymgen $(BUILD)/tools/udprecv $(BUILD)/tools/netframe \
              $(BUILD)/tools/slirp_backlog.so

$(BUILD)/tools/%: tools/%.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ $<

# Preloaded into QEMU by tools/qemu.sh when it forwards host ports: raises
# libslirp's listen backlog of 1 (see the file).
$(BUILD)/tools/slirp_backlog.so: tools/slirp_backlog.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) -shared -fPIC -o $@ $<

# ./aerie at the top of the tree: it shares the control protocol's text
# layer with ctl and the spec parser with cm, so they cannot disagree.
# Imports read tars through libarchive, JSON through jansson and check
# digests with OpenSSL (tools/deps.sh installs their -dev packages).
AERIE_CLI_SRCS := tools/aerie.c tools/aerie_inspect.c tools/aerie_input.c tools/aerie_tty.c tools/aerie_debug.c tools/aerie_trace.c tools/aerie_conn.c tools/aerie_spec.c tools/aerie_cp.c services/ctl/ctlproto.c \
                  services/cm/spec.c lib/fmt/fmt.c tools/aerie_import.c tools/imgtree.c tools/ociconf.c \
                  tools/imgbuild.c lib/image/img.c
AERIE_CLI_HDRS := tools/aerie_inspect.h tools/aerie_input.h tools/aerie_tty.h tools/aerie_debug.h tools/aerie_trace.h tools/aerie_conn.h tools/aerie_spec.h tools/aerie_cp.h services/ctl/ctlproto.h services/cm/spec.h \
                  include/aerie/proto/cm.h tools/aerie_import.h tools/imgtree.h tools/ociconf.h tools/imgbuild.h
IMPORT_LIBS := -larchive -ljansson -lcrypto -pthread
HOST_TOOLS += aerie

aerie: $(AERIE_CLI_SRCS) $(AERIE_CLI_HDRS)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -DAERIE_VERSION='"$(VERSION)"' -Iservices/ctl -Iservices/cm -Ilib/fmt -o $@ \
	    $(AERIE_CLI_SRCS) $(IMPORT_LIBS)

$(BUILD)/tests/host/test_aerie_spec: tests/host/test_aerie_spec.c tools/aerie_spec.c tools/aerie_tty.c \
                                     services/cm/spec.c lib/fmt/fmt.c tools/aerie_spec.h services/cm/spec.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itools -Iservices/cm -Ilib/fmt -Itests/host -o $@ \
	    tests/host/test_aerie_spec.c tools/aerie_spec.c tools/aerie_tty.c services/cm/spec.c lib/fmt/fmt.c
HOST_TESTS += $(BUILD)/tests/host/test_aerie_spec

# The engine: the host side of the control channel (docs/ENGINE.md). It
# shares the link's frames and the protocol's text layer with ctl.
ENGINE_SRCS := $(wildcard tools/engine/*.c) services/ctl/frame.c services/ctl/ctlproto.c
ENGINE_HDRS := tools/engine/engine.h services/ctl/frame.h services/ctl/ctlproto.h include/aerie/proto/cm.h
$(BUILD)/tools/aerie-engine: $(ENGINE_SRCS) $(ENGINE_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -Iservices/ctl -Iinclude -o $@ $(ENGINE_SRCS)
HOST_TOOLS += $(BUILD)/tools/aerie-engine

# mktar writes the tars the CLI test imports, broken ones included.
$(BUILD)/tests/cli/mktar: tests/cli/mktar.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ $< -larchive
HOST_TOOLS += $(BUILD)/tests/cli/mktar

# ttyprobe: a static Linux program the terminal test imports (tests/cli/test_tty.sh).
$(BUILD)/tests/cli/ttyprobe: tests/cli/ttyprobe.c
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc -static -O2 -Wall -Werror -o $@ $<
HOST_TOOLS += $(BUILD)/tests/cli/ttyprobe

# What `aerie import` reads: layers (imgtree.c) and OCI/docker JSON (ociconf.c).
IMGTREE_SRCS := tools/imgtree.c tools/imgbuild.c lib/image/img.c
$(BUILD)/tests/host/test_imgtree: tests/host/test_imgtree.c $(IMGTREE_SRCS) tools/imgtree.h tools/imgbuild.h tests/host/check_more.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itools -Ilib -Itests/host -o $@ tests/host/test_imgtree.c $(IMGTREE_SRCS) -larchive

$(BUILD)/fuzz/fuzz_layer: tests/fuzz/fuzz_layer.c $(IMGTREE_SRCS) tools/imgtree.h
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Itools -o $@ tests/fuzz/fuzz_layer.c $(IMGTREE_SRCS) -larchive

$(BUILD)/tests/host/test_ociconf: tests/host/test_ociconf.c tools/ociconf.c tools/ociconf.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itools -Itests/host -o $@ tests/host/test_ociconf.c tools/ociconf.c -ljansson

$(BUILD)/fuzz/fuzz_ociconf: tests/fuzz/fuzz_ociconf.c tools/ociconf.c tools/ociconf.h
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Itools -o $@ tests/fuzz/fuzz_ociconf.c tools/ociconf.c -ljansson

HOST_TESTS += $(BUILD)/tests/host/test_imgtree $(BUILD)/fuzz/fuzz_layer \
              $(BUILD)/tests/host/test_ociconf $(BUILD)/fuzz/fuzz_ociconf
