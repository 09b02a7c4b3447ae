# services/fs/fs.mk — the fs service core: compiled freestanding into
# build/user/libfscore.a (what the service will link), and with ASan and
# UBSan for the host tests and fuzz targets.

FS_SRC   := $(addprefix services/fs/,path.c lower.c node.c dir.c data.c walk.c session.c ops.c names.c \
                                     attr.c decode.c check.c clone.c reserve.c)
FS_HDRS  := $(wildcard services/fs/*.h) include/aerie/proto/fs.h include/aerie/errors.h $(IMG_HDRS)
FS_TESTS := test_fs_path test_fs_ops test_fs_overlay test_fs_limits test_fs_threads test_fs_proto test_fs_links test_fs_reserve test_fs_meta

$(BUILD)/user/libfscore.a: $(patsubst %.c,$(BUILD)/user/%.o,$(FS_SRC))
	@$(AR) rcs $@ $^

# Host objects with sanitizers, shared by every fs test.
$(BUILD)/hostsan/%.o: %.c $(FS_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Ilib -Iservices/fs -Itools -c $< -o $@

FS_HOST_OBJS := $(patsubst %.c,$(BUILD)/hostsan/%.o,$(FS_SRC) $(IMG_SRC) tools/imgbuild.c tests/host/fs_test.c)

$(BUILD)/tests/host/test_fs_%: tests/host/test_fs_%.c tests/host/fs_test.h tests/host/check_more.h $(FS_HOST_OBJS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Ilib -Iservices/fs -Itools -Itests/host -o $@ $< $(FS_HOST_OBJS) -lpthread

# The threads test once more under ThreadSanitizer: it checks the lock
# discipline itself, and its different timing has found real bugs.
$(BUILD)/tests/host/test_fs_threads_tsan: tests/host/test_fs_threads.c tests/host/fs_test.c tests/host/fs_test.h $(FS_SRC) $(IMG_SRC) tools/imgbuild.c $(FS_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -O1 -fsanitize=thread -Ilib -Iservices/fs -Itools -Itests/host -o $@ \
		tests/host/test_fs_threads.c tests/host/fs_test.c $(FS_SRC) $(IMG_SRC) tools/imgbuild.c -lpthread

FS_FUZZ_LINK := $(FS_SRC) $(IMG_SRC) tools/imgbuild.c tests/host/fs_test.c

$(BUILD)/fuzz/fuzz_fs_%: tests/fuzz/fuzz_fs_%.c $(FS_FUZZ_LINK) $(FS_HDRS) tests/host/fs_test.h
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(FUZZCC) $(FUZZFLAGS) -Iservices/fs -Itools -Itests/host -o $@ $< $(FS_FUZZ_LINK) -lpthread

USER_LIBS  += $(BUILD)/user/libfscore.a
HOST_TESTS += $(addprefix $(BUILD)/tests/host/,$(FS_TESTS) test_fs_threads_tsan) $(BUILD)/fuzz/fuzz_fs_path $(BUILD)/fuzz/fuzz_fs_request

-include $(patsubst %.c,$(BUILD)/user/%.d,$(FS_SRC))

# The fs service program: the core plus the Aerie glue in services/fs/svc/.
FS_SVC_SRCS := $(wildcard services/fs/svc/*.c)
$(eval $(call libc_program,fs,$(FS_SVC_SRCS) $(FS_SRC)))
