#!/bin/sh
# qemu.sh — the one QEMU command line Aerie uses, for `make run`, the test
# runner and the benchmarks, so all three boot the same machine.
#
# usage: tools/qemu.sh [--test] [--smp N] [--mem SIZE] [--append CMDLINE]
#                      [--initrd FILE] [--hostfwd SPEC]... [--ctl SOCKET]
#                      [--qemu "EXTRA ARGS"] KERNEL
#   --test     no terminal: serial on stdout, monitor off.
#   --ctl      adds a second serial port (COM2: 0x2f8, IRQ 3), the control
#              channel, as a Unix socket server at SOCKET that the aerie
#              CLI connects to (docs/CM.md); one client at a time.
#   --hostfwd  adds the virtio-net NIC (modern only) on QEMU user networking
#              in restricted mode, with this forward, e.g.
#              udp:127.0.0.1:5555-:7 ; the guest reaches nothing else.
# Machine: q35, -cpu max, KVM when /dev/kvm is usable, TCG otherwise.
set -eu

smp=2 mem=256M append="" initrd="" extra="" test=0 kernel="" fwds="" ctl=""
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
            fwds="$fwds,hostfwd=$2"; shift ;;
        --ctl) [ $# -ge 2 ] || die "--ctl needs a socket path"; ctl=$2; shift ;;
        --qemu) [ $# -ge 2 ] || die "--qemu needs a value"; extra=$2; shift ;;
        -*) die "unknown option $1" ;;
        *) kernel=$1 ;;
    esac
    shift
done

[ -n "$kernel" ] || die "no kernel given"
[ -f "$kernel" ] || die "kernel '$kernel' not found (run make first)"

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

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi

set -- -machine q35 -accel "$accel" -cpu max -smp "$smp" -m "${mib}M" \
       -kernel "$kernel" -no-reboot -nodefaults -vga none \
       -device isa-debug-exit,iobase=0xf4,iosize=0x04
[ -n "$append" ] && set -- "$@" -append "$append"
[ -n "$initrd" ] && set -- "$@" -initrd "$initrd"
if [ -n "$fwds" ]; then
    set -- "$@" -netdev "user,id=net0,restrict=on$fwds" \
                -device virtio-net-pci,netdev=net0,disable-legacy=on
fi
if [ -n "$ctl" ]; then
    case "$ctl" in *,*) die "--ctl: the socket path may not contain a comma: '$ctl'" ;; esac
    mkdir -p "$(dirname "$ctl")"
    set -- "$@" -chardev "socket,id=ctl,path=$ctl,server=on,wait=off" \
                -device isa-serial,chardev=ctl,iobase=0x2f8,irq=3
fi
if [ "$test" = 1 ]; then
    set -- "$@" -display none -serial stdio -monitor none
else
    set -- "$@" -nographic -serial mon:stdio
fi
# shellcheck disable=SC2086  # extra is a list of words on purpose
exec qemu-system-x86_64 "$@" $extra
