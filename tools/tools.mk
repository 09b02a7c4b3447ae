# tools/tools.mk — host tools: the test runner and the kernel symbol table
# generator. Plain C with -Werror, run on the build machine.

HOST_TOOLS := $(BUILD)/tools/testrun $(BUILD)/tools/ksymgen $(BUILD)/tools/udprecv $(BUILD)/tools/netframe

$(BUILD)/tools/%: tools/%.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ $<
