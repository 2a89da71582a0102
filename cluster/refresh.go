package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
)

// RefreshRequest is one Refresh.
type RefreshRequest struct {
	Cluster string
	Log     io.Writer // default: the Manager's Log
	// DialTimeout bounds each SSH node pool host probe (default 5s).
	DialTimeout time.Duration
}

// RefreshResult is a cluster's observed state.
type RefreshResult struct {
	// Cluster is the record after the refresh (its Status follows drift).
	Cluster *state.Cluster
	// Drift lists what changed outside skyplan: Terraform addresses of
	// resources that are gone or changed (an instance terminated by a
	// spot preemption), or "node N (host:port) unreachable" on a pool.
	Drift []string
}

// Refresh compares a cluster with the cloud: a refresh-only Terraform plan
// for a cloud cluster, an SSH port probe of every host for a node pool.
// A cluster that drifted is recorded INIT (not healthy) with its Drift; a
// pool cluster whose hosts all answer again is UP.
func (m *Manager) Refresh(ctx context.Context, req RefreshRequest) (*RefreshResult, diag.Diagnostics) {
	release, ds := m.lock(req.Cluster, "refresh")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	sc, ds := m.Get(req.Cluster)
	if ds.HasErrors() {
		return nil, ds
	}
	var drift []string
	if IsPool(sc.Cloud) {
		drift = probeNodes(ctx, sc, req.DialTimeout)
	} else {
		dir := sc.TerraformDir
		if dir == "" {
			dir = m.Dir(sc.Name)
		}
		ws, err := m.workspace(ctx, dir, m.logTo(req.Log))
		if err != nil {
			return nil, ds.Append(err)
		}
		if err := ws.Init(ctx); err != nil {
			return nil, terraformDiags(err, sc.Name)
		}
		_, res, err := ws.Plan(ctx, provision.PlanOptions{RefreshOnly: true})
		if err != nil {
			return nil, terraformDiags(err, sc.Name)
		}
		drift = res.Drift
	}
	changed := false
	switch {
	case len(drift) > 0 && sc.Status == state.StatusUp:
		sc.Status, sc.Drift, changed = state.StatusInit, drift, true
	case len(drift) == 0 && IsPool(sc.Cloud) && sc.Status == state.StatusInit && len(sc.Drift) > 0:
		sc.Status, sc.Drift, changed = state.StatusUp, nil, true
	}
	if changed {
		if err := m.store.PutCluster(sc); err != nil {
			return nil, ds.Append(err)
		}
	}
	return &RefreshResult{Cluster: sc, Drift: drift}, nil
}

// probeNodes dials every node's SSH port in parallel.
func probeNodes(ctx context.Context, sc *state.Cluster, timeout time.Duration) []string {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	out := make([]string, len(sc.Nodes))
	var wg sync.WaitGroup
	for i, n := range sc.Nodes {
		host, port := n.SSHHost, n.SSHPort
		if host == "" {
			host = n.PublicIP
		}
		if port == 0 {
			port = 22
		}
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: timeout}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				out[i] = fmt.Sprintf("node %d (%s) unreachable", n.Rank, addr)
				return
			}
			c.Close()
		}()
	}
	wg.Wait()
	var drift []string
	for _, d := range out {
		if d != "" {
			drift = append(drift, d)
		}
	}
	return drift
}
