package replica

import (
	"strconv"
	"time"

	"github.com/skyplan/skyplan/state"
)

// Policy holds the probing thresholds.
type Policy struct {
	Probe Probe
	// NotReadyAfter consecutive failed probes take a READY replica out of
	// rotation (default 1: the first failure; a replica that may be gone
	// must not receive traffic while we find out).
	NotReadyAfter int
	// A NOT_READY replica whose cluster is still up is torn down and
	// replaced after ReplaceAfter consecutive failures spanning at least
	// ReplaceAfterDuration (SkyServe: 180 s of failed probes).
	ReplaceAfter         int
	ReplaceAfterDuration time.Duration
}

// Defaults fills unset thresholds.
func (p Policy) Defaults() Policy {
	if p.NotReadyAfter <= 0 {
		p.NotReadyAfter = 1
	}
	if p.ReplaceAfter <= 0 {
		p.ReplaceAfter = 3
	}
	if p.ReplaceAfterDuration <= 0 {
		p.ReplaceAfterDuration = 180 * time.Second
	}
	if p.Probe.InitialDelay <= 0 {
		p.Probe.InitialDelay = DefaultInitialDelay
	}
	return p
}

// Observation is what one probe round learned about a replica.
type Observation struct {
	ProbeErr error // nil: the probe succeeded
	// ClusterGone: the replica's cluster is no longer up (preempted, the
	// machine died). Only looked at when the probe failed.
	ClusterGone bool
}

// Action is what the caller must do after a transition.
type Action int

const (
	// None: nothing beyond writing the record (if changed).
	None Action = iota
	// AddToRotation: the replica became READY.
	AddToRotation
	// RemoveFromRotation: the replica must get no new requests.
	RemoveFromRotation
	// Teardown: out of rotation, then tear its cluster down; the record
	// ends in r.FinalStatus.
	Teardown
)

// Transition applies one probe observation to a STARTING, READY or
// NOT_READY replica at now and says what to do. It only changes r; the
// caller writes r to state before acting.
func Transition(r *state.Replica, obs Observation, now time.Time, p Policy) Action {
	p = p.Defaults()
	if obs.ProbeErr == nil {
		r.ConsecutiveFailures, r.FirstFailureAt = 0, time.Time{}
		if r.Status == state.ReplicaReady {
			return None
		}
		r.Status, r.ChangedAt = state.ReplicaReady, now
		if r.ReadyAt.IsZero() {
			r.ReadyAt = now
		}
		return AddToRotation
	}
	r.LastProbeError = obs.ProbeErr.Error()
	if r.ConsecutiveFailures == 0 {
		r.FirstFailureAt = now
	}
	r.ConsecutiveFailures++
	switch r.Status {
	case state.ReplicaStarting:
		if obs.ClusterGone {
			return markTeardown(r, now, state.ReplicaPreempted, "cluster lost while starting: "+r.LastProbeError)
		}
		// A replica that never answered within the initial delay is
		// FAILED_PROBING with the probe's last error.
		if !r.StartingAt.IsZero() && now.Sub(r.StartingAt) >= p.Probe.InitialDelay {
			return markTeardown(r, now, state.ReplicaFailedProbing,
				"readiness probe did not succeed within initial_delay_seconds ("+p.Probe.InitialDelay.String()+"); last error: "+r.LastProbeError)
		}
		return None
	case state.ReplicaReady, state.ReplicaNotReady:
		if obs.ClusterGone {
			return markTeardown(r, now, state.ReplicaPreempted, "replica's cluster is gone (preempted or machine lost); last probe error: "+r.LastProbeError)
		}
		if r.ConsecutiveFailures >= p.ReplaceAfter && now.Sub(r.FirstFailureAt) >= p.ReplaceAfterDuration {
			return markTeardown(r, now, state.ReplicaFailedProbing,
				"readiness probe failed "+itoa(r.ConsecutiveFailures)+" times in a row since "+r.FirstFailureAt.UTC().Format(time.RFC3339)+"; last error: "+r.LastProbeError)
		}
		if r.Status == state.ReplicaReady && r.ConsecutiveFailures >= p.NotReadyAfter {
			r.Status, r.ChangedAt = state.ReplicaNotReady, now
			return RemoveFromRotation
		}
	}
	return None
}

func markTeardown(r *state.Replica, now time.Time, final state.ReplicaStatus, reason string) Action {
	r.Terminate, r.FinalStatus, r.Reason = true, final, reason
	r.Status, r.ChangedAt = state.ReplicaShuttingDown, now
	// A failed replica has nothing worth draining.
	r.DrainUntil = now
	return Teardown
}

func itoa(n int) string { return strconv.Itoa(n) }
