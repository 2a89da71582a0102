package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skyplan/skyplan/config"
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
