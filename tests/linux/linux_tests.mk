# tests/linux/linux_tests.mk — the Linux personality's tests: static Linux
# programs built on the host from tests/linux/progs/ with musl-gcc and
# with glibc, each an image of build/boot-linux.img, driven by lxtest.

LX_PROGS := $(patsubst tests/linux/progs/%.c,%,$(wildcard tests/linux/progs/*.c))
LX_BINS  := $(foreach p,$(LX_PROGS),$(BUILD)/linux/$(p)-musl $(BUILD)/linux/$(p)-glibc)

$(BUILD)/linux/%-musl: tests/linux/progs/%.c tests/linux/progs/check.h tests/linux/progs/inet.h
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc -static -O2 -Wall -o $@ $< -lpthread

$(BUILD)/linux/%-glibc: tests/linux/progs/%.c tests/linux/progs/check.h tests/linux/progs/inet.h
	@mkdir -p $(@D)
	@echo "  GLIBCC  $@"
	@gcc -static -O2 -Wall -o $@ $< -lpthread

# SQLite in WAL mode (its -shm file mapped MAP_SHARED): Debian's static
# libsqlite3 (libsqlite3-dev, tools/deps.sh), so glibc only.
$(BUILD)/linux/sqlite-glibc: tests/linux/sqlite/sqlite.c tests/linux/progs/check.h
	@mkdir -p $(@D)
	@echo "  GLIBCC  $@"
	@gcc -static -O2 -Wall -Itests/linux/progs -o $@ $< -lsqlite3 -lm -lpthread 2>&1 | { grep -v -e dlopen -e unixDlOpen || true; }
LX_BINS += $(BUILD)/linux/sqlite-glibc

LX_IMAGE_SPECS := $(foreach b,$(LX_BINS),images/$(notdir $(b))/prog=$(b) -d images/$(notdir $(b))/files)
# aliases.c (attack10) walks the links of its own image below /lnk.
LX_IMAGE_SPECS += $(foreach l,musl glibc,-l images/aliases-$(l)/files/lnk/up=../../../../.. \
    -l images/aliases-$(l)/files/lnk/abs=/ -l images/aliases-$(l)/files/lnk/loop=loop \
    -l images/aliases-$(l)/files/lnk/proc=/proc/self/fd/0)

# Dynamically linked programs (tests/linux/dyn/): dynhello built by each C
# library's compiler against its shared libc, with the interpreter and
# libraries an image of that distribution would hold (docs/LINUX.md,
# "Dynamically linked programs"). Host paths of the libraries:
MUSL_LDSO  := /usr/lib/x86_64-linux-musl/libc.so
GLIBC_DIR  := /lib/x86_64-linux-gnu
DYN_OUT    := $(BUILD)/linux/dyn
$(DYN_OUT)/dynhello-musl: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc -O2 -Wall -o $@ $<
$(DYN_OUT)/dynhello-glibc: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@mkdir -p $(@D)
	@echo "  GLIBCC  $@"
	@gcc -O2 -Wall -o $@ $<
$(DYN_OUT)/dynattack-musl: tests/linux/dyn/dynattack.c tests/linux/progs/check.h
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc -O2 -Wall -o $@ $<
# attack14: interpreters that are no files to load (dynattack "interp"
# execs each; no FIFO: an image holds none): a directory, a device,
# /proc/self/exe, a link to itself, a static ET_EXEC program, the program itself
DYN_ODD := dir=/attack-dir dev=/dev/zero self=/proc/self/exe loop=/attack-loop \
           exec=/bin/static selfref=/bin/odd-selfref
$(foreach o,$(DYN_ODD),$(eval $(DYN_OUT)/odd-$(word 1,$(subst =, ,$(o))): tests/linux/dyn/dynhello.c tests/linux/progs/check.h ; \
    @mkdir -p $$(@D) && musl-gcc -O2 -Wall -Wl,--dynamic-linker=$(word 2,$(subst =, ,$(o))) -o $$@ $$<))
DYN_ODD_BINS := $(foreach o,$(DYN_ODD),$(DYN_OUT)/odd-$(word 1,$(subst =, ,$(o))))
$(DYN_OUT)/libdyntest-musl.so: tests/linux/dyn/libdyntest.c
	@mkdir -p $(@D)
	@musl-gcc -O2 -shared -fPIC -o $@ $<
$(DYN_OUT)/libdyntest-glibc.so: tests/linux/dyn/libdyntest.c
	@mkdir -p $(@D)
	@gcc -O2 -shared -fPIC -o $@ $<
# refusals: an interpreter that is missing, one outside the root by "..",
# one that is a text file, one that is itself dynamic, a path too long
$(DYN_OUT)/nointerp: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@musl-gcc -O2 -Wall -Wl,--dynamic-linker=/lib/ld-missing.so.1 -o $@ $<
$(DYN_OUT)/upinterp: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@musl-gcc -O2 -Wall -Wl,--dynamic-linker=/../../../..$(MUSL_LDSO) -o $@ $<
$(DYN_OUT)/textinterp: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@musl-gcc -O2 -Wall -Wl,--dynamic-linker=/etc/notelf -o $@ $<
$(DYN_OUT)/dyninterp: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@musl-gcc -O2 -Wall -Wl,--dynamic-linker=/bin/dynhello -o $@ $<
$(DYN_OUT)/longinterp: tests/linux/dyn/dynhello.c tests/linux/progs/check.h
	@musl-gcc -O2 -Wall -Wl,--dynamic-linker=/$(shell printf 'x%.0s' $$(seq 300)) -o $@ $<
$(DYN_OUT)/notelf:
	@mkdir -p $(@D)
	@printf '#!/bin/sh\necho not an ELF file\n' > $@ && chmod 755 $@
DYN_BINS := $(foreach f,dynhello-musl dynhello-glibc dynattack-musl libdyntest-musl.so libdyntest-glibc.so nointerp upinterp \
                        textinterp dyninterp longinterp notelf,$(DYN_OUT)/$(f)) $(DYN_ODD_BINS)
DYN_MUSL_FILES = images/$(1)/files/lib/ld-musl-x86_64.so.1=$(MUSL_LDSO) \
    images/$(1)/files/bin/dynhello=$(DYN_OUT)/dynhello-musl images/$(1)/files/lib/libdyntest.so=$(DYN_OUT)/libdyntest-musl.so
DYN_IMAGE_SPECS := images/dyn-musl/prog=$(DYN_OUT)/dynhello-musl $(call DYN_MUSL_FILES,dyn-musl) \
    images/dyn-musl/files/bin/nointerp=$(DYN_OUT)/nointerp images/dyn-musl/files/bin/upinterp=$(DYN_OUT)/upinterp \
    images/dyn-musl/files/bin/textinterp=$(DYN_OUT)/textinterp images/dyn-musl/files/bin/dyninterp=$(DYN_OUT)/dyninterp \
    images/dyn-musl/files/etc/notelf=$(DYN_OUT)/notelf \
    images/dyn-glibc/prog=$(DYN_OUT)/dynhello-glibc images/dyn-glibc/files/bin/dynhello=$(DYN_OUT)/dynhello-glibc \
    images/dyn-glibc/files/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2=$(GLIBC_DIR)/ld-linux-x86-64.so.2 \
    -l images/dyn-glibc/files/lib64/ld-linux-x86-64.so.2=/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
    images/dyn-glibc/files/lib/x86_64-linux-gnu/libc.so.6=$(GLIBC_DIR)/libc.so.6 \
    images/dyn-glibc/files/lib/libdyntest.so=$(DYN_OUT)/libdyntest-glibc.so \
    images/dyn-nointerp/prog=$(DYN_OUT)/dynhello-musl -d images/dyn-nointerp/files \
    images/dyn-escape/prog=$(DYN_OUT)/dynhello-musl -l images/dyn-escape/files/lib/ld-musl-x86_64.so.1=../../../../..$(MUSL_LDSO) \
    images/dyn-upinterp/prog=$(DYN_OUT)/upinterp -d images/dyn-upinterp/files \
    images/dyn-textinterp/prog=$(DYN_OUT)/textinterp images/dyn-textinterp/files/etc/notelf=$(DYN_OUT)/notelf \
    images/dyn-dyninterp/prog=$(DYN_OUT)/dyninterp $(call DYN_MUSL_FILES,dyn-dyninterp) \
    images/dyn-longinterp/prog=$(DYN_OUT)/longinterp -d images/dyn-longinterp/files \
    images/dynattack/prog=$(DYN_OUT)/dynattack-musl $(call DYN_MUSL_FILES,dynattack) \
    images/dynattack/files/bin/static=$(BUILD)/linux/hello-musl \
    $(foreach b,$(DYN_ODD_BINS),images/dynattack/files/bin/$(notdir $(b))=$(b)) \
    images/dyn-selfinterp/prog=$(DYN_OUT)/odd-self $(call DYN_MUSL_FILES,dyn-selfinterp)

# Debian's own dynamic programs with the libraries ldd names on the build
# machine: what a Debian image holds (deferred: ldd runs for the image only).
DEB_PROGS = /bin/bash /bin/ls /usr/bin/sort
DEB_LIBS  = $(sort $(shell ldd $(DEB_PROGS) | grep -o '/[^ ]*\.so[^ ]*'))
DEB_IMAGE_SPECS = images/deb-dyn/prog=/bin/bash images/deb-dyn/files/bin/ls=/bin/ls \
    images/deb-dyn/files/usr/bin/sort=/usr/bin/sort \
    $(foreach l,$(DEB_LIBS),images/deb-dyn/files/lib/x86_64-linux-gnu/$(notdir $(l))=$(realpath $(l))) \
    -l images/deb-dyn/files/lib64/ld-linux-x86-64.so.2=/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
    -d images/deb-dyn/files/tmp

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
                         $(APP_IMAGE_DEPS) $(BUSYBOX) $(BUILD)/lxtest.elf $(LX_BINS) $(DYN_BINS) \
                         $(BB_EXPECT) $(wildcard tests/linux/busybox/*.sh) \
                         $(BASH_EXPECT) $(wildcard tests/linux/bash/*.sh)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/linux/boot.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS) $(DYN_IMAGE_SPECS) $(DEB_IMAGE_SPECS) $(BB_TEST_SPECS) $(BASH_TEST_SPECS)
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
                              $(APP_IMAGE_DEPS) $(BUSYBOX) $(BUILD)/lxtest.elf $(LX_BINS)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$(BUILD)/linux/boot-prof.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS) $(BB_TEST_SPECS)
# The vDSO's tests alone (linux_vdso in tests/tests.list): the test image
# with lxtest given args="linux_vdso" (they also run in linux_smp2).
$(BUILD)/linux/boot-vdso.conf: tests/linux/boot.conf
	@mkdir -p $(@D)
	@sed 's|^\(service lxtest .*\)$$|\1 args="linux_vdso"|' $< > $@
$(BUILD)/boot-linux-vdso.img: $(BUILD)/tools/mkimage $(BUILD)/linux/boot-vdso.conf $(SERVICE_ELFS) \
                              $(APP_IMAGE_DEPS) $(BUSYBOX) $(BUILD)/lxtest.elf $(LX_BINS)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$(BUILD)/linux/boot-vdso.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS)
all: $(BUILD)/boot-linux-vdso.img
# The calls added for programs nobody here wrote (SCM_RIGHTS, POSIX
# timers, pidfds...): the linux_calls_* tests alone (linux_calls in
# tests/tests.list; they also run in linux_smp2).
$(BUILD)/linux/boot-calls.conf: tests/linux/boot.conf
	@mkdir -p $(@D)
	@sed 's|^\(service lxtest .*\)$$|\1 args="linux_calls_"|' $< > $@
$(BUILD)/boot-linux-calls.img: $(BUILD)/tools/mkimage $(BUILD)/linux/boot-calls.conf $(SERVICE_ELFS) \
                              $(APP_IMAGE_DEPS) $(BUSYBOX) $(BUILD)/lxtest.elf $(LX_BINS)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$(BUILD)/linux/boot-calls.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS)
all: $(BUILD)/boot-linux-calls.img
.PHONY: bench-linux-prof
bench-linux-prof:
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/boot-linux-prof.img
	@timeout 300 tools/qemu.sh --test --smp 2 --mem 512M --append exit_on_halt --nic \
	    --initrd $(BUILD)/root.elf,$(BUILD)/boot-linux-prof.img $(KERNEL) 2>&1 | grep -E 'profile:|TESTS DONE' | \
	    awk '{ print } /profile:/ { n++ }  END { if (!n) { print "bench-linux-prof: no profile lines" > "/dev/stderr"; exit 1 } }'
# make test-linux-only ONLY='WORD...': the test image with lxtest given
# args="WORD...", which runs only the lxtest tests whose names hold one of
# the words (a debugging aid, not a test of its own: linux_smp2 runs all).
.PHONY: test-linux-only
$(BUILD)/linux/boot-only.conf: tests/linux/boot.conf FORCE_ONLY
	@mkdir -p $(@D)
	@sed 's|^\(service lxtest .*\)$$|\1 args="$(ONLY)"|' $< > $@.new && \
	    { cmp -s $@.new $@ && rm $@.new || mv $@.new $@; }
$(BUILD)/boot-linux-only.img: $(BUILD)/boot-linux.img $(BUILD)/linux/boot-only.conf
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=$(BUILD)/linux/boot-only.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS) $(DYN_IMAGE_SPECS) $(DEB_IMAGE_SPECS) $(BB_TEST_SPECS) $(BASH_TEST_SPECS)
# testrun ends the boot at lxtest's "TESTS DONE" (the services go on
# running after it, so the boot itself never halts); log build/linux/linux_only.log.
test-linux-only:
	@[ -n "$(ONLY)" ] || { echo "test-linux-only: say which tests: ONLY='WORD...'" >&2; exit 2; }
	@$(MAKE) -s --no-print-directory $(KERNEL) $(BUILD)/root.elf $(BUILD)/boot-linux-only.img $(BUILD)/tools/testrun
	@printf 'qemu linux_only smp=2 mem=512M nic=yes cmdline="exit_on_halt" kernel="%s" initrd="%s,%s" timeout=600\n' \
	    $(KERNEL) $(BUILD)/root.elf $(BUILD)/boot-linux-only.img > $(BUILD)/linux/only.list
	@$(BUILD)/tools/testrun -l $(BUILD)/linux/only.list -L $(BUILD)/linux linux_only
.PHONY: FORCE_ONLY
FORCE_ONLY:
