#!/bin/sh
# test_version: every program says its name and the package version with
# --version (and -V), exit status 0; hoplite help lists the commands.
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
want=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
status=0
check() {
	out=$("$@" 2>&1)
	rc=$?
	case "$rc:$out" in
	"0:$(basename "$1") $want") ;;
	*) echo "FAIL: $*: exit $rc, printed: $out"; status=1 ;;
	esac
}
for flag in --version -V; do
	check "$top_builddir/src/hoplite" "$flag"
	check "$top_builddir/tools/convert/hoplite-convert" "$flag"
done
for cmd in trace mda watch; do
	out=$("$top_builddir/src/hoplite" help "$cmd") ||
		{ echo "FAIL: hoplite help $cmd: exit $?"; status=1; }
	case "$out" in
	"usage: hoplite $cmd"*) ;;
	*) echo "FAIL: hoplite help $cmd: $out" | head -2; status=1 ;;
	esac
done
[ $status -eq 0 ] && echo "test_version: all checks passed"
exit $status
