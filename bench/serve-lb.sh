#!/bin/sh
# Load-balancer overhead vs going straight to a replica, side by side on
# loopback: P50/P99 at 1,000 req/s per path and max req/s (32 clients).
# Usage: bench/serve-lb.sh   (from the repository root)
set -eu
go test -run '^$' -bench 'LBOverhead' -benchtime 1x ./serve/lb
