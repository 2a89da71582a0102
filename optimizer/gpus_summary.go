package optimizer

import (
	"sort"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/task"
)

// CommonGPUs are the accelerators SkyPilot's `sky gpus list` shows first
// (its COMMON_GPU table).
var CommonGPUs = []string{"A10", "A10G", "A100", "A100-80GB", "H100", "H200", "L4", "L40S", "T4", "V100", "V100-32GB"}

// AcceleratorCounts is one summary row: an accelerator on one cloud and
// the counts offered there (slice sizes for a collapsed TPU generation).
type AcceleratorCounts struct {
	Name   string   `json:"name"`
	Cloud  string   `json:"cloud"`
	Counts []string `json:"counts"`
}

// AcceleratorSummary groups the default listing as SkyPilot does: common
// GPUs, then TPUs collapsed to one row per generation (tpu-v5litepod: 1,
// 4, 8, …) instead of one row per slice size, then every other accelerator.
type AcceleratorSummary struct {
	Common []AcceleratorCounts `json:"common"`
	TPUs   []AcceleratorCounts `json:"tpus"`
	Other  []AcceleratorCounts `json:"other"`
}

// SummarizeAccelerators groups offers (from ListAccelerators) for the
// default `gpus list`.
func SummarizeAccelerators(offers []AcceleratorOffer) AcceleratorSummary {
	type key struct{ name, cloud string }
	counts := map[key]map[float64]bool{}
	var keys []key
	for _, o := range offers {
		k, n := key{o.Accelerator, o.Cloud}, o.Count
		if task.IsTPU(o.Accelerator) {
			if gen, size, ok := tpuGeneration(o.Accelerator); ok {
				k, n = key{gen, o.Cloud}, size
			}
		}
		if counts[k] == nil {
			counts[k] = map[float64]bool{}
			keys = append(keys, k)
		}
		counts[k][n] = true
	}
	common := map[string]int{}
	for i, n := range CommonGPUs {
		common[strings.ToLower(n)] = i
	}
	var out AcceleratorSummary
	for _, k := range keys {
		var ns []float64
		for n := range counts[k] {
			ns = append(ns, n)
		}
		sort.Float64s(ns)
		row := AcceleratorCounts{Name: k.name, Cloud: k.cloud}
		for _, n := range ns {
			row.Counts = append(row.Counts, strconv.FormatFloat(n, 'f', -1, 64))
		}
		_, isCommon := common[strings.ToLower(k.name)]
		switch {
		case isCommon:
			out.Common = append(out.Common, row)
		case task.IsTPU(k.name):
			out.TPUs = append(out.TPUs, row)
		default:
			out.Other = append(out.Other, row)
		}
	}
	byName := func(rows []AcceleratorCounts, rank func(string) int) {
		sort.SliceStable(rows, func(i, j int) bool {
			ri, rj := rank(rows[i].Name), rank(rows[j].Name)
			if ri != rj {
				return ri < rj
			}
			if li, lj := strings.ToLower(rows[i].Name), strings.ToLower(rows[j].Name); li != lj {
				return li < lj
			}
			return rows[i].Cloud < rows[j].Cloud
		})
	}
	byName(out.Common, func(n string) int { return common[strings.ToLower(n)] })
	byName(out.TPUs, tpuRank)
	byName(out.Other, func(string) int { return 0 })
	return out
}

// tpuGeneration splits "tpu-v5litepod-16" into "tpu-v5litepod" and 16.
func tpuGeneration(name string) (string, float64, bool) {
	i := strings.LastIndex(name, "-")
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseFloat(name[i+1:], 64)
	if err != nil {
		return "", 0, false
	}
	return name[:i], n, true
}

// tpuRank orders generations by version number (v2 < v3 < v4 < v5… < v6e).
func tpuRank(gen string) int {
	rest := strings.TrimPrefix(strings.ToLower(gen), "tpu-v")
	n := 0
	for _, r := range rest {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}
