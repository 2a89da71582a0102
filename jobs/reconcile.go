package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// worker drives one job. Everything it must not forget is in the store;
// its own fields are hints that a restarted daemon may lose (the next
// poll rebuilds them), never the job's truth.
type worker struct {
	c  *Controller
	o  *Options
	id int64
	// resumed: the next launch step follows a daemon (re)start, so the
	// attempt's cluster may be half-created by a previous process.
	resumed bool

	unreachableSince time.Time
	nextPoll         time.Time
	nextLaunch       time.Time
	launchFailures   int
	submitFailures   int
	detectedAt       time.Time // when the current failure was first seen
	// unconfirmedSince: the head reports a failed run that the cloud has
	// not yet confirmed to be the user's (see userFailure).
	unconfirmedSince time.Time
	follow           *follower
	log              *jobLog
	// bg: teardowns of earlier attempts running beside the next launch.
	bg   map[int]chan struct{}
	bgMu sync.Mutex
}

func (w *worker) run(ctx context.Context) {
	w.log = &jobLog{o: w.o, id: w.id}
	defer w.waitBackground()
	defer w.stopFollow()
	for ctx.Err() == nil {
		wait, done, err := w.Step(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.printf("reconcile error (retrying in %s): %v", w.o.Poll, err)
			wait = w.o.Poll
		}
		if done {
			return
		}
		if wait <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-w.o.Clock.After(wait):
		}
	}
}

// Step is one level-triggered pass over the job: read its record and
// attempts, compare with what the head and the cloud say, write the next
// transition, then act on it. It returns how long to wait before the next
// pass and whether the job needs nothing more.
func (w *worker) Step(ctx context.Context) (wait time.Duration, done bool, err error) {
	if w.log == nil {
		w.log = &jobLog{o: w.o, id: w.id}
	}
	st := w.o.Store
	j, err := st.Get(w.id)
	if err != nil {
		return 0, false, err
	}
	atts, err := st.Attempts(w.id)
	if err != nil {
		return 0, false, err
	}
	var cur *Attempt
	if len(atts) > 0 {
		cur = atts[len(atts)-1]
	}
	now := w.o.Clock.Now()

	if j.Status.Terminal() {
		// A finished job keeps the controller only until every cluster of
		// every attempt is gone.
		w.waitBackground()
		if atts, err = st.Attempts(w.id); err != nil {
			return 0, false, err
		}
		for _, a := range atts {
			if !a.Cleaned {
				if err := w.teardown(ctx, a); err != nil {
					return w.o.Poll, false, err
				}
			}
		}
		DropSecrets(w.o.Home, j.Spec.TaskID)
		return 0, true, nil
	}
	if j.Status != Cancelling {
		// Earlier attempts' clusters are destroyed beside the current one.
		for _, a := range atts[:max(0, len(atts)-1)] {
			if !a.Cleaned {
				w.teardownInBackground(ctx, a)
			}
		}
	}
	if j.CancelRequested && j.Status != Cancelling {
		_, err := st.Transition(j.ID, Cancelling, "", now, nil)
		return 0, false, err
	}
	if j.Status == Cancelling {
		return 0, false, w.cancel(ctx, j, cur)
	}
	switch {
	case cur == nil:
		// PENDING: attempt 1 is written before STARTING and before the
		// first cloud call.
		a := w.newAttempt(j, 1, nil, nil, now)
		_, err := st.Transition(j.ID, Starting, "", now, nil, a)
		return 0, false, err
	case j.Status == Pending:
		_, err := st.Transition(j.ID, Starting, "", now, nil)
		return 0, false, err
	case cur.Phase == PhaseLaunching:
		return w.launch(ctx, j, cur, now)
	case cur.Phase == PhaseSubmitting:
		return w.submit(ctx, j, cur, now)
	case cur.Phase == PhaseRunning:
		return w.poll(ctx, j, cur, now)
	case cur.Phase == PhaseEnded:
		// A recovery in progress (possibly interrupted by a crash).
		return 0, false, w.relaunch(ctx, j, cur, atts, now)
	}
	return 0, false, fmt.Errorf("job %d attempt %d: unknown phase %q", j.ID, cur.N, cur.Phase)
}

