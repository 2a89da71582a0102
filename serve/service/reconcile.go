package service

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/state"
)

// Update modes of `serve update`.
const (
	ModeRolling   = "rolling"
	ModeBlueGreen = "blue_green"
)

// keepTerminal is how many ended replicas a service keeps listed.
const keepTerminal = 10

func (c *Controller) reconcileService(ctx context.Context, svc *state.Service) error {
	rt, err := c.runtimeFor(svc)
	if rt == nil {
		return err
	}
	if err != nil && !svc.DownRequested {
		c.setStatus(svc, state.ServiceFailed, err.Error())
		return err
	}
	now := c.o.Now()
	// Busy first, then state: an idle replica's record is then current
	// (see replica.Manager).
	busy := c.mgr.Busy(svc.Name)
	reps, err := c.o.Store.ListReplicas(svc.Name)
	if err != nil {
		return err
	}
	byID(reps)

	var probe []*state.Replica
	for _, r := range reps {
		if busy[r.ID] {
			continue
		}
		switch r.Status {
		case state.ReplicaProvisioning:
			// No launch is running for it: the controller was restarted
			// mid-launch. What the launch created may be half up, so it
			// is torn down; the scaler launches a replacement.
			c.logf(svc.Name, "replica %d: launch was interrupted (controller restart); tearing down cluster %s", r.ID, r.Cluster)
			c.markTerminate(r, now, true, state.ReplicaFailedProvision, "launch interrupted by a controller restart", 0)
		case state.ReplicaStarting, state.ReplicaReady, state.ReplicaNotReady:
			if !r.Terminate {
				probe = append(probe, r)
			}
		}
	}
	c.probeAll(ctx, rt, svc, probe, now)
	c.reportPreemptions(rt, reps)
	if pp, ok := rt.placer.(PersistentPlacer); ok {
		if snap := pp.Snapshot(); string(snap) != string(svc.PlacerState) {
			if _, err := c.o.Store.UpdateService(svc.Name, func(s *state.Service) error { s.PlacerState = snap; return nil }); err == nil {
				svc.PlacerState = snap
			}
		}
	}

	if svc.DownRequested {
		for _, r := range reps {
			if !busy[r.ID] && !r.Status.Terminal() && !r.Terminate {
				c.markTerminate(r, now, true, "", "service shutting down", c.o.DrainTimeout)
			}
		}
	} else if newest := rt.specs[svc.Version]; newest != nil && rt.scaler != nil {
		c.scale(rt, svc, newest, reps, busy, now)
	}
	c.teardown(rt, svc, reps, busy, now)
	c.syncRotation(rt, svc, reps)
	return c.finish(rt, svc, busy)
}

// DefaultProbeInterval between two probes of a replica. SkyServe probes
// every 10 s; a dead replica should leave the rotation within a second,
// and a GET twice a second is nothing for a serving replica.
const DefaultProbeInterval = 500 * time.Millisecond

// probeDue reports whether replica r's probe interval has passed.
func (c *Controller) probeDue(rt *runtime, svc *state.Service, r *state.Replica, now time.Time) bool {
	if rt.probed == nil {
		rt.probed = map[int]time.Time{}
	}
	interval := DefaultProbeInterval
	if s, err := c.spec(rt, svc, r.Version); err == nil && s.ProbeInterval > 0 {
		interval = s.ProbeInterval
	}
	if last, ok := rt.probed[r.ID]; ok && now.Sub(last) < interval {
		return false
	}
	rt.probed[r.ID] = now
	return true
}

// upCheckEvery bounds how often a failing replica's cluster is refreshed;
// upCheckTimeout bounds one refresh (a Terraform refresh of a cloud
// cluster took 20-40 s on a loaded machine: a shorter bound cut every one
// off and a preempted replica was never confirmed gone).
const (
	upCheckEvery   = 5 * time.Second
	upCheckTimeout = 90 * time.Second
	// refreshWait: how long a failed probe waits for its refresh before
	// its result is applied without the verdict.
	refreshWait = 300 * time.Millisecond
)

