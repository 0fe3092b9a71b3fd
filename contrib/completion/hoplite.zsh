#compdef hoplite hoplited hoplite-convert
# zsh completion for hoplite, hoplited and hoplite-convert.  Installed as
# $(datadir)/zsh/site-functions/_hoplite (a directory on $fpath).
#
# To extend: each command (or subcommand) has one _arguments spec array
# below, one line per option; a new hoplite subcommand also goes in
# _hoplite_subcommands.  tests/deploy/test_deploy.sh checks these options
# against each --help.

_hoplite_methods() {
	local -a m=(icmp-paris udp-paris tcp-paris tcp-ack-paris)
	_describe -t methods 'probe method' m
}

_hoplite_formats() {
	local -a f
	f=(${(s:, :)${${(M)${(f)"$(hoplite-convert --help 2>/dev/null)"}:#formats: *}#formats: }})
	(( $#f )) || f=(hops paths ndjson links nodes dsts aslinks itdk graphml dot)
	_describe -t formats 'output format' f
}

_hoplite() {
	local -a probe_opts trace_opts mda_opts watch_opts submit_opts hoplited_opts convert_opts merge_opts
	# What trace, mda and watch share.
	probe_opts=(
		'(-f --first-ttl)'{-f+,--first-ttl=}'[first TTL]:ttl'
		'(-m --max-ttl)'{-m+,--max-ttl=}'[last TTL]:ttl'
		'(-w --wait)'{-w+,--wait=}'[wait per probe (seconds)]:seconds'
		'--gap-limit=[stop after N silent TTLs]:count'
		'(-N --window)'{-N+,--window=}'[probes in flight]:count'
		'(-s --source)'{-s+,--source=}'[source address]:address'
		'(-i --interface)'{-i+,--interface=}'[send through interface]:interface:_net_interfaces'
		'--size=[probe size in bytes]:bytes'
		'(-t --tos)'{-t+,--tos=}'[TOS / traffic class]:tos'
		'(-n --numeric)'{-n,--numeric}'[no hop names]'
		'--pps=[packets per second]:pps'
		'(-6)-4[IPv4 only]' '(-4)-6[IPv6 only]'
		'--user=[user after opening sockets]:user:_users'
		'*'{-v,--verbose}'[counters on stderr]'
		'(- *)'{-V,--version}'[print the version]'
		'(- *)'{-h,--help}'[show help]'
	)
	trace_opts=(
		'(-P --method -U -T)-I[ICMP probes]'
		'(-P --method -I -T)-U[UDP probes]'
		'(-P --method -I -U)-T[TCP SYN probes]'
		'(-P --method)'{-P+,--method=}'[probe method]:method:_hoplite_methods'
		'(-F --flowid)'{-F+,--flowid=}'[Paris flow id or range A-B]:flow id'
		'(-Q --all-attempts)'{-Q,--all-attempts}'[send every attempt]'
		'(-p --port)'{-p+,--port=}'[destination port]:port'
		'--sport=[source port of flow 0]:port'
		'(-q --attempts)'{-q+,--attempts=}'[tries per TTL]:attempts'
		$probe_opts
		'--ptr[hop names in JSON too]'
		'--names-timeout=[give up on a name after (seconds)]:seconds'
		'-e[MPLS label stacks]'
		'-A[origin AS per hop]'
		'--pfx2as=[prefix-to-AS file]:file:_files'
		'(-c --concurrency)'{-c+,--concurrency=}'[traces at once]:count'
		'--targets=[destinations from a file (- stdin)]:file:_files'
		'(-o --output)'{-o+,--output=}'[output format]:format:(json text)'
		'*:destination:_hosts'
	)
	mda_opts=(
		'(-P --method -U -T)-I[-P icmp-echo]'
		'(-P --method -I -T)-U[-P udp-dport]'
		'(-P --method -I -U)-T[-P tcp-sport]'
		'(-P --method)'{-P+,--method=}'[probe method]:method:(icmp-echo udp-dport udp-sport tcp-sport tcp-ack-sport flowlabel)'
		'(-C --confidence)'{-C+,--confidence=}'[confidence of the stopping rule (%)]:confidence:(95 99)'
		'--full[full MDA, no MDA-Lite]'
		'--probe-gap=[time between probes of a destination (ms)]:milliseconds'
		'(-Q --probec-max)'{-Q+,--probec-max=}'[probe budget per destination]:count'
		'--ptr[node names in JSON too]'
		'--flowlabel-fixed[keep the IPv6 flow label fixed]'
		'-e[MPLS label stacks]'
		'(-p --port)'{-p+,--port=}'[destination port]:port'
		'--sport=[source port of flow 0]:port'
		'(-q --attempts)'{-q+,--attempts=}'[tries per TTL]:attempts'
		$probe_opts
		'(-c --concurrency)'{-c+,--concurrency=}'[destinations at once]:count'
		'--targets=[destinations from a file (- stdin)]:file:_files'
		'(-o --output)'{-o+,--output=}'[output format]:format:(json text dot)'
		'*:destination:_hosts'
	)
	watch_opts=(
		'(-c --cycles)'{-c+,--cycles=}'[stop after N cycles]:count'
		'--interval=[seconds between cycles]:seconds'
		'(-r --report)'{-r,--report}'[one table at the end]'
		'(-F --flowid)'{-F+,--flowid=}'[Paris flows A-B]:flows'
		'(-P --method -U -T)-I[ICMP probes]'
		'(-P --method -I -T)-U[UDP probes]'
		'(-P --method -I -U)-T[TCP SYN probes]'
		'(-P --method)'{-P+,--method=}'[probe method]:method:_hoplite_methods'
		'(-p --port)'{-p+,--port=}'[destination port]:port'
		'--sport=[source port of flow 0]:port'
		$probe_opts
		'--ptr[hop names in JSON too]'
		'(-o --output)'{-o+,--output=}'[output format]:format:(text json)'
		'1:destination:_hosts'
	)
	submit_opts=(
		'(-S --socket)'{-S+,--socket=}'[control socket]:socket:_files'
		'(-u --uuid)'{-u+,--uuid=}'[the test UUID]:uuid'
		'--sport=[client port of the test]:port'
		'--dport=[server port of the test]:port'
		'(-P --method)'{-P+,--method=}'[probe method]:method:_hoplite_methods'
		'(-t --timeout)'{-t+,--timeout=}'[give up after (ms)]:milliseconds'
		'(- *)'{-h,--help}'[show help]'
		'1:client address:_hosts'
	)
	hoplited_opts=(
		'--eventsocket=[tcp-info event socket]:socket:_files'
		'--control=[control socket]:socket:_files'
		'--output=[root of the trace files]:directory:_files -/'
		'*--local-ip=[also a local address]:address'
		'*--allow=[trace this range anyway]:cidr'
		'--cache-window=[one trace per client per S seconds]:seconds'
		'--cache-max=[results kept for the cache]:count'
		'--max-inflight=[traces at once]:count'
		'--queue=[requests waiting for a slot]:count'
		'--pps=[probes per second]:pps'
		'--deadline=[halt a trace after S seconds]:seconds'
		'--mode=[what to measure]:mode:(mda paris)'
		'--mda-method=[MDA probe method]:method:(icmp-echo udp-dport udp-sport tcp-sport tcp-ack-sport)'
		'--confidence=[MDA stopping rule]:confidence:(95 99)'
		'--probe-gap=[MDA: least time between probes of one measurement (ms)]:milliseconds'
		'--method=[Paris probe method]:method:_hoplite_methods'
		'--test-flow[trace the test'"'"'s own flow]'
		'--flowid=[Paris flow id]:flow id'
		'--attempts=[tries per TTL]:attempts'
		'--wait=[wait per probe (ms)]:milliseconds'
		'--gap-limit=[stop after N silent TTLs]:count'
		'--max-ttl=[last TTL]:ttl'
		'--anonymize=[client address anonymization]:mode:(none netblock)'
		'--ptr[hop names (reverse DNS) in the files]'
		'--names-timeout=[a file waits for its names at most S seconds]:seconds'
		'--metrics=[Prometheus metrics address]:addr\:port'
		'--user=[user after opening sockets]:user:_users'
		'--hostname=[host name in the files]:name'
		'--open-timeout=[forget an Open after S seconds]:seconds'
		'--grace=[on SIGTERM, let traces finish for S seconds]:seconds'
		'--replay-window=[replay journaled requests younger than S seconds]:seconds'
		'--journal=[journal of pending requests]:file:_files'
		'--file-mode=[mode of the files written]:mode'
		'--group=[group of the files written]:group:_groups'
		'--seccomp=[system-call filter]:mode:(kill log off)'
		'*'{-v,--verbose}'[more logging]'
		'(- *)'{-V,--version}'[print the version]'
		'(- *)'{-h,--help}'[show help]'
	)
	merge_opts=(
		'*'{-f+,--format=}'[output format]:format:_hoplite_formats'
		'*'{-o+,--output=}'[path of the format before]:file:_files'
		'--dsts=[side table of destinations per link]:file:_files'
		'(-q --quiet)'{-q,--quiet}'[no report]'
		'(-v --verbose)'{-v,--verbose}'[a longer report]'
		'(- *)'{-h,--help}'[show help]'
		'*:table:_files'
	)
	convert_opts=(
		${merge_opts:#\*:table:_files}
		'--schema=[typed table definitions]:dialect:(sqlite duckdb bigquery)'
		'--ndjson-schema=[schema file]:file:_files'
		'--progress=[seconds between progress lines]:seconds'
		'--pfx2as=[prefix-to-AS file]:file:_files'
		'--anonymize=[address anonymization]:mode:(none netblock)'
		'--strict[stop at the first bad record]'
		'(- *)'{-V,--version}'[print the version]'
		'--max-line=[longest input line (bytes)]:bytes'
		'*:input:_files'
	)

	case $service in
	hoplited)
		_arguments -s -S $hoplited_opts ;;
	hoplite-convert)
		if (( CURRENT > 2 )) && [[ $words[2] == merge ]]; then
			shift words; (( CURRENT-- ))
			_arguments -s -S $merge_opts
		elif (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then
			_alternative 'commands:command:(merge)' 'files:input:_files'
		else
			_arguments -s -S $convert_opts
		fi ;;
	*)
		local -a _hoplite_subcommands=(
			'trace:Paris traceroute to every destination at once'
			'mda:multipath detection (MDA) to every destination'
			'watch:trace a destination again and again (loss, RTT per branch)'
			'help:the commands, or one command'"'"'s options'
			'submit:ask a running hoplited to trace an address'
		)
		if (( CURRENT == 2 )); then
			_describe -t commands 'hoplite command' _hoplite_subcommands
			_arguments '(- *)'{-h,--help}'[show help]' \
			    '(- *)'{-V,--version}'[print the version]'
			return
		fi
		local sub=$words[2]
		shift words; (( CURRENT-- ))
		case $sub in
		trace) _arguments -s -S $trace_opts ;;
		mda) _arguments -s -S $mda_opts ;;
		watch) _arguments -s -S $watch_opts ;;
		help) _describe -t commands 'hoplite command' \
		    _hoplite_subcommands[1,-2] ;;
		submit) _arguments -s -S $submit_opts ;;
		*) _message "unknown command $sub" ;;
		esac ;;
	esac
}

_hoplite "$@"
