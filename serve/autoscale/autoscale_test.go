package autoscale

import (
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func ptr[T any](v T) *T { return &v }

func policy(min, max int, qps float64) task.ReplicaPolicy {
	return task.ReplicaPolicy{MinReplicas: min, MaxReplicas: ptr(max), TargetQPSPerReplica: ptr(qps),
		UpscaleDelaySeconds: 300, DownscaleDelaySeconds: 1200}
}

// qpsLoad is a load of qps requests/s over the default window.
func qpsLoad(qps float64) Load { return Load{Requests: int(qps * 60), Window: time.Minute} }

func ready(n int, spot bool, firstID int) []Replica {
	var rs []Replica
	for i := 0; i < n; i++ {
		rs = append(rs, Replica{ID: firstID + i, Spot: spot, Ready: true})
	}
	return rs
}

func TestWantedClipsToBounds(t *testing.T) {
	a := New(policy(1, 5, 2), Options{})
	for _, c := range []struct {
		qps  float64
		want int
	}{{0, 1}, {2, 1}, {2.1, 2}, {7, 4}, {100, 5}} {
		if got := a.Wanted(qpsLoad(c.qps)); got != c.want {
			t.Errorf("qps %v: wanted %d, want %d", c.qps, got, c.want)
		}
	}
	fixed := New(task.ReplicaPolicy{MinReplicas: 3}, Options{})
	if got := fixed.Wanted(qpsLoad(1000)); got != 3 {
		t.Errorf("fixed service wanted %d", got)
	}
}

// TestHysteresis: scale up only after the wanted count stays higher for
// upscale_delay_seconds, down only after downscale_delay_seconds; a dip
// resets the timer.
func TestHysteresis(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	a := New(policy(1, 5, 1), Options{Now: c.now})
	d := a.Evaluate(qpsLoad(3), ready(1, false, 1))
	if d.Target != 1 || len(d.Launch) != 0 {
		t.Fatalf("immediate upscale: %+v", d)
	}
	c.advance(200 * time.Second)
	a.Evaluate(qpsLoad(3), ready(1, false, 1))
	c.advance(20 * time.Second)
	a.Evaluate(qpsLoad(1), ready(1, false, 1)) // dip: timer resets
	c.advance(20 * time.Second)
	a.Evaluate(qpsLoad(3), ready(1, false, 1))
	c.advance(299 * time.Second)
	if d = a.Evaluate(qpsLoad(3), ready(1, false, 1)); d.Target != 1 {
		t.Fatalf("upscaled before the delay: %+v", d)
	}
	c.advance(time.Second)
	d = a.Evaluate(qpsLoad(3), ready(1, false, 1))
	if d.Target != 3 || len(d.Launch) != 2 || d.Launch[0].Spot {
		t.Fatalf("after upscale delay: %+v", d)
	}
	// Idle: down only after 1200 s.
	rs := ready(3, false, 1)
	a.Evaluate(qpsLoad(0), rs)
	c.advance(1199 * time.Second)
	if d = a.Evaluate(qpsLoad(0), rs); d.Target != 3 || len(d.ScaleDown) != 0 {
		t.Fatalf("downscaled early: %+v", d)
	}
	c.advance(time.Second)
	d = a.Evaluate(qpsLoad(0), rs)
	if d.Target != 1 || len(d.ScaleDown) != 2 || d.ScaleDown[0] != 3 || d.ScaleDown[1] != 2 {
		t.Fatalf("after downscale delay: %+v (newest first)", d)
	}
}

// TestScaleFromZero: a service at zero replicas scales up at the first
// request, without waiting for the upscale delay.
func TestScaleFromZero(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	a := New(policy(0, 3, 5), Options{Now: c.now})
	if d := a.Evaluate(Load{}, nil); d.Target != 0 || len(d.Launch) != 0 {
		t.Fatalf("idle at zero: %+v", d)
	}
	if d := a.Evaluate(Load{Requests: 1, InFlight: 1}, nil); d.Target != 1 || len(d.Launch) != 1 {
		t.Fatalf("first request: %+v", d)
	}
}

// TestLongStreamsKeepReplicas: busy replicas are scaled down last, and
// in-flight streams (counted in Load.Requests by the LB) hold the target.
func TestLongStreamsKeepReplicas(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	p := policy(1, 4, 0.05) // 3 requests/minute per replica
	p.DownscaleDelaySeconds = 0
	a := New(p, Options{Now: c.now})
	a.Restore(State{Target: 4})
	rs := []Replica{{ID: 1, Ready: true, InFlight: 2}, {ID: 2, Ready: true}, {ID: 3, Ready: true, InFlight: 1}, {ID: 4, Ready: true}}
	// 6 streams still open, no new arrival: 6/60 s = 0.1 qps → 2 replicas.
	d := a.Evaluate(Load{Requests: 6, InFlight: 6}, rs)
	if d.Target != 2 || len(d.ScaleDown) != 2 || d.ScaleDown[0] != 4 || d.ScaleDown[1] != 2 {
		t.Fatalf("decision %+v: want target 2 and the idle replicas 4, 2 scaled down", d)
	}
	if got := pickScaleDown(append(rs, Replica{ID: 9}), 1); got[0] != 9 {
		t.Errorf("not-ready replicas must go first: %v", got)
	}
}

// TestFallbackRule: SkyServe's FallbackRequestRateAutoscaler arithmetic.
func TestFallbackRule(t *testing.T) {
	cases := []struct {
		name             string
		overprov, base   int
		dynamic          bool
		replicas         []Replica
		wantSpot, wantOD int
		launchSpot       int
		launchOD         int
		down             int
	}{
		{"spot only, overprovision", 1, 0, false, nil, 4, 0, 4, 0, 0},
		{"static base", 1, 1, false, ready(3, true, 1), 3, 1, 0, 1, 0},
		{"dynamic, no spot ready", 1, 0, true, []Replica{{ID: 1, Spot: true}, {ID: 2, Spot: true}}, 4, 3, 2, 3, 0},
		{"dynamic, two spot ready", 1, 0, true, append(ready(2, true, 1), Replica{ID: 3, Spot: true}), 4, 2, 1, 2, 0},
		{"dynamic, spot back: on-demand drained", 1, 0, true, append(ready(4, true, 1), ready(3, false, 10)...), 4, 0, 0, 0, 3},
		{"dynamic with base", 0, 1, true, ready(1, true, 1), 2, 2, 1, 2, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := task.ReplicaPolicy{MinReplicas: 3, NumOverprovision: c.overprov, BaseOnDemandFallbackReplicas: c.base,
				DynamicOnDemandFallback: c.dynamic, UpscaleDelaySeconds: 300, DownscaleDelaySeconds: 1200}
			a := New(p, Options{Spot: true})
			d := a.Evaluate(Load{}, c.replicas)
			var ls, lo int
			for _, l := range d.Launch {
				if l.Spot {
					ls++
				} else {
					lo++
				}
			}
			if d.SpotTarget != c.wantSpot || d.OnDemandTarget != c.wantOD || ls != c.launchSpot || lo != c.launchOD || len(d.ScaleDown) != c.down {
				t.Errorf("got spot %d od %d launch %d/%d down %v; want %d %d %d/%d %d",
					d.SpotTarget, d.OnDemandTarget, ls, lo, d.ScaleDown, c.wantSpot, c.wantOD, c.launchSpot, c.launchOD, c.down)
			}
		})
	}
	// Without spot resources every replica is on-demand.
	a := New(task.ReplicaPolicy{MinReplicas: 2, NumOverprovision: 1, DynamicOnDemandFallback: true}, Options{})
	if d := a.Evaluate(Load{}, nil); d.OnDemandTarget != 3 || d.SpotTarget != 0 {
		t.Errorf("on-demand service: %+v", d)
	}
}

