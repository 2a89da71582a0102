package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// launchOnSSHPool runs a task on an SSH node pool (placement cloud "ssh",
// region = pool name): no Terraform; it picks num_nodes hosts not held by
// another UP cluster of the pool, records the cluster UP in state, then
// runs setup and run through the runner. It returns Exit(job exit code).
func launchOnSSHPool(c *cli.Context, io *IO, t *task.Task, chosen optimizer.Placement, clusterName string, detach bool) error {
	pools, ds := sshpool.Load()
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	pool, ok := pools[chosen.Region]
	if !ok {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "SSH node pool not found",
			Detail: fmt.Sprintf("Pool %q is not defined in %s. Defined pools: %v.", chosen.Region, sshpool.Path(), sshpool.Names(pools))}})
	}
	numNodes := t.NumNodes
	if numNodes < 1 {
		numNodes = 1
	}
	store, err := state.Open(skyhome.StateDB())
	if err != nil {
		return err
	}
	defer store.Close()
	release, err := store.Lock("cluster/"+clusterName, "apply")
	if err != nil {
		return err
	}
	defer release()
	sc, err := store.GetCluster(clusterName)
	switch {
	case errors.Is(err, state.ErrNotFound):
		hosts, err := freeHosts(store, pool, numNodes)
		if err != nil {
			return err
		}
		sc = poolCluster(clusterName, pool.Name, hosts, chosen)
		if err := store.PutCluster(sc); err != nil {
			return err
		}
		_, _ = store.StartLaunch(clusterName, fmt.Sprintf("%dx ssh/%s", numNodes, pool.Name), 0, sc.LaunchedAt)
	case err != nil:
		return err
	case sc.Cloud != "ssh" || sc.Region != pool.Name:
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster exists elsewhere",
			Detail: fmt.Sprintf("Cluster %q runs on %s/%s, not on SSH node pool %s. Use another -c name or `skyplan down %s` first.",
				clusterName, sc.Cloud, sc.Region, pool.Name, clusterName)}})
	case len(sc.Nodes) < numNodes:
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Task does not fit the existing cluster",
			Detail: fmt.Sprintf("Task needs %d nodes; cluster %q has %d. Use a new cluster name.", numNodes, clusterName, len(sc.Nodes))}})
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	cl, err := runner.ClusterFromState(sc, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Err, "Running on SSH node pool %s: %d node(s), cluster %s.\n", pool.Name, len(cl.Nodes), clusterName)
	r := &runner.Runner{Stderr: io.Err, Store: store}
	// Local paths in the task are already absolute (the parser resolves
	// them against the working directory, as SkyPilot).
	res, err := r.Launch(io.Interrupted, cl, t, runner.LaunchOptions{Detach: detach})
	return jobResult(io, clusterName, res, err, detach)
}

// freeHosts picks n hosts of the pool not used by other clusters in state.
func freeHosts(store *state.Store, pool *sshpool.Pool, n int) ([]sshpool.Host, error) {
	clusters, err := store.ListClusters()
	if err != nil {
		return nil, err
	}
	used := map[string]string{}
	for _, c := range clusters {
		if c.Cloud != "ssh" || c.Region != pool.Name {
			continue
		}
		for _, nd := range c.Nodes {
			used[fmt.Sprintf("%s:%d", nd.SSHHost, nd.SSHPort)] = c.Name
		}
	}
	var free []sshpool.Host
	for _, h := range pool.Hosts {
		if _, taken := used[fmt.Sprintf("%s:%d", h.IP, h.Port)]; !taken {
			free = append(free, h)
		}
	}
	if len(free) < n {
		return nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Not enough free hosts in SSH node pool",
			Detail: fmt.Sprintf("Pool %s has %d hosts, %d free; the task needs %d. Tear down a cluster on the pool (`skyplan down`) or add hosts to %s.",
				pool.Name, len(pool.Hosts), len(free), n, sshpool.Path())}})
	}
	return free[:n], nil
}

func poolCluster(name, pool string, hosts []sshpool.Host, chosen optimizer.Placement) *state.Cluster {
	c := &state.Cluster{Name: name, Status: state.StatusUp, Cloud: "ssh", Region: pool,
		InstanceType: chosen.InstanceType, Accelerators: chosen.Accelerators, NumNodes: len(hosts),
		LaunchedAt: time.Now(), Extra: map[string]string{"ssh_pool": pool}}
	for i, h := range hosts {
		c.Nodes = append(c.Nodes, state.Node{Rank: i, InstanceID: h.Addr(), PrivateIP: h.IP, PublicIP: h.IP,
			SSHUser: h.User, SSHHost: h.IP, SSHPort: h.Port, IdentityFile: h.IdentityFile})
	}
	return c
}
