#!/bin/sh
# build.sh — builds the Linux benchmark guest (glue): Debian's kernel,
# busybox-static, runc and crun with the shared libraries they need, an OCI
# bundle whose rootfs holds static programs, the benchmark programs and the
# init script, as one initramfs. Downloads are cached under OUT/debs, so a
# second run only re-packs the initramfs (a few seconds).
#
# usage: bench/linux/build.sh OUT GUESTBIN
#   OUT       output folder (build/bench/linux): OUT/vmlinuz, OUT/initramfs.cpio
#   GUESTBIN  folder with the static guest programs (startup ipc fsbench
#             udpsend capacity nop idle lxbench), built by bench/bench.mk
# Needs (tools/deps.sh bench): apt-get, dpkg-deb, cpio, runc, crun, objcopy.
set -eu

fail() { echo "bench/linux/build.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || fail "usage: build.sh OUT GUESTBIN"
out=$1 guestbin=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/debs"
out=$(cd "$out" && pwd)

for p in startup ipc fsbench udpsend capacity nop idle lxbench; do
    [ -x "$guestbin/$p" ] || fail "guest program $guestbin/$p is missing (make builds it)"
done
for t in apt-get apt-cache dpkg-deb cpio objcopy runc crun ldd; do
    command -v "$t" >/dev/null 2>&1 || fail "'$t' is missing: run tools/deps.sh bench as root"
done

# fetch PACKAGE — the .deb of PACKAGE in OUT/debs, downloaded once.
fetch() {
    ls "$out/debs/$1"_*.deb >/dev/null 2>&1 && return 0
    echo "  FETCH   $1"
    if ! (cd "$out/debs" && apt-get download "$1" >/dev/null 2>&1); then
        # The package lists may be older than the mirror: refresh once, retry.
        apt-get update -qq >/dev/null 2>&1 || true
        (cd "$out/debs" && apt-get download "$1" >/dev/null) || fail "apt-get download $1 failed"
    fi
}

# The kernel: linux-image-amd64 is a meta package naming the real one.
kpkg=$(ls "$out/debs" 2>/dev/null | sed -n 's/^\(linux-image-[0-9].*-amd64\)_.*\.deb$/\1/p' | head -n 1)
if [ -z "$kpkg" ]; then
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
    [ -n "$kpkg" ] || { apt-get update -qq >/dev/null 2>&1 || true
        kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1); }
    [ -n "$kpkg" ] || fail "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64)"
fi
fetch "$kpkg"
fetch busybox-static

if [ ! -e "$out/extract/.done-$kpkg" ]; then
    echo "  EXTRACT $kpkg busybox-static"
    rm -rf "$out/extract"
    mkdir -p "$out/extract"
    dpkg-deb -x "$out/debs/$kpkg"_*.deb "$out/extract/kernel"
    dpkg-deb -x "$out/debs"/busybox-static_*.deb "$out/extract/busybox"
    : > "$out/extract/.done-$kpkg"
fi
kver=${kpkg#linux-image-}
moddir="$out/extract/kernel/lib/modules/$kver/kernel"
[ -d "$moddir" ] || fail "no modules folder $moddir in $kpkg"
cp "$out/extract/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"

root="$out/root"
rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/lib/modules" \
         "$root/etc" "$root/newroot" "$root/bench/bin" "$root/bench/rootfs"

# busybox and its applets.
cp "$out/extract/busybox/bin/busybox" "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# runc and crun from the host's Debian packages, with every library ldd names.
cp "$(command -v runc)" "$root/usr/sbin/runc"
cp "$(command -v crun)" "$root/usr/bin/crun"
libs=$(ldd "$root/usr/sbin/runc" "$root/usr/bin/crun" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u)
[ -n "$libs" ] || fail "ldd found no libraries for runc/crun"
for l in $libs; do
    mkdir -p "$root$(dirname "$l")"
    cp -L "$l" "$root$l"
done
# glibc's loader also looks in /lib64 on Debian's merged /usr layout.
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || fail "the dynamic loader /lib64/ld-linux-x86-64.so.2 was not found by ldd"

# Modules for the virtio-net NIC, each after the modules it depends on (the
# "depends=" field of the module's .modinfo section).
: > "$out/modules.load"
add_module() {
    local f deps d   # recursive: each call needs its own
    grep -qx "$1" "$out/modules.load" && return 0
    f=$(find "$moddir" -name "$1.ko" | head -n 1)
    [ -n "$f" ] || fail "module $1 not found under $moddir"
    deps=$(objcopy -O binary --only-section=.modinfo "$f" /dev/stdout | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' ')
    for d in $deps; do add_module "$d"; done
    cp "$f" "$root/lib/modules/$1.ko"
    echo "$1" >> "$out/modules.load"
}
for m in virtio_pci virtio_net; do add_module "$m"; done
cp "$out/modules.load" "$root/bench/modules.load"

# The benchmark programs, and the container image: a rootfs with the same
# static nop and idle programs, shared read-only by every container.
for p in startup ipc fsbench udpsend capacity nop idle lxbench; do
    cp "$guestbin/$p" "$root/bench/bin/$p"
done
cp "$guestbin/nop" "$guestbin/idle" "$root/bench/rootfs/"
# The TCP boot (bench/tcp.sh) serves the same small file as Aerie's httpd.
mkdir -p "$root/bench/www"
cp "$here/../../apps/httpd/files/www/small.txt" "$root/bench/www/small.txt"
mkdir -p "$root/bench/rootfs/proc" "$root/bench/rootfs/dev" "$root/bench/rootfs/sys"

# Two bundles from `runc spec` (the stock OCI config: pid, net, ipc, uts and
# mount namespaces, a cgroup, a device filter, read-only root) with only
# these edits: no terminal, the shared rootfs, and the program to run.
spec=$(mktemp -d)
(cd "$spec" && runc spec) || fail "runc spec failed"
for b in nop idle; do
    mkdir -p "$root/bench/bundle-$b"
    sed -e 's/"terminal": true/"terminal": false/' \
        -e 's|"path": "rootfs"|"path": "/bench/rootfs"|' \
        -e "s|^\\(\\s*\\)\"sh\"\$|\\1\"/$b\"|" \
        "$spec/config.json" > "$root/bench/bundle-$b/config.json"
    grep -q "\"/$b\"" "$root/bench/bundle-$b/config.json" || fail "could not set the process of bundle-$b (runc spec format changed?)"
    grep -q '"terminal": false' "$root/bench/bundle-$b/config.json" || fail "could not turn off the terminal in bundle-$b"
done
rm -rf "$spec"

cp "$here/init" "$root/init"
chmod 0755 "$root/init"
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# Uncompressed: under TCG, unpacking gzip in the guest costs more than
# QEMU loading a larger file.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out/initramfs.cpio.tmp" || fail "cpio failed"
mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
echo "  INITRD  $out/initramfs.cpio ($(du -m "$out/initramfs.cpio" | cut -f1) MiB, kernel $kver)"