func TestVersionsAndUpdate(t *testing.T) {
	a := New(task.ReplicaPolicy{MinReplicas: 2}, Options{Version: 2})
	rs := append(ready(2, false, 1), Replica{ID: 3, Version: 2, Ready: true})
	for i := range rs[:2] {
		rs[i].Version = 1
	}
	if d := a.Evaluate(Load{}, rs); len(d.Launch) != 1 || len(d.ScaleDown) != 0 {
		t.Errorf("old version replicas must not count: %+v", d)
	}
	a.Update(task.ReplicaPolicy{MinReplicas: 4, MaxReplicas: ptr(4)}, 3)
	if d := a.Evaluate(Load{}, rs); d.Target != 4 || len(d.Launch) != 4 {
		t.Errorf("after update: %+v", d)
	}
}

// TestFallbackHold: skyplan's hold keeps fallback on-demand replicas until
// no spot replica has been lost for the hold; replicas the autoscaler
// scaled down itself are not losses.
func TestFallbackHold(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	p := task.ReplicaPolicy{MinReplicas: 2, DynamicOnDemandFallback: true}
	a := New(p, Options{Spot: true, Now: c.now, FallbackHold: 10 * time.Minute})
	spot := ready(2, true, 1)
	if d := a.Evaluate(Load{}, spot); len(d.Launch) != 0 {
		t.Fatalf("steady: %+v", d)
	}
	// Spot replica 2 is preempted: one on-demand fallback is launched.
	c.advance(time.Minute)
	d := a.Evaluate(Load{}, spot[:1])
	if len(d.Launch) != 2 || d.OnDemandTarget != 1 {
		t.Fatalf("after preemption: %+v", d)
	}
	od := Replica{ID: 10, Ready: true}
	spotBack := []Replica{spot[0], {ID: 3, Spot: true, Ready: true}}
	c.advance(3 * time.Minute)
	if d = a.Evaluate(Load{}, append(spotBack, od)); len(d.ScaleDown) != 0 || d.OnDemandTarget != 1 {
		t.Fatalf("spot back 3 min after the loss: on-demand must be held: %+v", d)
	}
	c.advance(6*time.Minute + 59*time.Second)
	if d = a.Evaluate(Load{}, append(spotBack, od)); len(d.ScaleDown) != 0 {
		t.Fatalf("9m59s after the loss: %+v", d)
	}
	c.advance(time.Second)
	if d = a.Evaluate(Load{}, append(spotBack, od)); len(d.ScaleDown) != 1 || d.ScaleDown[0] != 10 {
		t.Fatalf("10 min after the loss: on-demand drained: %+v", d)
	}
	// The autoscaler's own scale-down of a spot replica is not a loss.
	b := New(task.ReplicaPolicy{MinReplicas: 1, DynamicOnDemandFallback: true}, Options{Spot: true, Now: c.now, FallbackHold: time.Hour})
	d = b.Evaluate(Load{}, ready(2, true, 1))
	if len(d.ScaleDown) != 1 {
		t.Fatalf("excess spot: %+v", d)
	}
	b.Evaluate(Load{}, ready(1, true, 1))
	if !b.State().LastSpotLoss.IsZero() {
		t.Errorf("scale-down counted as a spot loss")
	}
	// SkyServe (no hold) drains at once.
	s := New(p, Options{Spot: true, Now: c.now})
	s.Evaluate(Load{}, spot)
	s.Evaluate(Load{}, spot[:1])
	if d = s.Evaluate(Load{}, append(spotBack, od)); len(d.ScaleDown) != 1 {
		t.Errorf("skyserve keeps on-demand: %+v", d)
	}
}
