#!/bin/sh
# deps.sh — makes sure the Debian packages a target needs are installed.
# As root it installs what is missing with apt-get; otherwise it prints the
# exact command to run and fails.
#
# usage: tools/deps.sh GROUP...   (groups: build run test iso bench)
set -eu

need_pkgs=""
want() {  # want COMMAND-OR-FILE PACKAGE
    case "$1" in
        /*) [ -e "$1" ] && return 0 ;;
        *) command -v "$1" >/dev/null 2>&1 && return 0 ;;
    esac
    case " $need_pkgs " in *" $2 "*) ;; *) need_pkgs="$need_pkgs $2" ;; esac
}

# libFuzzer ships apart from clang; the only sure test is to link with it.
want_libfuzzer() {
    command -v clang >/dev/null 2>&1 || { want clang clang; return 0; }
    t=$(mktemp -d)
    echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$t/f.c"
    if ! clang -fsanitize=fuzzer "$t/f.c" -o "$t/f" >/dev/null 2>&1; then
        need_pkgs="$need_pkgs libclang-rt-dev"
    fi
    rm -rf "$t"
}

for group in "$@"; do
    case "$group" in
        build) want gcc gcc; want make make; want ld binutils
               want /usr/include/archive.h libarchive-dev       # aerie import: tar, gzip
               want /usr/include/jansson.h libjansson-dev       # aerie import: OCI JSON
               want /usr/include/openssl/evp.h libssl-dev       # aerie import: sha256 digests
               want /bin/busybox busybox-static                    # the busybox image (docs/LINUX.md)
               want /bin/bash-static bash-static ;;                # tests/linux/bash (docs/LINUX.md)
        run)   want qemu-system-x86_64 qemu-system-x86
               want ss iproute2 ;;                                 # make run: host ports in use
        test)  want qemu-system-x86_64 qemu-system-x86
               want clang clang
               want_libfuzzer
               want socat socat; want ss iproute2                # tests/cli: make run's port check
               want curl curl; want ab apache2-utils           # tests/net/tcp_qemu.sh
               want /usr/bin/nc.openbsd netcat-openbsd
               want musl-gcc musl-tools                           # tests/linux: static Linux programs
               want /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
               want /usr/lib/x86_64-linux-gnu/libsqlite3.a libsqlite3-dev   # tests/linux/sqlite: WAL mode
               want grub-mkrescue grub-common; want /usr/lib/grub/i386-pc grub-pc-bin   # the ISO test
               want xorriso xorriso; want mformat mtools ;;
        iso)   want grub-mkrescue grub-common; want /usr/lib/grub/i386-pc grub-pc-bin
               want xorriso xorriso; want mformat mtools ;;
        bench) want gnuplot gnuplot-nox
               want cpio cpio; want runc runc; want crun crun
               want objcopy binutils; want dpkg-deb dpkg; want xz xz-utils
               want /usr/lib/x86_64-linux-gnu/libc.a libc6-dev   # static guest programs
               want cloc cloc ;;                                  # bench/tcb.sh
        *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done

[ -z "$need_pkgs" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: installing:$need_pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need_pkgs >/dev/null
else
    echo "deps.sh: missing packages. Run as root:" >&2
    echo "    apt-get install -y$need_pkgs" >&2
    exit 1
fi
