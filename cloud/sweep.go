package cloud

import "github.com/hashicorp/hcl/v2/hclwrite"

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

// TagFinder is a cloud that can list, region by region, the instances of
// every skyplan cluster by their skyplan-cluster tag, with Terraform data
// sources: `skyplan state rebuild` rebuilds lost state.db records from it.
type TagFinder interface {
	// FindModule is the find module (templates/find/<cloud>.tf): a module
	// that reads one region's tagged instances through its default
	// provider and returns them as output "instances" (objects with id,
	// cluster, rank, state, region, zone, instance_type, private_ip,
	// public_ip).
	FindModule() []byte
	// FindProviders writes the root's required_providers and one aliased
	// provider block per region; it returns each region's provider
	// reference (e.g. "aws.us_east_1") for the module call.
	FindProviders(b *hclwrite.Body, regions []string, skipAccountChecks bool) (map[string]string, error)
	// FindRunning reports whether an instance state (as the find module
	// returns it) is a running node.
	FindRunning(state string) bool
}
