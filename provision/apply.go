package provision

import (
	"context"
	"io"

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
		}
	}
	if err := w.backupState(); err != nil {
		return RunResult{}, err
	}
	return w.run("apply", false, func(out io.Writer) error {
		return w.tf.ApplyJSON(ctx, out, o...)
	})
}
