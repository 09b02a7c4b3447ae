#!/bin/sh
# test_import_special.sh — `aerie import` of inputs that hold FIFOs and
# devices where files belong (attack22, docs/SECURITY.md): an OCI layout
# whose index.json is a FIFO, a docker save directory whose manifest.json
# is one, a root directory holding a FIFO, a FIFO given as the input. Each
# must be refused with the reason, at once: before the fix the layouts'
# open(2) of the FIFO waited for a writer forever. Needs no Aerie running
# (an import reads its input before it connects). Run from the top of the
# tree after `make`.
set -u
dir=build/import-special
out=$dir/out
errf=$dir/err
rm -rf "$dir"
mkdir -p "$dir"
export AERIE_SOCKET="$dir/nothing.sock"

pass() { echo "TEST PASS $1"; }
fail() { echo "TEST FAIL $1: $2"; }

# expect NAME PATTERN ARGS...: ./aerie import ARGS fails within 20 s (not
# 124: killed waiting) and its stderr matches PATTERN.
expect() {
    name=$1 pat=$2
    shift 2
    timeout 20 ./aerie import "$@" > "$out" 2> "$errf" < /dev/null; rc=$?
    if [ "$rc" = 124 ]; then
        fail "$name" "no answer in 20 s (hung on the FIFO)"
    elif [ "$rc" = 0 ]; then
        fail "$name" "imported: $(head -c 300 "$out")"
    elif ! grep -Eq -- "$pat" "$errf"; then
        fail "$name" "stderr does not match '$pat': $(head -c 300 "$errf")"
    else
        pass "$name"
    fi
}

mkdir -p "$dir/oci/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci/oci-layout"
mkfifo "$dir/oci/index.json"
expect import_oci_index_fifo_refused "index.json: not a regular file \(a FIFO\)" fifoidx "$dir/oci"

mkdir -p "$dir/dsave"
mkfifo "$dir/dsave/manifest.json"
expect import_docker_manifest_fifo_refused "manifest.json: not a regular file \(a FIFO\)" fifoman "$dir/dsave"

mkdir -p "$dir/root/bin"
echo hi > "$dir/root/bin/x"
mkfifo "$dir/root/bin/p"
expect import_root_with_fifo_refused "bin/p is a device node or other special file" fiforoot "$dir/root"

mkfifo "$dir/input"
expect import_fifo_input_refused "input: not a directory or a file" fifoin "$dir/input"

rm -rf "$dir"
echo "TESTS DONE 4"