// refreshCluster asks in the background whether r's cluster is still up
// (one refresh per replica at a time); a cluster found gone is noted in
// rt.gone for the replica's next probe result.
// The returned channel is closed when the refresh has answered.
func (c *Controller) refreshCluster(ctx context.Context, rt *runtime, r state.Replica) <-chan struct{} {
	done := make(chan struct{})
	rt.upMu.Lock()
	if rt.upRunning == nil {
		rt.upRunning = map[int]bool{}
	}
	if rt.upRunning[r.ID] {
		rt.upMu.Unlock()
		return done // the one in flight answers a later probe
	}
	rt.upRunning[r.ID] = true
	rt.upMu.Unlock()
	go func() {
		defer close(done)
		defer func() {
			rt.upMu.Lock()
			delete(rt.upRunning, r.ID)
			rt.upMu.Unlock()
		}()
		uctx, cancel := context.WithTimeout(ctx, upCheckTimeout)
		up, err := c.o.Clusters.Up(uctx, r.Cluster)
		cancel()
		if err == nil && !up {
			rt.probeMu.Lock()
			rt.gone[r.ID] = true
			rt.probeMu.Unlock()
		}
	}()
	return done
}

func (c *Controller) upCheckDue(rt *runtime, r *state.Replica, now time.Time) bool {
	rt.upMu.Lock()
	defer rt.upMu.Unlock()
	if rt.upChecked == nil {
		rt.upChecked = map[int]time.Time{}
	}
	last, ok := rt.upChecked[r.ID]
	if r.Status == state.ReplicaReady || !ok || now.Sub(last) >= upCheckEvery {
		rt.upChecked[r.ID] = now
		return true
	}
	return false
}

// markTerminate records that a replica must go; teardown drains it.
func (c *Controller) markTerminate(r *state.Replica, now time.Time, purge bool, final state.ReplicaStatus, reason string, drain time.Duration) {
	r.Terminate, r.Purge, r.Reason = true, purge, reason
	if final != "" {
		r.FinalStatus = final
	}
	if r.Status != state.ReplicaReady {
		drain = 0 // nothing routed to it
	}
	if r.Status != state.ReplicaPending {
		r.Status, r.ChangedAt, r.DrainUntil = state.ReplicaShuttingDown, now, now.Add(drain)
	}
	if err := c.o.Store.PutReplica(r); err != nil {
		c.logf(r.Service, "replica %d: recording SHUTTING_DOWN: %v", r.ID, err)
	}
}

// probeWait bounds how long a pass waits for the probes it started. A
// probe that takes longer (a hung replica, a slow cloud refresh) keeps
// running; its result is applied by a later pass, so one stuck replica
// never stalls the service's other replicas or the rest of the pass.
const probeWait = time.Second

// probeAll starts the due probes (at most one in flight per replica),
// waits up to probeWait, and applies every result that has arrived.
func (c *Controller) probeAll(ctx context.Context, rt *runtime, svc *state.Service, reps []*state.Replica, now time.Time) {
	rt.probeMu.Lock()
	if rt.probing == nil {
		rt.probing, rt.results = map[int]bool{}, map[int]replica.Observation{}
		rt.pulled, rt.gone = map[int]bool{}, map[int]bool{}
	}
	rt.probeMu.Unlock()
	var wg sync.WaitGroup
	for _, r := range reps {
		s, err := c.spec(rt, svc, r.Version)
		if err != nil {
			continue
		}
		rt.probeMu.Lock()
		busy := rt.probing[r.ID]
		rt.probeMu.Unlock()
		if busy || !c.probeDue(rt, svc, r, now) {
			continue
		}
		rt.probeMu.Lock()
		rt.probing[r.ID] = true
		rt.probeMu.Unlock()
		wg.Add(1)
		go func(r state.Replica, s *Spec) {
			defer wg.Done()
			var obs replica.Observation
			obs.ProbeErr = s.Probe.Do(ctx, c.o.ProbeClient, r.URL)
			if obs.ProbeErr != nil {
				if r.Status == state.ReplicaReady && s.Policy.Defaults().NotReadyAfter <= 1 {
					// Out of rotation the moment the probe fails, and kept
					// out by syncRotation until the result is applied.
					rt.probeMu.Lock()
					rt.pulled[r.ID] = true
					rt.probeMu.Unlock()
					rt.lb.Remove(r.URL)
				}
				// Ask whether the cluster is still there (a refresh: for a
				// cloud, a Terraform refresh, so not on every probe): at
				// once when a serving replica first fails (preempted:
				// replace it now), then at most every upCheckEvery. A
				// quick answer (an SSH port probe) comes with this
				// result; a Terraform refresh takes seconds to a minute,
				// so this result (NOT_READY) is applied without waiting
				// for it and its verdict comes with a later probe's.
				if c.upCheckDue(rt, &r, now) {
					select {
					case <-c.refreshCluster(ctx, rt, r):
					case <-time.After(refreshWait):
					}
				}
			}
			rt.probeMu.Lock()
			if obs.ProbeErr != nil && rt.gone[r.ID] {
				obs.ClusterGone = true
			}
			rt.results[r.ID] = obs
			delete(rt.probing, r.ID)
			rt.probeMu.Unlock()
		}(*r, s)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(probeWait):
	case <-ctx.Done():
	}
	for _, r := range reps {
		rt.probeMu.Lock()
		obs, ok := rt.results[r.ID]
		delete(rt.results, r.ID)
		rt.probeMu.Unlock()
		s := rt.specs[r.Version]
		if !ok || s == nil {
			continue
		}
		before := r.Status
		act := replica.Transition(r, obs, now, s.Policy)
		rt.probeMu.Lock()
		delete(rt.pulled, r.ID) // the record now says whether it serves
		if obs.ClusterGone || obs.ProbeErr == nil {
			delete(rt.gone, r.ID)
		}
		rt.probeMu.Unlock()
		if act == replica.RemoveFromRotation || act == replica.Teardown {
			// Out of rotation first: the LB must not pick it while the
			// record is written.
			rt.lb.Remove(r.URL)
		}
		if act == replica.AddToRotation && r.UseSpot && rt.placer != nil {
			rt.placer.Active(replica.Location{Cloud: r.Cloud, Region: r.Region, Zone: r.Zone, UseSpot: true})
		}
		if err := c.o.Store.PutReplica(r); err != nil {
			c.logf(svc.Name, "replica %d: recording %s: %v", r.ID, r.Status, err)
			continue
		}
		if before != r.Status {
			msg := ""
			if obs.ProbeErr != nil {
				msg = ": " + obs.ProbeErr.Error()
			}
			c.logf(svc.Name, "replica %d: %s → %s%s", r.ID, before, r.Status, msg)
		}
	}
}

