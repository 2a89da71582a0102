package provision

import (
	"context"

	tfjson "github.com/hashicorp/terraform-json"
)

// ShowPlan reads a saved plan as JSON (resource changes, variables).
func (w *Workspace) ShowPlan(ctx context.Context, planFile string) (*tfjson.Plan, error) {
	p, err := w.tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		return nil, &TerraformError{Op: "show", Err: err}
	}
	return p, nil
}

// ShowState reads the current state (local or remote).
func (w *Workspace) ShowState(ctx context.Context) (*tfjson.State, error) {
	s, err := w.tf.Show(ctx)
	if err != nil {
		return nil, &TerraformError{Op: "show", Err: err}
	}
	return s, nil
}

// ResourceCount is the number of managed resources in the state, the
// measure of "nothing is left" after down.
func ResourceCount(s *tfjson.State) int {
	if s == nil || s.Values == nil {
		return 0
	}
	return countModule(s.Values.RootModule)
}

func countModule(m *tfjson.StateModule) int {
	if m == nil {
		return 0
	}
	n := 0
	for _, r := range m.Resources {
		if r.Mode == tfjson.ManagedResourceMode {
			n++
		}
	}
	for _, c := range m.ChildModules {
		n += countModule(c)
	}
	return n
}
