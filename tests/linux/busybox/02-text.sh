# Text tools: cat wc sort uniq grep sed awk cut tr head tail seq printf xargs.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
seq 1 20 > n.txt
wc -l n.txt
wc -c < n.txt
head -3 n.txt
tail -2 n.txt
printf 'pear\napple\nfig\napple\nbanana\npear\napple\n' > fruit.txt
sort fruit.txt | uniq -c
sort -r fruit.txt | head -2
sort -u fruit.txt | tr 'a-z' 'A-Z'
grep -n ap fruit.txt
grep -c apple fruit.txt
grep -v a fruit.txt
sed 's/a/A/g' fruit.txt | sed -n '2,3p'
sed -e '/fig/d' -e 's/^/> /' fruit.txt
awk '{ n[$1]++ } END { for (k in n) print k, n[k] }' fruit.txt | sort
awk -F: '{ s += $2 } END { print "sum", s }' <<EOT
a:1
b:2
c:39
EOT
echo "a,b,c,d" | cut -d, -f2,4
echo "hello world" | cut -c1-5
echo "Hello World" | tr -d 'lo'
seq 5 | xargs echo items:
seq 3 | xargs -n1 printf '[%s]\n'
printf '%5s|%-5s|%03d|%x|%.2f\n' ab cd 7 255 3.14159
seq -s, 1 5
seq 10 -3 1
cat -n fruit.txt | tail -1
