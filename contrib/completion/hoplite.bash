# bash completion for hoplite, hoplited and hoplite-convert.
# Installed as bash-completion/completions/{hoplite,hoplited,hoplite-convert};
# by hand: source this file.
#
# To extend: each command (or subcommand) has one line in _hoplite_flags
# (options without a value) and one in _hoplite_args (options taking one);
# _hoplite_values says how to complete a value, by "command:option".  A new
# subcommand of hoplite also goes in _hoplite_cmds.
# tests/deploy/test_deploy.sh checks these lists against each --help.

_hoplite_cmds="trace mda watch submit help"
_hoplite_methods="icmp-paris udp-paris tcp-paris tcp-ack-paris"

declare -gA _hoplite_flags=(
	[trace]="-I -U -T -Q --all-attempts -n --numeric --ptr -e -A -4 -6
	    -v --verbose -V --version -h --help"
	[mda]="-I -U -T --full --flowlabel-fixed -n --numeric --ptr -e -4 -6
	    -v --verbose -V --version -h --help"
	[watch]="-r --report -I -U -T -n --numeric --ptr -4 -6 -v --verbose
	    -V --version -h --help"
	[help]=""
	[submit]="-h --help"
	[hoplited]="--test-flow -v --verbose -V --version -h --help"
	[convert]="--strict -q --quiet -v --verbose -V --version -h --help"
	[convert-merge]="-q --quiet -v --verbose -h --help"
)
declare -gA _hoplite_args=(
	[trace]="-P --method -p --port --sport -F --flowid -q --attempts
	    -f --first-ttl -m --max-ttl -w --wait --gap-limit -N --window
	    -s --source -i --interface --size -t --tos --names-timeout
	    --pfx2as --pps -c --concurrency --targets -o --output --user"
	[mda]="-P --method -C --confidence --sport -p --port -q --attempts
	    -f --first-ttl -m --max-ttl --gap-limit -w --wait --probe-gap
	    -N --window -Q --probec-max -s --source -i --interface --size
	    -t --tos --pps -c --concurrency --targets -o --output --user"
	[watch]="-c --cycles --interval -F --flowid -P --method -p --port
	    --sport -f --first-ttl -m --max-ttl -w --wait --gap-limit
	    -N --window -s --source -i --interface --size -t --tos --pps
	    -o --output --user"
	[help]=""
	[submit]="-S --socket -u --uuid --sport --dport -P --method -t --timeout"
	[hoplited]="--eventsocket --control --output --local-ip --allow
	    --cache-window --cache-max --max-inflight --queue --pps --deadline
	    --mode --mda-method --confidence --probe-gap
	    --method --flowid --attempts --wait --gap-limit --max-ttl
	    --anonymize --ptr --names-timeout --metrics --user --hostname
	    --open-timeout --grace --replay-window --journal --file-mode
	    --group --seccomp"
	[convert]="-f --format -o --output --dsts --schema --ndjson-schema
	    --pfx2as --anonymize --max-line --progress"
	[convert-merge]="-f --format -o --output --dsts"
)
# A value: "words:LIST" (fixed words), "file", "dir", "user", "group", "formats",
# or nothing (a number or free text: no completion).
declare -gA _hoplite_values=(
	[*:-P]="words:$_hoplite_methods" [*:--method]="words:$_hoplite_methods"
	[trace:-o]="words:json text" [trace:--output]="words:json text"
	[mda:-o]="words:json text dot" [mda:--output]="words:json text dot"
	[mda:-C]="words:95 99" [mda:--confidence]="words:95 99"
	[mda:-P]="words:icmp-echo udp-dport udp-sport tcp-sport tcp-ack-sport flowlabel"
	[mda:--method]="words:icmp-echo udp-dport udp-sport tcp-sport tcp-ack-sport flowlabel"
	[*:--user]="user" [*:--targets]="file" [*:--pfx2as]="file"
	[*:-i]="interface" [*:--interface]="interface"
	[watch:-o]="words:text json" [watch:--output]="words:text json"
	[submit:-S]="file" [submit:--socket]="file"
	[hoplited:--eventsocket]="file" [hoplited:--control]="file"
	[hoplited:--output]="dir" [hoplited:--anonymize]="words:none netblock"
	[hoplited:--journal]="file" [hoplited:--seccomp]="words:kill log off"
	[hoplited:--group]="group"
	[hoplited:--mode]="words:mda paris"
	[hoplited:--mda-method]="words:icmp-echo udp-dport udp-sport tcp-sport tcp-ack-sport"
	[hoplited:--confidence]="words:95 99"
	[convert:-f]="formats" [convert:--format]="formats"
	[convert-merge:-f]="formats" [convert-merge:--format]="formats"
	[convert:-o]="file" [convert:--output]="file"
	[convert-merge:-o]="file" [convert-merge:--output]="file"
	[convert:--dsts]="file" [convert-merge:--dsts]="file"
	[convert:--schema]="words:sqlite duckdb bigquery"
	[convert:--ndjson-schema]="file" [convert:--pfx2as]="file"
	[convert:--anonymize]="words:none netblock"
)

