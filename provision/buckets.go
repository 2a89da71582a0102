package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
