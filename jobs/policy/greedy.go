package policy

// greedy uses spot whenever it can be had and waits when it cannot: the
// behaviour of a SkyPilot spot managed job. With a deadline it becomes the
// "Greedy" of Can't Be Late: it waits for spot only while condition (S)
// (safety.go) holds, then moves to on-demand at the last safe moment and
// stays there until the end, which meets the deadline but strands all the
// remaining work on on-demand whenever spot is scarce early.
type greedy struct{}

func init() { register(greedy{}) }

func (greedy) Name() string { return NameGreedy }

func (greedy) Decide(j Job, o Observation) Decision {
	if o.Running == OnDemand && j.HasDeadline() {
		return Run(OnDemand)
	}
	if !SafeOffOnDemand(j, o) {
		return Run(OnDemand)
	}
	return SpotElse(Idle)
}