func (w *worker) newAttempt(j *Job, n int, blocked []Location, prefer *Location, now time.Time) *Attempt {
	a := &Attempt{JobID: j.ID, N: n, Cluster: ClusterName(j.ID, n), Phase: PhaseLaunching,
		Blocked: blocked, SameRegionFirst: prefer, StartedAt: now, Phases: map[string]float64{}}
	if w.o.SpotPolicy != nil && j.Spec.Recovery.Deadline > 0 {
		atts, _ := w.o.Store.Attempts(j.ID)
		v := w.o.SpotPolicy.UseSpot(j, atts, now)
		a.WantSpot = &v
	}
	return a
}

func (w *worker) launch(ctx context.Context, j *Job, a *Attempt, now time.Time) (time.Duration, bool, error) {
	if now.Before(w.nextLaunch) {
		return w.nextLaunch.Sub(now), false, nil
	}
	if w.resumed && a.StartedAt.Before(w.c.started) {
		w.log.printf("attempt %d: resuming its launch after a controller restart (cluster %s)", a.N, a.Cluster)
	} else {
		w.log.printf("attempt %d: launching cluster %s%s", a.N, a.Cluster, blockedNote(a.Blocked))
	}
	w.resumed = false
	if !w.c.slot(ctx) {
		return 0, false, ctx.Err()
	}
	lctx, stop := w.untilCancelled(ctx)
	p, err := w.o.Clusters.Launch(lctx, LaunchRequest{Cluster: a.Cluster, Task: j.Spec.Task, Blocked: a.Blocked,
		UseSpot: a.WantSpot, Prefer: a.SameRegionFirst, SSHCIDRs: j.Spec.SSHCIDRs, Log: w.log})
	w.c.unslot()
	cancelled := stop()
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	if cancelled {
		w.log.printf("attempt %d: launch interrupted: the job was cancelled", a.N)
		return 0, false, nil // the next pass moves to CANCELLING
	}
	now = w.o.Clock.Now()
	if err != nil {
		return w.launchFailed(ctx, j, a, err, now)
	}
	w.launchFailures = 0
	a.Cloud, a.Region, a.Zone, a.InstanceType = p.Cloud, p.Region, p.Zone, p.InstanceType
	a.UseSpot, a.HourlyCost, a.NumNodes = p.UseSpot, p.HourlyCost, p.NumNodes
	a.UpAt = &now
	a.Phase = PhaseSubmitting
	a.setPhase("apply", now.Sub(a.StartedAt).Seconds())
	w.log.printf("attempt %d: cluster %s is up in %s (%s, %s, $%.3f/h)", a.N, a.Cluster,
		Location{p.Cloud, p.Region, p.Zone}, p.InstanceType, spotWord(p.UseSpot), p.HourlyCost)
	return 0, false, w.o.Store.PutAttempt(a)
}

