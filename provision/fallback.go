package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
)

// Planner returns the best placement that no block rules out: it re-runs
// the optimizer with the blocked set (SkyPilot re-optimises after every
// failure, so the next try is the globally next-cheapest, maybe another
// cloud). It returns ErrNoPlacement when nothing is left.
type Planner func(blocked []optimizer.Blocked) (*optimizer.Placement, error)

// Generator writes the root module for a placement into dir (the compiler).
type Generator func(p optimizer.Placement, dir string) error

// ErrNoPlacement is returned by a Planner when every placement is blocked.
var ErrNoPlacement = errors.New("no feasible placement left")

// Launcher runs the fallback loop for one cluster.
type Launcher struct {
	Cluster  string
	NumNodes int
	WS       *Workspace
	Store    *state.Store
	Plan     Planner
	Generate Generator
	Log      io.Writer // progress, stderr
	// Blocked are blocks known before the first attempt (user, task).
	Blocked []optimizer.Blocked
	// NoFailover keeps the cluster where it is: a cluster that was ever UP
	// is never silently moved elsewhere.
	NoFailover bool
	// Confirm, when set, is asked once with the first attempt's plan
	// summary before anything is created; false aborts.
	Confirm func(p optimizer.Placement, summary *ChangeSummary) (bool, error)
	// TransientRetries bounds in-place retries of throttling/5xx errors.
	TransientRetries int
	Backoff          time.Duration
	// RetryUntilUp starts a new round (blocks reset) after RetryGap when
	// every placement failed.
	RetryUntilUp bool
	RetryGap     time.Duration
	// TaskFile and Backend are stored with the cluster record.
	TaskFile string
	Backend  string
	// PlanFile, when set, is a saved plan (`skyplan plan --out`) applied
	// as is: nothing is generated, Confirm is not asked, and with a
	// CandidatePlanner of its one placement nothing fails over.
	PlanFile string

	existed   bool       // the cluster had a state record before this launch
	lastApply *RunResult // stream of the latest apply, to skip needless state reads
	dirty     bool       // the state may hold resources of an earlier attempt
	// freshState: the state was written by this process's failed apply a
	// moment ago (next zone, same region), so the next apply skips refresh.
	freshState bool
	// stateAt is where the resources of an earlier, unfinished apply of
	// this directory are (nil when its state is empty).
	stateAt *Identity
	// retiring are the failed attempts being destroyed in the background
	// (retire.go).
	retiring []*retirement
	// providers serve the attempts after the first (providerd.go).
	providers providerSet
}

// Failure is one failed attempt.
type Failure struct {
	Placement optimizer.Placement
	Class     Class
	Code      string
	Message   string
	// Verdict is the classifier's full verdict on Message.
	Verdict Classification
	// Decision is what the loop did about it ("blocked zone us-east-1a",
	// "stopped: …"); it is part of the attempt's recorded reason.
	Decision string
}

// Outcome is a successful launch.
type Outcome struct {
	Placement optimizer.Placement
	Nodes     []state.Node
	Failures  []Failure
	Cluster   *state.Cluster
}

// ExhaustedError: every placement failed. Render it with WriteTable.
type ExhaustedError struct{ Failures []Failure }

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("failed to provision all possible launchable resources (%d attempts). Relax the task's resource requirements, or use --retry-until-up", len(e.Failures))
}

// WriteTable prints SkyPilot's reasons table: INFRA | RESOURCES | REASON.
func (e *ExhaustedError) WriteTable(w io.Writer, numNodes int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INFRA\tRESOURCES\tREASON")
	for _, f := range e.Failures {
		p := f.Placement
		fmt.Fprintf(tw, "%s\t%s\t%s\n", InfraLabel(p.Cloud, p.Region, p.Zone),
			ResourcesLabel(numNodes, p.InstanceType, p.Accelerators, p.UseSpot), tableReason(f))
	}
	tw.Flush()
}

// StopError: a failure that must not fail over (auth, config, unknown, a
// failed cleanup, an ever-UP cluster). Fix says what the user should do.
type StopError struct {
	Failure Failure
	Fix     string
	Err     error
}

func (e *StopError) Error() string {
	msg := fmt.Sprintf("%s error in %s: %s", e.Failure.Class, InfraLabel(e.Failure.Placement.Cloud, e.Failure.Placement.Region, e.Failure.Placement.Zone), oneLine(e.Failure.Message, 400))
	if e.Fix != "" {
		msg += "\n" + e.Fix
	}
	return msg
}
func (e *StopError) Unwrap() error { return e.Err }

