package sim

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

func mkTrace(gap time.Duration, avail ...int) Trace {
	return Trace{Name: "t", Gap: gap, Available: avail}
}

func TestParseTraceErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"data":[1]}`, "metadata.gap_seconds is missing"},
		{`{"metadata":{"gap_seconds":0},"data":[1]}`, "gap_seconds is 0"},
		{`{"metadata":{"gap_seconds":0.001},"data":[1]}`, "from 1 to 86400"},
		{`{"metadata":{"gap_seconds":60},"data":[]}`, "data is missing or empty"},
		{`{"metadata":{"gap_seconds":60},"data":[1,-1]}`, "data[1] is -1"},
		{`{"metadata":{"gap_seconds":60},"data":[1,0.5]}`, "data[1] is 0.5"},
		{`[1,2]`, "not a spot trace"},
	} {
		_, err := ParseTrace("x.json", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x.json: ") {
			t.Errorf("ParseTrace(%s) = %v, want an error naming x.json and %q", c.in, err, c.want)
		}
	}
	tr, err := ParseTrace("us-east-1c_v100_1.json", []byte(`{"metadata":{"gap_seconds":300},"data":[0,1,4]}`))
	if err != nil || tr.Gap != 5*time.Minute || len(tr.Available) != 3 || tr.Zone() != "us-east-1c" {
		t.Fatalf("ParseTrace = %+v, %v", tr, err)
	}
	if tr.SpotAt(0, 1) || !tr.SpotAt(5*time.Minute, 1) || tr.SpotAt(10*time.Minute, 5) || !tr.SpotAt(14*time.Minute, 4) || tr.SpotAt(15*time.Minute, 1) {
		t.Errorf("SpotAt does not follow the data")
	}
}

func TestLoadTracesDirectory(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "us-west-2b_v100_1.json"), []byte(`{"metadata":{"gap_seconds":60},"data":[1]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"metadata":{"gap_seconds":60},"data":[0]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte(`not a trace`), 0o644)
	trs, err := LoadTraces(dir)
	if err != nil || len(trs) != 2 || trs[0].Name != "a/us-west-2b_v100_1.json" || trs[1].Name != "b.json" {
		t.Fatalf("LoadTraces = %+v, %v", trs, err)
	}
	os.WriteFile(filepath.Join(dir, "c.json"), []byte(`{"data":[0]}`), 0o644)
	if _, err := LoadTraces(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "c.json")) {
		t.Fatalf("a bad file in a directory: %v, want its path", err)
	}
	if _, err := LoadTraces(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.json") {
		t.Fatalf("empty directory: %v", err)
	}
}

func TestGridRoundsSafely(t *testing.T) {
	tr := mkTrace(195 * time.Second)
	g := NewGrid(tr, policy.Job{Duration: 8 * time.Hour, Deadline: 12 * time.Hour, RestartOverhead: 6 * time.Minute})
	if g.Step != 48750*time.Millisecond || g.Overhead != 8 || g.Work != 591 || g.Deadline != 886 {
		t.Fatalf("grid = %+v", g)
	}
	j := g.Job()
	if j.Duration < 8*time.Hour || j.Deadline > 12*time.Hour || j.RestartOverhead < 6*time.Minute || j.RestartOverhead-6*time.Minute >= g.Step {
		t.Fatalf("grid job %+v is not a safe rounding", j)
	}
}

var prices = Prices{Spot: 1, OnDemand: 3}

