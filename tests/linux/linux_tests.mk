# tests/linux/linux_tests.mk — the Linux personality's tests: static Linux
# programs built on the host from tests/linux/progs/ with musl-gcc and
# with glibc, each an image of build/boot-linux.img, driven by lxtest.

LX_PROGS := $(patsubst tests/linux/progs/%.c,%,$(wildcard tests/linux/progs/*.c))
LX_BINS  := $(foreach p,$(LX_PROGS),$(BUILD)/linux/$(p)-musl $(BUILD)/linux/$(p)-glibc)

$(BUILD)/linux/%-musl: tests/linux/progs/%.c tests/linux/progs/check.h
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc -static -O2 -Wall -o $@ $< -lpthread

$(BUILD)/linux/%-glibc: tests/linux/progs/%.c tests/linux/progs/check.h
	@mkdir -p $(@D)
	@echo "  GLIBCC  $@"
	@gcc -static -O2 -Wall -o $@ $< -lpthread

LX_IMAGE_SPECS := $(foreach b,$(LX_BINS),images/$(notdir $(b))/prog=$(b) -d images/$(notdir $(b))/files)
# aliases.c (attack10) walks the links of its own image below /lnk.
LX_IMAGE_SPECS += $(foreach l,musl glibc,-l images/aliases-$(l)/files/lnk/up=../../../../.. \
    -l images/aliases-$(l)/files/lnk/abs=/ -l images/aliases-$(l)/files/lnk/loop=loop \
    -l images/aliases-$(l)/files/lnk/proc=/proc/self/fd/0)

# busybox scripts: what each prints and its exit status on this machine's
# busybox (tests/linux/busybox/run-host.sh) are what it must print on Aerie.
# /bin/gzip is busybox too: tar -z runs "gzip" from PATH (the build
# machine's is GNU gzip; the scripts compare contents, not gzip's bytes).
BB_SCRIPTS := $(patsubst tests/linux/busybox/%.sh,%,$(wildcard tests/linux/busybox/[0-9]*.sh))
BB_EXPECT  := $(foreach s,$(BB_SCRIPTS),$(BUILD)/linux/bbexpect/$(s).out)
$(BUILD)/linux/bbexpect/%.out: tests/linux/busybox/%.sh tests/linux/busybox/run-host.sh $(BUSYBOX)
	@mkdir -p $(@D)
	@echo "  BBHOST  $@"
	@tests/linux/busybox/run-host.sh $(abspath $<) $@ $(@:.out=.code)
BB_TEST_SPECS := images/busybox-test/prog=$(BUSYBOX) images/busybox-test/files/bin/sh=$(BUSYBOX) \
    images/busybox-test/files/bin/gzip=$(BUSYBOX) -l images/busybox-test/files/bin/ls=sh \
    -l images/busybox-test/files/lnk/up=../../.. -l images/busybox-test/files/lnk/loop=loop \
    $(foreach s,$(BB_SCRIPTS),images/busybox-test/files/t/$(s).sh=tests/linux/busybox/$(s).sh \
        images/busybox-test/files/expect/$(s).out=$(BUILD)/linux/bbexpect/$(s).out \
        images/busybox-test/files/expect/$(s).code=$(BUILD)/linux/bbexpect/$(s).code)

# bash scripts: the same, run by Debian's bash-static (image bash-test;
# busybox is there as /bin/busybox for the tools the scripts call).
BASH_SCRIPTS := $(patsubst tests/linux/bash/%.sh,%,$(wildcard tests/linux/bash/[0-9]*.sh))
BASH_EXPECT  := $(foreach s,$(BASH_SCRIPTS),$(BUILD)/linux/bashexpect/$(s).out)
$(BUILD)/linux/bashexpect/%.out: tests/linux/bash/%.sh tests/linux/busybox/run-host.sh $(BASH_STATIC) $(BUSYBOX)
	@mkdir -p $(@D)
	@echo "  BASHHOST $@"
	@tests/linux/busybox/run-host.sh $(abspath $<) $@ $(@:.out=.code) $(BASH_STATIC)
BASH_TEST_SPECS := images/bash-test/prog=$(BASH_STATIC) images/bash-test/files/bin/busybox=$(BUSYBOX) -d images/bash-test/files/tmp \
    $(foreach s,$(BASH_SCRIPTS),images/bash-test/files/t/$(s).sh=tests/linux/bash/$(s).sh \
        images/bash-test/files/expect/$(s).out=$(BUILD)/linux/bashexpect/$(s).out \
        images/bash-test/files/expect/$(s).code=$(BUILD)/linux/bashexpect/$(s).code)

$(eval $(call libc_program,lxtest,tests/linux/lxtest.c))
$(BUILD)/uobj/tests/linux/lxtest.c.o: UEXTRA := -Itests/host

$(BUILD)/boot-linux.img: $(BUILD)/tools/mkimage tests/linux/boot.conf tests/linux/linux_tests.mk $(SERVICE_ELFS) \
                         $(BUILD)/lxtest.elf $(LX_BINS) \
                         $(BB_EXPECT) $(wildcard tests/linux/busybox/*.sh) \
                         $(BASH_EXPECT) $(wildcard tests/linux/bash/*.sh)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/linux/boot.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS) $(BB_TEST_SPECS) $(BASH_TEST_SPECS)
all: $(BUILD)/boot-linux.img

# make bench-linux-prof: where the start of `busybox true` in a container
# goes (docs/EVALUATION.md): the test image with lxtest given
# args="profile", which starts it 20 times with $AERIE_LX_TRACE set and
# prints each start's phases (create -> the personality's main -> the
# program loaded -> its end -> CM_WAIT returns). Not a test: no figure
# is checked.
$(BUILD)/linux/boot-prof.conf: tests/linux/boot.conf
	@mkdir -p $(@D)
	@sed 's|^\(service lxtest .*\)$$|\1 args="profile"|' $< > $@
$(BUILD)/boot-linux-prof.img: $(BUILD)/tools/mkimage $(BUILD)/linux/boot-prof.conf $(SERVICE_ELFS) \
                              $(BUILD)/lxtest.elf $(LX_BINS)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$(BUILD)/linux/boot-prof.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS) $(BB_TEST_SPECS)
.PHONY: bench-linux-prof
bench-linux-prof:
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/boot-linux-prof.img
	@timeout 300 tools/qemu.sh --test --smp 2 --mem 512M --append exit_on_halt --nic \
	    --initrd $(BUILD)/root.elf,$(BUILD)/boot-linux-prof.img $(KERNEL) 2>&1 | grep -E 'profile:|TESTS DONE' | \
	    awk '{ print } /profile:/ { n++ }  END { if (!n) { print "bench-linux-prof: no profile lines" > "/dev/stderr"; exit 1 } }'
