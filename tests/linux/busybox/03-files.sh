# Files: mkdir -p, rm -r, mv, cp -r, find, ls, dd, md5sum, sha256sum, test.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
mkdir -p a/b/c a/d
echo one > a/b/c/1.txt
echo two > a/d/2.txt
printf 'x%.0s' $(seq 1 1000) > a/big.txt
find a | sort
find a -type f -name '*.txt' | sort
find a -type d | sort | wc -l
ls a
ls -R a | grep -c txt
ls -l a/d | awk 'NR > 1 { print $1, $5, $9 }'
cp -r a copy
find copy -type f | sort
mv copy/d copy/moved
ls copy
cat copy/moved/2.txt
test -f a/big.txt && echo "big is a file"
test -d a/b && echo "b is a dir"
test -s a/big.txt && echo "big is not empty"
[ -e a/none ] || echo "none is absent"
wc -c a/big.txt
dd if=a/big.txt of=part.bin bs=100 count=3 2>/dev/null
wc -c < part.bin
dd if=/dev/zero bs=512 count=4 2>/dev/null | wc -c
md5sum a/b/c/1.txt a/d/2.txt
sha256sum a/big.txt
rm -r copy
[ -d copy ] || echo "copy removed"
rm a/d/2.txt && rmdir a/d && echo "d removed"
find a -type f | sort | xargs cat | md5sum
touch empty && [ -f empty ] && [ ! -s empty ] && echo "touch made an empty file"
