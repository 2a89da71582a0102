package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/skyplan/skyplan/state"
)

// Down destroys everything of a cluster and forgets it. It succeeds only
// when nothing is left: the state holds no resource after destroy, and
// the tag sweep finds no resource tagged with the cluster in its region
// (what an interrupted or killed apply created without recording it is
// destroyed there, and reported). The cluster directory goes too, except
// a persistent-buckets root that still holds buckets.
func Down(ctx context.Context, ws *Workspace, st *state.Store, name string) error {
	// Failed attempts set aside by a launch go first (waiting for a
	// process still destroying one): the cluster is gone only when they are.
	if err := FinishRetired(ctx, ws.tc, st, name, ws.UI, true); err != nil {
		return fmt.Errorf("%w\nNothing of cluster %q was forgotten; run `skyplan down %s` again", err, name, name)
	}
	if err := ws.Init(ctx); err != nil {
		return err
	}
	// The sweep goes first and takes everything tagged, recorded or not:
	// a killed apply leaves objects (an instance, a route table) inside
	// recorded ones (the VPC), and a destroy of the state alone would wait
	// minutes on DependencyViolation. The sweep root destroys in
	// dependency order; the state's destroy then finds those gone and
	// removes the rest (untagged parts such as route table associations,
	// KMS keys).
	if id, ok := DirIdentity(ws.Dir); ok {
		recorded, err := ws.StateIDs(ctx)
		if err != nil {
			return err
		}
		rep, err := ws.Sweep(ctx, SweepOptions{Cloud: id.Cloud, Region: id.Region, Tag: id.Tag, Log: ws.UI})
		if err != nil {
			return fmt.Errorf("%w\nNothing of cluster %q was forgotten; run `skyplan down %s` again", err, name, name)
		}
		where := InfraLabel(id.Cloud, id.Region, "")
		switch leftovers := unrecorded(rep.Swept, recorded); {
		case rep.Unsupported:
			fmt.Fprintf(ws.UI, "Note: skyplan cannot yet list %s resources by tag; only the Terraform state is checked.\n", id.Cloud)
		case len(leftovers) > 0:
			fmt.Fprintf(ws.UI, "Swept %d resource(s) of %s that no Terraform state recorded: %s. No resource tagged skyplan-cluster=%s is left in %s.\n",
				len(leftovers), name, strings.Join(leftovers, ", "), id.Tag, where)
		default:
			fmt.Fprintf(ws.UI, "Checked %s: no resource tagged skyplan-cluster=%s is left.\n", where, id.Tag)
		}
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
	return RemoveClusterDir(ctx, ws)
}

// unrecorded returns the swept objects ("TYPE ID") whose ID the cluster's
// state did not hold.
func unrecorded(swept, recorded []string) []string {
	in := map[string]bool{}
	for _, id := range recorded {
		in[id] = true
	}
	var out []string
	for _, o := range swept {
		if _, id, _ := strings.Cut(o, " "); !in[id] {
			out = append(out, o)
		}
	}
	return out
}

// RemoveClusterDir deletes a cluster's Terraform directory once nothing of
// it exists, keeping the persistent-buckets root when it holds buckets
// (their state is the only handle on the user's data) and modules/, which
// that root calls (../modules/<cloud>/buckets): without it the kept root
// could not be planned, imported into or destroyed again.
func RemoveClusterDir(ctx context.Context, ws *Workspace) error {
	bdir := filepath.Join(ws.Dir, BucketsDir)
	if _, err := os.Stat(filepath.Join(bdir, "main.tf")); err == nil {
		bws, err := ws.tc.Workspace(bdir, nil, false)
		if err == nil {
			if n, err := bws.ManagedInstances(ctx); err != nil || n > 0 {
				return removeAllBut(ws.Dir, BucketsDir, "modules")
			}
		}
	}
	return os.RemoveAll(ws.Dir)
}

func removeAllBut(dir string, keep ...string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if slices.Contains(keep, e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
