package policy

// onDemand always runs on on-demand: the baseline every saving is measured
// against, and the policy for `use_spot: false` jobs. It meets any deadline
// of at least Duration + RestartOverhead.
type onDemand struct{}

func init() { register(onDemand{}) }

func (onDemand) Name() string { return NameOnDemand }

func (onDemand) Decide(Job, Observation) Decision { return Run(OnDemand) }
