#!/bin/sh
# run.sh — what `make run` does around QEMU: checks the machine variables
# before anything is built or started, starts aerie-engine (the host end of
# the control channel; it refuses to start while another Aerie serves the
# same socket, so a second `make run` cannot take a running one's channel
# over), boots QEMU with the channel, and stops the engine when QEMU exits.
#
# usage: tools/run.sh --check --smp N --mem SIZE --hostport PORT [--port NAME=PORT]... [--forward SPEC]...
#        tools/run.sh --build DIR --smp N --mem SIZE --hostport PORT [--port NAME=PORT]... [--forward SPEC]...
#                     -- QEMU.SH-ARGS...
# --forward [tcp:|udp:]HOSTPORT[:GUESTPORT] (make run FORWARD='8000 udp:5353:53')
# forwards host 127.0.0.1:HOSTPORT to the guest's GUESTPORT (default the
# same), for a container of the user's own that was granted that port.
# --hostport is the UDP echo's forward (added here); --port only checks a
# variable that QEMU.SH-ARGS use (make run's TCP forwards).
set -eu

check=0 build=build smp=2 mem=256M port=5555 ports="" forwards="" fwd_args=""
die() { echo "make run: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --check) check=1 ;;
        --build) build=$2; shift ;;
        --smp) smp=$2; shift ;;
        --mem) mem=$2; shift ;;
        --hostport) port=$2; shift ;;
        --port) ports="$ports $2"; shift ;;
        --forward) forwards="$forwards $2"; shift ;;
        --) shift; break ;;
        *) die "run.sh: unknown option $1" ;;
    esac
    shift
done

case "$smp" in ''|*[!0-9]*) die "SMP must be a whole number of CPUs from 1 to 64, not '$smp'" ;; esac
[ "$smp" -ge 1 ] && [ "$smp" -le 64 ] || die "SMP must be from 1 to 64, not $smp"
case "$mem" in
    *[Gg]) n=${mem%?} ;;
    *[Mm]) n=${mem%?} ;;
    *) n=$mem ;;
esac
case "$n" in ''|*[!0-9]*) die "MEM must look like 256M or 2G, not '$mem'" ;; esac
case "$port" in ''|*[!0-9]*) die "NET_HOSTPORT must be a port number from 1 to 65535, not '$port'" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "NET_HOSTPORT must be from 1 to 65535, not $port"
# A host port something else holds (another make run, most often) makes
# QEMU abort with its own words after the build; say which and how to move.
port_taken() {      # PROTO PORT
    command -v ss >/dev/null 2>&1 || return 1
    [ -n "$(ss -H -l "-$( [ "$1" = udp ] && echo u || echo t )n" "sport = :$2" 2>/dev/null)" ]
}
taken() {           # PROTO PORT WHAT
    port_taken "$1" "$2" && die "host $1 port $2 ($3) is in use (another make run?): choose another, e.g. make run $3=$(($2 + 100))"
    return 0
}
for p in $ports; do
    name=${p%%=*} value=${p#*=}
    case "$value" in ''|*[!0-9]*) die "$name must be a port number from 1 to 65535, not '$value'" ;; esac
    [ "$value" -ge 1 ] && [ "$value" -le 65535 ] || die "$name must be from 1 to 65535, not $value"
done
for f in $forwards; do
    proto=tcp rest=$f
    case "$f" in tcp:*|udp:*) proto=${f%%:*} rest=${f#*:} ;; esac
    host=${rest%%:*} guest=${rest#*:}
    [ "$rest" = "$host" ] && guest=$host
    for v in "$host" "$guest"; do
        case "$v" in ''|*[!0-9]*) die "FORWARD: '$f' must be [tcp:|udp:]HOSTPORT[:GUESTPORT], ports 1 to 65535" ;; esac
        [ "$v" -ge 1 ] && [ "$v" -le 65535 ] || die "FORWARD: '$f': $v is not a port from 1 to 65535"
    done
    fwd_args="$fwd_args --hostfwd $proto:127.0.0.1:$host-:$guest"
done
lock=$build/aerie.sock.lock
if [ -f "$lock" ] && command -v flock >/dev/null 2>&1 && ! flock -n "$lock" true; then
    die "an Aerie is already running on $build/aerie.sock (engine pid $(cat "$lock" 2>/dev/null)): stop it first"
fi
taken udp "$port" NET_HOSTPORT
for p in $ports; do taken tcp "${p#*=}" "${p%%=*}"; done
for f in $fwd_args; do
    case "$f" in
        tcp:*|udp:*) a=${f#*:127.0.0.1:}; port_taken "${f%%:*}" "${a%%-*}" &&
            die "FORWARD: host ${f%%:*} port ${a%%-*} is in use: choose another" ;;
    esac
done
[ "$check" = 1 ] && exit 0

sock=$build/aerie.sock
engine_log=$build/engine.log
"$build/tools/aerie-engine" --socket "$sock" --vm "$build/aerie-vm.sock" --store "$build/store" \
    --log "$engine_log" &
engine=$!
i=0
while [ ! -S "$sock" ] && kill -0 $engine 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if ! kill -0 $engine 2>/dev/null; then
    wait $engine || true
    exit 1                      # the engine said why (an Aerie already runs on this socket, ...)
fi
trap 'kill $engine 2>/dev/null; wait $engine 2>/dev/null' EXIT INT TERM
tools/qemu.sh --smp "$smp" --mem "$mem" --ctl "$build/aerie-vm.sock" --unrestricted \
    --hostfwd "udp:127.0.0.1:$port-:7" $fwd_args "$@"
