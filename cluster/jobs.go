package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// ExecRequest submits a task's run section as a new job on an UP cluster.
type ExecRequest struct {
	Cluster string
	Task    *task.Task
	// Detach returns once the job is submitted (JobResult.Status PENDING);
	// otherwise Exec streams the logs to Log and waits for the job.
	Detach bool
	// Setup runs the whole task as launch does (workdir, file mounts,
	// bucket uploads, setup, run) instead of only run: a controller's
	// submission to a cluster it launched with ProvisionOnly.
	Setup bool
	// JobName names the job on the head (default: the task's name).
	JobName string
	// TaskID is SKYPILOT_TASK_ID (default: one per job); a managed job
	// keeps one across recoveries.
	TaskID string
	Log    io.Writer // default: the Manager's Log
}

// Exec syncs the workdir and runs the task's run section as a new job on
// the cluster's head (no setup, no file mounts: SkyPilot's `sky exec`;
// with Setup, the whole task as launch runs it).
// A job that ran and failed is a JobResult with a non-zero ExitCode, not
// an error diagnostic.
func (m *Manager) Exec(ctx context.Context, req ExecRequest) (*JobResult, diag.Diagnostics) {
	if req.Task == nil || (strings.TrimSpace(req.Task.Run) == "" && !req.Setup) {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Nothing to run",
			Detail: "The task has no `run` section; exec runs only `run` (setup runs at launch)."}}
	}
	sc, ds := m.upCluster(req.Cluster, true)
	if ds.HasErrors() {
		return nil, ds
	}
	t := req.Task
	if t.Workdir != nil && t.Workdir.Path != "" && !filepath.IsAbs(t.Workdir.Path) {
		cp, wd := *t, *t.Workdir
		wd.Path = absPath(wd.Path)
		cp.Workdir = &wd
		t = &cp
	}
	log := m.logTo(req.Log)
	r, cl, err := m.runnerFor(sc, log)
	if err != nil {
		return nil, ds.Append(err)
	}
	opts := runner.LaunchOptions{Detach: req.Detach, JobName: req.JobName, TaskID: req.TaskID}
	if !req.Setup {
		res, err := r.Exec(ctx, cl, t, opts)
		return jobOutcome(ctx, sc, res, err)
	}
	opts.BaseDir = dirOf(t.Source.File)
	if !IsPool(sc.Cloud) {
		if err := uploadBuckets(ctx, log, t, sc, opts.BaseDir); err != nil {
			return jobOutcome(ctx, sc, runner.Result{}, err)
		}
	}
	res, err := r.Launch(ctx, cl, t, opts)
	return jobOutcome(ctx, sc, res, err)
}

// upCluster loads a cluster that must exist (and be UP when needUp).
func (m *Manager) upCluster(name string, needUp bool) (*state.Cluster, diag.Diagnostics) {
	if name == "" {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing cluster name",
			Detail: "Name the cluster as the first argument; `skyplan status` lists them."}}
	}
	sc, err := m.store.GetCluster(name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster not found",
			Detail: fmt.Sprintf("Cluster %q does not exist. `skyplan status` lists clusters; `skyplan apply -c %s TASK.yaml` creates it.", name, name)}}
	}
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	if needUp && sc.Status != state.StatusUp {
		fix := fmt.Sprintf("Start it with `skyplan start %s` first.", name)
		if sc.Status == state.StatusInit {
			fix = fmt.Sprintf("Interrupted apply: run `skyplan apply` again or `skyplan down %s`.", name)
		}
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster is not UP",
			Detail: fmt.Sprintf("Cluster %q is %s. %s", name, sc.Status, fix)}}
	}
	return sc, nil
}

func (m *Manager) headRunner(name string, log io.Writer) (*runner.Runner, *runner.Cluster, diag.Diagnostics) {
	sc, ds := m.upCluster(name, false)
	if ds.HasErrors() {
		return nil, nil, ds
	}
	r, cl, err := m.runnerFor(sc, log)
	if err != nil {
		return nil, nil, ds.Append(err)
	}
	return r, cl, nil
}

// Queue lists the cluster's jobs from its head, merging every node's view.
// Unreachable workers come back as warnings.
func (m *Manager) Queue(ctx context.Context, cluster string) ([]JobInfo, diag.Diagnostics) {
	r, cl, ds := m.headRunner(cluster, nil)
	if ds.HasErrors() {
		return nil, ds
	}
	jobs, err := r.Queue(ctx, cl, func(msg string) {
		ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Summary: msg})
	})
	if err != nil {
		return nil, ds.Append(err)
	}
	return jobs, ds
}

// JobStatus returns job id (0 = the latest) on the cluster. A job the
// head does not know is (nil, no error diagnostics).
func (m *Manager) JobStatus(ctx context.Context, cluster string, id int) (*JobInfo, diag.Diagnostics) {
	r, cl, ds := m.headRunner(cluster, nil)
	if ds.HasErrors() {
		return nil, ds
	}
	j, err := r.JobStatus(ctx, cl, id)
	if errors.Is(err, runner.ErrJobNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, ds.Append(err)
	}
	return &j, nil
}

// LogsRequest prints a job's logs.
type LogsRequest struct {
	Cluster string
	JobID   int // 0 = the latest job
	// Follow streams until the job ends; otherwise what is there is
	// printed and Logs returns.
	Follow bool
	Out    io.Writer // where the (redacted, node-prefixed) logs go
}

// Logs writes a job's logs to req.Out and returns the job's status when
// they end. A job the head does not know is (nil, no error diagnostics).
func (m *Manager) Logs(ctx context.Context, req LogsRequest) (*JobInfo, diag.Diagnostics) {
	r, cl, ds := m.headRunner(req.Cluster, nil)
	if ds.HasErrors() {
		return nil, ds
	}
	out := req.Out
	if out == nil {
		out = io.Discard
	}
	j, err := r.Logs(ctx, cl, req.JobID, req.Follow, out)
	if errors.Is(err, runner.ErrJobNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, ds.Append(err)
	}
	return &j, nil
}

// Cancel stops jobs ids (all unfinished ones with all) on every node and
// returns the ids it cancelled.
func (m *Manager) Cancel(ctx context.Context, cluster string, ids []int, all bool) ([]int, diag.Diagnostics) {
	r, cl, ds := m.headRunner(cluster, nil)
	if ds.HasErrors() {
		return nil, ds
	}
	done, err := r.Cancel(ctx, cl, ids, all)
	if err != nil {
		return nil, ds.Append(err)
	}
	return done, nil
}
