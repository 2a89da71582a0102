package sim

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTrace writes a spot-traces file for zone with 30 s ticks.
func writeTrace(t *testing.T, dir, zone string, data []int) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"gap_seconds": 30}, "data": data})
	if err := os.WriteFile(filepath.Join(dir, zone+"_v100_1.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// twoZones: zone a (cheap) has spot for the first 60 ticks, then none;
// zone b always has spot.
func twoZones(t *testing.T) ([]Trace, Config) {
	dir := t.TempDir()
	writeTrace(t, dir, "us-east-1a", append(repeat(1, 60), repeat(0, 60)...))
	writeTrace(t, dir, "us-east-1b", repeat(1, 120))
	trs, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return trs, Config{Replicas: 1, ColdStart: time.Minute, Overprovision: 1,
		Prices: map[string]Prices{"us-east-1a": {Spot: 1, OnDemand: 4}, "us-east-1b": {Spot: 2, OnDemand: 4}}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestOnDemandBaseline(t *testing.T) {
	trs, c := twoZones(t)
	r, err := Run(trs, OnDemand, c)
	if err != nil {
		t.Fatal(err)
	}
	// 120 ticks of 30 s = 1 h; one on-demand replica at $4/h.
	if !near(r.Hours, 1) || !near(r.Cost, 4) || !near(r.OnDemandCost, 4) || !near(r.CostRatio, 1) || r.Availability != 1 || !near(r.OnDemandHours, 1) {
		t.Errorf("on-demand = %+v", r)
	}
}

func TestSpotOneZoneLosesItsZone(t *testing.T) {
	trs, c := twoZones(t)
	r, _ := Run(trs, SpotOneZone, c)
	// Ready from tick 2 to 59, preempted at tick 60, launches fail after.
	if r.Preemptions != 1 || r.LaunchFailures != 60 {
		t.Errorf("preemptions %d failures %d", r.Preemptions, r.LaunchFailures)
	}
	if !near(r.Cost, 0.5) || r.OnDemandHours != 0 {
		t.Errorf("cost %v (30 min of $1/h spot), on-demand hours %v", r.Cost, r.OnDemandHours)
	}
	if want := 58.0 / 118; !near(r.Availability, want) {
		t.Errorf("availability %v, want %v", r.Availability, want)
	}
}

// TestSkyServeHedges: two spot replicas in distinct zones; when zone a
// goes the one in b keeps the service available, and the replacement is
// placed in b (a is PREEMPTED) without on-demand fallback once spot is
// ready.
func TestSkyServeHedges(t *testing.T) {
	trs, c := twoZones(t)
	for _, p := range []string{SkyServe, Skyplan} {
		r, err := Run(trs, p, c)
		if err != nil {
			t.Fatal(err)
		}
		if r.Availability != 1 || r.Preemptions != 1 {
			t.Errorf("%s: %+v", p, r)
		}
		// Spot: a and b for 30 min, then two in b; the fallback
		// on-demand replica covers the lost overprovisioned replica
		// until the replacement is ready (capped at the target of 1).
		if r.SpotHours < 0.99 || r.SpotHours > 2 || r.OnDemandHours <= 0 {
			t.Errorf("%s: spot %v h, on-demand %v h", p, r.SpotHours, r.OnDemandHours)
		}
	}
	// Spread has no spare replica: the preemption costs a cold start.
	r, _ := Run(trs, Spread, c)
	if r.Preemptions != 1 || !near(r.Availability, 116.0/118) {
		t.Errorf("spread: %+v", r)
	}
}

// TestFallbackHoldOnBurstyTrace: skyplan keeps its fallback on-demand
// replica through a burst of preemptions that SkyServe drains between.
func TestFallbackHoldOnBurstyTrace(t *testing.T) {
	dir := t.TempDir()
	// One zone that flaps: 10 ticks up, 3 down, repeated.
	var flap []int
	for len(flap) < 600 {
		flap = append(flap, append(repeat(1, 10), repeat(0, 3)...)...)
	}
	writeTrace(t, dir, "us-east-1a", flap[:600])
	trs, _ := LoadDir(dir)
	c := Config{Replicas: 1, ColdStart: time.Minute, Overprovision: 0, Prices: map[string]Prices{"us-east-1a": {Spot: 1, OnDemand: 4}}}
	ss, _ := Run(trs, SkyServe, c)
	sp, _ := Run(trs, Skyplan, c)
	if !(sp.Availability > ss.Availability) || !(sp.OnDemandHours > ss.OnDemandHours) {
		t.Errorf("skyserve %+v\nskyplan %+v", ss, sp)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "no trace files") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x_1.json"), []byte(`{"metadata":{},"data":[1]}`), 0o644)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "gap_seconds") {
		t.Errorf("no gap: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x_1.json"), []byte(`[1,2]`), 0o644)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "not a spot trace") {
		t.Errorf("bad json: %v", err)
	}
	os.Remove(filepath.Join(dir, "x_1.json"))
	writeTrace(t, dir, "z", []int{1})
	os.Rename(filepath.Join(dir, "z_v100_1.json"), filepath.Join(dir, "z_a.json"))
	writeTrace(t, dir, "z", []int{1})
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "both zone z") {
		t.Errorf("duplicate zone: %v", err)
	}
	trs, c := twoZones(t)
	if _, err := Run(trs, "cheapest", c); err == nil {
		t.Error("unknown policy accepted")
	}
	delete(c.Prices, "us-east-1b")
	if _, err := Run(trs, OnDemand, c); err == nil {
		t.Error("missing prices accepted")
	}
}

// TestCountedTraces: a multi-node trace limits how many spot replicas a
// zone holds.
func TestCountedTraces(t *testing.T) {
	dir := t.TempDir()
	writeTrace(t, dir, "us-east-2a", append(repeat(4, 40), repeat(2, 40)...))
	trs, _ := LoadDir(dir)
	if !trs[0].Counted {
		t.Fatal("a trace with values above 1 is a count")
	}
	r, _ := Run(trs, SpotOneZone, Config{Replicas: 3, ColdStart: time.Minute, Prices: map[string]Prices{"us-east-2a": {Spot: 1, OnDemand: 3}}})
	if r.Preemptions != 1 {
		t.Errorf("capacity 4 → 2 with 3 replicas must preempt one: %+v", r)
	}
}

// TestSharedTraces: on the real traces skyplan's availability is never
// below SkyServe's (its spot decisions are the same, its on-demand
// replicas live longer), so it is never worse on both at once.
func TestSharedTraces(t *testing.T) {
	base := filepath.Join("..", "..", "..", "shared", "spot-traces")
	dirs := []string{"availability/1-node/aws-02-15-2023", "preemption/1-node/aws-04-22-2023", "preemption/4-node/aws-08-03-2023"}
	for _, d := range dirs {
		trs, err := LoadDir(filepath.Join(base, d))
		if err != nil {
			t.Skipf("../shared/spot-traces: %v", err)
		}
		prices := map[string]Prices{}
		for _, tr := range trs {
			// us-east zones cheaper than us-west, as in the AWS catalog.
			prices[tr.Zone] = Prices{Spot: 0.4 + 0.1*float64(len(prices)), OnDemand: 3.06}
		}
		c := Config{Replicas: 3, ColdStart: 3 * time.Minute, Overprovision: 1, Prices: prices}
		ss, err := Run(trs, SkyServe, c)
		if err != nil {
			t.Fatal(err)
		}
		sp, _ := Run(trs, Skyplan, c)
		if sp.Availability < ss.Availability || sp.Preemptions != ss.Preemptions || sp.SpotHours != ss.SpotHours {
			t.Errorf("%s: skyplan %+v vs skyserve %+v: spot must match, availability never lower", d, sp, ss)
		}
		t.Logf("%s: skyserve %.3f/%.4f skyplan %.3f/%.4f", d, ss.CostRatio, ss.Availability, sp.CostRatio, sp.Availability)
	}
}

// TestPreemptionsPerZone: capacity is checked zone by zone (a reclaim in
// one zone does not count against another).
func TestPreemptionsPerZone(t *testing.T) {
	dir := t.TempDir()
	writeTrace(t, dir, "us-east-2a", append(repeat(2, 20), repeat(1, 20)...))
	writeTrace(t, dir, "us-east-2b", append(repeat(2, 20), repeat(1, 20)...))
	trs, _ := LoadDir(dir)
	prices := map[string]Prices{"us-east-2a": {Spot: 1, OnDemand: 3}, "us-east-2b": {Spot: 1, OnDemand: 3}}
	// Spread puts 2 replicas in each zone; both zones drop to 1 at tick 20.
	r, _ := Run(trs, Spread, Config{Replicas: 4, ColdStart: time.Minute, Prices: prices})
	if r.Preemptions != 2 {
		t.Errorf("preemptions = %d, want one per zone", r.Preemptions)
	}
}

func TestWindows(t *testing.T) {
	trs, c := twoZones(t)
	whole, _ := Run(trs, SpotOneZone, c)
	// Two 30-minute windows: the first before zone a goes, the second after.
	r, err := RunWindows(trs, SpotOneZone, c, 30*time.Minute, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.Hours, 1) || r.Preemptions != 0 {
		t.Errorf("windows = %+v (the second window starts with no spot in a: nothing to preempt)", r)
	}
	if !near(r.Availability, 0.5) || near(whole.Availability, 0.5) {
		t.Errorf("availability %v (whole %v): the first window is always up, the second never", r.Availability, whole.Availability)
	}
	c.Start = 2 * time.Hour
	if _, err := Run(trs, SpotOneZone, c); err == nil {
		t.Error("start past the traces accepted")
	}
	if w, _ := RunWindows(trs, OnDemand, Config{Replicas: 1, ColdStart: time.Minute, Prices: c.Prices}, 0, 3); !near(w.Hours, 1) {
		t.Errorf("window 0 replays the whole traces: %+v", w)
	}
}
