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
	// Purge removes the record even when it is corrupt or the teardown
	// fails (SkyPilot's `down --purge`); what may be left is reported.
	Purge bool
}

// DownResult is what Down did.
type DownResult struct {
	// KeptBucketsDir is the Terraform root of persistent buckets that
	// were kept ("" when there are none).
	KeptBucketsDir string
}

// Down destroys everything of a cluster and forgets it. A cluster without
// a record whose directory still holds state (an interrupted run whose
// record was lost) is destroyed too. Down succeeds only when nothing
// tagged with the cluster is left in the cloud (provision.Down sweeps by
// tag). SSH node pool clusters stop every process their jobs started on
// the hosts, then release them.
func (m *Manager) Down(ctx context.Context, req DownRequest) (*DownResult, diag.Diagnostics) {
	res, ds := m.down(ctx, req)
	if !ds.HasErrors() || !req.Purge {
		return res, ds
	}
	return m.purge(req, ds)
}

func (m *Manager) down(ctx context.Context, req DownRequest) (*DownResult, diag.Diagnostics) {
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
	case errors.Is(err, state.ErrCorruptRecord):
		if _, serr := os.Stat(dir); serr != nil || !req.Purge {
			return nil, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Corrupt record of cluster %q", name),
				Detail: fmt.Sprintf("%v\n`skyplan down --purge %s` destroys what its directory %s holds (found in the cloud by its tag) and removes the record.", err, name, dir)}}
		}
		// --purge: the directory still says what to destroy.
	case err != nil:
		return nil, ds.Append(err)
	case IsPool(sc.Cloud):
		if rds := m.releasePoolJobs(ctx, sc, log); rds.HasErrors() {
			return nil, rds
		}
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
		if provision.BucketsProtected(dir) {
			fmt.Fprintf(log, "Persistent buckets of %s are kept (their Terraform root is %s) and protected by prevent_destroy: `terraform destroy` there refuses. To delete them with their data, hand them over with `terraform -chdir=%s state rm module.buckets` and delete them with the cloud's own tools (docs/review.md, \"Persistent buckets\").\n",
				name, res.KeptBucketsDir, res.KeptBucketsDir)
		} else {
			fmt.Fprintf(log, "Persistent buckets of %s are kept (their Terraform root is %s); remove them with `terraform -chdir=%s destroy` when the data is no longer needed.\n",
				name, res.KeptBucketsDir, res.KeptBucketsDir)
		}
	}
	return res, nil
}

// releasePoolJobs stops the jobs of an SSH-pool cluster on its hosts.
func (m *Manager) releasePoolJobs(ctx context.Context, sc *state.Cluster, log io.Writer) diag.Diagnostics {
	r, cl, err := m.runnerFor(sc, log)
	if err != nil {
		return diag.Diagnostics{}.Append(err)
	}
	stopped, unreachable, err := r.Release(ctx, cl)
	for _, u := range unreachable {
		fmt.Fprintf(log, "Warning: %s is unreachable, so skyplan could not stop %s's job processes there (a lost machine runs none; if it comes back, check it).\n", u, sc.Name)
	}
	if err != nil {
		return diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Could not stop the jobs of %s", sc.Name),
			Detail: fmt.Sprintf("%v\nThe hosts stay held by %s. Retry `skyplan down %s`, or `skyplan down --purge %s` to release them anyway.", err, sc.Name, sc.Name, sc.Name)}}
	}
	if stopped > 0 {
		fmt.Fprintf(log, "Stopped %d running job(s) of %s on its hosts.\n", stopped, sc.Name)
	}
	return nil
}

// purge removes the record of a cluster whose teardown failed and says
// what may be left: resources carry the skyplan-cluster tag, and the
// Terraform directory is kept.
func (m *Manager) purge(req DownRequest, failed diag.Diagnostics) (*DownResult, diag.Diagnostics) {
	name, log := req.Cluster, m.logTo(req.Log)
	release, ds := m.lock(name, "down --purge")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	_ = m.store.EndLaunch(name, "TERMINATED", time.Now().UTC())
	if err := m.store.DeleteCluster(name); err != nil {
		return nil, append(failed, diag.Diagnostics{}.Append(err)...)
	}
	fmt.Fprintf(log, "Warning: removed the record of %s although its teardown failed (%s). Resources may be left in the cloud: they carry the tag skyplan-cluster; %s keeps its Terraform files.\n",
		name, oneLine(failed.Error(), 300), m.Dir(name))
	return &DownResult{}, nil
}
