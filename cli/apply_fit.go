package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Re-applying a task to a cluster that is UP reuses it (SkyPilot's
// check_resources_fit_cluster): nothing is provisioned, the workdir and
// file mounts are synced again, setup re-runs and a new job is submitted.
// The task fits when one of its resource candidates fits the cluster.

// reuseUpCluster runs t on cluster name when it is UP on a cloud and t
// fits it, before any optimisation (the placement is the cluster's). done
// is false when the cluster must be provisioned (new, INIT, STOPPED, or
// --provision-only); a misfit is done with SkyPilot's error.
func reuseUpCluster(c *cli.Context, io *IO, t *task.Task, name string) (done bool, err error) {
	store, err := openStore()
	if err != nil {
		return true, err
	}
	defer store.Close()
	sc, err := store.GetCluster(name)
	if err != nil || !sc.EverUp || sc.Cloud == "ssh" {
		return false, nil // SSH node pools check their fit themselves
	}
	if !taskFits(t, sc) {
		return true, Exit(ExitFailure, diag.Diagnostics{misfitDiag(t, sc)})
	}
	if sc.Status != state.StatusUp || c.Bool("provision-only") {
		return false, nil
	}
	release, err := lockCluster(store, name, "apply")
	if err != nil {
		return true, err
	}
	defer release()
	if sc, err = store.GetCluster(name); err != nil || sc.Status != state.StatusUp {
		return false, nil // changed while we waited; provision as usual
	}
	fmt.Fprintf(io.Err, "Cluster %s is UP in %s (%s); reusing it, nothing to provision.\n", name,
		provision.InfraLabel(sc.Cloud, sc.Region, sc.Zone), provision.ResourcesLabel(len(sc.Nodes), sc.InstanceType, sc.Accelerators, sc.UseSpot))
	return true, runOnCluster(c, io, store, t, sc)
}

// taskFits reports whether t can run on the existing cluster sc.
func taskFits(t *task.Task, sc *state.Cluster) bool {
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

// misfitDiag is SkyPilot's "Requested resources do not match the existing
// cluster" error, with both sides and the fix.
func misfitDiag(t *task.Task, sc *state.Cluster) diag.Diagnostic {
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
	existing := fmt.Sprintf("%s %s", provision.InfraLabel(sc.Cloud, sc.Region, sc.Zone),
		provision.ResourcesLabel(len(sc.Nodes), sc.InstanceType, sc.Accelerators, sc.UseSpot))
	return diag.Diagnostic{Severity: diag.Error, Summary: "Requested resources do not match the existing cluster.",
		Detail: fmt.Sprintf("  Requested:\t%dx(%s)\n  Existing:\t%s\nTo fix: specify a new cluster name, or tear down the existing cluster first: skyplan down %s",
			n, strings.Join(req, " or "), existing, sc.Name)}
}

// requestLabel renders one candidate as "AWS (us-east-1), gpus=T4:1, g4dn.xlarge[Spot]".
func requestLabel(r *task.Resources) string {
	var parts []string
	if r.Infra.Cloud != "" {
		parts = append(parts, provision.InfraLabel(r.Infra.Cloud, r.Infra.Region, r.Infra.Zone))
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

// withAutostop sets the autostop policy of every candidate (apply -i N,
// --down with -d), keeping a hook or wait_for the task already gave.
func withAutostop(t *task.Task, idleMinutes int, down bool) {
	for i := range t.Resources.Items {
		a := t.Resources.Items[i].Autostop
		if a == nil {
			a = &task.Autostop{}
		}
		cp := *a
		cp.Enabled, cp.IdleMinutes = true, idleMinutes
		cp.Down = cp.Down || down
		t.Resources.Items[i].Autostop = &cp
	}
}
