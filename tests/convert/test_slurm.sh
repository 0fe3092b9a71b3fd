#!/bin/bash
# tools/slurm on a one-node Slurm cluster started here (munged, slurmctld
# and slurmd on localhost, a generated slurm.conf in a temporary
# directory, free ports): the array job's shards merged by the dependent
# job are byte-identical to one local hoplite-convert run over the same
# list.  Needs root (slurmd runs the jobs as root); the daemons are
# stopped on every exit path.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
HC=$top_builddir/tools/convert/hoplite-convert
D=$top_srcdir/tests/convert/data
[ "$(id -u)" -eq 0 ] || { echo "SKIP: test_slurm needs root"; exit 77; }
for b in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
	command -v "$b" > /dev/null ||
	    { echo "FAIL: $b not found (Debian: slurm-wlm, munge)"; exit 1; }
done

T=$(mktemp -d /tmp/hc-slurm.XXXXXX)
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2> /dev/null
	done
	for p in $pids; do
		for _ in $(seq 1 50); do
			kill -0 "$p" 2> /dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2> /dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; [ -f "$T/slurmctld.log" ] && tail -20 "$T"/*.log; exit 1; }

# --- inputs: a generated corpus and the real samples, one path a line
python3 "$top_srcdir/tests/convert/gen.py" "$T/gen" 5 300 7 > /dev/null ||
	fail "gen.py"
{
	ls -d "$T"/gen/*
	ls -d "$D"/mlab-scamper1/valid-* "$D"/mlab-scamper2/valid-*
	echo "$D/warts"
	echo "$D/ripe-atlas/traceroute-samples.jsonl"
} > "$T/list"
[ "$(wc -l < "$T/list")" -gt 10 ] || fail "input list"

# --- the cluster
ports=$(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $ports
node=$(hostname -s)
mkdir -m 700 "$T/munge" "$T/state" "$T/spool"
head -c 1024 /dev/urandom > "$T/munge/munge.key"
chmod 400 "$T/munge/munge.key"
cat > "$T/slurm.conf" <<CONF
ClusterName=hltest$$
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SwitchType=switch/none
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=hltest Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf
munged -F --force --key-file="$T/munge/munge.key" \
    --socket="$T/munge/munge.socket" --pid-file="$T/munge/munged.pid" \
    --log-file="$T/munge.log" --seed-file="$T/munge/seed" \
    2> "$T/munged.out" &
pids="$pids $!"
for _ in $(seq 1 50); do
	[ -S "$T/munge/munge.socket" ] && break
	sleep 0.1
done
[ -S "$T/munge/munge.socket" ] || fail "munged did not start"
slurmctld -D -i > "$T/slurmctld.out" 2>&1 &
pids="$pids $!"
sleep 1
slurmd -D -N "$node" > "$T/slurmd.out" 2>&1 &
pids="$pids $!"
up=
for _ in $(seq 1 60); do
	case $(sinfo -h -o %T 2> /dev/null) in
	idle*) up=1; break ;;
	esac
	sleep 0.5
done
[ -n "$up" ] || fail "the node did not come up: $(sinfo 2>&1)"

# --- the recipe: 3 shards, then the merge
ids=$(HC=$HC "$top_srcdir/tools/slurm/submit.sh" -n 3 -f graphml \
    "$T/list" "$T/out") || fail "submit.sh"
set -- $ids
[ $# -eq 2 ] || fail "submit.sh printed '$ids'"
done=
for _ in $(seq 1 240); do
	if [ -z "$(squeue -h 2> /dev/null)" ]; then
		done=1
		break
	fi
	sleep 0.5
done
[ -n "$done" ] || fail "jobs still queued: $(squeue 2>&1)"
for j in "$1" "$2"; do
	st=$(scontrol show job "$j" 2>&1 | grep -o 'JobState=[A-Z]*' | sort -u)
	[ "$st" = "JobState=COMPLETED" ] || fail "job $j: $st"
done
for k in 0 1 2; do
	[ -s "$T/out/shard-$k/links.csv" ] || fail "shard $k wrote no links"
done

# --- one local run over the same list
mkdir "$T/local"
# shellcheck disable=SC2046
"$HC" -q -j 1 -f links -o "$T/local/links.csv" --dsts "$T/local/dsts.csv" \
    -f nodes -o "$T/local/nodes.csv" -f graphml -o "$T/local/topo.graphml" \
    $(cat "$T/list") 2> "$T/local.err"
[ $? -le 1 ] || fail "local run: $(cat "$T/local.err")"
n=0
for f in links.csv dsts.csv nodes.csv topo.graphml; do
	cmp "$T/local/$f" "$T/out/$f" || fail "$f differs from one local run"
	n=$((n + 1))
done
rows=$(($(wc -l < "$T/out/links.csv") - 1))
[ "$rows" -gt 100 ] || fail "only $rows links"
echo "PASS: 3 shards on Slurm, merged: $n tables identical to one run ($rows links)"
exit 0
