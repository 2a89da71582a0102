package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// ApplyOptions tune an apply of the configuration (not of a saved plan).
type ApplyOptions struct {
	// NoRefresh skips reading resources back: used right after this
	// process's own failed apply in the same region, whose state is fresh.
	NoRefresh bool
	// RefreshOnly only updates the state from the cloud (new addresses
	// after a start), changing no infrastructure.
	RefreshOnly bool
	// Targets limits the apply to these resource addresses.
	Targets []string
	// Vars override run variables (-var, after the run-vars file); a
	// name the root's run-vars file does not hold is left out, since a
	// root compiled before that variable existed does not declare it.
	Vars map[string]any
}

// Apply runs `terraform apply -json`, of a saved plan when planFile is set
// (then exactly that plan, refused by Terraform when stale) or of the
// directory's configuration and auto-loaded tfvars otherwise.
func (w *Workspace) Apply(ctx context.Context, planFile string, opts ...ApplyOptions) (RunResult, error) {
	var o []tfexec.ApplyOption
	if planFile != "" {
		o = append(o, tfexec.DirOrPlan(planFile))
	} else {
		for _, opt := range opts {
			if opt.NoRefresh {
				o = append(o, tfexec.Refresh(false))
			}
			if opt.RefreshOnly {
				o = append(o, tfexec.RefreshOnly(true))
			}
			for _, t := range opt.Targets {
				o = append(o, tfexec.Target(t))
			}
		}
		// A saved plan already carries its variable values.
		if f := w.runVarFile(); f != "" {
			o = append(o, tfexec.VarFile(f))
			declared := runVarNames(f)
			for _, opt := range opts {
				names := make([]string, 0, len(opt.Vars))
				for k := range opt.Vars {
					names = append(names, k)
				}
				sort.Strings(names)
				for _, k := range names {
					if declared[k] {
						o = append(o, tfexec.Var(fmt.Sprintf("%s=%v", k, opt.Vars[k])))
					}
				}
			}
		}
	}
	if w.reattach != nil {
		o = append(o, tfexec.Reattach(w.reattach))
	}
	if err := w.backupState(); err != nil {
		return RunResult{}, err
	}
	return w.run("apply", false, func(out io.Writer) error {
		return w.tf.ApplyJSON(ctx, out, o...)
	})
}

// runVarNames are the variables a run-vars file sets.
func runVarNames(file string) map[string]bool {
	var vars map[string]json.RawMessage
	b, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(b, &vars) != nil {
		return nil
	}
	out := map[string]bool{}
	for k := range vars {
		out[k] = true
	}
	return out
}
