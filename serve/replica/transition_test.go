package replica

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/state"
)

func TestTransitionReadyNotReadyReplace(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Policy{Probe: Probe{InitialDelay: time.Minute}, ReplaceAfter: 3, ReplaceAfterDuration: 20 * time.Second}
	r := &state.Replica{Status: state.ReplicaStarting, StartingAt: t0}
	fail := Observation{ProbeErr: errors.New("GET /: connection refused")}
	if a := Transition(r, fail, t0.Add(10*time.Second), p); a != None || r.Status != state.ReplicaStarting {
		t.Fatalf("a starting replica failing within the initial delay: %v %s", a, r.Status)
	}
	if a := Transition(r, Observation{}, t0.Add(20*time.Second), p); a != AddToRotation || r.Status != state.ReplicaReady || r.ConsecutiveFailures != 0 {
		t.Fatalf("first success: %v %s failures=%d", a, r.Status, r.ConsecutiveFailures)
	}
	if a := Transition(r, fail, t0.Add(30*time.Second), p); a != RemoveFromRotation || r.Status != state.ReplicaNotReady {
		t.Fatalf("first failure of a READY replica must take it out of rotation: %v %s", a, r.Status)
	}
	if a := Transition(r, Observation{}, t0.Add(31*time.Second), p); a != AddToRotation || r.Status != state.ReplicaReady {
		t.Fatalf("recovered replica back in rotation: %v %s", a, r.Status)
	}
	for i, at := range []time.Duration{40, 45, 50} {
		a := Transition(r, fail, t0.Add(at*time.Second), p)
		if i < 2 && a == Teardown {
			t.Fatalf("torn down after %d failures", i+1)
		}
	}
	// 3 failures but only 10 s of them: not yet.
	if r.Status != state.ReplicaNotReady {
		t.Fatalf("status %s", r.Status)
	}
	if a := Transition(r, fail, t0.Add(61*time.Second), p); a != Teardown || r.FinalStatus != state.ReplicaFailedProbing || !strings.Contains(r.Reason, "connection refused") {
		t.Fatalf("after 4 failures over 21 s want teardown FAILED_PROBING, got %v %s %q", a, r.FinalStatus, r.Reason)
	}
}

func TestTransitionClusterGoneIsPreempted(t *testing.T) {
	t0 := time.Now()
	r := &state.Replica{Status: state.ReplicaReady, StartingAt: t0}
	a := Transition(r, Observation{ProbeErr: errors.New("refused"), ClusterGone: true}, t0, Policy{})
	if a != Teardown || r.FinalStatus != state.ReplicaPreempted || r.Status != state.ReplicaShuttingDown {
		t.Fatalf("got %v %s/%s", a, r.Status, r.FinalStatus)
	}
}

func TestTransitionNeverReadyIsFailedProbing(t *testing.T) {
	t0 := time.Now()
	r := &state.Replica{Status: state.ReplicaStarting, StartingAt: t0}
	p := Policy{Probe: Probe{InitialDelay: 5 * time.Second}}
	Transition(r, Observation{ProbeErr: errors.New("HTTP 500")}, t0.Add(time.Second), p)
	a := Transition(r, Observation{ProbeErr: errors.New("HTTP 503")}, t0.Add(6*time.Second), p)
	if a != Teardown || r.FinalStatus != state.ReplicaFailedProbing || !strings.Contains(r.Reason, "HTTP 503") {
		t.Fatalf("got %v %s %q", a, r.FinalStatus, r.Reason)
	}
}
