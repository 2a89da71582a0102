package provision

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/skyplan/skyplan/state"
)

// NodeOutput is one element of the root module's `nodes` output.
type NodeOutput struct {
	Rank       int    `json:"rank"`
	InstanceID string `json:"instance_id"`
	PrivateIP  string `json:"private_ip"`
	PublicIP   string `json:"public_ip"`
	Zone       string `json:"zone"`
	SSHUser    string `json:"ssh_user"`
}

// Nodes reads the `nodes` output (rank order) as state nodes.
func (w *Workspace) Nodes(ctx context.Context) ([]state.Node, error) {
	outs, err := w.tf.Output(ctx)
	if err != nil {
		return nil, &TerraformError{Op: "output", Err: err}
	}
	meta, ok := outs["nodes"]
	if !ok {
		return nil, nil
	}
	var nodes []NodeOutput
	if err := json.Unmarshal(meta.Value, &nodes); err != nil {
		return nil, fmt.Errorf("reading the nodes output: %w", err)
	}
	out := make([]state.Node, len(nodes))
	for i, n := range nodes {
		out[i] = state.Node{Rank: n.Rank, InstanceID: n.InstanceID, PrivateIP: n.PrivateIP, PublicIP: n.PublicIP, Zone: n.Zone, SSHUser: n.SSHUser}
	}
	return out, nil
}

// StringOutput reads a string output of the root ("" when it has none).
func (w *Workspace) StringOutput(ctx context.Context, name string) (string, error) {
	outs, err := w.tf.Output(ctx)
	if err != nil {
		return "", &TerraformError{Op: "output", Err: err}
	}
	meta, ok := outs[name]
	if !ok {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(meta.Value, &v); err != nil {
		return "", fmt.Errorf("reading the %s output: %w", name, err)
	}
	return v, nil
}
