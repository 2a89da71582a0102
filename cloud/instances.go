package cloud

import "context"

// InstanceStates is a cloud that can say, in one cheap API call, what
// state each of a cluster's instances is in. The jobs controller confirms
// a silent head with it before recovering (a failed SSH poll alone is not
// a preemption); clouds without it are asked through a refresh of the
// cluster's Terraform state, which is slower (an init and a refresh-only
// plan) but says the same thing.
type InstanceStates interface {
	// InstanceStates returns the state of each instance id in region as
	// the cloud names it (AWS: pending, running, stopping, stopped,
	// shutting-down, terminated). An id the cloud does not know is absent
	// from the map. getenv reads the credentials and endpoint variables.
	InstanceStates(ctx context.Context, getenv func(string) string, region string, ids []string) (map[string]string, error)
	// InstanceRunning reports whether a state counts as a live node.
	InstanceRunning(state string) bool
}
