package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// jobClusters is the jobs controller's hands (jobs.Clusters): the same
// fallback loop, compiler and runner as `skyplan apply`, one cluster per
// attempt.
type jobClusters struct {
	io    *IO // Environ and the daemon's context; Err is the daemon log
	cfg   config.Config
	store *state.Store
}

var _ jobs.Clusters = (*jobClusters)(nil)

func (jc *jobClusters) withCtx(ctx context.Context, log io.Writer) *IO {
	cp := *jc.io
	cp.Interrupted = ctx
	if log != nil {
		cp.Err = log
	}
	cp.InTTY, cp.ErrTTY = false, false
	return &cp
}

func toBlocked(locs []jobs.Location) []optimizer.Blocked {
	var out []optimizer.Blocked
	for _, l := range locs {
		out = append(out, optimizer.Blocked{Cloud: l.Cloud, Region: l.Region, Zone: l.Zone, Reason: "preempted in an earlier attempt"})
	}
	return out
}

// withSpot returns a copy of t with every candidate's use_spot set.
func withSpot(t *task.Task, spot *bool) *task.Task {
	cp := *t
	cp.Resources.Items = append([]task.Resources(nil), t.Resources.Items...)
	if spot != nil {
		for i := range cp.Resources.Items {
			cp.Resources.Items[i].UseSpot, cp.Resources.Items[i].UseSpotSet = *spot, true
		}
	}
	return &cp
}

func (jc *jobClusters) Launch(ctx context.Context, req jobs.LaunchRequest) (*jobs.Placement, error) {
	io := jc.withCtx(ctx, req.Log)
	t := withSpot(req.Task, req.UseSpot)
	if sc, err := jc.store.GetCluster(req.Cluster); err == nil && sc.Status == state.StatusUp {
		// Up already (a previous controller died before recording it):
		// adopt it if the cloud agrees, else start clean.
		if h, herr := jc.Healthy(ctx, req.Cluster); herr == nil && h.Up {
			return placementFromState(sc), nil
		}
	}
	// A half-created cluster of this attempt (crash mid-apply) is
	// destroyed before anything new is created: one attempt, one cluster.
	if err := jc.Down(ctx, req.Cluster); err != nil {
		return nil, fmt.Errorf("cleaning up the interrupted launch of %s: %w", req.Cluster, err)
	}
	pl := &task.Pipeline{Tasks: []*task.Task{t}}
	opts, ds := optimizerOptions(io, pl)
	if ds.HasErrors() {
		return nil, jobs.LaunchError(jobs.ErrPrecheck, ds)
	}
	opts.Blocked = append(opts.Blocked, toBlocked(req.Blocked)...)
	plan, pds := optimizer.Optimize(t, opts)
	if pds.HasErrors() || plan == nil || plan.Chosen == nil {
		if len(req.Blocked) > 0 {
			return nil, jobs.LaunchError(jobs.ErrNoResource, fmt.Errorf("no placement outside the blocked locations: %v", pds.Error()))
		}
		return nil, jobs.LaunchError(jobs.ErrPrecheck, fmt.Errorf("no feasible placement: %v", pds.Error()))
	}
	if plan.Chosen.Cloud == "ssh" {
		return jc.launchOnPool(t, req.Cluster, *plan.Chosen)
	}
	planner := optimizerPlanner(t, opts)
	if req.Prefer != nil {
		// FAILOVER: the previous region first, then anywhere.
		pinned := *t
		pinned.Resources.Items = append([]task.Resources(nil), t.Resources.Items...)
		for i := range pinned.Resources.Items {
			pinned.Resources.Items[i].Infra = task.Infra{Cloud: req.Prefer.Cloud, Region: req.Prefer.Region}
		}
		same := optimizerPlanner(&pinned, opts)
		general, preferring := planner, true
		planner = func(blocked []optimizer.Blocked) (*optimizer.Placement, error) {
			if preferring {
				if p, err := same(blocked); err == nil {
					return p, nil
				}
				preferring = false
			}
			return general(blocked)
		}
	}
	sess, err := openClusterSession(io, req.Cluster, "jobs launch")
	if err != nil {
		return nil, err
	}
	defer sess.close()
	l := &provision.Launcher{
		Cluster: req.Cluster, NumNodes: t.NumNodes, WS: sess.ws, Store: sess.store, Plan: planner,
		Generate: clusterGenerator(io, t, req.Cluster, sess.cfg, nil), Log: io.Err,
		Extra: map[string]string{"managed_job": "true"},
	}
	out, err := l.Launch(ctx)
	if err != nil {
		var ex *provision.ExhaustedError
		switch {
		case errors.As(err, &ex), errors.Is(err, provision.ErrNoPlacement):
			return nil, jobs.LaunchError(jobs.ErrNoResource, err)
		}
		var d diag.Diagnostics
		if errors.As(err, &d) {
			return nil, jobs.LaunchError(jobs.ErrPrecheck, err)
		}
		return nil, err
	}
	return placementFromState(out.Cluster), nil
}