// reportPreemptions tells the placer about spot locations that lost a
// replica (preempted, or the launch failed there).
func (c *Controller) reportPreemptions(rt *runtime, reps []*state.Replica) {
	if rt.placer == nil {
		return
	}
	if rt.reported == nil {
		rt.reported = map[int]bool{}
	}
	for _, r := range reps {
		st := r.Status
		if st == state.ReplicaShuttingDown {
			st = r.FinalStatus
		}
		if !r.UseSpot || rt.reported[r.ID] || (st != state.ReplicaPreempted && st != state.ReplicaFailedProvision) {
			continue
		}
		rt.reported[r.ID] = true
		rt.placer.Preempted(replica.Location{Cloud: r.Cloud, Region: r.Region, Zone: r.Zone, UseSpot: true})
	}
}

// live reports whether a replica counts toward its version's replicas.
func live(r *state.Replica) bool {
	return !r.Terminate && !r.Status.Terminal() && r.Status != state.ReplicaShuttingDown
}

// scale launches and retires replicas so the newest version has what the
// autoscaler wants, and retires older versions as the update mode says.
func (c *Controller) scale(rt *runtime, svc *state.Service, newest *Spec, reps []*state.Replica, busy map[int]bool, now time.Time) {
	var cur, old []*state.Replica
	readySpot, readyOD := 0, 0
	everReady, userFailures := false, 0
	for _, r := range reps {
		if r.Version == svc.Version {
			if !r.ReadyAt.IsZero() {
				everReady = true
			}
			if (r.Status == state.ReplicaFailedProbing || r.FinalStatus == state.ReplicaFailedProbing) && r.ReadyAt.IsZero() {
				userFailures++
			}
		}
		if !live(r) {
			continue
		}
		if r.Version == svc.Version {
			cur = append(cur, r)
			if r.Status == state.ReplicaReady {
				if r.UseSpot {
					readySpot++
				} else {
					readyOD++
				}
			}
		} else {
			old = append(old, r)
		}
	}
	var sr []ScaleReplica
	for _, r := range append(append([]*state.Replica(nil), cur...), old...) {
		in := 0
		if rt.lb != nil && r.URL != "" {
			in = rt.lb.InFlight(r.URL)
		}
		sr = append(sr, ScaleReplica{ID: r.ID, Version: r.Version, Spot: r.UseSpot, Ready: r.Status == state.ReplicaReady, InFlight: in})
	}
	wantSpot, wantOD := rt.scaler.Target(now, sr)
	if ps, ok := rt.scaler.(PersistentScaler); ok {
		if snap := ps.Snapshot(); string(snap) != string(svc.ScalerState) {
			if _, err := c.o.Store.UpdateService(svc.Name, func(s *state.Service) error { s.ScalerState = snap; return nil }); err == nil {
				svc.ScalerState = snap
			}
		}
	}
	if !newest.UseSpot {
		wantSpot, wantOD = 0, wantSpot+wantOD
	}
	failed := userFailures >= c.o.MaxUserFailures && !everReady
	if failed {
		rt.failMsg = fmt.Sprintf("%d replicas of version %d never passed the readiness probe; not launching more. Fix the service and run `skyplan serve update`.", userFailures, svc.Version)
	} else {
		rt.failMsg = ""
	}
	for _, spot := range []bool{true, false} {
		want := wantOD
		if spot {
			want = wantSpot
		}
		var have []*state.Replica
		for _, r := range cur {
			if r.UseSpot == spot {
				have = append(have, r)
			}
		}
		for n := len(have); n < want && !failed; n++ {
			r := &state.Replica{Version: svc.Version, Status: state.ReplicaPending, UseSpot: spot, ChangedAt: now}
			if spot {
				if loc := rt.placer.Next(inUse(cur)); loc != nil {
					r.Cloud, r.Region, r.Zone = loc.Cloud, loc.Region, loc.Zone
				}
			}
			if err := c.o.Store.AllocateReplica(svc.Name, r); err != nil {
				c.logf(svc.Name, "allocating a replica: %v", err)
				break
			}
			cur = append(cur, r)
			c.logf(svc.Name, "replica %d: PENDING (version %d%s)", r.ID, r.Version, spotNote(spot))
		}
		if excess := len(have) - want; excess > 0 {
			for _, r := range retireOrder(have, busy)[:min(excess, len(have))] {
				if busy[r.ID] {
					continue
				}
				c.logf(svc.Name, "replica %d: scaling down", r.ID)
				c.markTerminate(r, now, true, "", "scaled down", c.o.DrainTimeout)
			}
		}
	}
	target := wantSpot + wantOD
	readyNew := readySpot + readyOD
	var retire []*state.Replica
	switch svc.UpdateMode {
	case ModeBlueGreen:
		if readyNew >= target {
			retire = old
		}
	default:
		if keep := max(0, target-readyNew); len(old) > keep {
			retire = retireOrder(old, busy)[:len(old)-keep]
		}
	}
	for _, r := range retire {
		if busy[r.ID] {
			continue
		}
		c.logf(svc.Name, "replica %d: version %d replaced by version %d", r.ID, r.Version, svc.Version)
		c.markTerminate(r, now, true, "", fmt.Sprintf("replaced by version %d", svc.Version), c.o.DrainTimeout)
	}
	// Start pending launches, oldest first, at most MaxConcurrentLaunches.
	launching := len(busy)
	for _, r := range cur {
		if r.Status != state.ReplicaPending || r.Terminate || busy[r.ID] || launching >= c.o.MaxConcurrentLaunches {
			continue
		}
		var loc *replica.Location
		if newest.UseSpot {
			loc = &replica.Location{Cloud: r.Cloud, Region: r.Region, Zone: r.Zone, UseSpot: r.UseSpot}
		}
		if err := c.mgr.Launch(r, newest.Task, loc, newest.Port); err != nil {
			c.logf(svc.Name, "replica %d: %v", r.ID, err)
			continue
		}
		busy[r.ID] = true
		launching++
	}
}