func (w *worker) launchFailed(ctx context.Context, j *Job, a *Attempt, err error, now time.Time) (time.Duration, bool, error) {
	w.log.printf("attempt %d: launch failed: %v", a.N, err)
	switch {
	case errors.Is(err, ErrPrecheck) && j.Recoveries == 0:
		// The task cannot start anywhere as written. During a recovery the
		// same error is more likely passing (a lock, the cloud's API), and
		// giving up would abandon a job that ran: retry instead.
		return 0, false, w.finish(ctx, j, a, FailedPrechecks, "launch precheck failed: "+err.Error(), nil, now)
	case errors.Is(err, ErrNoResource) && a.WantSpot != nil && *a.WantSpot && w.o.SpotPolicy != nil:
		// A deadline job that could not get spot is not out of resources:
		// the spot policy decides below whether to wait or go on-demand.
	case errors.Is(err, ErrNoResource) && j.Recoveries == 0:
		// The first launch found nothing (SkyPilot: FAILED_NO_RESOURCE).
		return 0, false, w.finish(ctx, j, a, FailedNoResource, "no placement could be provisioned: "+err.Error(), nil, now)
	case errors.Is(err, ErrNoResource) && len(a.Blocked) > 0:
		// A recovery exhausted every region but the blocked ones: try
		// anywhere (SkyPilot's EAGER_NEXT_REGION falls back the same way).
		w.log.printf("attempt %d: nothing outside %s; now trying every location", a.N, blockedNote(a.Blocked))
		a.Blocked, a.SameRegionFirst = nil, nil
		if err := w.o.Store.PutAttempt(a); err != nil {
			return 0, false, err
		}
	}
	// A job with a deadline learns here that spot could not be had: the
	// spot policy decides again (its fallback: on-demand, or keep trying
	// spot), recorded before the retry acts on it.
	if w.o.SpotPolicy != nil && j.Spec.Recovery.Deadline > 0 && a.WantSpot != nil {
		if atts, aerr := w.o.Store.Attempts(j.ID); aerr == nil {
			if v := w.o.SpotPolicy.UseSpot(j, atts, now); v != *a.WantSpot {
				a.WantSpot = &v
				w.log.printf("attempt %d: the spot policy now wants %s", a.N, spotWord(v))
				if err := w.o.Store.PutAttempt(a); err != nil {
					return 0, false, err
				}
			}
		}
	}
	// Recoveries retry forever (SkyPilot), with backoff; cancel stops them.
	gap := w.o.RetryGap
	for i := 0; i < w.launchFailures; i++ {
		gap = time.Duration(float64(gap) * 1.6)
	}
	gap = min(gap, w.o.MaxRetryGap)
	w.launchFailures++
	w.nextLaunch = now.Add(gap)
	w.log.printf("attempt %d: retrying the launch in %s", a.N, gap)
	return gap, false, nil
}

func (w *worker) submit(ctx context.Context, j *Job, a *Attempt, now time.Time) (time.Duration, bool, error) {
	name := HeadJobName(j, a.N)
	id, err := w.o.Clusters.FindJob(ctx, a.Cluster, name)
	if err == nil && id == 0 {
		env := map[string]string{
			"SKYPILOT_TASK_ID":        j.Spec.TaskID,
			"SKYPLAN_TASK_ID":         j.Spec.TaskID,
			"SKYPLAN_RECOVERY_COUNT":  strconv.Itoa(j.Recoveries),
			"SKYPILOT_RECOVERY_COUNT": strconv.Itoa(j.Recoveries),
			"SKYPLAN_MANAGED_JOB_ID":  strconv.FormatInt(j.ID, 10),
		}
		w.log.printf("attempt %d: submitting job %s (setup + run) on %s", a.N, name, a.Cluster)
		t := j.Spec.Task
		if w.o.Secrets != nil {
			vals, serr := w.o.Secrets(j.Spec.TaskID)
			if serr != nil {
				return 0, false, serr
			}
			t = withSecrets(t, vals)
		}
		if !w.c.slot(ctx) {
			return 0, false, ctx.Err()
		}
		sctx, stop := w.untilCancelled(ctx)
		id, err = w.o.Clusters.Submit(sctx, SubmitRequest{Cluster: a.Cluster, Task: t, JobName: name,
			Env: env, TaskID: j.Spec.TaskID, Log: w.log})
		w.c.unslot()
		if stop() && ctx.Err() == nil {
			return 0, false, nil // cancelled: the next pass moves to CANCELLING
		}
	}
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	now = w.o.Clock.Now()
	if err != nil {
		w.log.printf("attempt %d: submitting failed: %v", a.N, err)
		if h, herr := w.o.Clusters.Healthy(ctx, a.Cluster); herr == nil && !h.Up {
			return 0, false, w.recover(ctx, j, a, "preempted during setup: "+h.Detail, true, false, nil, now)
		}
		w.submitFailures++
		if w.submitFailures >= 3 {
			return 0, false, w.recover(ctx, j, a, "the nodes could not be set up: "+err.Error(), false, false, nil, now)
		}
		return w.o.Poll, false, nil
	}
	w.submitFailures = 0
	a.HeadJob = id
	a.Phase = PhaseRunning
	if err := w.o.Store.PutAttempt(a); err != nil {
		return 0, false, err
	}
	w.nextPoll = now
	return 0, false, nil
}

