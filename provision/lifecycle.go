package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/skyplan/skyplan/state"
)

// Down destroys everything of a cluster and forgets it. It succeeds only
// when the state holds no resource afterwards.
func Down(ctx context.Context, ws *Workspace, st *state.Store, name string) error {
	if err := ws.Init(ctx); err != nil {
		return err
	}
	if _, err := ws.Destroy(ctx); err != nil {
		return err
	}
	n, err := ws.ManagedInstances(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d resource(s) of cluster %q are still in the Terraform state after destroy; run `skyplan down %s` again", n, name, name)
	}
	if st != nil {
		_ = st.EndLaunch(name, "TERMINATED", time.Now().UTC())
		if err := st.DeleteCluster(name); err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
	}
	return nil
}
