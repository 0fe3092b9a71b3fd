#!/bin/sh
# Replay the fuzz corpus through pkt_parse (run by `make check`).
: "${top_srcdir:?top_srcdir not set}"
: "${top_builddir:?top_builddir not set}"

replay="$top_builddir/tests/fuzz/replay_pkt"
corpus="$top_srcdir/tests/fuzz/corpus"

if [ ! -x "$replay" ]; then
	echo "replay.sh: $replay not built" >&2
	exit 1
fi
if "$replay" "$corpus"; then
	exit 0
fi
exit 1
