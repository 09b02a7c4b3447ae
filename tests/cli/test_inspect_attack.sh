#!/bin/sh
# test_inspect_attack.sh — attack19 on `aerie inspect` (docs/SECURITY.md
# 78a..78c): a container's argv and env come from its image (an imported
# image's config is anyone's) and from the operator, and inspect prints
# them to the operator's terminal and to scripts. Bytes that are not
# UTF-8 must not reach the JSON (a strict parser refuses the whole
# object), escape sequences must not reach the terminal (they can move
# the cursor and rewrite what inspect said), and a long value of bytes ctl
# escapes must arrive whole or be counted as cut, never silently empty.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/inspect-attack-test
. tests/cli/lib.sh

boot inspect_attack_boot

# Lead bytes 0xf5..0xff start no UTF-8 character; ESC [2A moves the cursor up.
bad=$(printf 'B=\370\200\200x\377\200\200')
esc=$(printf 'E=\033[2A\033]0;title\007 hi')
utf=$(python3 -c "print('U=' + 'é' * 700)")
aerie run --name odd -e "$bad" -e "$esc" -e "$utf" busybox sh -c "true $(printf '\033[31m')red"
if [ "$rc" = 0 ]; then pass inspect_attack_odd_runs; else fail inspect_attack_odd_runs "status $rc: $(head -c 300 "$errf")"; fi

aerie inspect --format json odd
if python3 -c "import json,sys; json.loads(open('$out','rb').read().decode('utf-8'))" 2>/dev/null; then
    pass inspect_json_is_utf8_whatever_the_env
else
    fail inspect_json_is_utf8_whatever_the_env "$(od -c "$out" | grep -m3 '370\|377')"
fi
if python3 -c "
import json,sys
j = json.loads(open('$out','rb').read().decode('utf-8', 'replace'))[0]
sys.exit(0 if '\x1b[2A\x1b]0;title\x07 hi' in [e[2:] for e in j['env']] and 'U=' + 'é' * 700 in j['env'] else 1)"; then
    pass inspect_json_env_exact_escapes_and_long_utf8
else
    fail inspect_json_env_exact_escapes_and_long_utf8 "$(head -c 600 "$out")"
fi

aerie inspect odd
if [ "$rc" = 0 ] && ! grep -q "$(printf '\033')" "$out" && ! grep -q "$(printf '\007')" "$out"; then
    pass inspect_text_carries_no_terminal_escapes
else
    fail inspect_text_carries_no_terminal_escapes "status $rc: $(od -c "$out" | grep -m3 '033\|007')"
fi
if grep -q "^env: *U=\(é\)\{700\}$" "$out"; then
    pass inspect_text_long_utf8_env_whole
else
    fail inspect_text_long_utf8_env_whole "$(grep '^env: *U' "$out" | head -c 300)"
fi

aerie rm -f odd
aerie ps -aq
if [ ! -s "$out" ]; then pass inspect_attack_removed; else fail inspect_attack_removed "$(cat "$out")"; fi
echo "TESTS DONE $n"
