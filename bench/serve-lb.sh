#!/bin/sh
# Load-balancer overhead vs going straight to a replica, side by side on
# loopback: P50/P99 at 1,000 req/s per path (requests of the two paths
# interleaved) and max req/s (32 clients, alternating slices).
# Usage: bench/serve-lb.sh [-lb.rate N]   (from the repository root)
set -eu
go test -run '^$' -bench 'LBOverhead' -benchtime 1x ./serve/lb -args "$@"
