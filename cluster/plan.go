package cluster

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// PlanRequest compiles one placement into the cluster's directory and runs
// `terraform plan -out`, saving the plan for ApplySaved.
type PlanRequest struct {
	Cluster   string
	Task      *task.Task
	Placement optimizer.Placement
	// Out is the plan file (default: skyplan.tfplan in the cluster's
	// directory); a sidecar Out.skyplan.json records what it places.
	Out string
	// TaskFile is recorded in the sidecar, so applying the plan runs it.
	TaskFile string
	// SSHCIDRs may SSH to the nodes (default: config ssh_cidrs, else the
	// caller's detected public address; see SSHSources).
	SSHCIDRs []string
	// PortsCIDRs may reach the task's ports (default: config ports_cidrs).
	PortsCIDRs []string
	// Show reads the saved plan back (terraform show -json) into
	// PlanResult.Terraform, for reviews.
	Show bool
	Log  io.Writer // default: the Manager's Log
}

// PlanResult is a saved Terraform plan.
type PlanResult struct {
	Cluster   string
	Dir       string
	PlanFile  string
	Placement optimizer.Placement
	// Changes: the plan adds, changes or destroys something.
	Changes bool
	Summary ChangeSummary
	// Existing is the cluster's record before the plan (nil if none).
	Existing *state.Cluster
	// Terraform is the saved plan as JSON (with Show).
	Terraform *tfjson.Plan
	// SSH is who may SSH to the nodes, and where that came from.
	SSH SSHSource
}

// Plan saves a Terraform plan of one exact placement. A region-level
// placement gets its first zone (applying a task file fails over through
// the others; a saved plan is one exact placement). A cluster that was UP
// is never planned elsewhere.
func (m *Manager) Plan(ctx context.Context, req PlanRequest) (*PlanResult, diag.Diagnostics) {
	p, name, log := req.Placement, req.Cluster, m.logTo(req.Log)
	if IsPool(p.Cloud) {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "SSH node pools have no Terraform plan",
			Detail: "The task runs on an SSH node pool, where skyplan creates nothing. Use `skyplan plan --dryrun` to see the placement."}}
	}
	if p.NumNodes == 0 {
		p.NumNodes = req.Task.NumNodes
	}
	if p.Zone == "" && len(p.Zones) > 0 {
		p.Zone = p.Zones[0]
	}
	release, ds := m.lock(name, "plan")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	existing, _ := m.store.GetCluster(name)
	if sc := existing; sc != nil && sc.EverUp && (sc.Cloud != p.Cloud || sc.Region != p.Region) {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster exists elsewhere",
			Detail: fmt.Sprintf("Cluster %q is in %s; skyplan does not move a cluster that was UP. Use another -c name, or `skyplan down %s` first.",
				name, InfraLabel(sc.Cloud, sc.Region, sc.Zone), name)}}
	}
	ssh, sds := m.SSHSources(ctx, req.SSHCIDRs)
	if ds = append(ds, sds...); sds.HasErrors() {
		return nil, ds
	}
	dir := m.Dir(name)
	if existing != nil && existing.TerraformDir != "" {
		dir = existing.TerraformDir
	}
	ws, err := m.workspace(ctx, dir, log)
	if err != nil {
		return nil, ds.Append(err)
	}
	if err := m.generator(req.Task, name, ssh.CIDRs, req.PortsCIDRs)(p, dir); err != nil {
		return nil, ds.Append(err)
	}
	if err := ws.Init(ctx); err != nil {
		return nil, terraformDiags(err, name)
	}
	out := req.Out
	if out == "" {
		out = filepath.Join(dir, "skyplan.tfplan")
	}
	out = absPath(out)
	changes, res, err := ws.Plan(ctx, provision.PlanOptions{Out: out})
	if err != nil {
		return nil, terraformDiags(err, name)
	}
	if err := writeSavedPlan(out, SavedPlan{Cluster: name, Dir: dir, Task: absPath(req.TaskFile), NumNodes: p.NumNodes, Placement: p}); err != nil {
		return nil, ds.Append(err)
	}
	pr := &PlanResult{Cluster: name, Dir: dir, PlanFile: out, Placement: p, Changes: changes, Existing: existing, SSH: ssh}
	if res.Summary != nil {
		pr.Summary = *res.Summary
	}
	if req.Show {
		if pr.Terraform, err = ws.ShowPlan(ctx, out); err != nil {
			return nil, terraformDiags(err, name)
		}
	}
	return pr, nil
}

// StateResources counts the managed resources in a Terraform state (a
// saved plan's prior state: what already exists under the cluster's name).
func StateResources(s *tfjson.State) int { return provision.ResourceCount(s) }
