package policy

import "time"

// skyplanPolicy: see the doc in docs/jobs.md.
type skyplanPolicy struct {
	odToSpot bool // switch from on-demand to spot while behind
	hyst     int  // hysteresis in d units for leaving on-demand to idle (-1: never)
	beta     float64
}

func init() { register(skyplanPolicy{odToSpot: true, hyst: -1, beta: 1}) }

func (skyplanPolicy) Name() string { return NameSkyplan }

func (p skyplanPolicy) Decide(j Job, o Observation) Decision {
	if !j.HasDeadline() {
		return SpotElse(Idle)
	}
	if !SafeOffOnDemand(j, o) {
		return Run(OnDemand)
	}
	d, step := j.RestartOverhead, o.Step
	s := slack(j, o)
	useful := s >= 2*d+step          // a spot start now can pay for its warmup
	waitUseful := s-step >= 2*d+step // and after waiting one more step
	behind := func(at time.Duration) bool {
		return o.Done < time.Duration(p.beta*float64(expectedProgress(j, at)))
	}
	switch o.Running {
	case Spot:
		return SpotElse(OnDemand)
	case OnDemand:
		if p.odToSpot && useful && o.Remaining(j) > 2*d {
			if p.hyst >= 0 && !behind(o.Elapsed+time.Duration(p.hyst)*d) && waitUseful {
				return SpotElse(Idle)
			}
			return SpotElse(OnDemand)
		}
		if p.hyst >= 0 && !behind(o.Elapsed+time.Duration(p.hyst)*d) && waitUseful {
			return SpotElse(Idle)
		}
		return Run(OnDemand)
	}
	if !useful {
		return Run(OnDemand)
	}
	if behind(o.Elapsed) || !waitUseful {
		return SpotElse(OnDemand)
	}
	return SpotElse(Idle)
}

// Variant returns a skyplan policy with other parameters (experiments).
func Variant(odToSpot bool, hyst int, beta float64) Policy {
	return skyplanPolicy{odToSpot: odToSpot, hyst: hyst, beta: beta}
}
