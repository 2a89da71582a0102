package jobs

import (
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

// DeadlinePolicy is the controller's SpotPolicy for jobs with a deadline: it
// rebuilds a jobs/policy Observation from the job's durable attempt records
// (so a restarted controller decides exactly as the one that died) and asks
// the policy whether the attempt being launched runs on spot.
//
// The controller learns spot availability only by launching: an attempt
// still LAUNCHING on spot when asked again has just failed to get spot
// (the retry after a failed launch), and the policy's fallback applies, as
// in policy.Decision.Resolve with no spot to be had. A fallback of Idle
// (wait for spot) becomes another spot launch after the retry gap, which is
// how this controller waits.
type DeadlinePolicy struct {
	Policy policy.Policy
	// Step bounds the controller's reaction time: the longest launch retry
	// gap, or a poll interval plus the preemption confirmation window,
	// whichever is longer. The policy keeps that margin before the deadline.
	Step time.Duration
	// DefaultOverhead is the restart overhead used until one is measured
	// (launch → job running), when the task gives none.
	DefaultOverhead time.Duration
}

// UseSpot implements SpotPolicy.
func (p DeadlinePolicy) UseSpot(j *Job, atts []*Attempt, now time.Time) bool {
	job, obs, spotFailed := observe(j, atts, now, p.Step, p.DefaultOverhead)
	d := p.Policy.Decide(job, obs)
	switch {
	case d.Want == policy.OnDemand:
		return false
	case d.Want == policy.Spot && spotFailed:
		return d.Fallback != policy.OnDemand
	}
	return true
}

// observe turns attempt records into the policy's view of the job. Done is
// the running time of every attempt after its launch (RunningAt → end), so
// restart overheads are excluded as the model wants; the restart overhead
// is the task's, else the last measured launch → running time.
func observe(j *Job, atts []*Attempt, now time.Time, step, defaultOverhead time.Duration) (policy.Job, policy.Observation, bool) {
	rc := j.Spec.Recovery
	job := policy.Job{Duration: rc.Duration, Deadline: rc.Deadline, RestartOverhead: rc.RestartOverhead}
	if job.RestartOverhead == 0 {
		job.RestartOverhead = defaultOverhead
		for _, a := range atts {
			if a.RunningAt != nil {
				job.RestartOverhead = a.RunningAt.Sub(a.StartedAt)
			}
		}
	}
	if step <= 0 {
		step = 5 * time.Minute
	}
	obs := policy.Observation{Elapsed: now.Sub(j.SubmittedAt), Launches: len(atts), Step: step}
	spotFailed := false
	for _, a := range atts {
		if a.RunningAt != nil {
			end := now
			if a.EndedAt != nil {
				end = *a.EndedAt
			}
			if end.After(*a.RunningAt) {
				obs.Done += end.Sub(*a.RunningAt)
			}
		}
	}
	if n := len(atts); n > 0 {
		cur := atts[n-1]
		if cur.Phase != PhaseEnded {
			spot := cur.WantSpot != nil && *cur.WantSpot
			if cur.Phase == PhaseLaunching && cur.UpAt == nil {
				// Asked again while launching: the launch failed.
				spotFailed = spot
				obs.Launches--
			} else {
				obs.Running = policy.OnDemand
				if cur.UseSpot {
					obs.Running = policy.Spot
				}
				if cur.RunningAt == nil {
					obs.Warmup = max(0, job.RestartOverhead-now.Sub(cur.StartedAt))
				}
			}
		}
	}
	return job, obs, spotFailed
}
