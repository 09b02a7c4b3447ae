#!/bin/sh
# tcb.sh — the trusted computing base count of the papers' security
# argument (glue): the privileged source lines of Aerie's kernel beside the
# lines of the Linux subsystems that containers rely on for isolation
# (seccomp, BPF, namespaces, cgroups), counted with cloc in Debian's
# linux-source package. Code lines only: no comments, no blank lines.
#
# usage: bench/tcb.sh [CACHE]   (default CACHE: build/bench/tcb)
# Prints a TSV on stdout (make bench writes it to bench/results/tcb.tsv):
#     component  files  code_lines  counted
# Needs: cloc, apt-get, dpkg-deb, xz (tools/deps.sh bench).
set -eu

cache=${1:-build/bench/tcb}
fail() { echo "bench/tcb.sh: $*" >&2; exit 1; }
for t in cloc apt-get dpkg-deb tar xz; do
    command -v "$t" >/dev/null 2>&1 || fail "'$t' is missing: run tools/deps.sh bench as root"
done
[ -d kernel ] || fail "run from the top of the Aerie tree (no kernel/ here)"
mkdir -p "$cache/debs"

# The file sets. Paths are inside the Linux tree; a trailing / means the
# whole folder. Headers are counted with the code that owns them.
SECCOMP="kernel/seccomp.c include/linux/seccomp.h include/uapi/linux/seccomp.h"
# seccomp filters are classic BPF run by the eBPF core; cgroup v2 device
# control (what runc and crun use) is an eBPF program.
BPF="kernel/bpf/ net/core/filter.c include/linux/bpf.h include/linux/bpf_verifier.h
     include/linux/bpf-cgroup.h include/linux/bpf-cgroup-defs.h include/linux/bpf_types.h
     include/linux/filter.h include/uapi/linux/bpf.h include/uapi/linux/filter.h"
NAMESPACES="kernel/nsproxy.c kernel/user_namespace.c kernel/pid_namespace.c kernel/utsname.c
     kernel/utsname_sysctl.c kernel/time/namespace.c ipc/namespace.c net/core/net_namespace.c
     fs/namespace.c fs/nsfs.c fs/proc/namespaces.c kernel/cgroup/namespace.c
     include/linux/nsproxy.h include/linux/user_namespace.h include/linux/pid_namespace.h
     include/linux/utsname.h include/linux/ipc_namespace.h include/linux/time_namespace.h
     include/linux/mnt_namespace.h include/linux/proc_ns.h include/linux/ns_common.h
     include/net/net_namespace.h"
CGROUPS="kernel/cgroup/cgroup.c kernel/cgroup/cgroup-v1.c kernel/cgroup/cgroup-internal.h
     kernel/cgroup/cpuset.c kernel/cgroup/freezer.c kernel/cgroup/legacy_freezer.c
     kernel/cgroup/pids.c kernel/cgroup/rdma.c kernel/cgroup/rstat.c kernel/cgroup/misc.c
     mm/memcontrol.c block/blk-cgroup.c block/blk-cgroup.h block/blk-cgroup-rwstat.c
     block/blk-cgroup-rwstat.h include/linux/cgroup.h include/linux/cgroup-defs.h
     include/linux/cgroup_subsys.h include/linux/memcontrol.h include/linux/blk-cgroup.h"

# Debian's kernel source, once.
pkg=linux-source-6.1
if ! ls "$cache/debs/$pkg"_*.deb >/dev/null 2>&1; then
    echo "bench/tcb.sh: fetching $pkg (about 140 MB, once)" >&2
    (cd "$cache/debs" && apt-get download "$pkg" >/dev/null 2>&1) ||
        { apt-get update -qq >/dev/null 2>&1 || true
          (cd "$cache/debs" && apt-get download "$pkg" >/dev/null) || fail "apt-get download $pkg failed"; }
