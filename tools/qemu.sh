#!/bin/sh
# qemu.sh — the one QEMU command line Aerie uses, for `make run`, the test
# runner and the benchmarks, so all three boot the same machine.
#
# usage: tools/qemu.sh [--test] [--smp N] [--mem SIZE] [--append CMDLINE]
#                      [--initrd FILE] [--nic] [--hostfwd SPEC]... [--unrestricted]
#                      [--framesock HOSTPORT:QEMUPORT] [--netwire SOCKET] [--ctl SOCKET]
#                      [--qemu "EXTRA ARGS"] [--cdrom ISO] KERNEL
#   --test     no terminal: serial on stdout, monitor off.
#   --nic      adds the virtio-net NIC (modern only) on QEMU user networking
#              in restricted mode: the guest reaches nothing outside.
#   --hostfwd  the NIC, with this forward from the host into the guest, e.g.
#              udp:127.0.0.1:5555-:7 (127.0.0.1 only: this machine).
#              With a TCP forward, QEMU runs with build/tools/slirp_backlog.so
#              preloaded if it is built: libslirp listens with a backlog of
#              1, and under many connects at once the host kernel drops
#              handshakes the guest never sees (tools/slirp_backlog.c).
#   --unrestricted  user networking without restrict=on. Restricted slirp
#              drops every UDP datagram the guest sends, replies to forwarded
#              ones included (libslirp udp_input), so UDP needs this. The
#              guest can then reach the host's loopback as 10.0.2.2 and the
#              host's DNS resolver as 10.0.2.3; Aerie's net service runs with
#              no gateway (gw=0.0.0.0) in these setups, so nothing beyond
#              10.0.2.0/24 is routable from the guest (docs/NET.md).
#   --framesock  the NIC on QEMU's socket backend instead: every Ethernet
#              frame is a UDP datagram to 127.0.0.1:HOSTPORT, and QEMU takes
#              frames sent to 127.0.0.1:QEMUPORT (tools/netframe plays the
#              other host). Nothing else is attached.
#   --netwire  the NIC on a QEMU "dgram" backend instead: raw Ethernet
#              frames go to the Unix datagram socket SOCKET, bound by a host
#              process (tools/udpsink), and QEMU receives on SOCKET.qemu. No
#              IP network at all: the guest reaches only that process. Used
#              by make bench, so Aerie and Linux guests send over one wire.
#   --cdrom    boots ISO (make iso) from a CD-ROM with its own boot loader
#              instead of KERNEL and --initrd.
#   --ctl      adds the control channel: a virtio-console device (modern,
#              multiport) whose serial port 1 ("aerie.ctl", ctl's) connects
#              as a client to the Unix socket SOCKET, where aerie-engine
#              listens (docs/ENGINE.md); QEMU retries every second until it
#              is there, and after it restarts.
# Machine: q35, -cpu max, KVM when /dev/kvm is usable, TCG otherwise.
# "Usable" is tried, not assumed: under nested virtualisation /dev/kvm can
# exist while KVM refuses -cpu max's MSRs and QEMU aborts at the first
# vCPU reset, so a QEMU that starts and quits at once decides (about 0.2 s).
# AERIE_ACCEL=tcg or =kvm chooses without the probe.
set -eu

