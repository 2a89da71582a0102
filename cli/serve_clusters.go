package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// serveClusters is the service controller's hands (replica.Clusters):
// the same fallback loop, compiler and runner as `skyplan apply`, reached
// through the jobs controller's cluster operations (jobClusters), one
// cluster per replica. (cluster.Manager replaces both once it lands.)
type serveClusters struct {
	jc *jobClusters
	// DialTimeout bounds the SSH port probe of a pool host (default 2 s).
	DialTimeout time.Duration
}

var _ replica.Clusters = (*serveClusters)(nil)

var poolPickMu sync.Mutex

func (sc *serveClusters) dialTimeout() time.Duration {
	if sc.DialTimeout > 0 {
		return sc.DialTimeout
	}
	return 2 * time.Second
}

// Launch provisions the replica's cluster (at loc's region when given,
// with loc's use_spot) and starts the task's setup and run detached.
func (sc *serveClusters) Launch(ctx context.Context, name string, t *task.Task, loc *replica.Location) (*state.Cluster, error) {
	req := jobs.LaunchRequest{Cluster: name, Task: t}
	if loc != nil {
		spot := loc.UseSpot
		req.UseSpot = &spot
		if loc.Cloud != "" {
			req.Prefer = &jobs.Location{Cloud: loc.Cloud, Region: loc.Region, Zone: loc.Zone}
		}
	}
	if isPoolTask(t) {
		if err := sc.launchOnPool(ctx, name, t); err != nil {
			return nil, err
		}
	} else if _, err := sc.jc.Launch(ctx, req); err != nil {
		return nil, err
	}
	tt := t
	if req.UseSpot != nil {
		tt = withSpot(t, req.UseSpot)
	}
	if _, err := sc.jc.Submit(ctx, jobs.SubmitRequest{Cluster: name, Task: tt, JobName: name}); err != nil {
		return nil, fmt.Errorf("starting the replica's run: %w", err)
	}
	return sc.jc.store.GetCluster(name)
}

func isPoolTask(t *task.Task) bool {
	for _, r := range t.Resources.Items {
		if !strings.EqualFold(r.Infra.Cloud, "ssh") {
			return false
		}
	}
	return len(t.Resources.Items) > 0
}

// launchOnPool takes a free host of the pool that answers on its SSH port
// now: a replica replacing one whose machine died must not be placed on
// that dead machine again.
func (sc *serveClusters) launchOnPool(ctx context.Context, name string, t *task.Task) error {
	if got, err := sc.jc.store.GetCluster(name); err == nil && got.Status == state.StatusUp {
		return nil
	}
	pools, ds := sshpool.Load()
	if ds.HasErrors() {
		return ds
	}
	poolName := t.Resources.Items[0].Infra.Region
	pool, ok := pools[poolName]
	if !ok {
		return fmt.Errorf("SSH node pool %q is not defined in %s (defined: %v)", poolName, sshpool.Path(), sshpool.Names(pools))
	}
	// The store's lock is per process; replicas launch concurrently in
	// this one, so hosts are also picked under an in-process mutex.
	poolPickMu.Lock()
	defer poolPickMu.Unlock()
	release, err := sc.jc.store.Lock("sshpool/"+pool.Name, "serve launch")
	if err != nil {
		return err
	}
	defer release()
	n := max(1, t.NumNodes)
	clusters, err := sc.jc.store.ListClusters()
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, c := range clusters {
		if c.Cloud == "ssh" && c.Region == pool.Name {
			for _, nd := range c.Nodes {
				used[net.JoinHostPort(nd.SSHHost, strconv.Itoa(nd.SSHPort))] = true
			}
		}
	}
	var hosts []sshpool.Host
	var dead []string
	for _, h := range pool.Hosts {
		if used[h.Addr()] || len(hosts) == n {
			continue
		}
		c, err := (&net.Dialer{Timeout: sc.dialTimeout()}).DialContext(ctx, "tcp", h.Addr())
		if err != nil {
			dead = append(dead, h.Addr())
			continue
		}
		c.Close()
		hosts = append(hosts, h)
	}
	if len(hosts) < n {
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Not enough free hosts in SSH node pool",
			Detail: fmt.Sprintf("Pool %s: the replica needs %d host(s); %d are free and reachable (unreachable: %v). Add hosts to %s or bring them back.",
				pool.Name, n, len(hosts), dead, sshpool.Path())}}
	}
	rec := poolCluster(name, pool.Name, hosts, optimizer.Placement{Cloud: "ssh", Region: pool.Name, NumNodes: n})
	if err := sc.jc.store.PutCluster(rec); err != nil {
		return err
	}
	_, _ = sc.jc.store.StartLaunch(name, fmt.Sprintf("%dx ssh/%s", len(hosts), pool.Name), 0, rec.LaunchedAt)
	return nil
}

// Down stops the replica's job (on a pool the machines stay, so the
// server must not) and destroys the cluster.
func (sc *serveClusters) Down(ctx context.Context, name string) error {
	if rec, err := sc.jc.store.GetCluster(name); err == nil && rec.Cloud == "ssh" {
		if up, _ := sc.Up(ctx, name); up {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			r, cl, err := sc.jc.runnerCluster(name, nil)
			if err == nil {
				_, err = r.Cancel(cctx, cl, nil, true)
			}
			cancel()
			if err != nil {
				return fmt.Errorf("stopping the replica's run on %s: %w", name, err)
			}
		}
	}
	return sc.jc.Down(ctx, name)
}

// Up: a pool cluster is up while every host answers on its SSH port; a
// cloud cluster while a Terraform refresh finds every instance.
func (sc *serveClusters) Up(ctx context.Context, name string) (bool, error) {
	rec, err := sc.jc.store.GetCluster(name)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if rec.Cloud == "ssh" {
		for _, nd := range rec.Nodes {
			c, err := (&net.Dialer{Timeout: sc.dialTimeout()}).DialContext(ctx, "tcp", net.JoinHostPort(nd.SSHHost, strconv.Itoa(nd.SSHPort)))
			if err != nil {
				if ctx.Err() != nil {
					return false, ctx.Err()
				}
				return false, nil
			}
			c.Close()
		}
		return true, nil
	}
	h, err := sc.jc.Healthy(ctx, name)
	if err != nil {
		return false, err
	}
	return h.Up, nil
}
