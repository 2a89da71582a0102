package provision

import (
	"context"
	"io"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// PlanOptions select the kind of plan.
type PlanOptions struct {
	Out         string // save the plan here ("" = do not save)
	Destroy     bool   // plan to destroy everything
	RefreshOnly bool   // only compare state with the cloud (drift)
}

// Plan runs `terraform plan -json`; changes reports a non-empty plan.
func (w *Workspace) Plan(ctx context.Context, opts PlanOptions) (changes bool, res RunResult, err error) {
	var o []tfexec.PlanOption
	if opts.Out != "" {
		o = append(o, tfexec.Out(opts.Out))
	}
	if opts.Destroy {
		o = append(o, tfexec.Destroy(true))
	}
	if opts.RefreshOnly {
		o = append(o, tfexec.RefreshOnly(true))
	}
	if f := w.runVarFile(); f != "" {
		o = append(o, tfexec.VarFile(f))
	}
	if w.reattach != nil {
		o = append(o, tfexec.Reattach(w.reattach))
	}
	res, err = w.run("plan", opts.RefreshOnly, func(out io.Writer) error {
		var e error
		changes, e = w.tf.PlanJSON(ctx, out, o...)
		return e
	})
	return changes, res, err
}
