package cluster

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
)

// PowerRequest is one Stop or Start.
type PowerRequest struct {
	Cluster string
	// Confirm, when set, is asked after the checks and before anything
	// changes; false aborts.
	Confirm func(sc *state.Cluster) (bool, error)
	Log     io.Writer // default: the Manager's Log
}

// PowerResult is the cluster after Stop or Start.
type PowerResult struct {
	Cluster *state.Cluster
	// Unchanged: the cluster was already in the wanted state.
	Unchanged bool
}

// Stop stops a cluster's instances through Terraform, keeping their disks.
// Clouds and markets skyplan cannot stop are refused with the reason,
// never touched behind Terraform's back.
func (m *Manager) Stop(ctx context.Context, req PowerRequest) (*PowerResult, diag.Diagnostics) {
	return m.power(ctx, req, false)
}

// Start starts a stopped cluster in the same place and records its new
// addresses.
func (m *Manager) Start(ctx context.Context, req PowerRequest) (*PowerResult, diag.Diagnostics) {
	return m.power(ctx, req, true)
}

// StopRefusal says why cluster sc cannot be stopped or started by skyplan
// (nil when it can).
func StopRefusal(sc *state.Cluster, verb string) *diag.Diagnostic {
	ok, reason := cloud.CanStop(sc.Cloud, sc.UseSpot)
	if ok {
		return nil
	}
	if IsPool(sc.Cloud) {
		reason = "SSH node pool hosts are not managed by skyplan"
	}
	return &diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("skyplan %s is not supported for cluster %s", verb, sc.Name),
		Detail: fmt.Sprintf("%s (%s): %s. Use `skyplan down %s` to stop paying for it, and `skyplan apply` to bring it back.",
			sc.Name, InfraLabel(sc.Cloud, sc.Region, sc.Zone), reason, sc.Name)}
}

func (m *Manager) power(ctx context.Context, req PowerRequest, running bool) (*PowerResult, diag.Diagnostics) {
	verb := map[bool]string{true: "start", false: "stop"}[running]
	sc, ds := m.Get(req.Cluster)
	if ds.HasErrors() {
		return nil, ds
	}
	if d := StopRefusal(sc, verb); d != nil {
		return nil, diag.Diagnostics{*d}
	}
	if req.Confirm != nil {
		ok, err := req.Confirm(sc)
		if err != nil {
			return nil, ds.Append(err)
		}
		if !ok {
			return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Aborted", Detail: "Nothing was changed."}}
		}
	}
	release, ds := m.lock(sc.Name, "power")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	if sc, ds = m.Get(req.Cluster); ds.HasErrors() {
		return nil, ds
	}
	if (running && sc.Status == state.StatusUp) || (!running && sc.Status == state.StatusStopped) {
		return &PowerResult{Cluster: sc, Unchanged: true}, nil
	}
	dir := sc.TerraformDir
	if dir == "" {
		dir = m.Dir(sc.Name)
	}
	log := m.logTo(req.Log)
	ws, err := m.workspace(ctx, dir, log)
	if err != nil {
		return nil, ds.Append(err)
	}
	fmt.Fprintf(log, "%s cluster %s (%s) …\n", map[bool]string{true: "Starting", false: "Stopping"}[running], sc.Name, InfraLabel(sc.Cloud, sc.Region, sc.Zone))
	if err := provision.SetPower(ctx, ws, sc.Cloud, sc.UseSpot, running); err != nil {
		return nil, terraformDiags(err, sc.Name)
	}
	if !running {
		sc.Status = state.StatusStopped
		if err := m.store.PutCluster(sc); err != nil {
			return nil, ds.Append(err)
		}
		_ = m.store.EndLaunch(sc.Name, "STOPPED", time.Now().UTC())
		return &PowerResult{Cluster: sc}, nil
	}
	nodes, err := ws.Nodes(ctx)
	if err != nil {
		return nil, terraformDiags(err, sc.Name)
	}
	up, err := provision.MarkUp(m.store, sc.Name, PlacementOf(sc), sc.NumNodes, nodes)
	if err != nil {
		return nil, ds.Append(err)
	}
	return &PowerResult{Cluster: up}, nil
}
