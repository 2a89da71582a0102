package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

func mustPolicy(t *testing.T, name string) policy.Policy {
	t.Helper()
	p, err := policy.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestObserveFromAttempts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	spot := true
	j := &Job{SubmittedAt: t0, Spec: Spec{Recovery: Recovery{Deadline: 12 * time.Hour, Duration: 8 * time.Hour}}}
	atts := []*Attempt{
		// Spot: 10 min to running, preempted 2 h later.
		{N: 1, Phase: PhaseEnded, UseSpot: true, WantSpot: &spot, StartedAt: t0, UpAt: at(5 * time.Minute), RunningAt: at(10 * time.Minute), EndedAt: at(130 * time.Minute)},
		// On-demand, up and still setting up.
		{N: 2, Phase: PhaseSubmitting, UseSpot: false, StartedAt: t0.Add(3 * time.Hour), UpAt: at(3*time.Hour + 4*time.Minute)},
	}
	job, obs, failed := observe(j, atts, t0.Add(3*time.Hour+6*time.Minute), time.Minute, 0)
	if job.RestartOverhead != 10*time.Minute || obs.Done != 2*time.Hour || obs.Running != policy.OnDemand ||
		obs.Warmup != 4*time.Minute || obs.Launches != 2 || obs.Elapsed != 3*time.Hour+6*time.Minute || failed {
		t.Fatalf("observe = %+v %+v failed=%v", job, obs, failed)
	}
	// Asked again while attempt 2 is still launching on spot: the launch failed.
	atts[1] = &Attempt{N: 2, Phase: PhaseLaunching, WantSpot: &spot, StartedAt: t0.Add(3 * time.Hour)}
	_, obs, failed = observe(j, atts, t0.Add(3*time.Hour+time.Minute), time.Minute, 0)
	if !failed || obs.Running != policy.Idle || obs.Launches != 1 {
		t.Fatalf("failed spot launch: %+v failed=%v", obs, failed)
	}
}

func TestDeadlinePolicyUseSpot(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := &Job{SubmittedAt: t0, Spec: Spec{Recovery: Recovery{Deadline: 12 * time.Hour, Duration: 8 * time.Hour, RestartOverhead: 10 * time.Minute}}}
	spot := true
	launching := []*Attempt{{N: 1, Phase: PhaseLaunching, WantSpot: &spot, StartedAt: t0}}
	for _, c := range []struct {
		policy string
		atts   []*Attempt
		at     time.Duration
		want   bool
	}{
		{policy.NameOnDemand, nil, 0, false},
		{policy.NameGreedy, nil, 0, true},
		{policy.NameGreedy, launching, time.Hour, true},               // spot failed: greedy waits (tries spot again)
		{policy.NameGreedy, nil, 3*time.Hour + 55*time.Minute, false}, // (S) fails: on-demand
		{policy.NameUniformProgress, nil, time.Hour, true},            // idle and behind: spot first…
		{policy.NameUniformProgress, launching, time.Hour, false},     // …else on-demand
		{policy.NameSkyplan, launching, time.Hour, false},
	} {
		p := DeadlinePolicy{Policy: mustPolicy(t, c.policy), Step: 5 * time.Minute}
		if got := p.UseSpot(j, c.atts, t0.Add(c.at)); got != c.want {
			t.Errorf("%s at %v (attempts %d): UseSpot = %v, want %v", c.policy, c.at, len(c.atts), got, c.want)
		}
	}
}

// A deadline job whose spot launches fail: the controller re-asks the
// policy after each failure, records the new choice, and Uniform Progress
// falls back to on-demand once it is behind its line.
func TestDeadlineJobFallsBackToOnDemandWhenSpotCannotBeHad(t *testing.T) {
	h := newHarness(t)
	h.ctl = New(Options{Store: h.store, Clusters: h.fake, Clock: h.clk, Home: h.home, Poll: time.Second,
		UnreachableGrace: 30 * time.Second, RetryGap: 10 * time.Second,
		SpotPolicy: DeadlinePolicy{Policy: mustPolicy(t, policy.NameUniformProgress), Step: time.Minute}})
	h.fake.launchErr = func(req LaunchRequest, n int) error {
		if req.UseSpot != nil && *req.UseSpot {
			return errors.New("InsufficientInstanceCapacity: no spot capacity")
		}
		return nil
	}
	id := h.submit(Recovery{Deadline: 3 * time.Hour, Duration: 2 * time.Hour, RestartOverhead: 10 * time.Minute})
	w := h.worker(h.ctl, id)
	h.drive(w, 40, is(Running))
	h.fake.mu.Lock()
	launches := append([]LaunchRequest(nil), h.fake.launches...)
	h.fake.mu.Unlock()
	if len(launches) < 2 || launches[0].UseSpot == nil || !*launches[0].UseSpot {
		t.Fatalf("the first launch must try spot: %+v", launches)
	}
	last := launches[len(launches)-1]
	if last.UseSpot == nil || *last.UseSpot {
		t.Fatalf("the job must end up launching on-demand: %+v", launches)
	}
	atts, _ := h.store.Attempts(id)
	if len(atts) != 1 || atts[0].WantSpot == nil || *atts[0].WantSpot {
		t.Fatalf("the on-demand decision must be recorded on the attempt: %+v", atts)
	}
}