fi
deb=$(ls "$cache/debs/$pkg"_*.deb | head -n 1)
ver=$(basename "$deb" | sed 's/^[^_]*_\([^_]*\)_.*/\1/')
src="$cache/linux-$ver"
if [ ! -e "$src/.done" ]; then
    echo "bench/tcb.sh: extracting the counted files of $pkg $ver" >&2
    rm -rf "$cache/x" "$src"
    mkdir -p "$cache/x" "$src"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$cache/x" --wildcards './usr/src/linux-source-*.tar.xz'
    want=""
    for p in $SECCOMP $BPF $NAMESPACES $CGROUPS; do want="$want $pkg/$p"; done
    # shellcheck disable=SC2086  # a list of paths on purpose
    tar -xJf "$cache/x/usr/src/$pkg.tar.xz" -C "$src" --strip-components=1 $want ||
        fail "some counted files are not in $pkg $ver (the file sets in this script need updating)"
    rm -rf "$cache/x"
    : > "$src/.done"
fi

# count NAME ROOT PATHS... — prints "NAME files code" from cloc's CSV sum.
count() {
    name=$1 root=$2
    shift 2
    list=$(mktemp)
    for p in "$@"; do
        [ -e "$root/$p" ] || fail "$name: $root/$p does not exist"
        find "$root/$p" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' -o -name '*.s' \) >> "$list"
    done
    sum=$(cloc --quiet --csv --list-file="$list" 2>/dev/null | awk -F, '$2 == "SUM" { print $1, $5 }')
    rm -f "$list"
    [ -n "$sum" ] || fail "$name: cloc counted nothing"
    echo "$name $sum"
}

emit() {  # emit NAME ROOT WHAT PATHS...
    name=$1 root=$2 what=$3
    shift 3
    set -- $(count "$name" "$root" "$@")
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$what"
    total=$((total + $3))
}

printf 'component\tfiles\tcode_lines\tcounted\n'
total=0
# Aerie: everything linked into the kernel is privileged: kernel/ (C,
# headers, assembly), the printf engine and ELF reader it links from lib/
# (kernel/kernel.mk's KERNEL_C), and the ABI headers it compiles against.
emit aerie_kernel . "kernel/, lib/fmt/, lib/elf/, include/aerie/*.h" kernel/ lib/fmt/ lib/elf/ \
    $(cd . && ls include/aerie/*.h)
aerie=$total
total=0
# The user-level services a container's isolation relies on: unprivileged,
# each in its own task, but a bug in one can hand a container what it was
# not granted (docs/SECURITY.md). Counted so the trusted base is honest.
emit aerie_service_root . "services/root/ (starts services, holds all memory and devices)" services/root/
emit aerie_service_cm . "services/cm/ (makes containers, fills their capability spaces)" services/cm/
emit aerie_service_fs . "services/fs/ (every container's files)" services/fs/
emit aerie_service_net . "services/net/ (the NIC, UDP/IP, port grants)" services/net/
emit aerie_service_console . "services/console/ (logs)" services/console/
emit aerie_service_ctl . "services/ctl/ (the host's channel to cm)" services/ctl/
emit aerie_service_libs . "lib/libaerie/, lib/libc/, lib/image/, lib/netring/ (linked into the services)" \
    lib/libaerie/ lib/libc/ lib/image/ lib/netring/
printf 'aerie_user_tcb_total\t-\t%s\tthe aerie_service rows above\n' "$total"
total=0
emit linux_seccomp "$src" "Linux $ver: $(echo $SECCOMP)" $SECCOMP
emit linux_bpf "$src" "Linux $ver: $(echo $BPF)" $BPF
emit linux_namespaces "$src" "Linux $ver: $(echo $NAMESPACES)" $NAMESPACES
emit linux_cgroups "$src" "Linux $ver: $(echo $CGROUPS)" $CGROUPS
printf 'linux_container_total\t-\t%s\tthe four Linux rows above\n' "$total"
printf 'ratio_linux_container_to_aerie_kernel\t-\t%s\tlinux_container_total / aerie_kernel\n' \
    "$(awk -v a="$aerie" -v l="$total" 'BEGIN { if (a > 0) printf "%.2f", l / a; else print "missing" }')"
