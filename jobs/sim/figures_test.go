package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/jobs/policy"
)

// The figures of docs/jobs.md: every trace of ../shared/spot-traces × deadline
// slack 10/25/50/100% over an 8 h job × restart overhead 0.1 h / 0.5 h,
// p3.2xlarge catalog prices of each trace's zone (spot) and region
// (on-demand). The 4-node traces are replayed as 4-node jobs.
//
//	go test ./jobs/sim -run TestSpotTraceFigures -v                       # summary table
//	SKYPLAN_FIGURES=rows go test ./jobs/sim -run TestSpotTraceFigures -v  # and every row
//	SKYPLAN_FIGURES_STARTS=8 go test ./jobs/sim -run TestSpotTraceFigures -v  # 8 submissions per trace
var (
	figureSlacks    = []float64{0.10, 0.25, 0.50, 1.00}
	figureOverheads = []float64{0.1, 0.5}
	figureDuration  = 8 * time.Hour
)

// findSpotTraces returns ../shared/spot-traces beside the repository (or
// beside any directory above it, for worktrees), or "".
func findSpotTraces() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "..", "shared", "spot-traces")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

type figureRow struct {
	trace           string
	overhead, sl    float64
	start           time.Duration
	od, opt         float64
	cost            map[string]float64
	met             map[string]bool
	preempt, start2 map[string]int
}

