#!/bin/sh
# test_completion: the bash completion completes hoplite's commands, the
# options of each (from the program's own help), -P's methods per command,
# -o's formats, and hoplite-convert's formats; the zsh file parses.
# Exit 0 pass, 1 fail, 77 skip.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
command -v bash >/dev/null 2>&1 || { echo "no bash: skip"; exit 77; }
H=$top_builddir/src/hoplite
C=$top_builddir/tools/convert/hoplite-convert
status=0

# words... -> the completions, one line, sorted
comp() {
	bash -c '
	. "$1"; shift
	fn=$1; shift
	COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	$fn
	printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' comp "$top_srcdir/completions/hoplite.bash" "$@"
}

expect() {	# what words...: the completions must hold every word of what
	want=$1; shift
	got=$(comp "$@")
	for w in $want; do
		case " $got" in
		*" $w "*) ;;
		*) echo "FAIL: $* -> [$got], missing $w"; status=1 ;;
		esac
	done
}

expect_not() {
	bad=$1; shift
	got=$(comp "$@")
	case " $got" in
	*" $bad "*) echo "FAIL: $* -> [$got] has $bad"; status=1 ;;
	esac
}

expect "trace" _hoplite "$H" tr
expect "mda" _hoplite "$H" m
expect "watch" _hoplite "$H" w
expect "trace mda watch submit" _hoplite "$H" help ""
expect "--targets --ptr --pps --gap-limit --numeric" _hoplite "$H" trace --
expect "-n -w -I -T -U -s -i -p -A -N" _hoplite "$H" trace -
expect "--cycles --interval --report" _hoplite "$H" watch --
expect "--confidence --probe-gap --targets" _hoplite "$H" mda --
expect "icmp-paris udp-paris tcp-paris tcp-ack-paris" _hoplite "$H" trace -P ""
expect "icmp-echo udp-dport flowlabel" _hoplite "$H" mda -P ""
expect "json text dot" _hoplite "$H" mda -o ""
expect "json text" _hoplite "$H" trace -o ""
expect_not "dot" _hoplite "$H" trace -o ""
expect_not "--cycles" _hoplite "$H" trace --
expect "lo" _hoplite "$H" trace -i l
expect "hops paths links itdk" _hoplite_convert "$C" -f ""
expect "--pfx2as --version --format" _hoplite_convert "$C" --
expect "merge" _hoplite_convert "$C" me

# zsh: the completion function with compsys's builtins stubbed to print
# what they are given.
zcomp() {	# service prefix words...
	zsh -fc '
	compadd() { if [[ $1 == -a ]]; then print -r -- ${(P)2}
	    else print -r -- "${(@)@:#--}"; fi }
	_call_program() { shift; "$@" }
	_files() { print FILES }; _hosts() { print HOSTS }
	_net_interfaces() { print IFACES }; _users() { print USERS }
	service=$1; PREFIX=$2; shift 2
	words=("$@"); CURRENT=$#
	source "$ZF"
	' zcomp "$@" | tr "\n" " "
}
zexpect() {
	want=$1; shift
	got=" $(ZF=$top_srcdir/completions/_hoplite zcomp "$@")"
	for w in $want; do
		case "$got " in
		*" $w "*) ;;
		*) echo "FAIL: zsh $* -> [$got], missing $w"; status=1 ;;
		esac
	done
}
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$top_srcdir/completions/_hoplite" ||
		{ echo "FAIL: zsh -n _hoplite"; status=1; }
	zexpect "trace mda watch submit help" hoplite "" "$H" ""
	zexpect "--targets --ptr -w -n" hoplite "-" "$H" trace -
	zexpect "--cycles --report" hoplite "--" "$H" watch --
	zexpect "icmp-echo flowlabel" hoplite "" "$H" mda -P ""
	zexpect "HOSTS" hoplite "" "$H" trace ""
	zexpect "hops paths itdk" hoplite-convert "" "$C" -f ""
	zexpect "--pfx2as --version" hoplite-convert "--" "$C" --
fi
[ $status -eq 0 ] && echo "test_completion: all checks passed"
exit $status
