# tests/fs/fs_tests.mk — the fs service's suite on Aerie (tests/fs/ft.h):
# build/fs-test.img boots the console, the fs service and the suite, with
# the probe container image images/fsprobe/ (tests/fs/probe/) inside, with
# symbolic links of the image in its /ilink (t_links.c).

FSTEST_SRCS := tests/fs/ft.c tests/fs/t_libc.c tests/fs/t_sessions.c tests/fs/t_links.c \
               tests/fs/t_quota.c tests/fs/t_robust.c tests/fs/t_caches.c \
               tests/fs/t_behind.c tests/fs/t_create.c tests/fs/t_meta.c
$(eval $(call libc_program,fstest,$(FSTEST_SRCS)))
$(eval $(call libc_program,images/fsprobe,tests/fs/probe/probe.c))

FS_TEST_IMG := $(BUILD)/fs-test.img
$(FS_TEST_IMG): $(BUILD)/tools/mkimage tests/fs/fs_tests.mk tests/fs/boot.conf $(BUILD)/console.elf $(BUILD)/fs.elf \
                $(BUILD)/fstest.elf $(call image_deps,fsprobe,tests/fs/probe)
	@echo "  IMAGE   $@"
	@$(BUILD)/tools/mkimage -o $@ boot.conf=tests/fs/boot.conf bin/console=$(BUILD)/console.elf \
	    bin/fs=$(BUILD)/fs.elf bin/fstest=$(BUILD)/fstest.elf $(call image_specs,fsprobe,tests/fs/probe) \
	    $(foreach l,motd=/etc/motd rel=../etc/motd dir=../etc up=../../../.. prog=../prog loop=loop ping=pong \
	        pong=/ilink/ping,-l images/fsprobe/files/ilink/$(l))
all: $(FS_TEST_IMG)
