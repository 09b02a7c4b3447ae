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

$(eval $(call libc_program,lxtest,tests/linux/lxtest.c))
$(BUILD)/uobj/tests/linux/lxtest.c.o: UEXTRA := -Itests/host

$(BUILD)/boot-linux.img: $(BUILD)/tools/mkimage tests/linux/boot.conf $(SERVICE_ELFS) $(BUILD)/lxtest.elf $(LX_BINS)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/linux/boot.conf $(BOOT_IMG_FILES) \
	    bin/lxtest=$(BUILD)/lxtest.elf $(LX_IMAGE_SPECS)
all: $(BUILD)/boot-linux.img