func (w *worker) poll(ctx context.Context, j *Job, a *Attempt, now time.Time) (time.Duration, bool, error) {
	w.ensureFollow(ctx, j, a)
	if now.Before(w.nextPoll) {
		return w.nextPoll.Sub(now), false, nil
	}
	w.nextPoll = now.Add(w.o.Poll)
	pctx, cancel := context.WithTimeout(ctx, w.o.StatusTimeout)
	hs, err := w.o.Clusters.JobStatus(pctx, a.Cluster, a.HeadJob)
	cancel()
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	if err != nil {
		return w.unreachable(ctx, j, a, err)
	}
	if !w.unreachableSince.IsZero() {
		w.log.printf("attempt %d: the head answers again after %s", a.N, w.o.Clock.Now().Sub(w.unreachableSince).Round(time.Second))
	}
	w.unreachableSince, w.detectedAt = time.Time{}, time.Time{}
	now = w.o.Clock.Now()
	switch hs.Status {
	case "RUNNING":
		w.unconfirmedSince = time.Time{}
		if j.Status != Running {
			a.RunningAt = &now
			if a.UpAt != nil {
				a.setPhase("setup", now.Sub(*a.UpAt).Seconds())
			}
			if _, err := w.o.Store.Transition(j.ID, Running, "", now, nil, a); err != nil {
				return 0, false, err
			}
			w.log.printf("attempt %d: RUNNING", a.N)
		}
	case "SUCCEEDED":
		if a.RunningAt == nil && a.UpAt != nil {
			// Done before a poll saw it run: setup ended by this poll.
			a.RunningAt = &now
			a.setPhase("setup", now.Sub(*a.UpAt).Seconds())
		}
		return 0, false, w.finish(ctx, j, a, Succeeded, "", hs.ExitCode, now)
	case "FAILED", "FAILED_SETUP", "FAILED_DRIVER":
		return w.userFailure(ctx, j, a, hs, now)
	case "CANCELLED":
		return 0, false, w.finish(ctx, j, a, Cancelled, "", hs.ExitCode, now)
	}
	if switched, err := w.maybeSwitch(ctx, j, a, now); switched || err != nil {
		return 0, false, err
	}
	return w.nextPoll.Sub(now), false, nil
}

// unreachable handles a poll the head did not answer. A failed poll alone
// proves nothing (network blip, hung sshd, busy node): the cloud decides.
// Only when it says an instance is gone or stopped is the attempt
// preempted; a head that stays silent while the cloud says it runs is
// given UnreachableGrace before it is declared hung.
func (w *worker) unreachable(ctx context.Context, j *Job, a *Attempt, perr error) (time.Duration, bool, error) {
	now := w.o.Clock.Now()
	if w.unreachableSince.IsZero() {
		w.unreachableSince, w.detectedAt = now, now
		w.log.printf("attempt %d: the head did not answer (%v); asking the cloud", a.N, oneLine(perr))
	}
	h, err := w.o.Clusters.Healthy(ctx, a.Cluster)
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	now = w.o.Clock.Now()
	switch {
	case err != nil:
		w.log.printf("attempt %d: the cloud could not be asked (%v); not recovering on a guess", a.N, oneLine(err))
	case !h.Up:
		w.log.printf("attempt %d: the cloud confirms the cluster is gone%s: %s", a.N, h.via(), h.Detail)
		return 0, false, w.recover(ctx, j, a, "preempted: "+h.Detail, true, false, nil, now)
	case now.Sub(w.unreachableSince) >= w.o.UnreachableGrace:
		return 0, false, w.recover(ctx, j, a, fmt.Sprintf("the head did not answer for %s although the cloud reports it running",
			now.Sub(w.unreachableSince).Round(time.Second)), false, false, nil, now)
	default:
		w.log.printf("attempt %d: the cloud reports every instance running%s; waiting (unreachable for %s of %s)", a.N, h.via(),
			now.Sub(w.unreachableSince).Round(time.Second), w.o.UnreachableGrace)
	}
	return max(0, w.nextPoll.Sub(now)), false, nil
}

