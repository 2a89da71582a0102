package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Launch brings cluster req.Cluster UP for req.Task and runs the task on it
// (unless ProvisionOnly). A cluster that is UP and fits the task is reused;
// one that was ever UP stays where it is; otherwise the optimizer's best
// placement is provisioned with zone/region/cloud fallback. SSH node pools
// take hosts from the pool instead of Terraform.
func (m *Manager) Launch(ctx context.Context, req LaunchRequest) (*LaunchResult, diag.Diagnostics) {
	if req.Cluster == "" || req.Task == nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Launch needs a cluster name and a task"}}
	}
	t := withConstraints(req.Task, req.Constraints)
	log := m.logTo(req.Log)
	release, ds := m.lock(req.Cluster, "apply")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	existing, err := m.store.GetCluster(req.Cluster)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, ds.Append(err)
	}
	if existing != nil && existing.EverUp && !IsPool(existing.Cloud) {
		if !TaskFits(t, existing) {
			return nil, diag.Diagnostics{MisfitDiag(t, existing)}
		}
		if existing.Status == state.StatusUp && !req.ProvisionOnly {
			if fds := m.finishRetired(ctx, req.Cluster, log); fds.HasErrors() {
				return nil, fds
			}
			fmt.Fprintf(log, "Cluster %s is UP in %s (%s); reusing it, nothing to provision.\n", existing.Name,
				InfraLabel(existing.Cloud, existing.Region, existing.Zone), ResourcesLabel(len(existing.Nodes), existing.InstanceType, existing.Accelerators, existing.UseSpot))
			res := &LaunchResult{Cluster: existing, Reused: true}
			res.Job, ds = m.runTask(ctx, existing, t, req.Detach, baseDirOf(req), log)
			return res, ds
		}
	}
	opts, ods := m.optimizerOptions(t, req)
	if ods.HasErrors() {
		return nil, ods
	}
	var chosen optimizer.Placement
	if len(req.Candidates) > 0 {
		chosen = req.Candidates[0]
	} else {
		plan, pds := optimizer.Optimize(t, opts)
		ds = append(ds, pds...)
		if pds.HasErrors() {
			return nil, ds
		}
		if plan == nil || plan.Chosen == nil {
			return &LaunchResult{NoResource: len(req.Blocked) > 0}, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No feasible placement",
				Detail: "The optimizer found no cloud, region and instance type for this task outside the blocked locations."})
		}
		chosen = *plan.Chosen
		if req.Planned != nil {
			req.Planned(plan)
		}
	}
	if IsPool(chosen.Cloud) {
		res, pds := m.launchOnPool(ctx, t, chosen, req, log)
		return res, append(ds, pds...)
	}
	res, lds := m.launchOnCloud(ctx, t, existing, opts, req, log)
	return res, append(ds, lds...)
}

// finishRetired destroys the failed attempts of cluster that a killed
// skyplan set aside and did not finish (a reused cluster runs no fallback
// loop, which would otherwise finish them).
func (m *Manager) finishRetired(ctx context.Context, name string, log io.Writer) diag.Diagnostics {
	recs, err := m.store.ListRetired(name)
	if err != nil || len(recs) == 0 {
		return diag.Diagnostics{}.Append(err)
	}
	tc, err := m.toolchain(ctx)
	if err != nil {
		return diag.Diagnostics{}.Append(err)
	}
	return diag.Diagnostics{}.Append(provision.FinishRetired(ctx, tc, m.store, name, log, false))
}

// failedLaunch is the result of a fallback loop that brought nothing UP.
func failedLaunch(err error) *LaunchResult {
	res := &LaunchResult{NoResource: errors.Is(err, provision.ErrNoPlacement)}
	var ex *provision.ExhaustedError
	if errors.As(err, &ex) {
		res.Failures, res.NoResource = ex.Failures, true
	}
	return res
}

// withConstraints applies a use_spot override to a copy of t.
func withConstraints(t *task.Task, c Constraints) *task.Task {
	if c.UseSpot == nil {
		return t
	}
	cp := *t
	cp.Resources.Items = append([]task.Resources(nil), t.Resources.Items...)
	if len(cp.Resources.Items) == 0 {
		cp.Resources.Items = []task.Resources{{}}
	}
	for i := range cp.Resources.Items {
		cp.Resources.Items[i].UseSpot, cp.Resources.Items[i].UseSpotSet = *c.UseSpot, true
	}
	return &cp
}

