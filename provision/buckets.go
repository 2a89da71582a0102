package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// BucketsDir is the compiler's separate root for persistent buckets: its
// own state, so destroying the cluster never deletes them.
const BucketsDir = "buckets"

// ensurePersistentBuckets applies the persistent-buckets root once, when
// its state is still empty. It is never re-applied afterwards: a failover
// to another region changes its region variable, and re-applying would
// move (delete and recreate) buckets that hold the user's data.
func (l *Launcher) ensurePersistentBuckets(ctx context.Context) error {
	dir := filepath.Join(l.WS.Dir, BucketsDir)
	if _, err := os.Stat(filepath.Join(dir, "main.tf")); err != nil {
		return nil
	}
	ws, err := l.WS.tc.Workspace(dir, l.WS.UI, l.WS.TTY)
	if err != nil {
		return err
	}
	if err := ws.Init(ctx); err != nil {
		return err
	}
	n, err := ws.ManagedInstances(ctx)
	if err != nil || n > 0 {
		return err
	}
	fmt.Fprintf(l.Log, "Creating the persistent buckets (kept when the cluster is destroyed) …\n")
	_, err = ws.Apply(ctx, "")
	return err
}

// BucketsProtected reports whether the persistent-buckets root of a cluster
// directory protects its buckets with lifecycle.prevent_destroy (read from
// the module it calls, modules/<cloud>/buckets): then `terraform destroy`
// there refuses, and down's hint must say how to delete them instead.
func BucketsProtected(clusterDir string) bool {
	files, _ := filepath.Glob(filepath.Join(clusterDir, "modules", "*", BucketsDir, "*.tf"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			for _, lc := range b.Body.Blocks {
				if b.Type != "resource" || lc.Type != "lifecycle" || lc.Body.Attributes["prevent_destroy"] == nil {
					continue
				}
				if v, d := lc.Body.Attributes["prevent_destroy"].Expr.Value(nil); !d.HasErrors() && v.True() {
					return true
				}
			}
		}
	}
	return false
}
