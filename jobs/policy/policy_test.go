package policy

import (
	"strings"
	"testing"
	"time"
)

func TestNamesAndLookup(t *testing.T) {
	want := []string{NameOnDemand, NameGreedy, NameUniformProgress}
	got := Names()
	if len(got) < len(want) {
		t.Fatalf("Names() = %v, want at least %v", got, want)
	}
	for i, n := range want {
		if got[i] != n {
			t.Fatalf("Names() = %v, want prefix %v", got, want)
		}
		p, err := Lookup(n)
		if err != nil || p.Name() != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, p, err)
		}
	}
	_, err := Lookup("gredy")
	if err == nil || !strings.Contains(err.Error(), `did you mean "greedy"`) {
		t.Fatalf("Lookup(gredy) error = %v, want a did-you-mean", err)
	}
}

func TestResolve(t *testing.T) {
	tries := 0
	avail := func(ok bool) func() bool { return func() bool { tries++; return ok } }
	cases := []struct {
		d       Decision
		running Kind
		spot    bool
		want    Kind
		tried   bool
	}{
		{Run(OnDemand), Spot, true, OnDemand, false},
		{Run(Idle), OnDemand, true, Idle, false},
		{SpotElse(Idle), Spot, false, Spot, false}, // running spot is kept without a launch
		{SpotElse(Idle), Idle, true, Spot, true},
		{SpotElse(Idle), OnDemand, false, Idle, true},
		{SpotElse(OnDemand), OnDemand, false, OnDemand, true},
		{SpotElse(OnDemand), OnDemand, true, Spot, true},
		{SpotElse(OnDemand), Idle, false, OnDemand, true},
	}
	for _, c := range cases {
		tries = 0
		got := c.d.Resolve(c.running, avail(c.spot))
		if got != c.want || (tries > 0) != c.tried {
			t.Errorf("%v.Resolve(%v, spot=%v) = %v (tried %d), want %v (tried %v)", c.d, c.running, c.spot, got, tries, c.want, c.tried)
		}
	}
}

func TestValidate(t *testing.T) {
	h := time.Hour
	for _, c := range []struct {
		j   Job
		bad string
	}{
		{Job{Duration: 8 * h, Deadline: 12 * h}, ""},
		{Job{}, ""},
		{Job{Duration: 8 * h, Deadline: 7 * h}, "shorter than the duration"},
		{Job{Deadline: 7 * h}, "needs the job's duration"},
		{Job{Duration: -h}, "negative"},
	} {
		err := c.j.Validate()
		if (err == nil) != (c.bad == "") || (err != nil && !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.j, err, c.bad)
		}
	}
}

// The boundary of condition (S): one nanosecond less slack flips it.
func TestSafeOffOnDemandBoundary(t *testing.T) {
	j := Job{Duration: 8 * time.Hour, Deadline: 12 * time.Hour, RestartOverhead: 6 * time.Minute}
	step := time.Minute
	// slack = Left - Remaining = 12h - t - (8h - done); choose done = 0.
	tEdge := 4*time.Hour - step - j.RestartOverhead
	o := Observation{Elapsed: tEdge, Step: step}
	if !SafeOffOnDemand(j, o) {
		t.Fatalf("at the edge (S) must hold")
	}
	o.Elapsed++
	if SafeOffOnDemand(j, o) {
		t.Fatalf("past the edge (S) must fail")
	}
	if !SafeOffOnDemand(Job{}, o) {
		t.Fatalf("a job without deadline is always safe")
	}
}

func TestGreedy(t *testing.T) {
	g, _ := Lookup(NameGreedy)
	j := Job{Duration: 8 * time.Hour, Deadline: 12 * time.Hour, RestartOverhead: 6 * time.Minute}
	early := Observation{Elapsed: time.Hour, Step: time.Minute}
	if d := g.Decide(j, early); d != SpotElse(Idle) {
		t.Errorf("early: %v, want spot else idle", d)
	}
	late := Observation{Elapsed: 4 * time.Hour, Step: time.Minute}
	if d := g.Decide(j, late); d != Run(OnDemand) {
		t.Errorf("no slack left: %v, want on-demand", d)
	}
	onOD := Observation{Elapsed: time.Hour, Running: OnDemand, Step: time.Minute}
	if d := g.Decide(j, onOD); d != Run(OnDemand) {
		t.Errorf("greedy with a deadline stays on on-demand: %v", d)
	}
	if d := g.Decide(Job{}, onOD); d != SpotElse(Idle) {
		t.Errorf("no deadline: %v, want spot else idle", d)
	}
}