// userFailure: the run (or setup) exited non-zero. A preempted worker can
// make a healthy head report FAILED, so the cloud is asked first. Two
// answers prove nothing yet and are asked again, for up to
// UnreachableGrace, before the failure is taken for the user's: the cloud
// could not be asked, or the head reports the job's processes gone
// without an exit code (what a machine going down looks like from the
// inside, seconds before the cloud lists the instance as terminated).
func (w *worker) userFailure(ctx context.Context, j *Job, a *Attempt, hs HeadStatus, now time.Time) (time.Duration, bool, error) {
	h, herr := w.o.Clusters.Healthy(ctx, a.Cluster)
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	if herr == nil && !h.Up {
		w.unconfirmedSince = time.Time{}
		return 0, false, w.recover(ctx, j, a, "preempted: "+h.Detail, true, false, hs.ExitCode, now)
	}
	if herr != nil || hs.ExitCode == nil {
		if w.unconfirmedSince.IsZero() {
			w.unconfirmedSince = now
			if w.detectedAt.IsZero() {
				w.detectedAt = now
			}
		}
		if waited := now.Sub(w.unconfirmedSince); waited < w.o.UnreachableGrace {
			why := "the cloud reports every instance running" + h.via()
			if herr != nil {
				why = "the cloud could not be asked (" + oneLine(herr) + ")"
			}
			what := "without an exit code"
			if hs.ExitCode != nil {
				what = "with exit code " + strconv.Itoa(*hs.ExitCode)
			}
			w.log.printf("attempt %d: the head reports %s %s and %s; asking again before calling it the user's failure (%s of %s)",
				a.N, hs.Status, what, why, waited.Round(time.Second), w.o.UnreachableGrace)
			return max(0, w.nextPoll.Sub(now)), false, nil
		}
	}
	w.unconfirmedSince = time.Time{}
	code := "unknown"
	if hs.ExitCode != nil {
		code = strconv.Itoa(*hs.ExitCode)
	}
	rc := j.Spec.Recovery
	switch {
	case rc.recoverExit(hs.ExitCode):
		return 0, false, w.recover(ctx, j, a, "exit code "+code+" is in recover_on_exit_codes", false, false, hs.ExitCode, now)
	case j.Restarts < rc.MaxRestartsOnErrors:
		return 0, false, w.recover(ctx, j, a, fmt.Sprintf("user code failed with exit code %s (restart %d of %d)", code,
			j.Restarts+1, rc.MaxRestartsOnErrors), false, true, hs.ExitCode, now)
	}
	status, what := Failed, "the run"
	if hs.Status == "FAILED_SETUP" {
		status, what = FailedSetup, "setup"
	}
	reason := fmt.Sprintf("%s exited with code %s", what, code)
	if hs.ExitCode == nil {
		reason = what + " ended without an exit code (its processes were killed on the node) while the cloud reports every node running"
	}
	if rc.MaxRestartsOnErrors > 0 {
		reason += fmt.Sprintf(" after %d restart(s) (max_restarts_on_errors: %d)", j.Restarts, rc.MaxRestartsOnErrors)
	}
	return 0, false, w.finish(ctx, j, a, status, reason, hs.ExitCode, now)
}

