package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// ManagedInstances counts resource instances in the state without loading
// providers (`terraform state pull` is much faster than `show -json`), to
// decide whether a failed attempt left anything to destroy.
func (w *Workspace) ManagedInstances(ctx context.Context) (int, error) {
	raw, err := w.tf.StatePull(ctx)
	if err != nil {
		return 0, &TerraformError{Op: "state pull", Err: err}
	}
	if strings.TrimSpace(raw) == "" {
		return 0, nil
	}
	var st struct {
		Resources []struct {
			Mode      string            `json:"mode"`
			Instances []json.RawMessage `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return 0, fmt.Errorf("reading the state of %s: %w (%.200q)", w.Dir, err, raw)
	}
	n := 0
	for _, r := range st.Resources {
		if r.Mode == "managed" {
			n += len(r.Instances)
		}
	}
	return n, nil
}
