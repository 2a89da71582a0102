package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

// deadlineHarness: the controller with skyplan's deadline policy (the
// daemon's), polling every minute on the fake clock.
func deadlineHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.ctl = h.deadlineController()
	return h
}

func (h *harness) deadlineController() *Controller {
	return New(Options{Store: h.store, Clusters: h.fake, Clock: h.clk, Home: h.home, Poll: time.Minute,
		UnreachableGrace: 30 * time.Minute, RetryGap: 10 * time.Second,
		SpotPolicy: DeadlinePolicy{Policy: policy.Default(), Step: time.Minute}})
}

// A deadline job whose spot attempt is still not running when the slack is
// about to run out is moved to on-demand mid-run, at the first poll where
// the policy's condition (S) fails (the same Decide the simulator calls),
// not at the next preemption; a controller restarted right after the
// switch was written launches on-demand too, and the job meets its
// deadline with every cluster destroyed.
func TestDeadlineJobSwitchesToOnDemandMidRun(t *testing.T) {
	h := deadlineHarness(t)
	rc := Recovery{Deadline: 3 * time.Hour, Duration: 2 * time.Hour, RestartOverhead: 10 * time.Minute}
	id := h.submit(rc)
	first := ClusterName(id, 1)
	h.fake.runFor = 2 * time.Hour
	h.fake.setupFor = 10 * time.Hour // attempt 1 (spot) never gets past its setup
	h.fake.setupOn = func(c string) bool { return c == first }
	w := h.worker(h.ctl, id)
	j := h.drive(w, 500, is(Recovering))
	switchedAt := h.clk.Now()

	atts, _ := h.store.Attempts(id)
	a1 := atts[0]
	if !a1.UseSpot || a1.Preempted || a1.NextSpot == nil || *a1.NextSpot ||
		!strings.Contains(a1.EndReason, "the deadline policy moves the job to on-demand") {
		t.Fatalf("attempt 1 must end as a switch to on-demand: %+v (%s)", a1, a1.EndReason)
	}
	if j.Restarts != 0 {
		t.Errorf("a switch is not a user failure: restarts %d", j.Restarts)
	}
	// The switch came at the first poll where (S) failed, not earlier.
	job := policy.Job{Duration: rc.Duration, Deadline: rc.Deadline, RestartOverhead: rc.RestartOverhead}
	at := func(d time.Duration) policy.Observation {
		return policy.Observation{Elapsed: d, Running: policy.Spot, Launches: 1, Step: time.Minute}
	}
	elapsed := switchedAt.Sub(j.SubmittedAt)
	if policy.SafeOffOnDemand(job, at(elapsed)) || !policy.SafeOffOnDemand(job, at(elapsed-time.Minute)) {
		t.Errorf("switched after %s; (S) must fail then and hold one poll before", elapsed)
	}

	// The controller dies right after writing the switch; the next one
	// relaunches on-demand in a region the spot attempt used (no block).
	w = h.worker(h.deadlineController(), id)
	j = h.drive(w, 50, is(Running))
	atts, _ = h.store.Attempts(id)
	a2 := atts[1]
	if a2.WantSpot == nil || *a2.WantSpot || a2.UseSpot || len(a2.Blocked) != 0 || a2.Region != a1.Region {
		t.Fatalf("attempt 2 must run on-demand, unblocked: %+v", a2)
	}
	j = h.drive(w, 500, nil)
	if j.Status != Succeeded || j.EndedAt == nil || j.EndedAt.Sub(j.SubmittedAt) > rc.Deadline {
		t.Fatalf("job %s, ended %v after submission (deadline %s)", j.Status, j.EndedAt.Sub(j.SubmittedAt), rc.Deadline)
	}
	if live := h.fake.liveNames(); len(live) != 0 {
		t.Fatalf("clusters left: %v", live)
	}
}

// A spot attempt that makes progress is never switched: the slack stays
// constant while it runs, so (S) keeps holding and the job ends on spot.
func TestDeadlineJobOnHealthySpotIsNotSwitched(t *testing.T) {
	h := deadlineHarness(t)
	rc := Recovery{Deadline: 3 * time.Hour, Duration: 2 * time.Hour, RestartOverhead: 10 * time.Minute}
	id := h.submit(rc)
	h.fake.runFor = 2 * time.Hour
	h.fake.setupFor = 5 * time.Minute
	w := h.worker(h.ctl, id)
	j := h.drive(w, 500, nil)
	atts, _ := h.store.Attempts(id)
	if j.Status != Succeeded || len(atts) != 1 || !atts[0].UseSpot || j.Recoveries != 0 {
		t.Fatalf("job %s with %d attempts (spot %v), recoveries %d", j.Status, len(atts), atts[0].UseSpot, j.Recoveries)
	}
}
