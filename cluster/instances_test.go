package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/state"
)

// statesCloud is a cloud with the InstanceStates capability whose answer
// the test sets.
type statesCloud struct {
	states map[string]string
	err    error
	asked  *[]string
}

func (statesCloud) Name() string           { return "statesfake" }
func (statesCloud) DisplayName() string    { return "StatesFake" }
func (statesCloud) DefaultSSHUser() string { return "ubuntu" }
func (c statesCloud) InstanceStates(_ context.Context, _ func(string) string, region string, ids []string) (map[string]string, error) {
	*c.asked = append(*c.asked, region+":"+strings.Join(ids, ","))
	return c.states, c.err
}
func (statesCloud) InstanceRunning(s string) bool { return s == "running" }

// CheckNodes asks a cloud with InstanceStates for the recorded instance
// ids (no Terraform), names each lost node, and falls back to the
// Terraform refresh when the call fails.
func TestCheckNodesAsksInstanceStatesThenFallsBack(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	var asked []string
	sc := &state.Cluster{Name: "c1", Status: state.StatusUp, Cloud: "statesfake", Region: "r1", NumNodes: 3,
		Nodes: []state.Node{{Rank: 0, InstanceID: "i-a"}, {Rank: 1, InstanceID: "i-b"}, {Rank: 2, InstanceID: "i-c"}}}
	if err := m.store.PutCluster(sc); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cloud.Register(statesCloud{states: map[string]string{"i-a": "running", "i-b": "running", "i-c": "running"}, asked: &asked})
	res, ds := m.CheckNodes(ctx, "c1")
	if ds.HasErrors() || len(res.Lost) != 0 || res.Via != "instance states" {
		t.Fatalf("all running: %+v %v", res, ds)
	}
	if len(asked) != 1 || asked[0] != "r1:i-a,i-b,i-c" {
		t.Fatalf("asked %v", asked)
	}

	cloud.Register(statesCloud{states: map[string]string{"i-a": "running", "i-b": "terminated"}, asked: &asked})
	res, ds = m.CheckNodes(ctx, "c1")
	want := []string{"node 1 (i-b) terminated", "node 2 (i-c) no longer exists"}
	if ds.HasErrors() || strings.Join(res.Lost, "|") != strings.Join(want, "|") {
		t.Fatalf("lost nodes: %+v %v, want %q", res, ds, want)
	}

	// A failed call is not "all gone": the refresh is asked instead (here
	// it fails too, as the record has no Terraform root).
	cloud.Register(statesCloud{err: errors.New("throttled"), asked: &asked})
	res, ds = m.CheckNodes(ctx, "c1")
	if !ds.HasErrors() || res != nil || len(asked) != 3 {
		t.Fatalf("failed instance states must fall back to the refresh: %+v %v (asked %v)", res, ds, asked)
	}
}
