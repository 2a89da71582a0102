package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// jobClusters is the jobs controller's hands (jobs.Clusters) on the
// cluster manager: the same fallback loop, compiler and runner as
// `skyplan apply`, one cluster per attempt.
type jobClusters struct {
	io    *IO // Environ and the daemon's context; Err is the daemon log
	cfg   config.Config
	store *state.Store

	once sync.Once
	m    *cluster.Manager
	err  error
}

var _ jobs.Clusters = (*jobClusters)(nil)

func (jc *jobClusters) manager() (*cluster.Manager, error) {
	jc.once.Do(func() {
		cat, _ := loadCatalog()
		// The controller polls every head each jobs.poll_seconds: one kept
		// SSH connection per node instead of a handshake per poll.
		jc.m, jc.err = cluster.New(cluster.Options{Store: jc.store, Config: jc.cfg, Log: io.Discard,
			Getenv: jc.io.Environ, Catalog: cat, Version: Version, HTTPClient: jc.io.HTTPClient, KeepConnections: true})
	})
	return jc.m, jc.err
}

func toBlocked(locs []jobs.Location) []optimizer.Blocked {
	var out []optimizer.Blocked
	for _, l := range locs {
		out = append(out, optimizer.Blocked{Cloud: l.Cloud, Region: l.Region, Zone: l.Zone, Reason: "preempted in an earlier attempt"})
	}
	return out
}

// pinned returns a copy of t whose candidates are pinned to loc's region.
func pinned(t *task.Task, loc jobs.Location) *task.Task {
	cp := *t
	cp.Resources.Items = append([]task.Resources(nil), t.Resources.Items...)
	if len(cp.Resources.Items) == 0 {
		cp.Resources.Items = []task.Resources{{}}
	}
	for i := range cp.Resources.Items {
		cp.Resources.Items[i].Infra = task.Infra{Cloud: loc.Cloud, Region: loc.Region}
	}
	return &cp
}

func (jc *jobClusters) Launch(ctx context.Context, req jobs.LaunchRequest) (*jobs.Placement, error) {
	m, err := jc.manager()
	if err != nil {
		return nil, err
	}
	if sc, ds := m.Get(req.Cluster); !ds.HasErrors() && sc.Status == state.StatusUp {
		// Up already (a previous controller died before recording it):
		// adopt it if the cloud agrees, else start clean.
		if h, herr := jc.Healthy(ctx, req.Cluster); herr == nil && h.Up {
			return placementFromState(sc), nil
		}
	}
	// A half-created cluster of this attempt (crash mid-apply) is
	// destroyed before anything new is created: one attempt, one cluster.
	if err := jc.Down(ctx, req.Cluster); err != nil {
		return nil, errors.Join(errors.New("cleaning up the interrupted launch of "+req.Cluster), err)
	}
	pl := &task.Pipeline{Tasks: []*task.Task{req.Task}}
	opts, ds := optimizerOptions(&IO{Err: io.Discard, Environ: jc.io.Environ}, pl)
	if ds.HasErrors() {
		return nil, jobs.LaunchError(jobs.ErrPrecheck, ds)
	}
	lr := cluster.LaunchRequest{Cluster: req.Cluster, Task: req.Task, Optimizer: opts, ProvisionOnly: true, Log: req.Log, SSHCIDRs: req.SSHCIDRs,
		Constraints: cluster.Constraints{Blocked: toBlocked(req.Blocked), UseSpot: req.UseSpot}}
	if req.Prefer != nil {
		// FAILOVER: the previous region first, then anywhere.
		first := lr
		first.Task = pinned(req.Task, *req.Prefer)
		if res, ds := m.Launch(ctx, first); !ds.HasErrors() {
			return placementFromState(res.Cluster), nil
		}
	}
	res, ds := m.Launch(ctx, lr)
	if ds.HasErrors() {
		if res != nil && res.NoResource {
			return nil, jobs.LaunchError(jobs.ErrNoResource, ds)
		}
		if transientLaunchError(ds.Error()) {
			return nil, ds // retried by the controller, not a verdict on the task
		}
		return nil, jobs.LaunchError(jobs.ErrPrecheck, ds)
	}
	return placementFromState(res.Cluster), nil
}