func runFigures(t *testing.T, starts int) []figureRow {
	dir := findSpotTraces()
	if dir == "" {
		t.Skip("../shared/spot-traces is absent")
	}
	traces, err := LoadTraces(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Embedded()
	var rows []figureRow
	for _, ov := range figureOverheads {
		for _, sl := range figureSlacks {
			for _, tr := range traces {
				src, err := PricesFor(cat, "p3.2xlarge", tr.Zone())
				if err != nil {
					t.Fatal(err)
				}
				nodes := 1
				if strings.HasPrefix(tr.Name, "preemption/4-node/") {
					nodes = 4
				}
				job := policy.Job{
					Duration:        figureDuration,
					Deadline:        time.Duration(float64(figureDuration) * (1 + sl)),
					RestartOverhead: time.Duration(ov * float64(time.Hour)),
				}
				span := tr.Span() - job.Deadline
				for k := 0; k < starts; k++ {
					start := time.Duration(0)
					if starts > 1 {
						start = (span / time.Duration(starts)).Truncate(tr.Gap) * time.Duration(k)
					}
					c := Config{Job: job, Prices: src.Prices, Nodes: nodes, Start: start}
					opt, ok, err := Optimum(tr, c)
					if err != nil || !ok {
						t.Fatalf("%s: optimum %v %v", tr.Name, ok, err)
					}
					r := figureRow{trace: tr.Name, overhead: ov, sl: sl, start: start, od: OnDemandCost(NewGrid(tr, job), c), opt: opt,
						cost: map[string]float64{}, met: map[string]bool{}, preempt: map[string]int{}, start2: map[string]int{}}
					for _, name := range policy.Names() {
						p, _ := policy.Lookup(name)
						res, err := Replay(tr, p, c)
						if err != nil {
							t.Fatal(err)
						}
						r.cost[name], r.met[name], r.preempt[name], r.start2[name] = res.Cost, res.DeadlineMet, res.Preemptions, res.Starts
						if res.Cost < opt-1e-9 {
							t.Errorf("%s ov=%.1f slack=%.0f%%: %s cost %.4f is below the optimum %.4f", tr.Name, ov, sl*100, name, res.Cost, opt)
						}
					}
					rows = append(rows, r)
				}
			}
		}
	}
	return rows
}

// TestSpotTraceFigures replays every policy on the real traces and checks
// the goals: every deadline met by every policy (all four claim the
// deadline), no policy below the exact optimum, skyplan's policy at or
// below Uniform Progress in mean for every slack × overhead, and at or
// below it on every row of the benchmark (one submission per trace,
// at its start).
func TestSpotTraceFigures(t *testing.T) {
	starts := 1
	if s := os.Getenv("SKYPLAN_FIGURES_STARTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SKYPLAN_FIGURES_STARTS=%q: want a positive integer", s)
		}
		starts = n
	}
	rows := runFigures(t, starts)
	names := policy.Names()
	type group struct{ ov, sl float64 }
	groups := map[group][]figureRow{}
	for _, r := range rows {
		g := group{r.overhead, r.sl}
		groups[g] = append(groups[g], r)
		for _, n := range names {
			if !r.met[n] {
				t.Errorf("%s ov=%.1f slack=%.0f%% start=%v: %s missed the deadline", r.trace, r.overhead, r.sl*100, r.start, n)
			}
		}
		if up, sk := r.cost[policy.NameUniformProgress], r.cost[policy.NameSkyplan]; starts == 1 && sk > up+1e-9 {
			t.Errorf("%s ov=%.1f slack=%.0f%% start=%v: skyplan %.3f×OD is above uniform-progress %.3f×OD",
				r.trace, r.overhead, r.sl*100, r.start, sk/r.od, up/r.od)
		}
	}
	var keys []group
	for g := range groups {
		keys = append(keys, g)
	}
	sort.Slice(keys, func(i, k int) bool {
		if keys[i].ov != keys[k].ov {
			return keys[i].ov < keys[k].ov
		}
		return keys[i].sl < keys[k].sl
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d traces × %d submissions; cost ÷ all-on-demand (mean), deadlines met, gap to the optimum (mean of cost/optimum − 1)\n", len(rows)/len(keys)/starts, starts)
	fmt.Fprintf(&b, "%-9s %-6s %-9s", "overhead", "slack", "optimum")
	for _, n := range names {
		fmt.Fprintf(&b, " | %-26s", n)
	}
	b.WriteString(" | skyplan ≤ UP\n")
	worse := 0
	for _, g := range keys {
		rs := groups[g]
		var opt float64
		sum := map[string]float64{}
		gap := map[string]float64{}
		met := map[string]int{}
		atOrBelow := 0
		for _, r := range rs {
			opt += r.opt / r.od
			for _, n := range names {
				sum[n] += r.cost[n] / r.od
				gap[n] += r.cost[n]/r.opt - 1
				if r.met[n] {
					met[n]++
				}
			}
			if r.cost[policy.NameSkyplan] <= r.cost[policy.NameUniformProgress]+1e-9 {
				atOrBelow++
			} else {
				worse++
			}
		}
		nr := float64(len(rs))
		fmt.Fprintf(&b, "%-9s %-6s %-9.3f", fmt.Sprintf("%.1fh", g.ov), fmt.Sprintf("%.0f%%", g.sl*100), opt/nr)
		for _, n := range names {
			fmt.Fprintf(&b, " | %.3f %3d/%-3d gap %5.1f%%  ", sum[n]/nr, met[n], len(rs), 100*gap[n]/nr)
		}
		fmt.Fprintf(&b, " | %d/%d\n", atOrBelow, len(rs))
		if sum[policy.NameSkyplan] > sum[policy.NameUniformProgress]+1e-9 {
			t.Errorf("overhead %.1fh slack %.0f%%: skyplan's mean cost %.3f×OD is above uniform-progress's %.3f×OD",
				g.ov, g.sl*100, sum[policy.NameSkyplan]/nr, sum[policy.NameUniformProgress]/nr)
		}
	}
	fmt.Fprintf(&b, "rows where skyplan costs more than uniform-progress: %d of %d\n", worse, len(rows))
	if os.Getenv("SKYPLAN_FIGURES") == "rows" || worse > 0 {
		for _, r := range rows {
			up, sk := r.cost[policy.NameUniformProgress], r.cost[policy.NameSkyplan]
			if os.Getenv("SKYPLAN_FIGURES") != "rows" && sk <= up+1e-9 {
				continue
			}
			fmt.Fprintf(&b, "  %-58s ov=%.1fh slack=%3.0f%% start=%-6v opt=%.3f", r.trace, r.overhead, r.sl*100, r.start, r.opt/r.od)
			for _, n := range names {
				fmt.Fprintf(&b, " %s=%.3f", n, r.cost[n]/r.od)
			}
			b.WriteString("\n")
		}
	}
	t.Log("\n" + b.String())
}