func lookup(t *testing.T, name string) policy.Policy {
	t.Helper()
	p, err := policy.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReplayHandmade(t *testing.T) {
	min := time.Minute
	job := policy.Job{Duration: 10 * min, Deadline: 30 * min, RestartOverhead: 2 * min}
	// Spot for 4 minutes, gone 3, then back for good.
	tr := mkTrace(min, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	cfg := Config{Job: job, Prices: prices}
	g, err := Replay(tr, lookup(t, "greedy"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 2 warmup + 2 work, preempted, wait 3, 2 warmup + 8 work: ends at minute 17.
	if !g.Finished || g.Elapsed != 17*min || g.Preemptions != 1 || g.Starts != 2 || g.ODHours != 0 {
		t.Fatalf("greedy: %+v", g)
	}
	if want := 14.0 / 60; math.Abs(g.Cost-want) > 1e-9 {
		t.Errorf("greedy cost = %v, want %v (14 spot minutes)", g.Cost, want)
	}
	od, _ := Replay(tr, lookup(t, "on-demand"), cfg)
	if math.Abs(od.Cost-od.OnDemandCost) > 1e-9 || od.Elapsed != 12*min || od.Preemptions != 0 {
		t.Errorf("on-demand: %+v", od)
	}
	// No deadline and the trace ends without spot: greedy waits forever.
	never := mkTrace(min, 0, 0, 0)
	r, _ := Replay(never, lookup(t, "greedy"), Config{Job: policy.Job{Duration: 10 * min, RestartOverhead: 2 * min}, Prices: prices})
	if r.Finished || r.Cost != 0 {
		t.Errorf("spot-only on a spotless trace: %+v", r)
	}
	// With a deadline it must fall back to on-demand in time.
	r, _ = Replay(never, lookup(t, "greedy"), cfg)
	if !r.Finished || !r.DeadlineMet || r.Elapsed != 30*min {
		t.Errorf("greedy with a deadline on a spotless trace: %+v", r)
	}
}

// randomTrace is a two-state Markov chain: spells of spot and no spot.
func randomTrace(rng *rand.Rand, ticks int, gap time.Duration) Trace {
	tr := Trace{Name: "random", Gap: gap, Available: make([]int, ticks)}
	on := rng.Intn(2)
	stay := 0.7 + 0.29*rng.Float64()
	for i := range tr.Available {
		if rng.Float64() > stay {
			on = 1 - on
		}
		tr.Available[i] = on
	}
	return tr
}

// bruteForce is the optimum over every schedule of the replay's full model,
// switches and stops in the middle of a warmup included, by exhaustive
// memoised search: the check that Optimum's pruned program loses nothing.
func bruteForce(tr Trace, c Config) (float64, bool) {
	g := NewGrid(tr, c.Job)
	type key struct{ i, run, warm, done int }
	memo := map[key]float64{}
	var f func(i, run, warm, done int) float64
	f = func(i, run, warm, done int) float64 {
		if done == g.Work {
			return 0
		}
		if i >= g.Deadline {
			return math.Inf(1)
		}
		k := key{i, run, warm, done}
		if v, ok := memo[k]; ok {
			return v
		}
		avail := tr.SpotAt(time.Duration(i)*g.Step, 1)
		if run == int(policy.Spot) && !avail {
			run, warm = int(policy.Idle), 0
		}
		best := math.Inf(1)
		for _, next := range []policy.Kind{policy.Idle, policy.Spot, policy.OnDemand} {
			if next == policy.Spot && !avail {
				continue
			}
			w := warm
			if int(next) != run {
				w = 0
				if next != policy.Idle {
					w = g.Overhead
				}
			}
			cost, d := 0.0, done
			if next != policy.Idle {
				price := c.Prices.OnDemand
				if next == policy.Spot {
					price = c.Prices.Spot
				}
				cost = price * g.Step.Hours()
				if w > 0 {
					w--
				} else {
					d++
				}
			}
			best = min(best, cost+f(i+1, int(next), w, d))
		}
		memo[k] = best
		return best
	}
	v := f(0, int(policy.Idle), 0, 0)
	return v, !math.IsInf(v, 1)
}

func TestOptimumMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 300; n++ {
		tr := randomTrace(rng, 40, time.Minute)
		c := Config{
			Job: policy.Job{
				Duration:        time.Duration(1+rng.Intn(12)) * time.Minute,
				Deadline:        time.Duration(12+rng.Intn(24)) * time.Minute,
				RestartOverhead: time.Duration(rng.Intn(4)) * time.Minute,
			},
			Prices: Prices{Spot: 0.2 + rng.Float64(), OnDemand: 1.5 + rng.Float64()},
		}
		got, ok, err := Optimum(tr, c)
		if err != nil {
			t.Fatal(err)
		}
		want, wok := bruteForce(tr, c)
		if ok != wok || (ok && math.Abs(got-want) > 1e-9) {
			t.Fatalf("case %d %+v avail %v: Optimum = %v,%v; brute force = %v,%v", n, c.Job, tr.Available, got, ok, want, wok)
		}
	}
}

// Every deadline policy meets every feasible deadline, and none beats the
// optimum, on random traces with ticks coarse and fine against the overhead.
func TestPoliciesMeetDeadlinesAndRespectOptimum(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for n := 0; n < 400; n++ {
		gap := []time.Duration{30 * time.Second, time.Minute, 195 * time.Second, 5 * time.Minute}[rng.Intn(4)]
		tr := randomTrace(rng, 600, gap)
		dur := time.Duration(1+rng.Intn(8)) * time.Hour
		ov := time.Duration(rng.Intn(40)) * time.Minute
		c := Config{
			Job:    policy.Job{Duration: dur, RestartOverhead: ov, Deadline: dur + ov + time.Duration(rng.Float64()*float64(dur))},
			Prices: Prices{Spot: 0.3 + rng.Float64(), OnDemand: 3},
			Start:  time.Duration(rng.Intn(100)) * gap,
		}
		opt, ok, err := Optimum(tr, c)
		if err != nil || !ok {
			t.Fatalf("case %d: optimum %v %v on a feasible deadline", n, ok, err)
		}
		for _, name := range policy.Names() {
			r, err := Replay(tr, lookup(t, name), c)
			if err != nil {
				t.Fatal(err)
			}
			if !r.DeadlineMet {
				t.Fatalf("case %d: %s missed the deadline: job %+v gap %v result %+v", n, name, c.Job, gap, r)
			}
			if r.Cost < opt-1e-9 {
				t.Fatalf("case %d: %s cost %v below the optimum %v", n, name, r.Cost, opt)
			}
		}
	}
}

func FuzzParseTrace(f *testing.F) {
	f.Add([]byte(`{"metadata":{"gap_seconds":60},"data":[0,1,4]}`))
	f.Add([]byte(`{"metadata":{"gap_seconds":1e-9},"data":[1]}`))
	f.Add([]byte(`{"data":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseTrace("f.json", b)
		if err != nil {
			return
		}
		if tr.Gap <= 0 || len(tr.Available) == 0 {
			t.Fatalf("accepted a trace with gap %v and %d ticks", tr.Gap, len(tr.Available))
		}
		job := policy.Job{Duration: time.Hour, Deadline: 2 * time.Hour, RestartOverhead: 6 * time.Minute}
		if _, err := Replay(tr, lookupFuzz(), Config{Job: job, Prices: prices}); err != nil {
			t.Fatal(err)
		}
	})
}

func lookupFuzz() policy.Policy { p, _ := policy.Lookup(policy.NameSkyplan); return p }

// Replay and the optimum on a 45-day trace tick (195 s), 8 h job, 16 h deadline.
func benchTrace(b *testing.B) (Trace, Config) {
	rng := rand.New(rand.NewSource(3))
	tr := randomTrace(rng, 20000, 195*time.Second)
	return tr, Config{Job: policy.Job{Duration: 8 * time.Hour, Deadline: 16 * time.Hour, RestartOverhead: 30 * time.Minute},
		Prices: Prices{Spot: 0.4, OnDemand: 3.06}}
}

func BenchmarkReplaySkyplan(b *testing.B) {
	tr, c := benchTrace(b)
	p := lookupFuzz()
	for b.Loop() {
		if _, err := Replay(tr, p, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOptimum(b *testing.B) {
	tr, c := benchTrace(b)
	for b.Loop() {
		if _, _, err := Optimum(tr, c); err != nil {
			b.Fatal(err)
		}
	}
}