// ErrAborted is returned when Confirm declined.
var ErrAborted = errors.New("aborted by the user")

// Launch provisions the cluster, failing over until something works.
func (l *Launcher) Launch(ctx context.Context) (*Outcome, error) {
	if l.TransientRetries == 0 {
		l.TransientRetries = 3
	}
	if l.Backoff == 0 {
		l.Backoff = 2 * time.Second
	}
	if l.RetryGap == 0 {
		l.RetryGap = 30 * time.Second
	}
	if l.Store != nil {
		_, err := l.Store.GetCluster(l.Cluster)
		l.existed = err == nil
	}
	l.dirty = true // unknown until the first state read or destroy
	l.providers.tc = l.WS.tc
	defer func() {
		l.WS.reattach = nil
		l.providers.stop()
	}()
	if err := l.resumeRetired(ctx); err != nil {
		return nil, err
	}
	if err := l.sweepBeforeRerun(ctx); err != nil {
		return nil, err
	}
	for round := 1; ; round++ {
		out, err := l.round(ctx)
		var ex *ExhaustedError
		if err == nil || !errors.As(err, &ex) || !l.RetryUntilUp {
			return out, err
		}
		fmt.Fprintf(l.Log, "All placements failed (round %d); --retry-until-up: starting over in %s …\n", round, l.RetryGap)
		if err := sleepCtx(ctx, l.RetryGap); err != nil {
			return nil, err
		}
	}
}

func (l *Launcher) round(ctx context.Context) (*Outcome, error) {
	blocked := append([]optimizer.Blocked(nil), l.Blocked...)
	var failures []Failure
	pending := "" // last failure line, completed with where we go next
	first := true
	idle := 0 // plans in a row that offered nothing to try
	guard := unknownGuard{}
	for {
		p, err := l.Plan(blocked)
		if stop := guard.check(p, err); stop != nil {
			fmt.Fprintf(l.Log, "%s → stopping: no other zone of %s to try\n", pending, stop.Failure.Placement.Region)
			l.forgetIfEmpty(ctx)
			return nil, stop
		}
		if err != nil {
			if pending != "" {
				fmt.Fprintf(l.Log, "%s → no placements left\n", pending)
			}
			if errors.Is(err, ErrNoPlacement) && len(failures) > 0 {
				l.forgetIfEmpty(ctx)
				return nil, &ExhaustedError{Failures: failures}
			}
			return nil, err
		}
		zones := ZonesToTry(*p, blocked)
		if len(zones) == 0 {
			// A planner that keeps offering blocked places must not spin.
			if idle++; idle > 3 {
				if len(failures) > 0 {
					l.forgetIfEmpty(ctx)
					return nil, &ExhaustedError{Failures: failures}
				}
				return nil, ErrNoPlacement
			}
		} else {
			idle = 0
		}
		regionFailed := len(zones) > 0
		for i, z := range zones {
			pz := *p
			pz.Zone = z
			where := InfraLabel(pz.Cloud, pz.Region, pz.Zone)
			if pending != "" {
				fmt.Fprintf(l.Log, "%s → trying %s …\n", pending, where)
				pending = ""
			} else {
				fmt.Fprintf(l.Log, "Provisioning %s in %s …\n", ResourcesLabel(l.NumNodes, pz.InstanceType, pz.Accelerators, pz.UseSpot), where)
			}
			// Never two directories on one region's resources: a retired
			// destroy there finishes first.
			if err := l.waitRetired(ctx, regionKey(pz)); err != nil {
				return nil, err
			}
			nodes, f, err := l.attempt(ctx, pz, first)
			first = false
			if err == nil {
				return l.succeeded(pz, nodes, failures)
			}
			if f == nil { // interrupted, aborted, locked, stale plan, or skyplan-side error
				if isInterrupt(err) {
					return nil, l.interrupted(ctx, pz, err)
				}
				var te *TerraformError
				if errors.As(err, &te) && te.Locked() && !l.existed && l.Store != nil {
					_ = l.Store.DeleteCluster(l.Cluster) // we only wrote INIT; the holder owns the cluster
				}
				if errors.As(err, &te) && te.StalePlan() {
					l.forgetIfEmpty(ctx) // the plan created nothing
				}
				return nil, err
			}
			d := l.decide(f, pz, i+1 < len(zones), &guard, err)
			f.Decision = d.text
			failures = append(failures, *f)
			l.recordAttempt(pz, f)
			pending = d.pending
			blocks := d.blocks
			blocked = append(blocked, blocks...)
			// Another zone of the same region is tried on top of what this
			// attempt created (Terraform replaces the zonal parts: subnet,
			// instances), like SkyPilot's one-region-many-zones request;
			// everything is destroyed before leaving the region.
			nextZoneSameRegion := d.stop == nil && len(blocks) > 0 && blocks[0].Zone != "" && i+1 < len(zones)
			if nextZoneSameRegion {
				l.dirty = true
				l.freshState = true
			} else {
				cerr := l.leaveRegion(ctx, pz, f)
				if cerr != nil {
					return nil, &StopError{Failure: *f, Err: cerr,
						Fix: fmt.Sprintf("destroying what the attempt in %s created failed (%v); this can leak resources: check the cloud and run `skyplan down %s`", where, cerr, l.Cluster)}
				}
			}
			if d.stop != nil {
				if !l.NoFailover {
					l.forgetIfEmpty(ctx)
				}
				return nil, d.stop
			}
			if len(blocks) > 0 && blocks[0].Zone == "" {
				regionFailed = false // already blocked the whole region (or more)
				break
			}
		}
		if regionFailed && p.Zone == "" && len(p.Zones) > 0 {
			spot := p.UseSpot
			blocked = append(blocked, optimizer.Blocked{Cloud: p.Cloud, Region: p.Region, InstanceType: p.InstanceType, UseSpot: &spot, Reason: "every zone failed"})
		}
		if len(zones) == 0 && p.Zone == "" {
			// The optimizer offered a region whose zones are all blocked.
			spot := p.UseSpot
			blocked = append(blocked, optimizer.Blocked{Cloud: p.Cloud, Region: p.Region, InstanceType: p.InstanceType, UseSpot: &spot, Reason: "every zone blocked"})
		}
	}
}