// transientLaunchError: contention inside skyplan (state.db busy, another
// process holding the cluster's lock, an interrupted run) says nothing
// about whether the task can launch; the 100-job footprint benchmark hit
// SQLITE_BUSY here.
func transientLaunchError(msg string) bool {
	for _, s := range []string{"database is locked", "SQLITE_BUSY", "Cluster is busy", "locked by another skyplan process", "context canceled"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func placementFromState(sc *state.Cluster) *jobs.Placement {
	return &jobs.Placement{Cloud: sc.Cloud, Region: sc.Region, Zone: sc.Zone, InstanceType: sc.InstanceType,
		UseSpot: sc.UseSpot, HourlyCost: sc.HourlyCost, NumNodes: sc.NumNodes}
}

func (jc *jobClusters) Submit(ctx context.Context, req jobs.SubmitRequest) (int, error) {
	m, err := jc.manager()
	if err != nil {
		return 0, err
	}
	t := *req.Task
	t.Envs = append([]task.EnvVar(nil), req.Task.Envs...)
	for _, k := range sortedKeys(req.Env) {
		v := req.Env[k]
		t.Envs = append(t.Envs, task.EnvVar{Key: k, Value: &v})
	}
	j, ds := m.Exec(ctx, cluster.ExecRequest{Cluster: req.Cluster, Task: &t, Setup: true, Detach: true,
		JobName: req.JobName, TaskID: req.TaskID, Log: orDiscard(req.Log)})
	if ds.HasErrors() {
		return 0, ds
	}
	return j.ID, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func (jc *jobClusters) FindJob(ctx context.Context, name, jobName string) (int, error) {
	m, err := jc.manager()
	if err != nil {
		return 0, err
	}
	js, ds := m.Queue(ctx, name)
	if ds.HasErrors() {
		return 0, ds
	}
	for _, j := range js {
		if j.Name == jobName {
			return j.ID, nil
		}
	}
	return 0, nil
}

func (jc *jobClusters) JobStatus(ctx context.Context, name string, id int) (jobs.HeadStatus, error) {
	m, err := jc.manager()
	if err != nil {
		return jobs.HeadStatus{}, err
	}
	ji, ds := m.JobStatus(ctx, name, id)
	if ds.HasErrors() {
		return jobs.HeadStatus{}, ds
	}
	if ji == nil {
		return jobs.HeadStatus{}, errors.New("job not found")
	}
	return jobs.HeadStatus{Status: ji.Status, ExitCode: ji.ExitCode}, nil
}

// Healthy asks the cloud whether every node of the cluster still runs
// (cluster.CheckNodes: the cloud's instance states, else a Terraform
// refresh; an SSH port probe on a pool).
func (jc *jobClusters) Healthy(ctx context.Context, name string) (jobs.Health, error) {
	m, err := jc.manager()
	if err != nil {
		return jobs.Health{}, err
	}
	if _, ds := m.Get(name); ds.HasErrors() {
		return jobs.Health{Up: false, Detail: "the cluster has no record"}, nil
	}
	res, ds := m.CheckNodes(ctx, name)
	if ds.HasErrors() {
		return jobs.Health{}, ds
	}
	h := jobs.Health{Up: len(res.Lost) == 0, Via: res.Via}
	if res.Fallback != "" {
		h.Via += " (instance states unavailable: " + res.Fallback + ")"
	}
	if !h.Up {
		h.Detail = "the cloud no longer runs " + strings.Join(res.Lost, ", ")
	}
	return h, nil
}

func (jc *jobClusters) Logs(ctx context.Context, name string, id int, follow bool, w io.Writer) error {
	m, err := jc.manager()
	if err != nil {
		return err
	}
	j, ds := m.Logs(ctx, cluster.LogsRequest{Cluster: name, JobID: id, Follow: follow, Out: w})
	if ds.HasErrors() {
		return ds
	}
	if j == nil {
		return errors.New("job not found")
	}
	return nil
}

func (jc *jobClusters) CancelJob(ctx context.Context, name string, id int) error {
	m, err := jc.manager()
	if err != nil {
		return err
	}
	_, ds := m.Cancel(ctx, name, []int{id}, false)
	return ds.Err()
}

// Down destroys the cluster (also one whose record was lost but whose
// Terraform directory holds state) and forgets it; a cluster that was
// never created is not an error.
func (jc *jobClusters) Down(ctx context.Context, name string) error {
	m, err := jc.manager()
	if err != nil {
		return err
	}
	if _, ds := m.Get(name); ds.HasErrors() {
		dir := m.Dir(name)
		_, s1 := os.Stat(filepath.Join(dir, "terraform.tfstate"))
		_, s2 := os.Stat(filepath.Join(dir, ".terraform"))
		if s1 != nil && s2 != nil {
			return nil // never created
		}
	}
	m.CloseConnections(name)
	_, ds := m.Down(ctx, cluster.DownRequest{Cluster: name, Log: io.Discard})
	if ds.HasErrors() && !isNotFound(ds) {
		return ds
	}
	return nil
}

func isNotFound(ds diag.Diagnostics) bool {
	for _, d := range ds {
		if d.Severity == diag.Error && !strings.HasPrefix(d.Summary, "No cluster named") {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
