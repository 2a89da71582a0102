package policy

import "time"

// The deadline guarantee every deadline-claiming policy here shares.
//
// Let τ = Left (wall time to the deadline), R = Remaining work, d = the
// restart overhead and Δ = Step (the longest the executor may take to act
// again). On-demand is never preempted, so a job on a productive on-demand
// instance finishes in R, and a job that starts on-demand now finishes in
// d + R (plus whatever warmup an on-demand instance already running still
// owes, which is at most d).
//
// Off on-demand (idle, or on spot), the worst case before the next decision
// is that the step makes no progress at all (spot preempted at once, or spot
// still warming up) and leaves the job idle with τ−Δ left and the same R.
// Starting on-demand then must still fit: τ−Δ ≥ d+R. So staying off
// on-demand for one more step is safe iff
//
//	τ − Δ ≥ R + d                                              (S)
//
// and a policy that moves to on-demand (and stays there) at the first
// decision where (S) fails meets the deadline, by induction: (S) held at the
// previous decision, so now τ ≥ R + d, which is exactly what starting
// on-demand needs; on on-demand, τ − R stays constant, so it stays ≥ 0 (and
// stays below d+Δ: (S) keeps failing, and the policy never leaves). At
// submission (S) reads Deadline ≥ Duration + d + Δ; a deadline tighter than
// that but ≥ Duration + d is met by running on-demand from the start.
//
// Two things the model leaves to the executor: Step must bound its
// reaction time (for the controller: poll interval plus the preemption
// confirmation window), and on-demand capacity must exist when asked for.

// slack returns τ − R: the wall time the job can still spend not making
// progress (waiting, restart overheads).
func slack(j Job, o Observation) time.Duration { return o.Left(j) - o.Remaining(j) }

// SafeOffOnDemand reports whether condition (S) holds: the job may spend the
// next step off on-demand (idle, or on spot) and still be sure to finish by
// its deadline on on-demand. Jobs without a deadline are always safe.
func SafeOffOnDemand(j Job, o Observation) bool {
	if !j.HasDeadline() {
		return true
	}
	return slack(j, o)-o.Step >= j.RestartOverhead
}