func codeOr(f *Failure) string {
	if f.Code != "" {
		return f.Code
	}
	if m := oneLine(CloudMessage(f.Message), 80); m != "" {
		return m
	}
	return "Terraform reported no error text"
}

// attempt generates, initialises and applies one placement. A non-nil
// Failure means the cloud refused it; a nil Failure with an error means
// skyplan itself could not proceed (interrupt, generator error, …).
func (l *Launcher) attempt(ctx context.Context, p optimizer.Placement, first bool) ([]state.Node, *Failure, error) {
	l.lastApply = nil
	// INIT goes to the state DB before the first cloud call, so `status`
	// and `down` know about the cluster whatever happens next.
	if err := l.putInit(p); err != nil {
		return nil, nil, err
	}
	if l.PlanFile == "" {
		if err := l.leaveOldRegion(ctx, p); err != nil {
			return nil, nil, err
		}
		if err := l.Generate(p, l.WS.Dir); err != nil {
			return nil, nil, fmt.Errorf("generating Terraform for %s: %w", InfraLabel(p.Cloud, p.Region, p.Zone), err)
		}
	}
	if err := l.WS.Init(ctx); err != nil {
		return nil, l.failure(p, err), err
	}
	// The first attempt starts its own providers, like a plain apply;
	// once the loop fails over, its runs share one provider process.
	l.WS.reattach = nil
	if !first && l.WS.tc != nil && l.WS.tc.Env["SKYPLAN_PROVIDER_DAEMON"] != "0" {
		l.WS.reattach = l.providers.reattach(ctx, l.WS.Dir)
	}
	planFile := ""
	if first && l.PlanFile != "" {
		planFile = l.PlanFile
	} else if first && l.Confirm != nil {
		planFile = filepath.Join(l.WS.Dir, "skyplan.tfplan")
		_, res, err := l.WS.Plan(ctx, PlanOptions{Out: planFile})
		if err != nil {
			return nil, l.failure(p, err), err
		}
		ok, err := l.Confirm(p, res.Summary)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, ErrAborted
		}
	}
	if err := l.ensurePersistentBuckets(ctx); err != nil {
		return nil, nil, fmt.Errorf("persistent buckets: %w", err)
	}
	for try := 0; ; try++ {
		opts := ApplyOptions{NoRefresh: l.freshState && try == 0}
		if try == 0 {
			// The first apply answers a capacity error at once; a
			// transient retry in place gets the provider's retries back.
			if av, ok := cloud.As[cloud.AttemptVars](p.Cloud); ok {
				opts.Vars = av.AttemptVars()
			}
		}
		res, err := l.WS.Apply(ctx, planFile, opts)
		l.freshState = false
		l.lastApply = &res
		if len(res.Created) > 0 || len(res.Errored) > 0 {
			l.dirty = true
		}
		planFile = "" // a retry plans afresh: the saved plan is stale after a partial apply
		if err == nil {
			break
		}
		f := l.failure(p, err)
		if f == nil {
			return nil, nil, err
		}
		// A saved plan is applied exactly or not at all: no re-plan in place.
		if f.Class == Transient && try < l.TransientRetries && l.PlanFile == "" {
			wait := l.Backoff << try
			fmt.Fprintf(l.Log, "transient error in %s (%s) → retrying in place in %s …\n", InfraLabel(p.Cloud, p.Region, p.Zone), codeOr(f), wait)
			if err := sleepCtx(ctx, wait); err != nil {
				return nil, nil, err
			}
			continue
		}
		return nil, f, err
	}
	nodes, err := l.WS.Nodes(ctx)
	if err != nil {
		return nil, nil, err
	}
	return nodes, nil, nil
}

