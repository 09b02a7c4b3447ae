#!/bin/sh
# iso_boot.sh — boots build/aerie.iso (make iso) in QEMU from a CD-ROM,
# through GRUB, with no -kernel or -initrd: the ISO must carry the whole
# system make run boots. Passes when root starts every service and the
# demo's containers run and end as they do under make run.
set -u
iso=build/aerie.iso
log=build/test-logs/iso_boot.qemu.log
n=0
mkdir -p build/test-logs
check() {  # check NAME PATTERN: the boot log shows PATTERN (extended regex)
    if grep -Eq -- "$2" "$log"; then echo "TEST PASS $1"; else echo "TEST FAIL $1: no '$2' in the boot log"; fi
    n=$((n + 1))
}
if [ ! -f "$iso" ]; then
    echo "TEST FAIL iso_exists: $iso is missing (make iso)"
    echo "TESTS DONE 1"
    exit 0
fi
tools/qemu.sh --test --smp 2 --mem 256M --cdrom "$iso" > "$log" 2>&1 &
qemu=$!
i=0
while [ $i -lt 240 ] && ! grep -q "demo: container 3 .*ended" "$log" && kill -0 $qemu 2>/dev/null; do
    sleep 0.5; i=$((i + 1))
done
sleep 1
kill $qemu 2>/dev/null
wait $qemu 2>/dev/null
check iso_grub_loads_the_kernel "Aerie 0\.1\.0-.* booting"
check iso_root_starts_every_service "root: started [0-9]+ of [0-9]+ services"
check iso_root_came_from_the_iso "boot: started '.*' \([0-9]+ KiB\) as the boot task"
check iso_container_runs "\[demo\] demo: container 1 \(image=hello\) exited with status 0"
check iso_crash_reported "\[demo\] demo: container 3 \(image=crasher\) ended: page fault at 0x0"
echo "TESTS DONE $n"
