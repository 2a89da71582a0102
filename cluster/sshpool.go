package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/skyplan/skyplan/cloud"
	sshpoolcloud "github.com/skyplan/skyplan/cloud/sshpool"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// SSH node pools (placement cloud "ssh", region = pool name) are the
// provisioner without Terraform: Launch takes num_nodes hosts that no
// other cluster of the pool holds and records the cluster UP; Down
// releases them. skyplan creates and destroys nothing on the hosts.

// launchOnPool runs the task on an SSH node pool. The caller holds the
// cluster's lock.
func (m *Manager) launchOnPool(ctx context.Context, t *task.Task, chosen optimizer.Placement, req LaunchRequest, log io.Writer) (*LaunchResult, diag.Diagnostics) {
	pools, ds := m.pools()
	if ds.HasErrors() {
		return nil, ds
	}
	pool, ok := pools[chosen.Region]
	if !ok {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "SSH node pool not found",
			Detail: fmt.Sprintf("Pool %q is not defined in %s. Defined pools: %v.", chosen.Region, sshpool.Path(), sshpool.Names(pools))}}
	}
	numNodes := max(t.NumNodes, 1)
	sc, err := m.store.GetCluster(req.Cluster)
	switch {
	case errors.Is(err, state.ErrNotFound):
		if req.Confirm != nil {
			ok, err := req.Confirm(chosen, nil)
			if err != nil {
				return nil, diag.Diagnostics{}.Append(err)
			}
			if !ok {
				return nil, diag.Diagnostics{aborted()}
			}
		}
		if sc, ds = m.takeHosts(ctx, req.Cluster, pool, numNodes, chosen); ds.HasErrors() {
			return nil, ds
		}
		sc.TaskFile = absPath(req.TaskFile)
		if err := m.store.PutCluster(sc); err != nil {
			return nil, diag.Diagnostics{}.Append(err)
		}
	case err != nil:
		return nil, diag.Diagnostics{}.Append(err)
	case !IsPool(sc.Cloud) || sc.Region != pool.Name:
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster exists elsewhere",
			Detail: fmt.Sprintf("Cluster %q runs on %s/%s, not on SSH node pool %s. Use another -c name or `skyplan down %s` first.",
				req.Cluster, sc.Cloud, sc.Region, pool.Name, req.Cluster)}}
	case len(sc.Nodes) < numNodes:
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Task does not fit the existing cluster",
			Detail: fmt.Sprintf("Task needs %d nodes; cluster %q has %d. Use a new cluster name.", numNodes, req.Cluster, len(sc.Nodes))}}
	}
	res := &LaunchResult{Cluster: sc}
	if req.ProvisionOnly {
		return res, nil
	}
	fmt.Fprintf(log, "Running on SSH node pool %s: %d node(s), cluster %s.\n", pool.Name, len(sc.Nodes), req.Cluster)
	// Local paths in the task are already absolute (the parser resolves
	// them against the working directory, as SkyPilot).
	res.Job, ds = m.runTask(ctx, sc, t, req.Detach, "", log)
	return res, ds
}

// takeHosts records cluster name UP on n free hosts of the pool. Two
// clusters launched at once never get the same host: choosing and
// recording happen under the pool's lock (in this process and across
// processes).
func (m *Manager) takeHosts(ctx context.Context, name string, pool *sshpool.Pool, n int, chosen optimizer.Placement) (*state.Cluster, diag.Diagnostics) {
	poolPickMu.Lock()
	defer poolPickMu.Unlock()
	var release func() error
	for {
		var err error
		release, err = m.store.Lock("sshpool/"+pool.Name, "apply "+name)
		if err == nil {
			break
		}
		if !errors.Is(err, state.ErrLocked) {
			return nil, diag.Diagnostics{}.Append(err)
		}
		select { // another process is choosing hosts: a moment's work
		case <-ctx.Done():
			return nil, diag.Diagnostics{}.Append(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer release()
	hosts, ds := m.freeHosts(ctx, pool, n)
	if ds.HasErrors() {
		return nil, ds
	}
	sc := poolCluster(name, pool.Name, hosts, chosen)
	if err := m.store.PutCluster(sc); err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	_, _ = m.store.StartLaunch(name, fmt.Sprintf("%dx ssh/%s", n, pool.Name), 0, sc.LaunchedAt)
	return sc, nil
}

// freeHosts picks n reachable hosts of the pool not used by other clusters in state.
func (m *Manager) freeHosts(ctx context.Context, pool *sshpool.Pool, n int) ([]sshpool.Host, diag.Diagnostics) {
	clusters, err := m.store.ListClusters()
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	used := map[string]string{}
	for _, c := range clusters {
		if !IsPool(c.Cloud) || c.Region != pool.Name {
			continue
		}
		for _, nd := range c.Nodes {
			used[fmt.Sprintf("%s:%d", nd.SSHHost, nd.SSHPort)] = c.Name
		}
	}
	// A free host that does not answer on its SSH port is skipped: a
	// cluster replacing one whose machine died must not land on it again.
	var free []sshpool.Host
	var dead []string
	for _, h := range pool.Hosts {
		if _, taken := used[fmt.Sprintf("%s:%d", h.IP, h.Port)]; taken || len(free) == n {
			continue
		}
		if c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", h.Addr()); err != nil {
			dead = append(dead, h.Addr())
			continue
		} else {
			c.Close()
		}
		free = append(free, h)
	}
	if len(free) < n {
		unreachable := ""
		if len(dead) > 0 {
			unreachable = fmt.Sprintf(" (unreachable: %s)", strings.Join(dead, ", "))
		}
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Not enough free hosts in SSH node pool",
			Detail: fmt.Sprintf("Pool %s has %d hosts, %d free and reachable%s; the task needs %d. Tear down a cluster on the pool (`skyplan down`) or add hosts to %s.",
				pool.Name, len(pool.Hosts), len(free), unreachable, n, sshpool.Path())}}
	}
	return free, nil
}

func poolCluster(name, pool string, hosts []sshpool.Host, chosen optimizer.Placement) *state.Cluster {
	c := &state.Cluster{Name: name, Status: state.StatusUp, Cloud: PoolCloud, Region: pool,
		InstanceType: chosen.InstanceType, Accelerators: chosen.Accelerators, NumNodes: len(hosts),
		LaunchedAt: time.Now(), SSHPool: pool}
	for i, h := range hosts {
		c.Nodes = append(c.Nodes, state.Node{Rank: i, InstanceID: h.Addr(), PrivateIP: h.IP, PublicIP: h.IP,
			SSHUser: h.User, SSHHost: h.IP, SSHPort: h.Port, IdentityFile: h.IdentityFile})
	}
	return c
}

// PoolSizes is the number of hosts of every SSH node pool in
// $SKYPLAN_HOME/ssh_node_pools.yaml (the optimizer's SSHPools option).
func PoolSizes() (map[string]int, diag.Diagnostics) { return sshpool.PoolSizes() }

// PoolCloud is the placement cloud of SSH node pools (the pool's name is
// the region), as SkyPilot's `infra: ssh/POOL`.
var PoolCloud = sshpoolcloud.Cloud{}.Name()

// IsPool reports whether the cloud called name is made of node pools (the
// registry's answer).
func IsPool(name string) bool { return cloud.IsNodePool(strings.ToLower(name)) }