smp=2 mem=256M append="" initrd="" extra="" test=0 kernel="" fwds="" nic=0 restrict=on framesock="" wire="" ctl=""
cdrom=""
die() { echo "qemu.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --test) test=1 ;;
        --smp) [ $# -ge 2 ] || die "--smp needs a value"; smp=$2; shift ;;
        --mem) [ $# -ge 2 ] || die "--mem needs a value"; mem=$2; shift ;;
        --append) [ $# -ge 2 ] || die "--append needs a value"; append=$2; shift ;;
        --initrd) [ $# -ge 2 ] || die "--initrd needs a value"; initrd=$2; shift ;;
        --hostfwd) [ $# -ge 2 ] || die "--hostfwd needs a value"
            case "$2" in
                tcp:127.0.0.1:*|udp:127.0.0.1:*) ;;
                *) die "--hostfwd must forward from 127.0.0.1 only (tcp:127.0.0.1:HOSTPORT-:GUESTPORT), not '$2'" ;;
            esac
            fwds="$fwds,hostfwd=$2"; nic=1; shift ;;
        --nic) nic=1 ;;
        --unrestricted) restrict=off ;;
        --framesock) [ $# -ge 2 ] || die "--framesock needs HOSTPORT:QEMUPORT"
            case "$2" in
                *[!0-9:]*|*:*:*|:*|*:) die "--framesock takes HOSTPORT:QEMUPORT, not '$2'" ;;
                *:*) framesock=$2 ;;
                *) die "--framesock takes HOSTPORT:QEMUPORT, not '$2'" ;;
            esac
            shift ;;
        --netwire) [ $# -ge 2 ] || die "--netwire needs a socket path"
            case "$2" in /*) ;; *) die "--netwire needs an absolute socket path, not '$2'" ;; esac
            [ ${#2} -le 100 ] || die "--netwire path too long for a Unix socket (${#2} > 100): $2"
            wire=$2; shift ;;
        --ctl) [ $# -ge 2 ] || die "--ctl needs a socket path"; ctl=$2; shift ;;
        --qemu) [ $# -ge 2 ] || die "--qemu needs a value"; extra=$2; shift ;;
        --cdrom) [ $# -ge 2 ] || die "--cdrom needs an ISO"; cdrom=$2; shift ;;
        -*) die "unknown option $1" ;;
        *) kernel=$1 ;;
    esac
    shift
done

[ -n "$kernel" ] || [ -n "$cdrom" ] || die "no kernel given"
[ -n "$fwds" ] && [ -n "$wire" ] && die "--hostfwd and --netwire both want the one NIC: give one of them"
[ -n "$cdrom" ] || [ -f "$kernel" ] || die "kernel '$kernel' not found (run make first)"
[ -z "$cdrom" ] || [ -f "$cdrom" ] || die "ISO '$cdrom' not found (run make iso first)"

case "$smp" in
    ''|*[!0-9]*) die "SMP must be a whole number of CPUs from 1 to 64, not '$smp'" ;;
esac
[ "$smp" -ge 1 ] && [ "$smp" -le 64 ] || die "SMP must be from 1 to 64, not $smp"

case "$mem" in
    *[Gg]) n=${mem%?}; mult=1024 ;;
    *[Mm]) n=${mem%?}; mult=1 ;;
    *) n=$mem; mult=1 ;;
esac
case "$n" in
    ''|*[!0-9]*) die "MEM must look like 256M or 2G, not '$mem'" ;;
esac
mib=$((n * mult))
[ "$mib" -ge 64 ] || die "MEM must be at least 64M (got $mem)"
[ "$mib" -le 65536 ] || die "MEM must be at most 64G (got $mem)"

command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 is missing: run 'make deps' (apt-get install qemu-system-x86)"

kvm_works() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    echo q | timeout 20 qemu-system-x86_64 -machine q35 -accel kvm -cpu max -nodefaults \
        -display none -serial none -monitor stdio >/dev/null 2>&1
}
case "${AERIE_ACCEL:-}" in
    kvm|tcg) accel=$AERIE_ACCEL ;;
    '') if kvm_works; then accel=kvm; else accel=tcg; fi ;;
    *) die "AERIE_ACCEL must be kvm or tcg, not '$AERIE_ACCEL'" ;;
esac

set -- -machine q35 -accel "$accel" -cpu max -smp "$smp" -m "${mib}M" \
       -no-reboot -nodefaults -vga none -device isa-debug-exit,iobase=0xf4,iosize=0x04
if [ -n "$cdrom" ]; then
    set -- "$@" -cdrom "$cdrom" -boot d
else
    set -- "$@" -kernel "$kernel"
fi
[ -n "$append" ] && set -- "$@" -append "$append"
[ -n "$initrd" ] && set -- "$@" -initrd "$initrd"
if [ -n "$wire" ]; then
    rm -f "$wire.qemu"   # a stale end from an earlier run would make bind fail
    set -- "$@" -netdev "dgram,id=net0,local.type=unix,local.path=$wire.qemu,remote.type=unix,remote.path=$wire" \
                -device virtio-net-pci,netdev=net0,disable-legacy=on
elif [ -n "$framesock" ]; then
    set -- "$@" -netdev "socket,id=net0,udp=127.0.0.1:${framesock%%:*},localaddr=127.0.0.1:${framesock#*:}" \
                -device virtio-net-pci,netdev=net0,disable-legacy=on
elif [ "$nic" = 1 ]; then
    set -- "$@" -netdev "user,id=net0,restrict=$restrict$fwds" \
                -device virtio-net-pci,netdev=net0,disable-legacy=on
fi
if [ -n "$ctl" ]; then
    case "$ctl" in *,*) die "--ctl: the socket path may not contain a comma: '$ctl'" ;; esac
    mkdir -p "$(dirname "$ctl")"
    set -- "$@" -device virtio-serial-pci,id=vser0,disable-legacy=on,max_ports=2 \
                -chardev "socket,id=ctl,path=$ctl,server=off,reconnect=1" \
                -device virtserialport,bus=vser0.0,nr=1,chardev=ctl,name=aerie.ctl
fi
if [ "$test" = 1 ]; then
    set -- "$@" -display none -serial stdio -monitor none
else
    set -- "$@" -nographic -serial mon:stdio
fi
here=$(cd "$(dirname "$0")/.." && pwd)
case "$fwds" in
    *hostfwd=tcp:*)
        if [ -r "$here/build/tools/slirp_backlog.so" ]; then
            LD_PRELOAD="$here/build/tools/slirp_backlog.so${LD_PRELOAD:+:$LD_PRELOAD}"
            export LD_PRELOAD
        fi ;;
esac
# shellcheck disable=SC2086  # extra is a list of words on purpose
exec qemu-system-x86_64 "$@" $extra
