package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
)

// DownRequest is one Down.
type DownRequest struct {
	Cluster string
	Log     io.Writer // default: the Manager's Log
}

// DownResult is what Down did.
type DownResult struct {
	// KeptBucketsDir is the Terraform root of persistent buckets that
	// were kept ("" when there are none).
	KeptBucketsDir string
}

// Down destroys everything of a cluster and forgets it. A cluster without
// a record whose directory still holds state (an interrupted run whose
// record was lost) is destroyed too. SSH node pool clusters release their
// hosts; nothing on them is touched.
func (m *Manager) Down(ctx context.Context, req DownRequest) (*DownResult, diag.Diagnostics) {
	name, log := req.Cluster, m.logTo(req.Log)
	release, ds := m.lock(name, "down")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	sc, err := m.store.GetCluster(name)
	dir := m.Dir(name)
	switch {
	case errors.Is(err, state.ErrNotFound):
		if _, serr := os.Stat(dir); serr != nil {
			return nil, diag.Diagnostics{notFound(name)}
		}
	case err != nil:
		return nil, ds.Append(err)
	case IsPool(sc.Cloud):
		_ = m.store.EndLaunch(name, "TERMINATED", time.Now().UTC())
		if err := m.store.DeleteCluster(name); err != nil {
			return nil, ds.Append(err)
		}
		return &DownResult{}, nil
	case sc.TerraformDir != "":
		dir = sc.TerraformDir
	}
	ws, err := m.workspace(ctx, dir, log)
	if err != nil {
		return nil, ds.Append(err)
	}
	fmt.Fprintf(log, "Destroying cluster %s …\n", name)
	if err := provision.Down(ctx, ws, m.store, name); err != nil {
		return nil, terraformDiags(err, name)
	}
	res := &DownResult{}
	if _, err := os.Stat(filepath.Join(dir, provision.BucketsDir, "main.tf")); err == nil {
		res.KeptBucketsDir = filepath.Join(dir, provision.BucketsDir)
		fmt.Fprintf(log, "Persistent buckets of %s are kept (their Terraform root is %s); remove them with `terraform -chdir=%s destroy` when the data is no longer needed.\n",
			name, res.KeptBucketsDir, res.KeptBucketsDir)
	}
	return res, nil
}
