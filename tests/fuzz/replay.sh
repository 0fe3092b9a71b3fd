#!/bin/sh
: "${top_srcdir:?top_srcdir not set}"
: "${top_builddir:?top_builddir not set}"

# Replay the packet corpus through pkt_parse and the line corpus through the
# event-socket and control-socket parsers, and the converter corpus through
# hoplite-convert's input side.
rc=0
for pair in "replay_pkt corpus" "replay_lines corpus_lines" \
    "replay_convert corpus_convert"; do
	set -- $pair
	replay="$top_builddir/tests/fuzz/$1"
	if [ ! -x "$replay" ]; then
		echo "replay.sh: $replay not built" >&2
		exit 1
	fi
	"$replay" "$top_srcdir/tests/fuzz/$2" || rc=1
done
exit $rc
