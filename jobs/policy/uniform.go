package policy

import "time"

// uniformProgress is Uniform Progress from "Can't Be Late" (Wu et al.,
// NSDI'24): keep the work done at or above the straight line from zero work
// at submission to Duration at the deadline, using on-demand only to catch
// up. Its rules, with d the restart overhead and ep(t) = Duration·t/Deadline
// the expected progress:
//
//  1. Uniform progress: idle and behind (Done < ep(t)): take on-demand
//     (after trying spot, rule 2) and stay on it to catch up.
//  2. Taking risks: use spot whenever it can be had, even when behind, and
//     stay on it until preempted.
//  3. Hysteresis: on on-demand, stay until Done ≥ ep(t + 2d), so a job that
//     just caught up does not flap between idle and on-demand.
//  4. Safety net: not on spot and τ < R + 2d: on-demand until the end.
//
// On top of the paper's rules it keeps condition (S) of safety.go, whose
// one-step margin makes the deadline guarantee hold for any decision
// interval, not only for ticks much shorter than d.
type uniformProgress struct{}

func init() { register(uniformProgress{}) }

func (uniformProgress) Name() string { return NameUniformProgress }

func (uniformProgress) Decide(j Job, o Observation) Decision {
	if !j.HasDeadline() {
		return SpotElse(Idle)
	}
	d := j.RestartOverhead
	if !SafeOffOnDemand(j, o) {
		return Run(OnDemand)
	}
	if o.Running != Spot && o.Left(j) < o.Remaining(j)+2*d {
		return Run(OnDemand) // rule 4
	}
	switch o.Running {
	case Spot:
		return SpotElse(Idle) // rule 2: keep spot
	case OnDemand:
		if o.Done < expectedProgress(j, o.Elapsed+2*d) {
			return Run(OnDemand) // rule 3
		}
		return SpotElse(Idle)
	}
	if o.Done < expectedProgress(j, o.Elapsed) {
		return SpotElse(OnDemand) // rules 2 then 1
	}
	return SpotElse(Idle)
}

// expectedProgress is ep(t) = Duration·t/Deadline (in float64: the product
// of two durations in nanoseconds overflows int64).
func expectedProgress(j Job, t time.Duration) time.Duration {
	return time.Duration(float64(j.Duration) * float64(t) / float64(j.Deadline))
}
