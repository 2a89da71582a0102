package service

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// TestSpotHedgeFallbackAndPlacement runs the real autoscaler (SkyServe's
// fallback rule), spot placer and load balancer in the controller: spot
// launches fail in the cheapest zone, so the placer moves spot replicas to
// other zones while on-demand replicas cover; once the spot replicas are
// ready the on-demand ones are drained and removed.
func TestSpotHedgeFallbackAndPlacement(t *testing.T) {
	dir := t.TempDir()
	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clusters := newFakeClusters(freePort(t))
	clusters.noSpot = map[string]bool{"us-east-1a": true}
	defer func() {
		for _, n := range clusters.alive() {
			clusters.Down(context.Background(), n)
		}
	}()
	yaml := fmt.Sprintf(`resources:
  infra: aws
  cpus: 2
  use_spot: true
service:
  readiness_probe: /health
  replica_policy:
    min_replicas: 2
    dynamic_ondemand_fallback: true
  ports: %d
run: serve
`, clusters.port)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	optimize := func(s *Spec) (*optimizer.TaskPlan, diag.Diagnostics) {
		p := &optimizer.TaskPlan{}
		for i, z := range zones {
			p.Candidates = append(p.Candidates, optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: z, UseSpot: true, HourlyCost: 0.03 + 0.01*float64(i)})
		}
		return p, nil
	}
	ctl := New(Options{Store: store, Clusters: clusters, Now: func() time.Time { return now },
		Components: ServeComponents{Now: func() time.Time { return now }, Optimize: optimize},
		LoadSpec: func(v state.ServiceVersion) (*Spec, error) {
			pl, ds := task.Parse("service.yaml", []byte(v.TaskYAML), task.LoadOptions{})
			if ds.HasErrors() {
				return nil, ds
			}
			return SpecFromTask(pl.Tasks[0], v.Version)
		},
		LogDir: func(s string) string { return filepath.Join(dir, s) }})
	defer ctl.Close()
	if err := store.CreateService(&state.Service{Name: "svc", Version: 1, CreatedAt: now}, state.ServiceVersion{Service: "svc", Version: 1, TaskYAML: yaml}); err != nil {
		t.Fatal(err)
	}
	pass := func() {
		now = now.Add(time.Second)
		if err := ctl.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctl.Wait()
	}
	pass()
	// Fallback rule: 2 spot wanted, none ready → 2 on-demand as well.
	var spot, od int
	for _, r := range mustList(t, store) {
		if r.UseSpot {
			spot++
		} else {
			od++
		}
	}
	if spot != 2 || od != 2 {
		t.Fatalf("first pass launched %d spot + %d on-demand, want 2 + 2 (dynamic on-demand fallback); launches %v", spot, od, clusters.launched)
	}
	for i := 0; i < 8; i++ {
		pass()
	}
	readySpot, liveOD := map[string]bool{}, 0
	for _, r := range mustList(t, store) {
		if r.Status.Terminal() {
			continue
		}
		if r.UseSpot && r.Status == state.ReplicaReady {
			readySpot[r.Zone] = true
		}
		if !r.UseSpot {
			liveOD++
		}
	}
	if len(readySpot) != 2 || readySpot["us-east-1a"] {
		t.Fatalf("ready spot zones %v: want two distinct zones, not the one without capacity; launches %v", readySpot, clusters.launched)
	}
	if liveOD != 0 {
		t.Fatalf("%d on-demand replicas still live once spot is ready; launches %v", liveOD, clusters.launched)
	}
	if got := clusters.launched[0]; got != "us-east-1a [Spot] failed" && clusters.launched[1] != "us-east-1a [Spot] failed" {
		t.Fatalf("the cheapest zone was not tried first: %v", clusters.launched)
	}
	svc, err := store.GetService("svc")
	if err != nil {
		t.Fatal(err)
	}
	var locs []struct {
		Zone  string `json:"zone"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(svc.PlacerState, &locs); err != nil || len(locs) != 3 {
		t.Fatalf("placer state not persisted: %s (%v)", svc.PlacerState, err)
	}
	for _, l := range locs {
		if l.Zone == "us-east-1a" && l.State != "PREEMPTED" {
			t.Fatalf("persisted placer state %s: us-east-1a should be PREEMPTED", svc.PlacerState)
		}
	}
	t.Logf("launches: %v", clusters.launched)
	if n := len(clusters.alive()); n != 2 {
		t.Fatalf("%d clusters alive, want the 2 spot replicas", n)
	}
}

func mustList(t *testing.T, s *state.Store) []*state.Replica {
	rs, err := s.ListReplicas("svc")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestRestartKeepsAutoscalerTarget: a controller started over a service
// the previous one had scaled to 3 keeps 3 (the autoscaler's state is in
// the service record), instead of dropping to min_replicas.
func TestRestartKeepsAutoscalerTarget(t *testing.T) {
	dir := t.TempDir()
	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clusters := newFakeClusters(freePort(t))
	defer func() {
		for _, n := range clusters.alive() {
			clusters.Down(context.Background(), n)
		}
	}()
	yaml := fmt.Sprintf(`resources:
  infra: aws
service:
  readiness_probe: /health
  replica_policy:
    min_replicas: 1
    max_replicas: 4
    target_qps_per_replica: 1
  ports: %d
run: serve
`, clusters.port)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := store.CreateService(&state.Service{Name: "svc", Version: 1, CreatedAt: now, ScalerState: []byte(`{"target":3}`)},
		state.ServiceVersion{Service: "svc", Version: 1, TaskYAML: yaml}); err != nil {
		t.Fatal(err)
	}
	ctl := New(Options{Store: store, Clusters: clusters, Now: func() time.Time { return now },
		Components: ServeComponents{Now: func() time.Time { return now }},
		LoadSpec: func(v state.ServiceVersion) (*Spec, error) {
			pl, ds := task.Parse("service.yaml", []byte(v.TaskYAML), task.LoadOptions{})
			if ds.HasErrors() {
				return nil, ds
			}
			return SpecFromTask(pl.Tasks[0], v.Version)
		},
		LogDir: func(s string) string { return filepath.Join(dir, s) }})
	defer ctl.Close()
	if err := ctl.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctl.Wait()
	if n := len(mustList(t, store)); n != 3 {
		t.Fatalf("%d replicas after the restart, want the saved target 3", n)
	}
}
