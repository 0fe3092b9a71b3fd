#!/bin/sh
# man-lint: every manual page must be silent under mandoc -Tlint -Wwarning.
# Exit 0 pass, 1 fail, 77 skip (automake test protocol).

MANDOC=${MANDOC:-mandoc}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

if ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "man-lint: $MANDOC not found, skipping"
	exit 77
fi

# Lint from inside man/, so that mandoc finds the pages' .Xr references to
# each other there even when they are not installed.
cd "$top_srcdir/man" || exit 1

status=0
n=0
for page in *.[1-8]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	out=$("$MANDOC" -Tlint -Wwarning "$page" 2>&1)
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		status=1
	fi
done

if [ "$n" -eq 0 ]; then
	echo "man-lint: no manual pages in $top_srcdir/man"
	exit 1
fi
echo "man-lint: $n pages checked"
exit $status
