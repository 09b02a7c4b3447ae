# tests/fuzz/fuzz.mk — how fuzz targets are built: clang's libFuzzer with
# ASan and UBSan. tests/fuzz/run.sh gives each a short run under `make test`
# (FUZZ_SECONDS each, default 10) and reports it in the test protocol.

FUZZCC    ?= clang
FUZZFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Ilib \
             -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
export FUZZ_SECONDS
