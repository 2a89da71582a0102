package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skyplan/skyplan/optimizer"
)

// sweepBeforeRerun runs when the cluster directory already holds a
// compiled root: an earlier apply may have been interrupted or killed and
// left resources the state does not know (a rerun would otherwise fail on
// its own leftovers, e.g. InvalidKeyPair.Duplicate). Everything tagged
// with the cluster that the state does not hold is destroyed; what the
// state holds is kept for the apply to reuse.
//
// A saved plan (CI applying what a review approved) is applied exactly as
// reviewed: no sweep; leftovers go with the next `apply TASK` or `down`.
func (l *Launcher) sweepBeforeRerun(ctx context.Context) error {
	id, ok := DirIdentity(l.WS.Dir)
	if !ok || l.PlanFile != "" {
		return nil
	}
	// A resumed retired destroy in that region finishes first: the
	// sweep would otherwise take its resources from under it.
	if err := l.waitRetired(ctx, id.Cloud+"/"+id.Region); err != nil {
		return err
	}
	if err := l.WS.Init(ctx); err != nil {
		return err
	}
	keep, err := l.WS.StateIDs(ctx)
	if err != nil {
		return err
	}
	if len(keep) > 0 {
		l.stateAt = &id
	}
	if _, ok := SweeperFor(id.Cloud); !ok {
		return nil
	}
	fmt.Fprintf(l.Log, "Cluster %s has a Terraform directory from an earlier apply: checking %s for resources it left behind …\n", l.Cluster, InfraLabel(id.Cloud, id.Region, ""))
	rep, err := l.WS.Sweep(ctx, SweepOptions{Cloud: id.Cloud, Region: id.Region, Tag: id.Tag, Keep: keep, Log: l.Log})
	if err != nil {
		return fmt.Errorf("removing what an earlier apply of %s left behind: %w", l.Cluster, err)
	}
	if len(rep.Swept) > 0 {
		fmt.Fprintf(l.Log, "Removed %d leftover resource(s) of an earlier apply.\n", len(rep.Swept))
	}
	return nil
}

// leaveOldRegion destroys what the state holds when the first placement
// of this launch is elsewhere than the resources of an earlier,
// unfinished apply (the old root is still on disk until Generate).
func (l *Launcher) leaveOldRegion(ctx context.Context, p optimizer.Placement) error {
	old := l.stateAt
	if old == nil || l.NoFailover || (old.Cloud == p.Cloud && old.Region == p.Region) {
		return nil
	}
	fmt.Fprintf(l.Log, "Destroying what an earlier apply left in %s before trying %s …\n", InfraLabel(old.Cloud, old.Region, ""), InfraLabel(p.Cloud, p.Region, p.Zone))
	if _, err := l.WS.Destroy(ctx); err != nil {
		return err
	}
	l.stateAt = nil
	return nil
}

// sweepAfterFailure runs after a failed attempt was destroyed when the
// failure may have left objects the state does not hold: the cloud did
// not refuse the request outright (capacity, quota, spot, auth and config
// errors are refusals: nothing was created), so a create may have
// succeeded in the cloud while Terraform recorded an error.
func (l *Launcher) sweepAfterFailure(ctx context.Context, p optimizer.Placement, f *Failure) error {
	switch f.Class {
	case Capacity, Quota, Spot, Auth, Config:
		return nil
	}
	id, ok := DirIdentity(l.WS.Dir)
	if !ok {
		return nil
	}
	keep, err := l.WS.StateIDs(ctx)
	if err != nil {
		return err
	}
	_, err = l.WS.Sweep(ctx, SweepOptions{Cloud: p.Cloud, Region: p.Region, Tag: id.Tag, Keep: keep, Log: l.Log})
	return err
}

// InterruptedError is a launch stopped by Ctrl-C or SIGTERM after
// Terraform saved its state: it says what exists, what it costs, and the
// commands that continue or remove it.
type InterruptedError struct {
	Cluster    string
	Where      string
	Resources  []string // "TYPE ID" from the state
	Instances  int
	HourlyCost float64 // of the instances in the state
	Err        error
}

func (e *InterruptedError) Error() string {
	var b strings.Builder
	if len(e.Resources) == 0 {
		fmt.Fprintf(&b, "Interrupted: Terraform stopped and saved its state; the state of cluster %q holds no resource.", e.Cluster)
	} else {
		fmt.Fprintf(&b, "Interrupted: Terraform stopped and saved its state. Cluster %q (INIT) has %d resource(s) in %s: %s.", e.Cluster, len(e.Resources), e.Where, strings.Join(e.Resources, ", "))
		if e.Instances > 0 {
			fmt.Fprintf(&b, " Its %d instance(s) cost $%.4f/h while they run.", e.Instances, e.HourlyCost)
		}
	}
	fmt.Fprintf(&b, "\nRemove everything (also what the cloud created but the state missed, found by the skyplan-cluster tag): skyplan down %s -y", e.Cluster)
	fmt.Fprintf(&b, "\nOr continue: run the same `skyplan apply` again (leftovers are swept first).")
	return b.String()
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// instanceTypes are the resource types that bill per hour as nodes.
var instanceTypes = map[string]bool{"aws_instance": true, "google_compute_instance": true, "google_tpu_v2_vm": true,
	"azurerm_linux_virtual_machine": true}

// interrupted builds the InterruptedError from the state Terraform saved;
// the state is read with a fresh short context (the launch's is done).
func (l *Launcher) interrupted(ctx context.Context, p optimizer.Placement, err error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// Background destroys got the same interrupt; Terraform saves their
	// state before it stops, and down finishes them from their rows.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	_ = l.waitRetired(wctx, "")
	wcancel()
	ie := &InterruptedError{Cluster: l.Cluster, Where: InfraLabel(p.Cloud, p.Region, p.Zone), Err: err}
	objs, serr := l.WS.StateObjects(rctx)
	if serr != nil {
		return errors.Join(ie, fmt.Errorf("reading what the state holds: %w", serr))
	}
	ie.Resources = objs
	for _, o := range objs {
		if t, _, _ := strings.Cut(o, " "); instanceTypes[t] {
			ie.Instances++
		}
	}
	nodes := l.NumNodes
	if nodes < 1 {
		nodes = 1
	}
	per := p.HourlyCostPerNode
	if per == 0 {
		per = p.HourlyCost / float64(nodes)
	}
	ie.HourlyCost = per * float64(ie.Instances)
	return ie
}

func isInterrupt(err error) bool {
	var te *TerraformError
	return ctxDone(err) || (errors.As(err, &te) && te.Interrupted())
}