func baseDirOf(req LaunchRequest) string {
	if req.BaseDir != "" {
		return req.BaseDir
	}
	if req.TaskFile != "" {
		return filepath.Dir(req.TaskFile)
	}
	if req.Task != nil && req.Task.Source.File != "" {
		return filepath.Dir(req.Task.Source.File)
	}
	return ""
}

// optimizerOptions completes the caller's options: catalog, blocked set
// and, when a task pins an SSH node pool, the pools' sizes.
func (m *Manager) optimizerOptions(t *task.Task, req LaunchRequest) (optimizer.Options, diag.Diagnostics) {
	opts := req.Optimizer
	if opts.Catalog == nil {
		cat, err := m.catalogOrLoad()
		if err != nil {
			return opts, diag.Diagnostics{}.Append(err)
		}
		opts.Catalog = cat
	}
	opts.Blocked = append(append([]optimizer.Blocked(nil), opts.Blocked...), req.Blocked...)
	if opts.SSHPools == nil {
		for _, r := range t.Resources.Items {
			if IsPool(r.Infra.Cloud) {
				pools, ds := m.pools()
				if ds.HasErrors() {
					return opts, ds
				}
				opts.SSHPools = sshpool.Sizes(pools)
				break
			}
		}
	}
	return opts, nil
}

// launchOnCloud runs the provision fallback loop for the cluster, then
// the task.
func (m *Manager) launchOnCloud(ctx context.Context, t *task.Task, existing *state.Cluster, opts optimizer.Options, req LaunchRequest, log io.Writer) (*LaunchResult, diag.Diagnostics) {
	dir := m.Dir(req.Cluster)
	if existing != nil && existing.TerraformDir != "" {
		dir = existing.TerraformDir
	}
	ws, err := m.workspace(ctx, dir, log)
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	l := &provision.Launcher{
		Cluster: req.Cluster, NumNodes: t.NumNodes, WS: ws, Store: m.store,
		Plan:         optimizerPlanner(t, opts),
		Log:          log,
		RetryUntilUp: req.RetryUntilUp,
		TaskFile:     absPath(req.TaskFile),
		Backend:      m.backendType(),
		Confirm:      req.Confirm,
	}
	if len(req.Candidates) > 0 {
		cands := append([]optimizer.Placement(nil), req.Candidates...)
		for i := range cands {
			if cands[i].NumNodes == 0 {
				cands[i].NumNodes = t.NumNodes
			}
		}
		l.Plan = provision.CandidatePlanner(cands)
	}
	if existing != nil && existing.EverUp {
		if existing.Status == state.StatusStopped {
			return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster is stopped",
				Detail: fmt.Sprintf("Cluster %q is STOPPED. Start it with `skyplan start %s`, then apply again.", req.Cluster, req.Cluster)}}
		}
		// A cluster that was UP stays where it is (SkyPilot): only its
		// previous placement is tried, and nothing is moved on failure.
		l.Plan = provision.CandidatePlanner([]optimizer.Placement{PlacementOf(existing)})
		l.NoFailover = true
	}
	ssh, sds := m.SSHSources(ctx, req.SSHCIDRs)
	if sds.HasErrors() {
		return nil, sds
	}
	fmt.Fprintln(log, ssh)
	l.Generate = m.generator(t, req.Cluster, ssh.CIDRs, req.PortsCIDRs)
	out, err := l.Launch(ctx)
	if err != nil {
		return failedLaunch(err), launchDiags(err, req.Cluster, t.NumNodes)
	}
	res := &LaunchResult{Cluster: out.Cluster, Failures: out.Failures}
	var ds diag.Diagnostics
	if !req.ProvisionOnly {
		res.Job, ds = m.runTask(ctx, out.Cluster, t, req.Detach, baseDirOf(req), log)
	}
	// Failed attempts are destroyed in the background while the cluster
	// comes up and the task runs; the command ends when they are gone.
	if err := l.WaitRetired(ctx); err != nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Summary: "A failed attempt's resources were not all destroyed", Detail: err.Error()})
	}
	return res, ds
}

func (m *Manager) backendType() string {
	if m.cfg.Backend != nil {
		return m.cfg.Backend.Type
	}
	return ""
}

