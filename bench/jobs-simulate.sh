#!/bin/sh
# Spot/on-demand policy figures on the real spot traces (docs/jobs-policies.md):
# every trace of ../shared/spot-traces × deadline slack 10/25/50/100% over an 8 h job
# × restart overhead 0.1 h / 0.5 h, p3.2xlarge catalog prices; cost ÷ all on-demand,
# deadlines met, gap to the exact omniscient optimum, skyplan vs uniform-progress.
# Usage: bench/jobs-simulate.sh [STARTS]   (from the repository root; STARTS submissions
# per trace spread over its span, default 1 = at the trace's start, the issue's rows)
# SKYPLAN_FIGURES=rows prints every row.
set -eu
starts=${1:-1}
traces=../shared/spot-traces
[ -d "$traces" ] || { echo "bench/jobs-simulate.sh: $traces not found" >&2; exit 1; }
SKYPLAN_FIGURES_STARTS=$starts go test -count=1 -run '^TestSpotTraceFigures$' -v ./jobs/sim |
	sed -n '/figures_test.go/,/^---/p' | sed '1d;$d' | sed 's/^        //'
# The same replay through the command users run, one configuration:
bin=$(mktemp -d)/skyplan
go build -o "$bin" ./cmd/skyplan
"$bin" jobs simulate --trace "$traces/availability/1-node/aws-02-15-2023" --duration 8h --deadline 12h --restart-overhead 0.1h
rm -rf "$(dirname "$bin")"
