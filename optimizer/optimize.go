package optimizer

import (
	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
)

// STUB: the optimizer helper replaces this file.

// Options steer one optimisation.
type Options struct {
	Catalog *catalog.Catalog
	// Blocked placements (from the fallback loop) are never returned.
	Blocked []Blocked
	// EnabledClouds restricts clouds unless the task pins one; nil = all.
	EnabledClouds []string
	// SSHPools maps an SSH node pool name to its number of hosts; pools are
	// free and offered when they have at least num_nodes hosts.
	SSHPools map[string]int
}

// Optimize returns the ranked placements for one task.
func Optimize(t *task.Task, opts Options) (*TaskPlan, diag.Diagnostics) {
	var ds diag.Diagnostics
	ds.Errorf("Optimizer not implemented", "stub")
	return nil, ds
}