// failure classifies a terraform error; interrupts are not failures.
func (l *Launcher) failure(p optimizer.Placement, err error) *Failure {
	var te *TerraformError
	if !errors.As(err, &te) || te.Interrupted() || ctxDone(err) || te.Locked() || te.StalePlan() {
		// Not the cloud's verdict on this placement: an interrupt,
		// another process (maybe on another machine) holding the state,
		// or a saved plan the state has moved past.
		return nil
	}
	c := Classify(p.Cloud, te.Text())
	msg := te.Text()
	return &Failure{Placement: p, Class: c.Class, Code: c.Code, Message: strings.TrimSpace(msg), Verdict: c}
}

func ctxDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// leaveRegion removes what the failed attempt at p created before the
// loop tries another region: set aside and destroyed in the background
// when it can be (retire.go), else destroyed (and swept) here.
func (l *Launcher) leaveRegion(ctx context.Context, p optimizer.Placement, f *Failure) error {
	if l.NoFailover {
		return nil
	}
	need, err := l.needsDestroy(ctx)
	if err != nil || !need {
		return err
	}
	if l.retirable(f) {
		if ok, err := l.retire(ctx, p, f); ok || err != nil {
			return err
		}
	}
	if err := l.cleanup(ctx, p); err != nil {
		return err
	}
	return l.sweepAfterFailure(ctx, p, f)
}

// needsDestroy reports whether the state may hold resources of the failed
// attempt, reading the state only when the apply's stream cannot tell.
func (l *Launcher) needsDestroy(ctx context.Context) (bool, error) {
	if a := l.lastApply; a != nil && len(a.Created) > 0 {
		return true, nil // known to need a destroy: skip reading the state
	} else if a != nil && !l.dirty {
		// The apply ran, created nothing and left nothing half-made.
		return false, nil
	}
	n, err := l.WS.ManagedInstances(ctx)
	if err != nil {
		return false, err
	}
	if n == 0 {
		l.dirty = false
	}
	return n > 0, nil
}

// cleanup destroys whatever the failed attempt created, in place. An
// ever-UP cluster is left alone (its resources are the user's running
// cluster).
func (l *Launcher) cleanup(ctx context.Context, p optimizer.Placement) error {
	if l.NoFailover {
		return nil
	}
	fmt.Fprintf(l.Log, "Destroying what the attempt in %s created …\n", InfraLabel(p.Cloud, p.Region, p.Zone))
	var lastErr error
	for try := 0; try < 3; try++ {
		if _, lastErr = l.WS.Destroy(ctx, DestroyOptions{NoRefresh: try == 0}); lastErr == nil || ctxDone(lastErr) {
			l.dirty = lastErr != nil
			return lastErr
		}
	}
	return lastErr
}

