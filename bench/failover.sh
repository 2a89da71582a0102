#!/bin/sh
# Issue 16's failover budget, on moto + the fault proxy: a T4 task
# (--provision-only) whose three cheapest regions refuse every launch,
# beside a direct apply to the zone it lands in, in one run. Prints, per
# binary, (wall of the fallback apply − wall of the direct apply) ÷ failed
# locations. With BASE_REV the same pair also runs with skyplan built at
# that commit, alternating with the current tree, so both share the load.
# Usage: bench/failover.sh [BASE_REV] [N]   (from the repository root;
# FAILOVER_BUDGET_REGIONS=1 refuses one region only, quicker on a loaded machine)
# Target: ≤ 5 s per failed location, fallback ≤ direct + 60 s.
set -eu
base=${1:-}
n=${2:-1}
export PATH="$PATH:$(go env GOPATH)/bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$base" ]; then
	git worktree add --detach "$tmp/src" "$base" >/dev/null 2>&1
	(cd "$tmp/src" && go build -o "$tmp/skyplan-base" ./cmd/skyplan)
	git worktree remove --force "$tmp/src"
	export FAILOVER_BASELINE="$tmp/skyplan-base"
fi
go test -count=1 -run XXX -bench BenchmarkFailoverBudget -benchtime="${n}x" -timeout 300m ./provision/e2ecli 2>&1 |
	grep -E '^Benchmark|s per failed location|apply: exit|FAIL|^ok' |
	sed -e 's/^ *bench_test.go:[0-9]*: //'
