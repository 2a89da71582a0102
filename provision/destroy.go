package provision

import (
	"context"
	"io"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// DestroyOptions tune a destroy.
type DestroyOptions struct {
	// NoRefresh skips reading every resource back first: right after a
	// failed apply the state is current, and the refresh costs API calls
	// and seconds per failover step.
	NoRefresh bool
}

// Destroy runs `terraform destroy -json` for everything in the state.
func (w *Workspace) Destroy(ctx context.Context, opts ...DestroyOptions) (RunResult, error) {
	var o []tfexec.DestroyOption
	for _, opt := range opts {
		if opt.NoRefresh {
			o = append(o, tfexec.Refresh(false))
		}
	}
	if f := w.runVarFile(); f != "" {
		o = append(o, tfexec.VarFile(f))
	}
	if w.reattach != nil {
		o = append(o, tfexec.Reattach(w.reattach))
	}
	if err := w.backupState(); err != nil {
		return RunResult{}, err
	}
	return w.run("destroy", false, func(out io.Writer) error {
		return w.tf.DestroyJSON(ctx, out, o...)
	})
}
