package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/task"
)

// TestServeComponentsFromConfig: the serve: settings reach the load
// balancer, autoscaler and probes; unset, skyplan's 45-minute fallback
// hold and the load balancer's own defaults apply.
func TestServeComponentsFromConfig(t *testing.T) {
	load := func(yaml string) config.Config {
		home := t.TempDir()
		t.Setenv("SKYPLAN_HOME", home)
		if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, ds := config.Load(t.TempDir())
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		return cfg
	}
	def := serveComponents(load("").Serve)
	if def.FallbackHold != 45*time.Minute || def.QueueTimeout != 0 || def.StreamTimeout != 0 || def.ReplicaProxy != nil {
		t.Errorf("defaults: %+v", def)
	}
	if c := probeClient(def.ReplicaProxy); c.Transport == nil {
		t.Error("probe client without a transport")
	}
	set := serveComponents(load("serve:\n  fallback_hold_seconds: 0\n  queue_timeout_seconds: 5\n  stream_timeout_seconds: 600\n  replica_proxy: socks5://127.0.0.1:1080\n").Serve)
	if set.FallbackHold != 0 || set.QueueTimeout != 5*time.Second || set.StreamTimeout != 10*time.Minute ||
		set.ReplicaProxy == nil || set.ReplicaProxy.Host != "127.0.0.1:1080" {
		t.Errorf("from config: %+v", set)
	}
}

// TestSpotReplicaPinnedToPlacersZone: the placer's location constrains
// the replica's launch to that cloud, region and zone (other clouds'
// candidates dropped), so a zone without spot capacity fails the launch.
func TestSpotReplicaPinnedToPlacersZone(t *testing.T) {
	tk := &task.Task{Resources: task.ResourceSet{Items: []task.Resources{
		{Infra: task.Infra{Cloud: "aws", Region: "us-east-1"}, UseSpot: true},
		{Infra: task.Infra{Cloud: "gcp"}, UseSpot: true},
		{UseSpot: true},
	}}}
	p := pinnedTo(tk, replica.Location{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1c", UseSpot: true})
	if len(p.Resources.Items) != 2 {
		t.Fatalf("pinned candidates %+v: want the aws one and the unpinned one", p.Resources.Items)
	}
	for _, r := range p.Resources.Items {
		if r.Infra != (task.Infra{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1c"}) {
			t.Errorf("candidate pinned to %+v", r.Infra)
		}
	}
	if tk.Resources.Items[0].Infra.Zone != "" || len(tk.Resources.Items) != 3 {
		t.Error("pinnedTo changed the service's own task")
	}
}
