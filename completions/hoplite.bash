# bash completion for hoplite and hoplite-convert.
# Options come from the programs' own --help, so they never drift.

_hoplite_opts()
{
	# Every -x and --long-option a help text names.
	"$@" 2>/dev/null | grep -oE -- '(^|[ ,[])--?[A-Za-z0-9][A-Za-z0-9-]*' |
	    sed 's/^[ ,[]*//' | sort -u
}

_hoplite()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		trace|mda|watch|submit|help) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W 'trace mda watch submit help --version
		    --help' -- "$cur"))
		return
	fi
	case $cmd in
	help)
		COMPREPLY=($(compgen -W 'trace mda watch submit' -- "$cur"))
		return ;;
	esac
	case $prev in
	-P|--method)
		if [[ $cmd == mda ]]; then
			COMPREPLY=($(compgen -W 'icmp-echo udp-dport udp-sport
			    tcp-sport tcp-ack-sport flowlabel' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'icmp-paris udp-paris tcp-paris
			    tcp-ack-paris' -- "$cur"))
		fi
		return ;;
	-o|--output)
		if [[ $cmd == mda ]]; then
			COMPREPLY=($(compgen -W 'json text dot' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'json text' -- "$cur"))
		fi
		return ;;
	-i|--interface)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" \
		    -- "$cur"))
		return ;;
	--targets|--pfx2as|-S|--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return ;;
	-C|--confidence)
		COMPREPLY=($(compgen -W '95 99' -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_hoplite_opts "${COMP_WORDS[0]}" \
		    help "$cmd")" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -A hostname -- "$cur"))
}

_hoplite_convert()
{
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-f|--format)
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" --help 2>/dev/null |
		    sed -n 's/^formats: //p' | tr -d ',')" -- "$cur"))
		return ;;
	--anonymize)
		COMPREPLY=($(compgen -W 'netblock none' -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_hoplite_opts "${COMP_WORDS[0]}" \
		    --help) --format --output --quiet --verbose --help --version" \
		    -- "$cur"))
		return
	fi
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W merge -- "$cur"))
	fi
	COMPREPLY+=($(compgen -f -- "$cur"))
}

complete -F _hoplite hoplite
complete -F _hoplite_convert hoplite-convert
