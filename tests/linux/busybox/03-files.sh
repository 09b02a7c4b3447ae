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
# links: symbolic (relative and absolute targets, to a directory, dangling), hard; modes and times
ln -s b/c/1.txt a/rel-link && cat a/rel-link
ln -s "$WORK/a/big.txt" a/abs-link && wc -c < a/abs-link
ln -s b a/dir-link && ls a/dir-link && cat a/dir-link/c/1.txt
ln -s nowhere a/dangling
for l in a/rel-link a/dir-link a/dangling; do readlink $l; done
test -L a/rel-link && test -h a/dangling && echo "links are links"
[ -e a/dangling ] || echo "dangling has no target"
ls -l a/rel-link | awk '{ print substr($1, 1, 1), $9, $10, $11 }'
find a -type l | sort
ln a/big.txt a/hard && ls -l a/hard | awk '{ print $1, $2, $5 }'
echo more >> a/hard && wc -c < a/big.txt
rm a/rel-link && [ -f a/b/c/1.txt ] && echo "removing a link leaves its target"
chmod 600 a/big.txt && ls -l a/big.txt | awk '{ print $1 }'
chmod u+x,g+r a/big.txt && ls -l a/big.txt | awk '{ print $1 }'
chmod 755 a/b && ls -ld a/b | awk '{ print $1 }'
touch -d '2020-01-02 03:04:05' a/b/c/1.txt && ls -l --full-time a/b/c/1.txt 2>/dev/null | awk '{ print $6, substr($7, 1, 8) }'
date -r a/b/c/1.txt '+%Y-%m-%d %H:%M:%S'
cp -a a/dir-link linkcopy && test -L linkcopy && readlink linkcopy
tar cf links.tar a/dir-link a/dangling && rm a/dir-link a/dangling && tar xf links.tar && readlink a/dir-link && readlink a/dangling
for d in null zero full random urandom fd stdin stdout stderr; do ls /dev | grep -qx "$d" && echo "/dev lists $d"; done
ls -l /dev/null | cut -c1