// forgetIfEmpty drops the INIT record of a never-UP cluster when nothing
// of it is left on the cloud, so status does not list a phantom.
func (l *Launcher) forgetIfEmpty(ctx context.Context) {
	if err := l.waitRetired(ctx, ""); err != nil {
		fmt.Fprintf(l.Log, "%v\n", err)
	}
	if l.Store == nil || l.NoFailover {
		return
	}
	if recs, err := l.Store.ListRetired(l.Cluster); err != nil || len(recs) > 0 {
		return // a failed attempt's resources still exist: down finds them through the record
	}
	if n, err := l.WS.ManagedInstances(ctx); err == nil && n == 0 {
		if c, err := l.Store.GetCluster(l.Cluster); err == nil && !c.EverUp {
			_ = l.Store.DeleteCluster(l.Cluster)
			// Nothing of the cluster exists: its directory goes too.
			_ = RemoveClusterDir(ctx, l.WS)
		}
	}
}

func (l *Launcher) putInit(p optimizer.Placement) error {
	if l.Store == nil {
		return nil
	}
	return l.recordInit(p)
}

// recordInit writes the cluster as INIT with the placement about to be
// tried, before any cloud call, so status and down know about it whatever
// happens next. An ever-UP cluster is never re-recorded elsewhere.
func (l *Launcher) recordInit(p optimizer.Placement) error {
	c, err := l.Store.GetCluster(l.Cluster)
	if err != nil {
		c = &state.Cluster{Name: l.Cluster}
	}
	if c.EverUp && (c.Cloud != p.Cloud || c.Region != p.Region) {
		return fmt.Errorf("cluster %q was UP in %s; refusing to move it to %s", l.Cluster, InfraLabel(c.Cloud, c.Region, c.Zone), InfraLabel(p.Cloud, p.Region, p.Zone))
	}
	if c.Status != state.StatusUp {
		c.Status = state.StatusInit
	}
	setPlacement(c, p, l.NumNodes)
	c.TerraformDir, c.Backend = l.WS.Dir, l.Backend
	if l.TaskFile != "" {
		c.TaskFile = l.TaskFile
	}
	return l.Store.PutCluster(c)
}

func setPlacement(c *state.Cluster, p optimizer.Placement, numNodes int) {
	c.Cloud, c.Region, c.Zone = p.Cloud, p.Region, p.Zone
	c.InstanceType, c.Accelerators, c.UseSpot = p.InstanceType, p.Accelerators, p.UseSpot
	c.NumNodes = numNodes
	c.HourlyCost = p.HourlyCost
	if c.HourlyCost == 0 {
		c.HourlyCost = p.HourlyCostPerNode * float64(numNodes)
	}
}

func (l *Launcher) recordAttempt(p optimizer.Placement, f *Failure) {
	if l.Store == nil {
		return
	}
	_ = l.Store.AddAttempt(state.NewAttempt(l.Cluster, p.Key(), string(f.Class), attemptReason(f), time.Now()))
}

func (l *Launcher) succeeded(p optimizer.Placement, nodes []state.Node, failures []Failure) (*Outcome, error) {
	out := &Outcome{Placement: p, Nodes: nodes, Failures: failures}
	if l.Store == nil {
		return out, nil
	}
	c, err := MarkUp(l.Store, l.Cluster, p, l.NumNodes, nodes)
	if err != nil {
		return nil, err
	}
	_ = l.Store.AddAttempt(state.NewAttempt(l.Cluster, p.Key(), "ok", "ok", time.Now()))
	out.Cluster = c
	return out, nil
}

// MarkUp records a cluster as UP with its nodes and opens a launch record
// carrying the hourly price at launch time.
func MarkUp(st *state.Store, name string, p optimizer.Placement, numNodes int, nodes []state.Node) (*state.Cluster, error) {
	c, err := st.GetCluster(name)
	if err != nil {
		c = &state.Cluster{Name: name}
	}
	wasUp := c.Status == state.StatusUp
	setPlacement(c, p, numNodes)
	// The zone stays the one priced (blocks, recompiles and recovery speak
	// the catalog's names); the nodes keep the account's name, which
	// differs on AWS. Only a region-level placement learns its zone here.
	if p.Zone == "" && len(nodes) > 0 && nodes[0].Zone != "" {
		c.Zone = nodes[0].Zone
	}
	c.Status = state.StatusUp
	c.Nodes = nodes
	if !wasUp {
		c.LaunchedAt = time.Now().UTC()
	}
	if err := st.PutCluster(c); err != nil {
		return nil, err
	}
	if !wasUp {
		if _, err := st.StartLaunch(name, ResourcesLabel(numNodes, p.InstanceType, p.Accelerators, p.UseSpot), c.HourlyCost, c.LaunchedAt); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
