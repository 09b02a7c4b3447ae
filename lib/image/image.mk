# lib/image/image.mk — the image archive: the freestanding parser (also
# compiled as Aerie user code, to prove it needs nothing more), the host
# tool mkimage, its host tests and the parser's fuzz target.

IMG_SRC      := lib/image/img.c
IMG_HDRS     := lib/image/img.h include/aerie/image.h lib/mem.h
IMGBUILD_SRC := tools/imgbuild.c tools/imgbuild.h

# Freestanding user-level flags: what Aerie services are built with.
USER_CFLAGS  := $(FREESTAND) -mno-red-zone -Iinclude -Ilib

$(BUILD)/user/%.o: %.c
	@mkdir -p $(@D)
	@echo "  UCC     $<"
	@$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/user/libaeimage.a: $(BUILD)/user/lib/image/img.o
	@$(AR) rcs $@ $^

$(BUILD)/tools/mkimage: tools/mkimage.c $(IMGBUILD_SRC) $(IMG_SRC) $(IMG_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ tools/mkimage.c tools/imgbuild.c $(IMG_SRC)

$(BUILD)/tests/host/test_image: tests/host/test_image.c tests/host/check_more.h $(IMGBUILD_SRC) $(IMG_SRC) $(IMG_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Ilib/image -Itools -Itests/host -o $@ \
		tests/host/test_image.c tools/imgbuild.c $(IMG_SRC)

# The fuzz target; its seed is an archive mkimage builds from this tree.
$(BUILD)/fuzz/fuzz_image: tests/fuzz/fuzz_image.c $(IMG_SRC) $(IMG_HDRS)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(FUZZCC) $(FUZZFLAGS) -Ilib/image -o $@ tests/fuzz/fuzz_image.c $(IMG_SRC)

$(BUILD)/fuzz/seeds/image/seed.img: $(BUILD)/tools/mkimage
	@mkdir -p $(@D)
	@$(BUILD)/tools/mkimage -o $@ -C lib image/img.h image/img.c mem.h \
		-l image/h=img.h -l image/up=../mem.h -l loop=loop -l abs=/image/h

HOST_TOOLS  += $(BUILD)/tools/mkimage
USER_LIBS   += $(BUILD)/user/libaeimage.a
HOST_TESTS  += $(BUILD)/tests/host/test_image $(BUILD)/fuzz/fuzz_image $(BUILD)/fuzz/seeds/image/seed.img

-include $(BUILD)/user/lib/image/img.d
