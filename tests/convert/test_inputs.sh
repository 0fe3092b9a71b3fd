#!/bin/sh
# Inputs: directories, .tgz/.tar archives read in place, gzip, stdin, raw
# scamper output, the one-object and pretty-printed JSON variants, empty
# and truncated files.  Every way in gives the same records.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
HC=$top_builddir/tools/convert/hoplite-convert
D=$top_srcdir/tests/convert/data
[ -d "$D/mlab-scamper1" ] || { echo "FAIL: $D not found"; exit 1; }

T=$(mktemp -d /tmp/hc-inputs.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# same WHAT FILE1 FILE2
same() { cmp -s "$2" "$3" || { fail "$1"; diff "$2" "$3" | head -5; }; }
# status WHAT WANT GOT
status() { [ "$2" = "$3" ] || fail "$1: exit $3, wanted $2"; }

# A tree like M-Lab's: YYYY/MM/DD/<files>, valid files only.
mkdir -p "$T/tree/2021/12/08" "$T/tree/2022/12/17"
for f in "$D"/mlab-scamper1/valid-* "$D"/mlab-scamper1/trc-valid.jsonl; do
	cp "$f" "$T/tree/2021/12/08/s1-$(basename "$f")"
done
for f in "$D"/mlab-scamper2/valid-*.jsonl; do
	cp "$f" "$T/tree/2022/12/17/s2-$(basename "$f")"
done

# the reference: the files one by one, in the order the walk takes them
( cd "$T/tree" && find . -type f | LC_ALL=C sort ) > "$T/list"
: > "$T/ref.body"
while read -r f; do
	"$HC" -q -f paths "$T/tree/$f" | tail -n +2 >> "$T/ref.body"
done < "$T/list"
[ "$(wc -l < "$T/ref.body")" -eq 31 ] || fail "reference has $(wc -l < "$T/ref.body") paths, wanted 31"
{ echo "uuid,src,dst,flowid,complete,path,source,prb_id,msm_id,list,cycle"; cat "$T/ref.body"; } > "$T/ref"

# a directory, walked recursively in name order
"$HC" -f paths -o "$T/dir.out" "$T/tree"; status "directory" 0 $?
same "directory walk" "$T/ref" "$T/dir.out"

# a .tgz and a .tar, read in place (members in the same order)
( cd "$T/tree" && tar cf "$T/all.tar" $(cat "$T/list") ) || exit 1
gzip -c "$T/all.tar" > "$T/all.tgz"
"$HC" -f paths -o "$T/tgz.out" "$T/all.tgz"; status ".tgz" 0 $?
same ".tgz" "$T/ref" "$T/tgz.out"
"$HC" -f paths -o "$T/tar.out" "$T/all.tar"; status ".tar" 0 $?
same ".tar" "$T/ref" "$T/tar.out"

# gzip and xz files, and stdin (plain and gzip)
f1=$D/mlab-scamper1/trc-valid.jsonl
"$HC" -q -f paths "$f1" > "$T/one.ref"
gzip -c "$f1" > "$T/one.jsonl.gz"
"$HC" -f paths "$T/one.jsonl.gz" > "$T/gz.out"; status "gzip" 0 $?
same "gzip file" "$T/one.ref" "$T/gz.out"
if command -v xz > /dev/null; then
	xz -c "$f1" > "$T/one.jsonl.xz"
	"$HC" -f paths "$T/one.jsonl.xz" > "$T/xz.out"
	same "xz file" "$T/one.ref" "$T/xz.out"
fi
"$HC" -f paths - < "$f1" > "$T/stdin.out"; status "stdin" 0 $?
same "stdin" "$T/one.ref" "$T/stdin.out"
"$HC" -f paths - < "$T/one.jsonl.gz" > "$T/stdin-gz.out"
same "gzip on stdin" "$T/one.ref" "$T/stdin-gz.out"

# a .tgz inside a directory next to plain files
mkdir "$T/mixed" && cp "$T/all.tgz" "$T/mixed/a.tgz" && cp "$f1" "$T/mixed/b.jsonl"
n=$("$HC" -q -f paths "$T/mixed" | tail -n +2 | wc -l)
[ "$n" -eq 37 ] || fail "archive + file in a directory: $n paths, wanted 37"

# raw scamper output: cycle-start, three traces, cycle-stop
{
	sed -n 2p "$D/mlab-scamper2/valid-complex.jsonl"
	sed -n 3p "$D/mlab-scamper2/valid-complex.jsonl"
	sed -n 3p "$D/mlab-scamper1/trc-valid.jsonl"
	sed -n 3p "$D/mlab-scamper2/valid-complex-dst-in-hops-v6.jsonl"
	sed -n 4p "$D/mlab-scamper2/valid-complex.jsonl"
} > "$T/warts.json"
"$HC" -f paths "$T/warts.json" > "$T/warts.out"; status "raw scamper" 0 $?
n=$(tail -n +2 "$T/warts.out" | wc -l)
[ "$n" -eq 8 ] || fail "raw scamper: $n paths, wanted 8 (1 + 6 flows + 1)"
grep -q '^,' "$T/warts.out" || fail "raw scamper: no UUID"

# the one-object .json variant, and pretty-printed JSON (one object and
# several concatenated)
"$HC" -f paths "$D/mlab-scamper2/valid-simple.json" > "$T/obj.out"
status "one-object .json" 0 $?
grep -q '^autonode_1729023628_0000000000001002,10.70.0.12,104.148.161.48,,0,\* \* 64.15.3.115 67.59.239.118 67.83.247.145 67.59.248.75,mlab,,,default,0$' "$T/obj.out" ||
	fail "one-object .json: $(cat "$T/obj.out")"
if command -v jq > /dev/null; then
	jq . "$D/mlab-scamper2/valid-simple.json" > "$T/pretty.json"
	"$HC" -f paths "$T/pretty.json" > "$T/pretty.out"
	status "pretty JSON" 0 $?
	same "pretty-printed one-object" "$T/obj.out" "$T/pretty.out"
	jq . "$f1" > "$T/pretty4.json"
	"$HC" -f paths "$T/pretty4.json" > "$T/pretty4.out"
	status "pretty 4-line file" 0 $?
	same "pretty-printed M-Lab file" "$T/one.ref" "$T/pretty4.out"
fi

# a JSON-lines file whose first line is cut short: the rest is kept
{ head -c 50 "$f1"; echo; cat "$f1"; } > "$T/cutfirst.jsonl"
"$HC" -f paths "$T/cutfirst.jsonl" > "$T/cutfirst.out" 2> "$T/cutfirst.err"
status "first line cut" 1 $?
same "first line cut: the record after it" "$T/one.ref" "$T/cutfirst.out"
grep -q "cutfirst.jsonl:1: column" "$T/cutfirst.err" || fail "first line cut: no report"

# CRLF line ends
sed 's/$/\r/' "$f1" > "$T/crlf.jsonl"
"$HC" -f paths "$T/crlf.jsonl" > "$T/crlf.out"; status "CRLF" 0 $?
same "CRLF" "$T/one.ref" "$T/crlf.out"

# an empty file and an empty .gz: no record, said even without -v (exit 1)
: > "$T/empty.jsonl"
out=$("$HC" -f paths "$T/empty.jsonl" 2> "$T/err"); status "empty file" 1 $?
[ "$out" = "uuid,src,dst,flowid,complete,path,source,prb_id,msm_id,list,cycle" ] || fail "empty file: $out"
grep -q "empty.jsonl: no trace (no data)" "$T/err" || fail "empty file: $(cat "$T/err")"
gzip -c "$T/empty.jsonl" > "$T/empty.gz"
"$HC" -q -f paths "$T/empty.gz" > /dev/null 2> "$T/err"; status "empty .gz" 1 $?
grep -q "empty.gz: no trace" "$T/err" || fail "empty .gz: $(cat "$T/err")"

# truncated gzip: the records before the cut are kept, the cut counted
: > "$T/big.jsonl"
i=0
while [ $i -lt 300 ]; do
	cat "$D"/mlab-scamper2/valid-complex.jsonl "$D"/mlab-scamper1/trc-valid.jsonl >> "$T/big.jsonl"
	i=$((i + 1))
done
gzip -c "$T/big.jsonl" > "$T/big.gz"
size=$(wc -c < "$T/big.gz")
head -c $((size / 2)) "$T/big.gz" > "$T/cut.gz"
"$HC" -f paths "$T/cut.gz" > "$T/cut.out" 2> "$T/cut.err"
status "truncated gzip" 1 $?
grep -q "read-error" "$T/cut.err" || fail "truncated gzip: no read-error"
grep -q "cut.gz:[0-9]*: truncated gzip input" "$T/cut.err" ||
	fail "truncated gzip: no line: $(cat "$T/cut.err")"
n=$(tail -n +2 "$T/cut.out" | wc -l)
[ "$n" -gt 100 ] && [ "$n" -lt 2100 ] || fail "truncated gzip: $n paths"
"$HC" -q -f paths "$T/big.jsonl" | head -n $((n + 1)) > "$T/big.head"
same "truncated gzip keeps the records before the cut" "$T/big.head" "$T/cut.out"
# cut inside the first block: nothing to keep, still counted
head -c 100 "$T/big.gz" > "$T/tiny.gz"
"$HC" -q -f paths "$T/tiny.gz" > /dev/null 2>&1; status "tiny truncated gzip" 1 $?

# truncated .tgz: the members before the cut are kept
mkdir "$T/many"
i=0
while [ $i -lt 200 ]; do
	cp "$D/mlab-scamper1/trc-valid.jsonl" "$T/many/m$((1000 + i)).jsonl"
	i=$((i + 1))
done
tar czf "$T/many.tgz" -C "$T" many
size=$(wc -c < "$T/many.tgz")
head -c $((size / 2)) "$T/many.tgz" > "$T/cut.tgz"
"$HC" -f paths "$T/cut.tgz" > "$T/cuttgz.out" 2> "$T/cuttgz.err"
status "truncated .tgz" 1 $?
grep -q "read-error" "$T/cuttgz.err" || fail "truncated .tgz: no read-error"
n=$(tail -n +2 "$T/cuttgz.out" | wc -l)
[ "$n" -gt 6 ] && [ "$n" -lt 1200 ] || fail "truncated .tgz: $n paths"
"$HC" -q -f paths "$T/many" | head -n $((n + 1)) > "$T/many.head"
same "truncated .tgz keeps the members before the cut" "$T/many.head" "$T/cuttgz.out"

# an unreadable file and a directory that cannot be read: exit 2
"$HC" -q -f paths "$T/nope" "$f1" > /dev/null 2> "$T/nope.err"
status "missing file" 2 $?
grep -q "nope: No such file or directory" "$T/nope.err" || fail "missing file message"

echo "$fails failed"
[ "$fails" -eq 0 ]
