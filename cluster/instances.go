package cluster

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
)

// NodesResult is the cloud's answer about a cluster's nodes.
type NodesResult struct {
	// Lost names each node that is gone or not running ("node 0
	// (i-0abc) terminated"), or a Terraform address deleted outside
	// skyplan; empty when every node runs.
	Lost []string
	// Via says how the cloud was asked: "instance states" (the cloud's
	// InstanceStates capability) or "terraform refresh".
	Via string
	// Fallback is why the instance states could not be used, when Via is
	// the refresh although the cloud has the capability.
	Fallback string
}

// CheckNodes asks the cloud whether every node of the cluster still runs,
// without changing anything. Clouds with cloud.InstanceStates are asked
// for the recorded instance ids directly (one API call); others, records
// without instance ids, and a failed call fall back to Refresh (a
// refresh-only Terraform plan, or an SSH port probe on a node pool).
func (m *Manager) CheckNodes(ctx context.Context, name string) (*NodesResult, diag.Diagnostics) {
	sc, ds := m.Get(name)
	if ds.HasErrors() {
		return nil, ds
	}
	fallback := ""
	if is, ok := cloud.As[cloud.InstanceStates](sc.Cloud); ok && !IsPool(sc.Cloud) {
		ids := make([]string, 0, len(sc.Nodes))
		for _, n := range sc.Nodes {
			if n.InstanceID != "" {
				ids = append(ids, n.InstanceID)
			}
		}
		if len(ids) > 0 && len(ids) == len(sc.Nodes) {
			states, err := is.InstanceStates(ctx, m.getenv, sc.Region, ids)
			if err == nil {
				var lost []string
				for _, n := range sc.Nodes {
					st, found := states[n.InstanceID]
					switch {
					case !found:
						lost = append(lost, fmt.Sprintf("node %d (%s) no longer exists", n.Rank, n.InstanceID))
					case !is.InstanceRunning(st):
						lost = append(lost, fmt.Sprintf("node %d (%s) %s", n.Rank, n.InstanceID, st))
					}
				}
				sort.Strings(lost)
				return &NodesResult{Lost: lost, Via: "instance states"}, nil
			}
			if ctx.Err() != nil {
				return nil, ds.Append(err)
			}
			fallback = err.Error()
		} else {
			fallback = "the record lacks instance ids"
		}
	}
	rf, ds := m.Refresh(ctx, RefreshRequest{Cluster: name, Log: io.Discard})
	if ds.HasErrors() {
		return nil, ds
	}
	// Only a deleted instance is a lost node: attributes that drift on
	// refresh (tags, computed fields an emulator fills late) are "update"
	// drift of a healthy instance.
	var lost []string
	for _, d := range rf.Drift {
		if (strings.Contains(d, "instance") && strings.Contains(d, "(delete)")) || strings.Contains(d, "unreachable") {
			lost = append(lost, d)
		}
	}
	return &NodesResult{Lost: lost, Via: "terraform refresh", Fallback: fallback}, nil
}
