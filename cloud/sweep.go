package cloud

// TagSweeper is a cloud that can find and remove every resource carrying
// a cluster's skyplan-cluster tag, with Terraform as the hands: a root
// that lists tagged resources with data sources and imports the ones the
// cluster's state lacks, so a destroy removes them. `down` uses it to
// verify emptiness against the cloud rather than the local state.
type TagSweeper interface {
	// SweepModule is the sweep root's body (variables region, cluster_tag,
	// keep and the sweeper's own).
	SweepModule() []byte
	// SweepVars are the sweeper's extra variables for the next run, given
	// what earlier runs reported (nil on the first).
	SweepVars(reported []string) map[string]any
	// SweepReported returns the leftovers named in a run's diagnostic
	// details: for resources the cloud can only report through a check
	// warning (EC2 key pairs have no list data source).
	SweepReported(details []string) []string
}
