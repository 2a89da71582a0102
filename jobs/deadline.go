package jobs

import (
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

// DeadlinePolicy runs a jobs/policy Policy (the same code `skyplan jobs
// simulate` replays) at each launch of a job with a deadline: the job's
// progress is the time its attempts ran (RUNNING to end), the launches are
// its attempts, and a spot launch that found no capacity anywhere is the
// policy's "spot cannot be had".
//
// The controller decides at launch time only (first launch and every
// recovery); it does not yet stop a healthy spot attempt to move to
// on-demand mid-run, nor idle on purpose.
type DeadlinePolicy struct {
	Policy policy.Policy
	// Step is the controller's poll interval (the policy's decision step).
	Step time.Duration
	// DefaultOverhead is the restart overhead assumed before any attempt
	// measured one (default 10 min).
	DefaultOverhead time.Duration
}

// UseSpot implements SpotPolicy.
func (d DeadlinePolicy) UseSpot(j *Job, atts []*Attempt, now time.Time, spotFailed bool) bool {
	rc := j.Spec.Recovery
	pj := policy.Job{Duration: rc.Duration, Deadline: rc.Deadline, RestartOverhead: rc.RestartOverhead}
	if pj.RestartOverhead == 0 {
		pj.RestartOverhead = d.DefaultOverhead
		if pj.RestartOverhead == 0 {
			pj.RestartOverhead = 10 * time.Minute
		}
		// Measured: the last attempt's launch-to-running time.
		for i := len(atts) - 1; i >= 0; i-- {
			if a := atts[i]; a.RunningAt != nil {
				pj.RestartOverhead = a.RunningAt.Sub(a.StartedAt)
				break
			}
		}
	}
	var done time.Duration
	for _, a := range atts {
		if a.RunningAt == nil {
			continue
		}
		end := now
		if a.EndedAt != nil {
			end = *a.EndedAt
		}
		done += end.Sub(*a.RunningAt)
	}
	obs := policy.Observation{Elapsed: now.Sub(j.SubmittedAt), Done: done, Running: policy.Idle,
		Launches: len(atts), Step: d.Step}
	next := d.Policy.Decide(pj, obs).Resolve(policy.Idle, func() bool { return !spotFailed })
	// Idle (wait for spot) is approximated by trying spot again.
	return next != policy.OnDemand
}
