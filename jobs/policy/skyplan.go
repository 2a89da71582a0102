package policy

import "time"

// skyplanPolicy is skyplan's own deadline policy: Uniform Progress's
// progress line (uniform.go) as the pace, with the moves that waste slack or
// money on the traces taken out. With d the restart overhead, Δ the step,
// s = τ − R the slack and ep(t) the line:
//
//  1. No deadline: spot, else wait (like greedy).
//  2. Condition (S) of safety.go fails: on-demand until the end. This is
//     the deadline guarantee; every other rule only chooses among moves (S)
//     allows.
//  3. A spot start must pay for its own warmup: after it, (S) must still
//     hold, so s ≥ 2d + Δ. Below that a spot start (or waiting for one) only
//     burns slack before a certain move to on-demand, so start on-demand now.
//  4. On spot: stay (exploitation, as in Uniform Progress).
//  5. On on-demand: never abandon a warmup already paid for; once ahead of
//     ep(t+2d) (Uniform Progress's release point) take spot when it can be
//     had. Leave on-demand for idle when ahead of ep(t+2d) too, as Uniform
//     Progress does, but only for the job's first few launches; after
//     that, only when ahead of ep(t+8d). Uniform Progress's short lead
//     flaps in a long outage: every idle spell of about 2d is followed by
//     a new on-demand launch paying d, which costs up to a third of an all
//     on-demand run at 100% slack (and a launch per cycle). The first idle
//     spells are cheap bets that the outage ends soon; once several
//     launches went by without spot holding, the long lead makes each
//     further restart overhead buy a long wait.
//  6. Idle: behind ep(t), spot else on-demand; ahead, spot else wait.
type skyplanPolicy struct{}

// idleLead is how far ahead of the line (in restart overheads) a job on
// on-demand must be before it stops to wait for spot (rule 5).
const idleLead = 8

// idleLeadAfter is how many launches the job may make with Uniform
// Progress's short lead (2d) before the long one applies (rule 5).
const idleLeadAfter = 4

// leadFor is the lead over the line, in restart overheads, that a job on
// on-demand needs before it stops to wait for spot, given its launches.
func leadFor(launches int) time.Duration {
	if launches < idleLeadAfter {
		return 2
	}
	return idleLead
}

func init() { register(skyplanPolicy{}) }

func (skyplanPolicy) Name() string { return NameSkyplan }

func (skyplanPolicy) Decide(j Job, o Observation) Decision {
	if !j.HasDeadline() {
		return SpotElse(Idle)
	}
	if !SafeOffOnDemand(j, o) {
		return Run(OnDemand)
	}
	d, step := j.RestartOverhead, o.Step
	s := slack(j, o)
	spotPays := s >= 2*d+step      // rule 3, now
	waitPays := s-step >= 2*d+step // rule 3, after waiting one more step
	ahead := func(lead time.Duration) bool { return o.Done >= expectedProgress(j, o.Elapsed+lead) }
	switch o.Running {
	case Spot:
		return SpotElse(OnDemand)
	case OnDemand:
		switch {
		case o.Warmup > 0 || !spotPays || !ahead(2*d):
			return Run(OnDemand)
		case waitPays && ahead(leadFor(o.Launches)*d):
			return SpotElse(Idle)
		}
		return SpotElse(OnDemand)
	}
	switch {
	case !spotPays:
		return Run(OnDemand)
	case !ahead(0) || !waitPays:
		return SpotElse(OnDemand)
	}
	return SpotElse(Idle)
}
