# Archives: tar create and extract, gzip and gunzip, checksums of both.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
mkdir -p src/sub
for i in 1 2 3 4 5; do seq $i 200 > src/f$i.txt; done
echo deep > src/sub/deep.txt
tar -cf src.tar src
tar -tf src.tar | sort
mkdir out && tar -xf src.tar -C out
find out -type f | sort | xargs md5sum
cmp src/f3.txt out/src/f3.txt && echo "tar round trip ok"
gzip -c src/f1.txt > f1.gz
gunzip -c f1.gz | md5sum
md5sum < src/f1.txt
tar -czf src.tgz src
mkdir out2 && tar -xzf src.tgz -C out2
cmp src/sub/deep.txt out2/src/sub/deep.txt && echo "tgz round trip ok"
gzip src/f2.txt && ls src | sort
gunzip src/f2.txt.gz && wc -l < src/f2.txt
