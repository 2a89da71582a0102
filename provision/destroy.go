package provision

import (
	"context"
	"io"
)

// Destroy runs `terraform destroy -json` for everything in the state.
func (w *Workspace) Destroy(ctx context.Context) (RunResult, error) {
	return w.run("destroy", func(out io.Writer) error {
		return w.tf.DestroyJSON(ctx, out)
	})
}