// runTask uploads local bucket sources, then runs t on sc (setup + run).
func (m *Manager) runTask(ctx context.Context, sc *state.Cluster, t *task.Task, detach bool, baseDir string, log io.Writer) (*JobResult, diag.Diagnostics) {
	r, cl, err := m.runnerFor(sc, log)
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	if !IsPool(sc.Cloud) {
		if err := uploadBuckets(ctx, log, t, sc, baseDir); err != nil {
			return jobOutcome(ctx, sc, runner.Result{}, err)
		}
	}
	res, err := r.Launch(ctx, cl, t, runner.LaunchOptions{Detach: detach, BaseDir: baseDir})
	return jobOutcome(ctx, sc, res, err)
}

// jobOutcome: a job that ran and failed is a result, not a diagnostic;
// an error means skyplan could not run it (SSH, sync, interrupt). An
// interrupt leaves the cluster UP and billing: it says so (interruptedRun).
func jobOutcome(ctx context.Context, sc *state.Cluster, res runner.Result, err error) (*JobResult, diag.Diagnostics) {
	j := jobResult(sc.Name, res)
	if err != nil && ctx.Err() != nil {
		return j, diag.Diagnostics{interruptedRun(sc, j)}
	}
	if err != nil {
		var ds diag.Diagnostics
		if res.Message != "" {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: res.Message})
		}
		return j, ds.Append(err)
	}
	return j, nil
}

// generator compiles a placement of t for cluster name into a directory.
func (m *Manager) generator(t *task.Task, name string, sshCIDRs, portsCIDRs []string) provision.Generator {
	return func(p optimizer.Placement, dir string) error {
		mod, ds := m.module(t, name, p, sshCIDRs, portsCIDRs, "skyplan apply -c "+name, "", true)
		if ds.HasErrors() {
			return ds
		}
		return mod.WriteDir(dir)
	}
}

// module compiles one placement. forApply adds what only skyplan's own
// applies need: skyplan's SSH key, in the run vars file only (the module's
// files stay the same whoever compiles them), and no account checks against
// an emulator endpoint. teamKey is compile --ssh-public-key's key line, the
// one key a kept module may carry in its tfvars.
func (m *Manager) module(t *task.Task, name string, p optimizer.Placement, sshCIDRs, portsCIDRs []string, command, teamKey string, forApply bool) (*compiler.Module, diag.Diagnostics) {
	var pub string
	if forApply {
		var err error
		if _, pub, err = skyhome.EnsureSSHKey(); err != nil {
			return nil, diag.Diagnostics{}.Append(fmt.Errorf("skyplan SSH key: %w", err))
		}
	}
	if p.NumNodes == 0 {
		p.NumNodes = t.NumNodes
	}
	if p.Request == nil && p.RequestIndex < len(t.Resources.Items) {
		p.Request = &t.Resources.Items[p.RequestIndex]
	}
	in := compiler.Input{ClusterName: name, Task: t, Placement: p, SSHPublicKey: teamKey, RunSSHPublicKey: pub, SSHCIDRs: sshCIDRs, PortsCIDRs: portsCIDRs,
		SkyplanVersion: m.version, Command: command,
		AWSSkipAccountChecks: forApply && m.getenv("AWS_ENDPOINT_URL") != ""}
	if cat, err := m.catalogOrLoad(); err == nil && cat != nil {
		in.Images = cat
	}
	// The lock file of the pinned providers, from the local mirrors.
	in.ProviderHashes = compiler.MirrorHashes(provision.DefaultMirrors(m.getenv), runtime.GOOS+"_"+runtime.GOARCH,
		filepath.Join(m.home, "cache", "provider-hashes.json"))
	in.ApplyConfig(m.cfg)
	return m.compile(in)
}

// optimizerPlanner re-runs the optimizer with the blocked set.
func optimizerPlanner(t *task.Task, opts optimizer.Options) provision.Planner {
	return func(blocked []optimizer.Blocked) (*optimizer.Placement, error) {
		o := opts
		o.Blocked = append(append([]optimizer.Blocked(nil), opts.Blocked...), blocked...)
		plan, ds := optimizer.Optimize(t, o)
		if plan == nil || plan.Chosen == nil || ds.HasErrors() {
			if len(blocked) == 0 && ds.HasErrors() {
				return nil, ds
			}
			return nil, provision.ErrNoPlacement
		}
		p := *plan.Chosen
		if p.NumNodes == 0 {
			p.NumNodes = t.NumNodes
		}
		return &p, nil
	}
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func dirOf(file string) string {
	if file == "" {
		return ""
	}
	return filepath.Dir(file)
}
