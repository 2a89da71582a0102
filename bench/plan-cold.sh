#!/bin/sh
# Cold `skyplan plan --dryrun` latency and peak RSS, N fresh processes.
# Usage: bench/plan-cold.sh [N]   (from the repository root)
set -eu
n=${1:-20}
bin=$(mktemp -d)/skyplan
go build -o "$bin" ./cmd/skyplan
home=$(mktemp -d)
SKYPLAN_HOME=$home "$bin" plan --dryrun examples/minimal.yaml >/dev/null # warm the page cache
i=0
while [ "$i" -lt "$n" ]; do
	SKYPLAN_HOME=$home /usr/bin/time -f '%e %U %S %M' "$bin" plan --dryrun examples/minimal.yaml 2>>"$home/times" >/dev/null
	i=$((i + 1))
done
awk -v n="$n" '{w+=$1; c+=$2+$3; if ($4>m) m=$4} END {printf "runs=%d mean_wall_ms=%.1f mean_cpu_ms=%.1f peak_rss_mb=%.1f\n", n, w*1000/n, c*1000/n, m/1024}' "$home/times"
rm -rf "$home" "$(dirname "$bin")"
