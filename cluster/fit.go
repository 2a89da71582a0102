package cluster

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Re-applying a task to a cluster that is UP reuses it (SkyPilot's
// check_resources_fit_cluster): nothing is provisioned, the workdir and
// file mounts are synced again, setup re-runs and a new job is submitted.
// The task fits when one of its resource candidates fits the cluster.

// TaskFits reports whether t can run on the existing cluster sc.
func TaskFits(t *task.Task, sc *state.Cluster) bool {
	if t.NumNodes > len(sc.Nodes) && t.NumNodes > sc.NumNodes {
		return false
	}
	if len(t.Resources.Items) == 0 {
		return true
	}
	for i := range t.Resources.Items {
		if resourcesFit(&t.Resources.Items[i], sc) {
			return true
		}
	}
	return false
}

// resourcesFit compares one candidate with the cluster: a pinned location
// must match, an instance type must be the cluster's, requested
// accelerators must be present in at least that count, and use_spot, when
// written, must match.
func resourcesFit(r *task.Resources, sc *state.Cluster) bool {
	if r.Infra.Cloud != "" && !strings.EqualFold(r.Infra.Cloud, sc.Cloud) {
		return false
	}
	if r.Infra.Region != "" && r.Infra.Region != sc.Region {
		return false
	}
	if r.Infra.Zone != "" && r.Infra.Zone != sc.Zone {
		return false
	}
	if r.InstanceType != "" && r.InstanceType != sc.InstanceType {
		return false
	}
	if r.Accelerator != nil && r.Accelerator.Count > 0 {
		have := 0.0
		for name, n := range sc.Accelerators {
			if strings.EqualFold(name, r.Accelerator.Name) {
				have = n
			}
		}
		if have < r.Accelerator.Count {
			return false
		}
	}
	if r.UseSpotSet && r.UseSpot != sc.UseSpot {
		return false
	}
	return true
}

// MisfitDiag is SkyPilot's "Requested resources do not match the existing
// cluster" error, with both sides and the fix.
func MisfitDiag(t *task.Task, sc *state.Cluster) diag.Diagnostic {
	var req []string
	for i := range t.Resources.Items {
		req = append(req, requestLabel(&t.Resources.Items[i]))
	}
	if len(req) == 0 {
		req = []string{"(default resources)"}
	}
	n := t.NumNodes
	if n < 1 {
		n = 1
	}
	existing := fmt.Sprintf("%s %s", InfraLabel(sc.Cloud, sc.Region, sc.Zone),
		ResourcesLabel(len(sc.Nodes), sc.InstanceType, sc.Accelerators, sc.UseSpot))
	return diag.Diagnostic{Severity: diag.Error, Summary: "Requested resources do not match the existing cluster.",
		Detail: fmt.Sprintf("  Requested:\t%dx(%s)\n  Existing:\t%s\nTo fix: specify a new cluster name, or tear down the existing cluster first: skyplan down %s",
			n, strings.Join(req, " or "), existing, sc.Name)}
}

// requestLabel renders one candidate as "AWS (us-east-1), gpus=T4:1, g4dn.xlarge[Spot]".
func requestLabel(r *task.Resources) string {
	var parts []string
	if r.Infra.Cloud != "" {
		parts = append(parts, InfraLabel(r.Infra.Cloud, r.Infra.Region, r.Infra.Zone))
	}
	if r.Accelerator != nil {
		parts = append(parts, fmt.Sprintf("gpus=%s:%g", r.Accelerator.Name, r.Accelerator.Count))
	}
	it := r.InstanceType
	if it == "" && r.Accelerator == nil {
		it = "any instance"
	}
	if r.UseSpotSet && r.UseSpot {
		it += "[Spot]"
	}
	if it != "" {
		parts = append(parts, it)
	}
	return strings.Join(parts, ", ")
}