func spotNote(spot bool) string {
	if spot {
		return ", spot"
	}
	return ""
}

func inUse(rs []*state.Replica) []replica.Location {
	var out []replica.Location
	for _, r := range rs {
		if r.UseSpot && live(r) {
			out = append(out, replica.Location{Cloud: r.Cloud, Region: r.Region, Zone: r.Zone, UseSpot: true})
		}
	}
	return out
}

// retireOrder sorts replicas by who goes first: not yet launched, then
// launching or starting, then not ready, then ready; newest first within a
// class (the oldest ready replicas are the proven ones).
func retireOrder(rs []*state.Replica, busy map[int]bool) []*state.Replica {
	rank := func(r *state.Replica) int {
		switch {
		case r.Status == state.ReplicaPending:
			return 0
		case r.Status == state.ReplicaStarting:
			return 1
		case r.Status == state.ReplicaNotReady:
			return 2
		case r.Status == state.ReplicaReady:
			return 3
		}
		return 4 // provisioning: cannot be retired until its launch returns
	}
	out := append([]*state.Replica(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if busy[out[i].ID] {
			ri = 5
		}
		if busy[out[j].ID] {
			rj = 5
		}
		if ri != rj {
			return ri < rj
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// teardown drains replicas marked to go and tears their clusters down.
func (c *Controller) teardown(rt *runtime, svc *state.Service, reps []*state.Replica, busy map[int]bool, now time.Time) {
	for _, r := range reps {
		if !r.Terminate || r.Status.Terminal() || busy[r.ID] {
			continue
		}
		if r.Status == state.ReplicaPending {
			// Nothing was launched.
			if err := c.o.Store.DeleteReplica(svc.Name, r.ID); err != nil {
				c.logf(svc.Name, "replica %d: %v", r.ID, err)
			}
			continue
		}
		if rt.lb != nil && r.URL != "" {
			rt.lb.Remove(r.URL)
			// Drained when nothing is in flight, or the drain timed out.
			if now.Before(r.DrainUntil) && rt.lb.InFlight(r.URL) > 0 {
				continue
			}
		}
		if c.mgr.Teardown(r) {
			busy[r.ID] = true
			c.logf(svc.Name, "replica %d: tearing down cluster %s (%s)", r.ID, r.Cluster, r.Reason)
		}
	}
	// Keep only the newest ended replicas listed.
	var ended []*state.Replica
	for _, r := range reps {
		if r.Status.Terminal() {
			ended = append(ended, r)
		}
	}
	for i := 0; i+keepTerminal < len(ended); i++ {
		_ = c.o.Store.DeleteReplica(svc.Name, ended[i].ID)
	}
}

// syncRotation sets the load balancer's replicas: every READY replica, but
// with blue_green only the old version's until the new one is complete.
func (c *Controller) syncRotation(rt *runtime, svc *state.Service, reps []*state.Replica) {
	if rt.lb == nil {
		return
	}
	var newURLs, oldURLs []string
	rt.probeMu.Lock()
	pulled := maps.Clone(rt.pulled)
	rt.probeMu.Unlock()
	for _, r := range reps {
		if r.Status != state.ReplicaReady || r.Terminate || r.URL == "" || pulled[r.ID] {
			continue
		}
		if r.Version == svc.Version {
			newURLs = append(newURLs, r.URL)
		} else {
			oldURLs = append(oldURLs, r.URL)
		}
	}
	urls := append(oldURLs, newURLs...)
	if svc.UpdateMode == ModeBlueGreen && len(oldURLs) > 0 {
		urls = oldURLs
	}
	rt.lb.SetReplicas(urls)
}

// finish writes the service's status, and once a service being taken down
// has no replica with resources left, stops its LB and deletes it.
func (c *Controller) finish(rt *runtime, svc *state.Service, busy map[int]bool) error {
	reps, err := c.o.Store.ListReplicas(svc.Name)
	if err != nil {
		return err
	}
	ready, launching, holding := 0, 0, 0
	for _, r := range reps {
		switch {
		case r.Status == state.ReplicaReady && !r.Terminate:
			ready++
		case r.Status == state.ReplicaPending || r.Status == state.ReplicaProvisioning || r.Status == state.ReplicaStarting:
			launching++
		}
		if !r.Status.Terminal() {
			holding++
		}
	}
	if svc.DownRequested {
		if holding == 0 && len(busy) == 0 && len(c.mgr.Busy(svc.Name)) == 0 {
			c.logf(svc.Name, "every replica is down; service removed")
			c.mu.Lock()
			delete(c.services, svc.Name)
			c.mu.Unlock()
			rt.close()
			if err := c.o.Store.DeleteService(svc.Name); err != nil {
				return err
			}
			RemoveSecrets(svc.Name)
			RemoveUploads(svc.Name)
			return nil
		}
		c.setStatus(svc, state.ServiceShuttingDown, "")
		return nil
	}
	switch {
	case ready > 0:
		c.setStatus(svc, state.ServiceReady, "")
	case rt.failMsg != "":
		c.setStatus(svc, state.ServiceFailed, rt.failMsg)
	case launching > 0:
		c.setStatus(svc, state.ServiceReplicaInit, "")
	default:
		c.setStatus(svc, state.ServiceNoReplica, "")
	}
	return nil
}

func (c *Controller) setStatus(svc *state.Service, st state.ServiceStatus, msg string) {
	if svc.Status == st && svc.Message == msg {
		return
	}
	if _, err := c.o.Store.UpdateService(svc.Name, func(s *state.Service) error {
		s.Status, s.Message = st, msg
		return nil
	}); err != nil {
		c.logf(svc.Name, "recording status %s: %v", st, err)
		return
	}
	note := ""
	if msg != "" {
		note = ": " + msg
	}
	c.logf(svc.Name, "service %s → %s%s", svc.Status, st, note)
	svc.Status, svc.Message = st, msg
}
