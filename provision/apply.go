package provision

import (
	"context"
	"io"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// Apply runs `terraform apply -json`, of a saved plan when planFile is set
// (then exactly that plan, refused by Terraform when stale) or of the
// directory's configuration and auto-loaded tfvars otherwise.
func (w *Workspace) Apply(ctx context.Context, planFile string) (RunResult, error) {
	var o []tfexec.ApplyOption
	if planFile != "" {
		o = append(o, tfexec.DirOrPlan(planFile))
	}
	return w.run("apply", func(out io.Writer) error {
		return w.tf.ApplyJSON(ctx, out, o...)
	})
}
