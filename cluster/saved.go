package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
)

// SavedPlan is the sidecar of a saved plan (PLANFILE.skyplan.json): which
// cluster and directory it belongs to and what it places, so ApplySaved
// applies exactly that without re-optimising.
type SavedPlan struct {
	Cluster   string              `json:"cluster"`
	Dir       string              `json:"dir"`
	Task      string              `json:"task"`
	NumNodes  int                 `json:"num_nodes"`
	Placement optimizer.Placement `json:"placement"`
}

// SavedPlanSidecar is the path of planFile's sidecar.
func SavedPlanSidecar(planFile string) string { return planFile + ".skyplan.json" }

func writeSavedPlan(planFile string, m SavedPlan) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(SavedPlanSidecar(planFile), b, 0o644)
}

// ReadSavedPlan reads the sidecar of a plan saved by Plan.
func ReadSavedPlan(planFile string) (*SavedPlan, error) {
	b, err := os.ReadFile(SavedPlanSidecar(planFile))
	if err != nil {
		return nil, err
	}
	var m SavedPlan
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", SavedPlanSidecar(planFile), err)
	}
	return &m, nil
}

// ApplySavedRequest applies a plan saved by Plan.
type ApplySavedRequest struct {
	PlanFile string
	// Task, when set, runs on the cluster once it is UP (the plan's
	// SavedPlan.Task, loaded by the caller with its overrides).
	Task   *task.Task
	Detach bool
	Log    io.Writer // default: the Manager's Log
}

// ApplySaved applies exactly a saved plan: no re-optimisation and no
// failover. A plan made before the cluster's state changed is refused as
// stale; a new cluster's failed apply is destroyed and forgotten.
func (m *Manager) ApplySaved(ctx context.Context, req ApplySavedRequest) (*LaunchResult, diag.Diagnostics) {
	meta, err := ReadSavedPlan(req.PlanFile)
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	planFile, log := absPath(req.PlanFile), m.logTo(req.Log)
	release, ds := m.lock(meta.Cluster, "apply")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	ws, err := m.workspace(ctx, meta.Dir, log)
	if err != nil {
		return nil, ds.Append(err)
	}
	p := meta.Placement
	p.NumNodes = meta.NumNodes
	everUp := false
	if sc, err := m.store.GetCluster(meta.Cluster); err == nil {
		everUp = sc.EverUp
	}
	l := &provision.Launcher{Cluster: meta.Cluster, NumNodes: meta.NumNodes, WS: ws, Store: m.store,
		Plan: provision.CandidatePlanner([]optimizer.Placement{p}), Log: log,
		PlanFile: planFile, TaskFile: meta.Task, Backend: m.backendType(), NoFailover: everUp}
	fmt.Fprintf(log, "Applying saved plan %s for cluster %s (%s) …\n", planFile, meta.Cluster, InfraLabel(p.Cloud, p.Region, p.Zone))
	out, err := l.Launch(ctx)
	if err != nil {
		var te *provision.TerraformError
		if errors.As(err, &te) && te.StalePlan() {
			return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Saved plan is stale",
				Detail: fmt.Sprintf("The state of cluster %q changed after %s was made, so applying it could undo or duplicate work. Make a new plan with `skyplan plan %s -c %s --out %s` and apply that.",
					meta.Cluster, planFile, meta.Task, meta.Cluster, planFile),
				Subject: &diag.Range{Filename: planFile}}}
		}
		return failedLaunch(err), launchDiags(err, meta.Cluster, meta.NumNodes)
	}
	res := &LaunchResult{Cluster: out.Cluster, Failures: out.Failures}
	if req.Task == nil {
		return res, nil
	}
	res.Job, ds = m.runTask(ctx, out.Cluster, req.Task, req.Detach, dirOf(meta.Task), log)
	return res, ds
}
