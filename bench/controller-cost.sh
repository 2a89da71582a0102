#!/bin/sh
# Monthly cost of skyplan's default controller VM (cheapest >= 2 vCPU / 2 GiB on demand, as
# controllervm.Resolve picks it from the bundled AWS catalog) vs SkyPilot's default jobs
# controller (4+ vCPU, 4 GiB each, 50 GB disk), the ratio, and the state volume's cost.
# Usage: bench/controller-cost.sh   (from the repository root)
set -eu
go test -count=1 -run '^$' -bench '^BenchmarkControllerMonthlyCost$' -benchtime 1x ./controllervm |
	grep -E 'skyplan|SkyPilot|Benchmark'