// recover ends attempt a and moves the job to RECOVERING in one write;
// relaunch (the next passes) saves logs, destroys a's cluster and starts
// the next attempt.
func (w *worker) recover(ctx context.Context, j *Job, a *Attempt, reason string, preempted, counted bool, code *int, now time.Time) error {
	w.endAttempt(a, reason, code, now)
	a.Preempted = preempted
	if !w.detectedAt.IsZero() {
		a.setPhase("detect", now.Sub(w.detectedAt).Seconds())
	}
	w.log.printf("attempt %d ended: %s → RECOVERING", a.N, reason)
	_, err := w.o.Store.Transition(j.ID, Recovering, reason, now, func(j *Job) {
		j.Recoveries++
		if counted {
			j.Restarts++
		}
	}, a)
	w.unreachableSince, w.detectedAt, w.unconfirmedSince = time.Time{}, time.Time{}, time.Time{}
	return err
}

func (w *worker) endAttempt(a *Attempt, reason string, code *int, now time.Time) {
	w.stopFollow()
	a.Phase, a.EndReason, a.ExitCode = PhaseEnded, reason, code
	if a.EndedAt == nil {
		a.EndedAt = &now
	}
}

// relaunch continues a recovery from wherever it stopped: logs, teardown,
// then the next attempt's record (the launch step takes it from there).
func (w *worker) relaunch(ctx context.Context, j *Job, a *Attempt, atts []*Attempt, now time.Time) error {
	if j.Status != Recovering {
		// Ended but not recovering and not terminal: finish the move.
		_, err := w.o.Store.Transition(j.ID, Recovering, a.EndReason, now, func(j *Job) { j.Recoveries++ })
		return err
	}
	// The dead attempt's logs are saved now; its cluster is destroyed in
	// the background while the next attempt launches (a different
	// cluster), so teardown does not add to the recovery time.
	w.saveLogs(ctx, a)
	blocked := append([]Location(nil), a.Blocked...)
	var prefer *Location
	loc := Location{Cloud: a.Cloud, Region: a.Region}
	switch {
	case j.Spec.Recovery.Strategy == Failover && a.Region != "":
		prefer = &loc // same region first, then anywhere
	case a.Preempted && !j.Spec.PinnedRegion && a.Region != "":
		blocked = append(blocked, loc)
	}
	next := w.newAttempt(j, a.N+1, blocked, prefer, w.o.Clock.Now())
	if a.NextSpot != nil {
		// Ended by the deadline policy to change kind: that decision holds.
		v := *a.NextSpot
		next.WantSpot = &v
	}
	w.resumed = false
	w.nextLaunch = time.Time{}
	w.launchFailures = 0
	w.log.printf("attempt %d: relaunching as attempt %d (recovery %d)", a.N, next.N, j.Recoveries)
	if err := w.o.Store.PutAttempt(next); err != nil {
		return err
	}
	if !a.Cleaned {
		w.teardownInBackground(ctx, a)
	}
	return nil
}

// untilCancelled derives a context that is cancelled when the user
// cancels the job (the store's flag, checked every second), so a long
// launch or setup does not delay a cancellation. stop ends the watch and
// reports whether the cancellation fired.
func (w *worker) untilCancelled(ctx context.Context) (context.Context, func() bool) {
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var fired bool
	var mu sync.Mutex
	go func() {
		for {
			select {
			case <-done:
				return
			case <-cctx.Done():
				return
			case <-time.After(time.Second):
			}
			if j, err := w.o.Store.Get(w.id); err == nil && j.CancelRequested {
				mu.Lock()
				fired = true
				mu.Unlock()
				cancel()
				return
			}
		}
	}()
	return cctx, func() bool {
		close(done)
		cancel()
		mu.Lock()
		defer mu.Unlock()
		return fired
	}
}

