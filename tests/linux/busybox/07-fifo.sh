# Named FIFOs: mkfifo, a writer in the background and a reader by name,
# ls and test see a FIFO, a pipeline through two, rm while nobody holds it.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
mkfifo f
(echo hi > f &)
cat f
[ -p f ] && echo "f is a FIFO"
[ -f f ] || echo "f is no regular file"
ls -l f | cut -c1
mkfifo -m 600 g
ls -l g | cut -c1-10
# a writer of many lines and a reader that counts them
seq 1 2000 > f &
wc -l < f
wait
# two FIFOs in a row: sort reads one, writes the other
sort -r < f > g &
printf 'b\na\nc\n' > f
cat g
wait
# a writer blocks until the reader comes; the reader sees its end
(echo "late reader got this" > f; echo "writer done" > done) &
sleep 0.2
[ -e done ] && echo "writer did not wait" || echo "writer waits for a reader"
cat f
wait
cat done
rm f g
[ -e f ] || echo "f removed"
mknod h p && [ -p h ] && echo "mknod p made a FIFO"
rm h
