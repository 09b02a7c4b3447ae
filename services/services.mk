# services/services.mk — the boot task (root), the services, the example
# apps, and the boot image that carries them (build/boot.img).

$(eval $(call libc_program,root,services/root/root.c services/root/bootconf.c services/root/pci.c))
$(eval $(call libc_program,console,services/console/console.c services/console/log.c services/console/input.c))
$(eval $(call libc_program,cm,services/cm/main.c services/cm/ops.c services/cm/files.c services/cm/container.c services/cm/inspect.c services/cm/spec.c \
    services/cm/linux.c services/cm/debug.c services/cm/trace.c services/cm/images.c services/cm/image_ops.c services/cm/imgconfig.c services/cm/restart.c \
    services/cm/fork.c services/cm/input.c))
$(eval $(call libc_program,hello,apps/hello/hello.c))
$(eval $(call libc_program,demo,services/demo/demo.c))
# The Linux personality (docs/LINUX.md): cm loads it in place of a Linux program.
LINUX_SRCS := $(sort $(wildcard services/linux/*.c)) services/linux/tramp.S services/linux/vdso_image.S
$(eval $(call libc_program,linux,$(LINUX_SRCS)))
# Its vDSO (services/linux/vdso/): a freestanding, position-independent
# shared object the personality carries inside itself (vdso_image.S) and
# maps into every Linux process. No relocations, no data (vdso.ld checks).
VDSO_CFLAGS := -std=gnu11 -O2 -fPIC -ffreestanding -nostdinc -isystem $(GCC_INC) -fno-builtin \
               -fno-stack-protector -fno-plt -fno-strict-aliasing $(WARN) -Iinclude
$(BUILD)/vdso/vdso.o: services/linux/vdso/vdso.c
	@mkdir -p $(@D)
	@echo "  VDSOCC  $<"
	@$(CC) $(VDSO_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/vdso/vdso.so: $(BUILD)/vdso/vdso.o services/linux/vdso/vdso.ld
	@echo "  VDSOLD  $@"
	@$(CC) -nostdlib -shared -Wl,-T,services/linux/vdso/vdso.ld -Wl,--hash-style=both \
	    -Wl,-soname=linux-vdso.so.1 -Wl,--eh-frame-hdr -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	    -Wl,--build-id=none -o $@ $<
	@if readelf -rW $@ | grep -q 'Relocation section'; then echo "$@: has relocations" >&2; rm -f $@; exit 1; fi
$(BUILD)/uobj/services/linux/vdso_image.S.o: services/linux/vdso_image.S $(BUILD)/vdso/vdso.so
	@mkdir -p $(@D)
	@echo "  UAS     $<"
	@$(CC) $(UCFLAGS_AERIE) -D__ASSEMBLY__ -DLX_VDSO_FILE='"$(BUILD)/vdso/vdso.so"' -c $< -o $@
-include $(BUILD)/vdso/vdso.d
CTL_SRCS := services/ctl/main.c services/ctl/verbs.c services/ctl/stream.c services/ctl/reply.c \
            services/ctl/ctlproto.c services/ctl/files.c services/ctl/vcon.c services/ctl/frame.c \
            services/ctl/link.c services/ctl/session.c services/ctl/xfer.c services/ctl/import.c services/ctl/input.c services/ctl/specup.c services/ctl/exec.c services/ctl/inspect.c \
            lib/virtio/virtq.c lib/virtio/virtio_pci.c lib/virtio/aerie/pci_grant.c
$(patsubst %,$(BUILD)/uobj/%.o,$(CTL_SRCS)): UEXTRA := -Ilib/virtio -Ilib
$(eval $(call libc_program,ctl,$(CTL_SRCS)))

# ---- container images ---------------------------------------------------
# A container image is the subtree images/NAME/ of the boot image: the
# program images/NAME/prog and its read-only root images/NAME/files/. Every
# directory apps/NAME/ becomes one: its *.c are the program (a libc
# program, build/images/NAME.elf) and its optional files/ tree is the root.
# The container manager spawns images/NAME/prog and opens an fs session on
# images/NAME/files (docs/IMAGE.md, "Container images").
#
#   $(call image_specs,NAME,DIR)  mkimage specs for image NAME from DIR
#   $(call image_deps,NAME,DIR)   what those specs read
image_specs = images/$(1)/prog=$(BUILD)/images/$(1).elf \
    $(if $(wildcard $(2)/files),images/$(1)/files=$(2)/files,-d images/$(1)/files)
image_deps = $(BUILD)/images/$(1).elf $(shell find $(2)/files 2>/dev/null)

# busybox (BUSYBOX, mk/toolchain.mk) as an image: /bin/sh in its files is
# busybox again, for #! scripts, and /bin/busybox a link to it, for
# `aerie exec ID busybox APPLET ...` (found in PATH, as in a busybox image).
BUSYBOX_IMAGE_SPECS := images/busybox/prog=$(BUSYBOX) images/busybox/files/bin/sh=$(BUSYBOX) \
    -l images/busybox/files/bin/busybox=sh

APPS := $(patsubst apps/%/,%,$(wildcard apps/*/))
$(foreach a,$(APPS),$(eval $(call libc_program,images/$(a),$(wildcard apps/$(a)/*.c))))
APP_IMAGE_SPECS := $(foreach a,$(APPS),$(call image_specs,$(a),apps/$(a)))
APP_IMAGE_DEPS  := $(foreach a,$(APPS),$(call image_deps,$(a),apps/$(a)))

BOOT_CONF ?= services/root/boot.conf
BOOT_IMG  := $(BUILD)/boot.img
SERVICE_ELFS := $(BUILD)/console.elf $(BUILD)/fs.elf $(BUILD)/net.elf $(BUILD)/cm.elf $(BUILD)/hello.elf \
                $(BUILD)/demo.elf $(BUILD)/ctl.elf $(BUILD)/linux.elf
BOOT_IMG_FILES := bin/console=$(BUILD)/console.elf bin/fs=$(BUILD)/fs.elf bin/net=$(BUILD)/net.elf \
                  bin/cm=$(BUILD)/cm.elf bin/hello=$(BUILD)/hello.elf bin/demo=$(BUILD)/demo.elf bin/ctl=$(BUILD)/ctl.elf \
                  bin/linux=$(BUILD)/linux.elf $(APP_IMAGE_SPECS) $(BUSYBOX_IMAGE_SPECS)

$(BOOT_IMG): $(BUILD)/tools/mkimage $(BOOT_CONF) $(SERVICE_ELFS) $(APP_IMAGE_DEPS) $(BUSYBOX)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$(BOOT_CONF) $(BOOT_IMG_FILES)

# The QEMU modules: the boot task, then the boot image.
BOOT_MODULES := $(BUILD)/root.elf,$(BOOT_IMG)
all: $(BOOT_IMG)

# ---- test images ---------------------------------------------------------
# argprobe is imported by the CLI test (tests/cli/test_aerie.sh), not booted.
$(eval $(call libc_program,argprobe,tests/cli/argprobe.c))
all: $(BUILD)/argprobe.elf

# cmtest drives the container manager through its protocol (tests/cm/).
$(eval $(call libc_program,cmtest,tests/cm/cmtest.c tests/cm/cmclient.c tests/cm/t_images.c tests/cm/t_density.c \
    tests/cm/t_longspec.c))
$(BUILD)/uobj/tests/cm/cmtest.c.o $(BUILD)/uobj/tests/cm/cmclient.c.o $(BUILD)/uobj/tests/cm/t_images.c.o \
$(BUILD)/uobj/tests/cm/t_density.c.o $(BUILD)/uobj/tests/cm/t_longspec.c.o: UEXTRA := -Itests/host -Ilib
# tests/import.img in it is an imported image's archive (docs/IMAGE.md) that
# cmtest hands cm through CM_IMAGE_* (tests/cm/t_images.c).
$(BUILD)/test-import.img: $(BUILD)/tools/mkimage tests/cm/import.config tests/cm/import.motd $(BUILD)/images/grantprobe.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ config=tests/cm/import.config files/bin/probe=$(BUILD)/images/grantprobe.elf \
	    files/etc/motd=tests/cm/import.motd -l files/bin/sh=probe -l files/bin/abs=/bin/probe \
	    -l files/up=../../../bin/probe -l files/loop=loop -l files/dang=/none -l files/etc/motdlink=motd
$(BUILD)/boot-cm.img: $(BUILD)/tools/mkimage tests/cm/boot.conf $(SERVICE_ELFS) $(APP_IMAGE_DEPS) $(BUILD)/cmtest.elf \
                      $(BUILD)/test-import.img
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/cm/boot.conf $(BOOT_IMG_FILES) bin/cmtest=$(BUILD)/cmtest.elf \
	    tests/import.img=$(BUILD)/test-import.img
all: $(BUILD)/boot-cm.img

# forktest drives `aerie fork` (tests/fork/, docs/FORK.md).
$(eval $(call libc_program,forktest,tests/fork/forktest.c tests/cm/cmclient.c))
$(BUILD)/uobj/tests/fork/forktest.c.o: UEXTRA := -Itests/host -Ilib -Itests/cm
$(BUILD)/boot-fork.img: $(BUILD)/tools/mkimage tests/fork/boot.conf $(SERVICE_ELFS) $(APP_IMAGE_DEPS) \
                        $(BUILD)/forktest.elf
	@echo "  MKIMAGE $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/fork/boot.conf $(BOOT_IMG_FILES) bin/forktest=$(BUILD)/forktest.elf
all: $(BUILD)/boot-fork.img

# restarttest kills console, fs and net under running containers (tests/restart/, docs/RESTART.md).
$(eval $(call libc_program,restarttest,tests/restart/restarttest.c tests/cm/cmclient.c))
$(BUILD)/uobj/tests/restart/restarttest.c.o: UEXTRA := -Itests/host -Ilib -Itests/cm
$(BUILD)/boot-restart.img: $(BUILD)/tools/mkimage tests/restart/boot.conf $(SERVICE_ELFS) $(APP_IMAGE_DEPS) \
                           $(BUILD)/restarttest.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/restart/boot.conf $(BOOT_IMG_FILES) bin/restarttest=$(BUILD)/restarttest.elf
all: $(BUILD)/boot-restart.img

# ---- host tests and fuzzers of root's and cm's parsers ---------------------
$(BUILD)/tests/host/test_bootconf: tests/host/test_bootconf.c services/root/bootconf.c services/root/bootconf.h lib/fmt/fmt.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Iservices/root -Ilib/fmt -Itests/host -o $@ tests/host/test_bootconf.c services/root/bootconf.c lib/fmt/fmt.c

$(BUILD)/tests/host/test_spec: tests/host/test_spec.c services/cm/spec.c services/cm/spec.h lib/fmt/fmt.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Iservices/cm -Ilib/fmt -Itests/host -o $@ tests/host/test_spec.c services/cm/spec.c lib/fmt/fmt.c

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

$(BUILD)/fuzz/fuzz_spec: tests/fuzz/fuzz_spec.c services/cm/spec.c lib/fmt/fmt.c
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Iservices/cm -Ilib/fmt -o $@ tests/fuzz/fuzz_spec.c services/cm/spec.c lib/fmt/fmt.c

# ctl's protocol text layer (services/ctl/ctlproto.c), also part of the aerie CLI.
$(BUILD)/tests/host/test_ctlproto: tests/host/test_ctlproto.c services/ctl/ctlproto.c services/ctl/ctlproto.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Iservices/ctl -Itests/host -o $@ tests/host/test_ctlproto.c services/ctl/ctlproto.c

$(BUILD)/fuzz/fuzz_ctlproto: tests/fuzz/fuzz_ctlproto.c services/ctl/ctlproto.c services/ctl/ctlproto.h
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Iservices/ctl -o $@ tests/fuzz/fuzz_ctlproto.c services/ctl/ctlproto.c

HOST_TESTS += $(BUILD)/tests/host/test_bootconf $(BUILD)/tests/host/test_elf $(BUILD)/tests/host/test_spec \
              $(BUILD)/fuzz/fuzz_elf $(BUILD)/fuzz/fuzz_bootconf $(BUILD)/fuzz/fuzz_spec \
              $(BUILD)/tests/host/test_ctlproto $(BUILD)/fuzz/fuzz_ctlproto

# A boot image with a broken boot.conf: root must name each mistake and
# still start what is right (tests/tests.list: boot_bad_config).
$(BUILD)/boot-bad.img: $(BUILD)/tools/mkimage tests/boot/bad.conf $(BUILD)/console.elf $(BUILD)/hello.elf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/boot/bad.conf bin/console=$(BUILD)/console.elf \
	    bin/hello=$(BUILD)/hello.elf bin/broken=tests/boot/not-a-program.txt
all: $(BUILD)/boot-bad.img
include tests/net/net_tests.mk

# The control link's frames (shared by ctl and the engine) and the config of
# an imported image as cm reads it.
$(BUILD)/tests/host/test_frame: tests/host/test_frame.c services/ctl/frame.c services/ctl/frame.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Iservices/ctl -Itests/host -o $@ tests/host/test_frame.c services/ctl/frame.c

$(BUILD)/fuzz/fuzz_frame: tests/fuzz/fuzz_frame.c services/ctl/frame.c services/ctl/frame.h
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Iservices/ctl -o $@ tests/fuzz/fuzz_frame.c services/ctl/frame.c

$(BUILD)/tests/host/test_imgconfig: tests/host/test_imgconfig.c services/cm/imgconfig.c services/cm/imgconfig.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Iservices/cm -Itests/host -o $@ tests/host/test_imgconfig.c services/cm/imgconfig.c

$(BUILD)/fuzz/fuzz_imgconfig: tests/fuzz/fuzz_imgconfig.c services/cm/imgconfig.c services/cm/imgconfig.h
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZCC) $(FUZZFLAGS) -Iservices/cm -o $@ tests/fuzz/fuzz_imgconfig.c services/cm/imgconfig.c

HOST_TESTS += $(BUILD)/tests/host/test_frame $(BUILD)/fuzz/fuzz_frame \
              $(BUILD)/tests/host/test_imgconfig $(BUILD)/fuzz/fuzz_imgconfig
