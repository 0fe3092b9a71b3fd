#!/bin/sh
# Convert a list of inputs on a Slurm cluster: an array job of N tasks
# (shard.sbatch: each converts its slice of the list into a shard of the
# mergeable tables) and a job that starts when all of them succeeded
# (merge.sbatch: hoplite-convert merge of the shards).  The result is
# byte-identical to one hoplite-convert run over the whole list.
#
# usage: submit.sh [-n tasks] [-a 'hoplite-convert options'] [-f 'formats']
#                  [-s 'sbatch options'] list outdir
#   list    inputs (files, archives, directories), one per line
#   outdir  shared by every node: shard-K/ and the merged tables
#   -f      aggregate formats to write after the merge (graphml dot itdk)
# HC names the hoplite-convert binary (default: the one in PATH).
# Prints the two job ids.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tasks=16 args= formats= sopts=
while getopts n:a:f:s: o; do
	case $o in
	n) tasks=$OPTARG ;;
	a) args=$OPTARG ;;
	f) formats=$OPTARG ;;
	s) sopts=$OPTARG ;;
	*) sed -n '8,14p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { sed -n '8,14p' "$0" >&2; exit 2; }
list=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"
out=$(cd "$2" && pwd)
case $tasks in
''|*[!0-9]*|0) echo "submit.sh: -n takes a number of tasks" >&2; exit 2 ;;
esac
export HC_LIST="$list" HC_OUT="$out" HC_ARGS="$args" HC_FORMATS="$formats"
export HC="${HC:-hoplite-convert}"
# shellcheck disable=SC2086
shards=$(sbatch --parsable $sopts --array=0-$((tasks - 1)) \
    --output="$out/shard-%a.log" --export=ALL "$here/shard.sbatch")
shards=${shards%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable $sopts --dependency=afterok:"$shards" \
    --output="$out/merge.log" --export=ALL "$here/merge.sbatch")
echo "$shards ${merge%%;*}"
