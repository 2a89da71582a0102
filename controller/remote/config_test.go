package remote

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/skyplan/skyplan/config"
)

// The VM's config, as the daemon there loads it: the client's serve
// settings, balancers on every interface within serve.ports, endpoints
// on the VM's public address (private when it has none), and the VM's
// own /32 among the SSH sources.
func TestRemoteConfigServeSection(t *testing.T) {
	load := func(yaml string) config.Config {
		t.Helper()
		home := t.TempDir()
		t.Setenv("SKYPLAN_HOME", home)
		if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, ds := config.Load(t.TempDir())
		if ds.HasErrors() {
			t.Fatalf("%s\n%s", ds.Error(), yaml)
		}
		return cfg
	}
	client := load("ssh_cidrs: [203.0.113.7/32]\nserve:\n  allowed_cidrs: [198.51.100.0/24]\n  ports: [31000-31009]\n  replica_proxy: socks5://127.0.0.1:1080\n  fallback_hold_seconds: 0\n  controller:\n    infra: aws\n")
	b, err := RemoteConfig(client, "54.1.2.3", "10.250.0.5")
	if err != nil {
		t.Fatal(err)
	}
	vm := load(string(b))
	s := vm.Serve
	if s.ListenHost != "0.0.0.0" || s.EndpointHost != "54.1.2.3" || !reflect.DeepEqual(s.Ports, []string{"31000-31009"}) ||
		!reflect.DeepEqual(s.AllowedCIDRs, []string{"198.51.100.0/24"}) || s.ReplicaProxy.URL != "socks5://127.0.0.1:1080" ||
		!s.FallbackHoldSeconds.Set || s.FallbackHoldSeconds.Value != 0 || s.QueueTimeoutSeconds.Set {
		t.Errorf("VM serve section: %+v\n%s", s, b)
	}
	if s.Controller.Remote || vm.Jobs.Controller.Remote {
		t.Errorf("the VM's daemon must be local to it:\n%s", b)
	}
	if !reflect.DeepEqual(vm.SSHCIDRs, []string{"203.0.113.7/32", "54.1.2.3/32"}) {
		t.Errorf("ssh_cidrs %v", vm.SSHCIDRs)
	}
	b, _ = RemoteConfig(load("ssh_cidrs: [203.0.113.7/32]\n"), "", "10.250.0.5")
	if vm = load(string(b)); vm.Serve.EndpointHost != "10.250.0.5" || !reflect.DeepEqual(vm.Serve.Ports, []string{"30001-30100"}) {
		t.Errorf("no public address: %+v\n%s", vm.Serve, b)
	}
}
