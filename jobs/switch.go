package jobs

import (
	"context"
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

// Switcher is a SpotPolicy that is also asked while an attempt runs, at
// every poll, whether the job must move to the other kind now instead of
// at its next launch. DeadlinePolicy is one.
type Switcher interface {
	// Switch returns (toSpot, true) when the running attempt should end
	// and the job relaunch on spot (toSpot) or on-demand (!toSpot).
	Switch(j *Job, attempts []*Attempt, now time.Time) (toSpot, change bool)
}

var _ Switcher = DeadlinePolicy{}

// Switch asks the policy with the running attempt as the Observation's
// Running kind, exactly as the simulator asks it at every step. Only the
// move from spot to on-demand is made mid-run: the policies ask for it
// when condition (S) fails (the slack left no longer covers one more step
// off on-demand plus a restart overhead), which is what keeps the deadline
// when a spot attempt warms up or stays silent for too long. Moving from
// on-demand to spot would be make-before-break (launch spot while
// on-demand keeps running) and stopping to wait idle saves money, not
// time; neither is done mid-run (docs/jobs-policies.md).
func (p DeadlinePolicy) Switch(j *Job, atts []*Attempt, now time.Time) (bool, bool) {
	if j.Spec.Recovery.Deadline <= 0 {
		return false, false
	}
	job, obs, _ := observe(j, atts, now, p.Step, p.DefaultOverhead)
	if obs.Running != policy.Spot {
		return false, false
	}
	d := p.Policy.Decide(job, obs)
	return false, d.Want == policy.OnDemand
}

// maybeSwitch ends a running spot attempt of a deadline job that the
// policy wants on on-demand now. The switch is a recovery that is neither
// a preemption (its region stays allowed) nor a user failure: the end,
// the job's RECOVERING and the next attempt's kind (Attempt.NextSpot) are
// one write, and the relaunch path (logs saved, cluster destroyed beside
// the next launch) does the rest, so a controller killed in between
// resumes it like any other recovery.
func (w *worker) maybeSwitch(ctx context.Context, j *Job, a *Attempt, now time.Time) (bool, error) {
	sw, ok := w.o.SpotPolicy.(Switcher)
	if !ok || !a.UseSpot || j.Spec.Recovery.Deadline <= 0 {
		return false, nil
	}
	atts, err := w.o.Store.Attempts(j.ID)
	if err != nil {
		return false, err
	}
	toSpot, change := sw.Switch(j, atts, now)
	if !change || toSpot == a.UseSpot {
		return false, nil
	}
	a.NextSpot = &toSpot
	reason := "the deadline policy moves the job to " + spotWord(toSpot) + ": " + deadlineNote(j, atts, now)
	return true, w.recover(ctx, j, a, reason, false, false, nil, now)
}

// deadlineNote says why, in the policy's terms: time left, work left.
func deadlineNote(j *Job, atts []*Attempt, now time.Time) string {
	rc := j.Spec.Recovery
	job, obs, _ := observe(j, atts, now, 0, 0)
	return "deadline in " + obs.Left(job).Round(time.Minute).String() + ", " +
		obs.Remaining(job).Round(time.Minute).String() + " of " + rc.Duration.String() + " left to run"
}