func (jc *jobClusters) launchOnPool(t *task.Task, name string, chosen optimizer.Placement) (*jobs.Placement, error) {
	pools, ds := sshpool.Load()
	if ds.HasErrors() {
		return nil, jobs.LaunchError(jobs.ErrPrecheck, ds)
	}
	pool, ok := pools[chosen.Region]
	if !ok {
		return nil, jobs.LaunchError(jobs.ErrPrecheck, fmt.Errorf("SSH node pool %q is not defined in %s", chosen.Region, sshpool.Path()))
	}
	release, err := jc.store.Lock("cluster/"+name, "jobs launch")
	if err != nil {
		return nil, err
	}
	defer release()
	hosts, err := freeHosts(jc.store, pool, max(1, t.NumNodes))
	if err != nil {
		return nil, jobs.LaunchError(jobs.ErrNoResource, err)
	}
	sc := poolCluster(name, pool.Name, hosts, chosen)
	if err := jc.store.PutCluster(sc); err != nil {
		return nil, err
	}
	_, _ = jc.store.StartLaunch(name, fmt.Sprintf("%dx ssh/%s", len(hosts), pool.Name), 0, sc.LaunchedAt)
	return placementFromState(sc), nil
}

func placementFromState(sc *state.Cluster) *jobs.Placement {
	return &jobs.Placement{Cloud: sc.Cloud, Region: sc.Region, Zone: sc.Zone, InstanceType: sc.InstanceType,
		UseSpot: sc.UseSpot, HourlyCost: sc.HourlyCost, NumNodes: sc.NumNodes}
}

func (jc *jobClusters) runnerCluster(name string, log io.Writer) (*runner.Runner, *runner.Cluster, error) {
	sc, err := jc.store.GetCluster(name)
	if err != nil {
		return nil, nil, err
	}
	cl, err := runner.ClusterFromState(sc, jc.cfg)
	if err != nil {
		return nil, nil, err
	}
	if log == nil {
		log = io.Discard
	}
	return &runner.Runner{Stderr: log, Store: jc.store}, cl, nil
}

func (jc *jobClusters) Submit(ctx context.Context, req jobs.SubmitRequest) (int, error) {
	r, cl, err := jc.runnerCluster(req.Cluster, req.Log)
	if err != nil {
		return 0, err
	}
	t := *req.Task
	t.Envs = append([]task.EnvVar(nil), req.Task.Envs...)
	for _, k := range sortedKeys(req.Env) {
		v := req.Env[k]
		t.Envs = append(t.Envs, task.EnvVar{Key: k, Value: &v})
	}
	baseDir := ""
	if t.Source.File != "" {
		baseDir = filepath.Dir(t.Source.File)
	}
	res, err := r.Launch(ctx, cl, &t, runner.LaunchOptions{Detach: true, JobName: req.JobName, TaskID: req.TaskID, BaseDir: baseDir})
	if err != nil {
		return 0, err
	}
	return res.JobID, nil
}

func (jc *jobClusters) FindJob(ctx context.Context, cluster, name string) (int, error) {
	r, cl, err := jc.runnerCluster(cluster, nil)
	if err != nil {
		return 0, err
	}
	js, err := r.Queue(ctx, cl, nil)
	if err != nil {
		return 0, err
	}
	for _, j := range js {
		if j.Name == name {
			return j.ID, nil
		}
	}
	return 0, nil
}