# Output formats as this hoplite-convert names them.
_hoplite_formats()
{
	local f
	f=$(hoplite-convert --help 2>/dev/null | sed -n 's/^formats: //p')
	[ -n "$f" ] || f="hops paths ndjson links nodes dsts aslinks itdk graphml dot"
	printf '%s\n' "${f//,/}"
}

# Completes the value of option $2 of command $1 into COMPREPLY.
_hoplite_value()
{
	local kind=${_hoplite_values[$1:$2]-${_hoplite_values[*:$2]-}}

	case $kind in
	words:*)
		COMPREPLY=($(compgen -W "${kind#words:}" -- "$cur")) ;;
	formats)
		COMPREPLY=($(compgen -W "$(_hoplite_formats)" -- "$cur")) ;;
	user)
		COMPREPLY=($(compgen -u -- "$cur")) ;;
	group)
		COMPREPLY=($(compgen -g -- "$cur")) ;;
	interface)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")) ;;
	dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	*)
		COMPREPLY=() ;;
	esac
}

# Is $2 an option of command $1 that takes a value?
_hoplite_takes_value()
{
	local o
	for o in ${_hoplite_args[$1]}; do
		[ "$o" = "$2" ] && return 0
	done
	return 1
}

# Completion for command key $1, whose words start at index $2.
_hoplite_complete_cmd()
{
	local key=$1 first=$2 prev opt

	prev=${COMP_WORDS[COMP_CWORD-1]}
	# --opt=value: bash splits it into "--opt" "=" "value".
	if [ "$prev" = "=" ] && [ $((COMP_CWORD - 2)) -ge "$first" ]; then
		opt=${COMP_WORDS[COMP_CWORD-2]}
		[ "$cur" = "=" ] && cur=
		_hoplite_takes_value "$key" "$opt" && _hoplite_value "$key" "$opt"
		return
	fi
	if [ "$cur" = "=" ] && _hoplite_takes_value "$key" "$prev"; then
		cur=
		_hoplite_value "$key" "$prev"
		return
	fi
	if [ "$COMP_CWORD" -gt "$first" ] && _hoplite_takes_value "$key" "$prev"; then
		_hoplite_value "$key" "$prev"
		return
	fi
	case $cur in
	-*)
		COMPREPLY=($(compgen -W "${_hoplite_flags[$key]} ${_hoplite_args[$key]}" \
		    -- "$cur"))
		return ;;
	esac
	case $key in
	trace|mda|submit)
		COMPREPLY=($(compgen -A hostname -- "$cur")) ;;
	convert|convert-merge)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	*)
		COMPREPLY=() ;;
	esac
}

_hoplite()
{
	local cur=${COMP_WORDS[COMP_CWORD]} sub
	COMPREPLY=()

	case ${COMP_WORDS[0]##*/} in
	hoplited)
		_hoplite_complete_cmd hoplited 1 ;;
	hoplite-convert)
		if [ "${COMP_WORDS[1]-}" = merge ] && [ "$COMP_CWORD" -gt 1 ]; then
			_hoplite_complete_cmd convert-merge 2
		elif [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -W merge -- "$cur"))
			compopt -o filenames 2>/dev/null
			COMPREPLY+=($(compgen -f -- "$cur"))
		else
			_hoplite_complete_cmd convert 1
		fi ;;
	*)
		if [ "$COMP_CWORD" -eq 1 ]; then
			COMPREPLY=($(compgen -W "$_hoplite_cmds -h --help -V --version" \
			    -- "$cur"))
			return
		fi
		sub=${COMP_WORDS[1]}
		if [ "$sub" = help ]; then
			[ "$COMP_CWORD" -eq 2 ] &&
			    COMPREPLY=($(compgen -W "${_hoplite_cmds% help}" -- "$cur"))
			return
		fi
		case " $_hoplite_cmds " in
		*" $sub "*)
			_hoplite_complete_cmd "$sub" 2 ;;
		esac ;;
	esac
}

complete -F _hoplite hoplite hoplited hoplite-convert
