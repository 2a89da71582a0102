package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// serveClusters is the service controller's hands (replica.Clusters): the
// cluster manager, reached through the jobs controller's operations
// (jobClusters: adopt an UP cluster, clean up a half-created one), one
// cluster per replica.
type serveClusters struct {
	jc *jobClusters
	// locks serialise Up and Down of one cluster: a teardown waits for a
	// refresh in flight instead of failing on the cluster's lock.
	locks sync.Map // cluster name → *sync.Mutex
	// DialTimeout bounds the SSH port probe of a pool host (default 2 s).
	DialTimeout time.Duration
}

var (
	_ replica.Clusters = (*serveClusters)(nil)
	_ replica.LogSaver = (*serveClusters)(nil)
)

func (sc *serveClusters) dialTimeout() time.Duration {
	if sc.DialTimeout > 0 {
		return sc.DialTimeout
	}
	return 2 * time.Second
}

// Launch provisions the replica's cluster (with loc's use_spot when loc
// is given) and starts the task's setup and run detached. A location the
// spot placer chose is a constraint, not a hint: the cluster is launched
// in that zone only, and if it cannot be, the launch fails, so the placer
// marks the zone and the next replica goes elsewhere (SkyServe's
// dynamic_fallback; a provisioner falling over to the next zone by itself
// would hide the zone's failure from the placer and crowd replicas into
// one zone). On a pool, only hosts that answer on their SSH port now are
// taken: a replica replacing one whose machine died is not placed on that
// machine again.
func (sc *serveClusters) Launch(ctx context.Context, name string, t *task.Task, loc *replica.Location) (*state.Cluster, error) {
	req := jobs.LaunchRequest{Cluster: name, Task: t}
	if loc != nil {
		spot := loc.UseSpot
		req.UseSpot = &spot
		if loc.Cloud != "" && !isPoolTask(t) {
			req.Task = pinnedTo(t, *loc)
		}
	}
	if _, err := sc.jc.Launch(ctx, req); err != nil {
		return nil, err
	}
	tt := t
	if req.UseSpot != nil {
		tt = withSpot(t, *req.UseSpot)
	}
	if _, err := sc.jc.Submit(ctx, jobs.SubmitRequest{Cluster: name, Task: tt, JobName: name}); err != nil {
		return nil, fmt.Errorf("starting the replica's run: %w", err)
	}
	return sc.jc.store.GetCluster(name)
}

// pinnedTo returns a copy of t whose candidates are pinned to loc's cloud,
// region and zone (candidates of other clouds are dropped).
func pinnedTo(t *task.Task, loc replica.Location) *task.Task {
	cp := *t
	cp.Resources.Items = nil
	for _, r := range t.Resources.Items {
		if r.Infra.Cloud == "" || r.Infra.Cloud == loc.Cloud {
			cp.Resources.Items = append(cp.Resources.Items, r)
		}
	}
	if len(cp.Resources.Items) == 0 {
		cp.Resources.Items = []task.Resources{{}}
	}
	for i := range cp.Resources.Items {
		cp.Resources.Items[i].Infra = task.Infra{Cloud: loc.Cloud, Region: loc.Region, Zone: loc.Zone}
	}
	return &cp
}

// withSpot returns a copy of t with every candidate's use_spot set.
func withSpot(t *task.Task, spot bool) *task.Task {
	cp := *t
	cp.Resources.Items = append([]task.Resources(nil), t.Resources.Items...)
	for i := range cp.Resources.Items {
		cp.Resources.Items[i].UseSpot, cp.Resources.Items[i].UseSpotSet = spot, true
	}
	return &cp
}

func isPoolTask(t *task.Task) bool {
	for _, r := range t.Resources.Items {
		if !cluster.IsPool(r.Infra.Cloud) {
			return false
		}
	}
	return len(t.Resources.Items) > 0
}

// Down stops the replica's job (on a pool the machines stay, so the
// server must not) and destroys the cluster.
func (sc *serveClusters) Down(ctx context.Context, name string) error {
	unlock := sc.lock(name)
	defer unlock()
	m, err := sc.jc.manager()
	if err != nil {
		return err
	}
	if rec, ds := m.Get(name); !ds.HasErrors() && cluster.IsPool(rec.Cloud) {
		if up, _ := sc.up(ctx, name); up {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, ds := m.Cancel(cctx, name, nil, true)
			cancel()
			if ds.HasErrors() {
				return fmt.Errorf("stopping the replica's run on %s: %w", name, ds)
			}
		}
	}
	return sc.jc.Down(ctx, name)
}

// Up: a pool cluster is up while every host answers on its SSH port; a
// cloud cluster while a Terraform refresh finds every instance.
func (sc *serveClusters) Up(ctx context.Context, name string) (bool, error) {
	unlock := sc.lock(name)
	defer unlock()
	return sc.up(ctx, name)
}

func (sc *serveClusters) lock(name string) func() {
	mu, _ := sc.locks.LoadOrStore(name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

func (sc *serveClusters) up(ctx context.Context, name string) (bool, error) {
	m, err := sc.jc.manager()
	if err != nil {
		return false, err
	}
	rec, ds := m.Get(name)
	if ds.HasErrors() {
		return false, nil
	}
	if cluster.IsPool(rec.Cloud) {
		rf, ds := m.Refresh(ctx, cluster.RefreshRequest{Cluster: name, DialTimeout: sc.dialTimeout()})
		if ds.HasErrors() {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, ds
		}
		return len(rf.Drift) == 0, nil
	}
	h, err := sc.jc.Healthy(ctx, name)
	if err != nil {
		return false, err
	}
	return h.Up, nil
}

// Logs writes the replica's run logs (the latest job on its cluster) to w,
// for the copy the controller keeps before a teardown.
func (sc *serveClusters) Logs(ctx context.Context, name string, w io.Writer) error {
	return sc.jc.Logs(ctx, name, 0, false, w)
}