func TestUniformProgress(t *testing.T) {
	up, _ := Lookup(NameUniformProgress)
	h := time.Hour
	j := Job{Duration: 8 * h, Deadline: 16 * h, RestartOverhead: 6 * time.Minute}
	step := time.Minute
	for _, c := range []struct {
		name string
		o    Observation
		want Decision
	}{
		{"idle ahead waits", Observation{Elapsed: 2 * h, Done: 2 * h, Step: step}, SpotElse(Idle)},
		{"idle behind catches up", Observation{Elapsed: 4 * h, Done: h, Step: step}, SpotElse(OnDemand)},
		{"spot kept when behind", Observation{Elapsed: 4 * h, Done: h, Running: Spot, Step: step}, SpotElse(Idle)},
		// ep(4h+12m) = 2h06m: 2h03m done is not enough to leave on-demand.
		{"hysteresis holds on-demand", Observation{Elapsed: 4 * h, Done: 2*h + 3*time.Minute, Running: OnDemand, Step: step}, Run(OnDemand)},
		{"hysteresis released", Observation{Elapsed: 4 * h, Done: 2*h + 7*time.Minute, Running: OnDemand, Step: step}, SpotElse(Idle)},
		// τ − R = 10m: below 2d (the paper's safety net) while (S) (≥ d+Δ = 7m) still holds.
		{"safety net", Observation{Elapsed: 7*h + 50*time.Minute, Running: Idle, Step: step}, Run(OnDemand)},
		{"no safety net on spot", Observation{Elapsed: 7*h + 50*time.Minute, Running: Spot, Step: step}, SpotElse(Idle)},
		{"(S) overrides spot", Observation{Elapsed: 7*h + 55*time.Minute, Done: 0, Running: Spot, Step: step}, Run(OnDemand)},
	} {
		if got := up.Decide(j, c.o); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSkyplan(t *testing.T) {
	sk, _ := Lookup(NameSkyplan)
	if Default().Name() != NameSkyplan {
		t.Fatalf("Default() = %s", Default().Name())
	}
	h, m := time.Hour, time.Minute
	j := Job{Duration: 8 * h, Deadline: 16 * h, RestartOverhead: 6 * m}
	step := m
	for _, c := range []struct {
		name string
		o    Observation
		want Decision
	}{
		{"no deadline waits for spot", Observation{Elapsed: 20 * h, Running: OnDemand, Step: step}, SpotElse(Idle)},
		{"idle ahead waits", Observation{Elapsed: 2 * h, Done: 2 * h, Step: step}, SpotElse(Idle)},
		{"idle behind catches up", Observation{Elapsed: 4 * h, Done: h, Step: step}, SpotElse(OnDemand)},
		{"spot kept", Observation{Elapsed: 4 * h, Done: h, Running: Spot, Step: step}, SpotElse(OnDemand)},
		{"on-demand warmup is never abandoned", Observation{Elapsed: 4 * h, Done: 3 * h, Running: OnDemand, Warmup: 3 * m, Step: step}, Run(OnDemand)},
		// ep(4h+12m) = 2h06m.
		{"on-demand behind the release point", Observation{Elapsed: 4 * h, Done: 2*h + 5*m, Running: OnDemand, Step: step}, Run(OnDemand)},
		{"first launches: released to spot or idle", Observation{Elapsed: 4 * h, Done: 2*h + 7*m, Running: OnDemand, Launches: 1, Step: step}, SpotElse(Idle)},
		{"after 4 launches: released to spot, not to idle", Observation{Elapsed: 4 * h, Done: 2*h + 7*m, Running: OnDemand, Launches: 4, Step: step}, SpotElse(OnDemand)},
		// ep(4h+48m) = 2h24m.
		{"far ahead: on-demand may stop to wait", Observation{Elapsed: 4 * h, Done: 2*h + 25*m, Running: OnDemand, Launches: 9, Step: step}, SpotElse(Idle)},
		// slack = 16h − 7h50m − 8h = 10m: (S) holds (≥ 7m) but a spot
		// start cannot pay for its warmup (needs 13m).
		{"futile spot start: on-demand now", Observation{Elapsed: 7*h + 50*m, Step: step}, Run(OnDemand)},
		{"futile switch: stay on on-demand", Observation{Elapsed: 7*h + 50*m, Running: OnDemand, Step: step}, Run(OnDemand)},
		// slack = 13m: a spot start pays now, waiting one more step would not.
		{"last useful spot start", Observation{Elapsed: 7*h + 47*m, Step: step}, SpotElse(OnDemand)},
		{"(S) fails on spot", Observation{Elapsed: 7*h + 55*m, Running: Spot, Step: step}, Run(OnDemand)},
	} {
		jj := j
		if c.name == "no deadline waits for spot" {
			jj = Job{}
		}
		if got := sk.Decide(jj, c.o); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