func (jc *jobClusters) JobStatus(ctx context.Context, cluster string, id int) (jobs.HeadStatus, error) {
	r, cl, err := jc.runnerCluster(cluster, nil)
	if err != nil {
		return jobs.HeadStatus{}, err
	}
	ji, err := r.JobStatus(ctx, cl, id)
	if err != nil {
		return jobs.HeadStatus{}, err
	}
	return jobs.HeadStatus{Status: ji.Status, ExitCode: ji.ExitCode}, nil
}

// Healthy refreshes the cluster's Terraform state against the cloud: an
// instance that was terminated or stopped shows up as drift.
func (jc *jobClusters) Healthy(ctx context.Context, cluster string) (jobs.Health, error) {
	sc, err := jc.store.GetCluster(cluster)
	if errors.Is(err, state.ErrNotFound) {
		return jobs.Health{Up: false, Detail: "the cluster has no record"}, nil
	}
	if err != nil {
		return jobs.Health{}, err
	}
	if sc.Cloud == "ssh" {
		// A pool's hosts are not preemptible and have no cloud to ask.
		return jobs.Health{Up: true}, nil
	}
	dir := sc.Extra["terraform_dir"]
	if dir == "" {
		dir = skyhome.ClusterDir(cluster)
	}
	ws, err := openWorkspace(jc.withCtx(ctx, io.Discard), dir)
	if err != nil {
		return jobs.Health{}, err
	}
	if err := ws.Init(ctx); err != nil {
		return jobs.Health{}, err
	}
	_, res, err := ws.Plan(ctx, provision.PlanOptions{RefreshOnly: true})
	if err != nil {
		return jobs.Health{}, err
	}
	var gone []string
	for _, d := range res.Drift {
		if strings.Contains(d, "instance") {
			gone = append(gone, d)
		}
	}
	if len(gone) > 0 {
		return jobs.Health{Up: false, Detail: "the cloud no longer runs " + strings.Join(gone, ", ")}, nil
	}
	return jobs.Health{Up: true}, nil
}

func (jc *jobClusters) Logs(ctx context.Context, cluster string, id int, follow bool, w io.Writer) error {
	r, cl, err := jc.runnerCluster(cluster, nil)
	if err != nil {
		return err
	}
	_, err = r.Logs(ctx, cl, id, follow, w)
	return err
}

func (jc *jobClusters) CancelJob(ctx context.Context, cluster string, id int) error {
	r, cl, err := jc.runnerCluster(cluster, nil)
	if err != nil {
		return err
	}
	_, err = r.Cancel(ctx, cl, []int{id}, false)
	return err
}

// Down destroys the cluster (also one whose record was lost but whose
// Terraform directory holds state) and forgets it.
func (jc *jobClusters) Down(ctx context.Context, cluster string) error {
	io := jc.withCtx(ctx, io.Discard)
	release, err := lockCluster(jc.store, cluster, "jobs teardown")
	if err != nil {
		return err
	}
	defer release()
	sc, err := jc.store.GetCluster(cluster)
	dir := skyhome.ClusterDir(cluster)
	switch {
	case errors.Is(err, state.ErrNotFound):
		if _, serr := os.Stat(filepath.Join(dir, "terraform.tfstate")); serr != nil {
			if _, serr := os.Stat(filepath.Join(dir, ".terraform")); serr != nil {
				return nil // never created
			}
		}
	case err != nil:
		return err
	case sc.Cloud == "ssh":
		_ = jc.store.EndLaunch(cluster, "TERMINATED", timeNow())
		return jc.store.DeleteCluster(cluster)
	default:
		if d := sc.Extra["terraform_dir"]; d != "" {
			dir = d
		}
	}
	if _, err := os.Stat(dir); err != nil {
		return jc.store.DeleteCluster(cluster)
	}
	ws, err := openWorkspace(io, dir)
	if err != nil {
		return err
	}
	if err := provision.Down(ctx, ws, jc.store, cluster); err != nil {
		return err
	}
	return jc.store.DeleteCluster(cluster)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
