#!/bin/sh
# test_mkimage.sh — the mkimage command line: builds, lists, is
# deterministic, and refuses bad input with a message naming it.
# Run from the top of the tree after `make` (uses build/tools/mkimage).
set -u
mk=${MKIMAGE:-build/tools/mkimage}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0

pass() { echo "TEST PASS $1"; n=$((n + 1)); }
fail() { echo "TEST FAIL $1: $2"; n=$((n + 1)); }

# expect_refusal NAME PATTERN ARGS... — mkimage must exit 1, say PATTERN on stderr, write nothing.
expect_refusal() {
    name=$1 pat=$2
    shift 2
    rm -f "$t/out.img"
    if "$mk" "$@" > "$t/stdout" 2> "$t/stderr"; then
        fail "$name" "expected exit status 1, got 0"
    elif ! grep -q -- "$pat" "$t/stderr"; then
        fail "$name" "expected a message matching '$pat', got '$(cat "$t/stderr")'"
    elif [ -e "$t/out.img" ]; then
        fail "$name" "a refused build left $t/out.img behind"
    else
        pass "$name"
    fi
}

mkdir -p "$t/root/bin" "$t/root/etc/empty" "$t/other"
printf 'hello\n' > "$t/root/bin/hello"
printf 'x=1\n' > "$t/root/etc/config"
chmod 0755 "$t/root/bin/hello"
printf 'boot\n' > "$t/other/boot.cfg"

if "$mk" --help | grep -q 'usage: mkimage'; then pass mkimage_help; else fail mkimage_help "no usage text"; fi

if "$mk" -o "$t/a.img" -C "$t/root" bin etc -C "$t" config/boot.cfg=other/boot.cfg -d var/log &&
   "$mk" --list "$t/a.img" > "$t/list"; then
    want="dir 0755 bin|file 0755 bin/hello|dir 0755 config|file 0644 config/boot.cfg|dir etc|file 0644 etc/config|dir etc/empty|dir 0755 var|dir 0755 var/log"
    got=$(awk 'NR > 1 { if ($1 == "dir" && ($5 == "etc" || $5 == "etc/empty")) print $1, $5; else print $1, $2, $5 }' "$t/list" | paste -sd '|')
    if [ "$got" = "$want" ]; then pass mkimage_builds_and_lists
    else fail mkimage_builds_and_lists "expected '$want', got '$got'"; fi
else
    fail mkimage_builds_and_lists "mkimage failed"
fi

# Same inputs, different order and spelling: same bytes.
"$mk" -o "$t/b.img" -d var/log -C "$t" ./config//boot.cfg=other/boot.cfg -C "$t/root" etc ./bin 2> "$t/stderr"
if cmp -s "$t/a.img" "$t/b.img"; then pass mkimage_deterministic
else fail mkimage_deterministic "two builds of the same tree differ"; fi

expect_refusal mkimage_missing_file "$t/root/nope: No such file" -o "$t/out.img" -C "$t/root" nope
long=$(printf '%0300d' 0)
expect_refusal mkimage_name_too_long "name too long" -o "$t/out.img" "$long=$t/other/boot.cfg"
expect_refusal mkimage_duplicate "duplicate path 'a'" -o "$t/out.img" "a=$t/other/boot.cfg" "./a=$t/root/etc/config"
expect_refusal mkimage_dotdot "'..' is not allowed" -o "$t/out.img" "../x=$t/other/boot.cfg"
expect_refusal mkimage_file_as_dir "'a' is a file" -o "$t/out.img" "a=$t/other/boot.cfg" "a/b=$t/other/boot.cfg"
expect_refusal mkimage_no_output "no output file" "$t/other/boot.cfg"
expect_refusal mkimage_unknown_option "unknown option '-x'" -x
ln -s boot.cfg "$t/other/link"
expect_refusal mkimage_symlink_in_tree "a symbolic link inside a directory tree is refused" -o "$t/out.img" "o=$t/other"
rm "$t/other/link"

# -l stores a link as given (never followed on the host); --list shows its target.
if "$mk" -o "$t/l.img" -d bin -l bin/sh=busybox -l 'up=../../../etc/passwd' && "$mk" --list "$t/l.img" > "$t/list" &&
   grep -q '^link 0777  *7  .*bin/sh -> busybox$' "$t/list" && grep -q 'up -> \.\./\.\./\.\./etc/passwd$' "$t/list"; then
    pass mkimage_links
else
    fail mkimage_links "expected the links listed with their targets, got '$(cat "$t/list" "$t/stderr" 2>/dev/null)'"
fi
expect_refusal mkimage_link_empty "target must be 1..4095 bytes" -o "$t/out.img" -l l=
expect_refusal mkimage_link_no_target "give NAME=TARGET" -o "$t/out.img" -l l
expect_refusal mkimage_link_as_parent "'l' is a symbolic link but 'l/f' is inside it" -o "$t/out.img" -l l=x "l/f=$t/other/boot.cfg"

# --list checks the archive: flip the magic and the entry count.
cp "$t/a.img" "$t/bad.img"
printf 'X' | dd of="$t/bad.img" bs=1 seek=0 conv=notrunc 2> /dev/null
expect_refusal mkimage_list_bad_magic "header field magic" --list "$t/bad.img"
head -c 100 "$t/a.img" > "$t/short.img"
expect_refusal mkimage_list_truncated "header field total_size" --list "$t/short.img"

echo "TESTS DONE $n"