// teardownInBackground destroys attempt a's cluster unless that is already
// under way; the Cleaned mark is written when Down succeeded, so a crash
// leaves it for the next controller.
func (w *worker) teardownInBackground(ctx context.Context, a *Attempt) {
	w.bgMu.Lock()
	defer w.bgMu.Unlock()
	if _, busy := w.bg[a.N]; busy {
		return
	}
	done := make(chan struct{})
	w.bg[a.N] = done
	go func() {
		defer func() {
			w.bgMu.Lock()
			delete(w.bg, a.N)
			w.bgMu.Unlock()
			close(done)
		}()
		start := w.o.Clock.Now()
		if err := w.teardown(ctx, a); err != nil {
			return // retried by the next pass
		}
		a.setPhase("teardown", w.o.Clock.Now().Sub(start).Seconds())
		_ = w.o.Store.PutAttempt(a)
	}()
}

// waitBackground waits for background teardowns (the worker is exiting).
func (w *worker) waitBackground() {
	w.bgMu.Lock()
	var chans []chan struct{}
	for _, c := range w.bg {
		chans = append(chans, c)
	}
	w.bgMu.Unlock()
	for _, c := range chans {
		<-c
	}
}

// finish writes a terminal state, then destroys the attempt's cluster
// (the terminal pass retries the teardown until it succeeds).
func (w *worker) finish(ctx context.Context, j *Job, a *Attempt, to Status, reason string, code *int, now time.Time) error {
	if a.Phase != PhaseEnded {
		w.endAttempt(a, firstNonEmpty(reason, string(to)), code, now)
	}
	w.log.printf("attempt %d: job %s%s", a.N, to, prefixed(": ", reason))
	// Logs first: a client that sees the terminal state finds them saved.
	w.saveLogs(ctx, a)
	if _, err := w.o.Store.Transition(j.ID, to, reason, now, nil, a); err != nil {
		return err
	}
	return w.teardown(ctx, a)
}

func (w *worker) cancel(ctx context.Context, j *Job, a *Attempt) error {
	now := w.o.Clock.Now()
	if a != nil && a.Phase == PhaseRunning && a.HeadJob > 0 {
		cctx, cancel := context.WithTimeout(ctx, w.o.StatusTimeout)
		_ = w.o.Clusters.CancelJob(cctx, a.Cluster, a.HeadJob)
		cancel()
	}
	if a != nil && a.Phase != PhaseEnded {
		w.endAttempt(a, "cancelled", nil, now)
		if err := w.o.Store.PutAttempt(a); err != nil {
			return err
		}
	}
	if a != nil {
		w.saveLogs(ctx, a)
	}
	w.waitBackground()
	atts, err := w.o.Store.Attempts(j.ID)
	if err != nil {
		return err
	}
	for _, x := range atts {
		if !x.Cleaned {
			if err := w.teardown(ctx, x); err != nil {
				return err
			}
		}
	}
	_, err = w.o.Store.Transition(j.ID, Cancelled, "", w.o.Clock.Now(), nil)
	w.log.printf("job CANCELLED; every cluster destroyed")
	return err
}

// teardown destroys attempt a's cluster and records it, with the mark
// written only after Down succeeded.
func (w *worker) teardown(ctx context.Context, a *Attempt) error {
	w.log.printf("attempt %d: destroying cluster %s", a.N, a.Cluster)
	if err := w.o.Clusters.Down(ctx, a.Cluster); err != nil {
		w.log.printf("attempt %d: teardown failed (will retry): %v", a.N, err)
		return fmt.Errorf("tearing down %s: %w", a.Cluster, err)
	}
	a.Cleaned = true
	return w.o.Store.PutAttempt(a)
}

func blockedNote(b []Location) string {
	if len(b) == 0 {
		return ""
	}
	s := " (avoiding"
	for _, l := range b {
		s += " " + l.String()
	}
	return s + ")"
}

func spotWord(spot bool) string {
	if spot {
		return "spot"
	}
	return "on-demand"
}

func oneLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			s = s[:i]
			break
		}
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
