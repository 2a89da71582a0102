package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

func TestDeadlinePolicyChoosesEachAttempt(t *testing.T) {
	h := newHarness(t)
	p, err := policy.Lookup(policy.NameSkyplan)
	if err != nil {
		t.Fatal(err)
	}
	h.ctl.o.SpotPolicy = DeadlinePolicy{Policy: p, Step: time.Second}
	// Plenty of slack: spot.
	loose := h.submit(Recovery{Duration: time.Hour, Deadline: 24 * time.Hour, RestartOverhead: time.Minute})
	h.drive(h.worker(h.ctl, loose), 20, is(Running))
	atts, _ := h.store.Attempts(loose)
	if atts[0].WantSpot == nil || !*atts[0].WantSpot {
		t.Fatalf("24 h for 1 h of work: want spot, got %v", atts[0].WantSpot)
	}
	// No slack at all: on-demand from the start.
	tight := h.submit(Recovery{Duration: 8 * time.Hour, Deadline: 8*time.Hour + time.Minute, RestartOverhead: time.Minute})
	h.drive(h.worker(h.ctl, tight), 20, is(Running))
	atts, _ = h.store.Attempts(tight)
	if atts[0].WantSpot == nil || *atts[0].WantSpot {
		t.Fatalf("8 h of work in 8 h 1 min: want on-demand, got %v", atts[0].WantSpot)
	}
}

func TestDeadlineJobWithoutSpotCapacityMovesToOnDemand(t *testing.T) {
	h := newHarness(t)
	p, _ := policy.Lookup(policy.NameSkyplan)
	h.ctl.o.SpotPolicy = DeadlinePolicy{Policy: p, Step: time.Second}
	h.fake.launchErr = func(req LaunchRequest, n int) error {
		if req.UseSpot != nil && *req.UseSpot {
			return LaunchError(ErrNoResource, errors.New("no spot capacity"))
		}
		return nil
	}
	// Slack for a few hours only: waiting for spot is not an option for long.
	id := h.submit(Recovery{Duration: 4 * time.Hour, Deadline: 5 * time.Hour, RestartOverhead: time.Minute})
	j := h.drive(h.worker(h.ctl, id), 2000, is(Running))
	atts, _ := h.store.Attempts(id)
	last := atts[len(atts)-1]
	if j.Status != Running || last.WantSpot == nil || *last.WantSpot {
		t.Fatalf("job %s, attempt spot=%v", j.Status, last.WantSpot)
	}
}
