package config

import (
	"strings"
	"testing"
	"time"
)

func TestServeSettings(t *testing.T) {
	cfg, ds := loadUser(t, "serve:\n  fallback_hold_seconds: 0\n  queue_timeout_seconds: 2.5\n  replica_proxy: socks5://127.0.0.1:1080\n")
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	s := cfg.Serve
	if got := s.FallbackHoldSeconds.Or(45 * time.Minute); got != 0 {
		t.Errorf("fallback_hold_seconds: 0 gave %s; an explicit 0 means no hold", got)
	}
	if got := s.QueueTimeoutSeconds.Or(time.Minute); got != 2500*time.Millisecond {
		t.Errorf("queue_timeout_seconds: 2.5 gave %s", got)
	}
	if got := s.StreamTimeoutSeconds.Or(-1); got != -1 {
		t.Errorf("unset stream_timeout_seconds gave %s, want the default", got)
	}
	if s.ReplicaProxy.URL != "socks5://127.0.0.1:1080" {
		t.Errorf("replica_proxy %q", s.ReplicaProxy.URL)
	}
	if rs, err := s.PortRanges(); err != nil || len(rs) != 1 || rs[0].String() != "30001-30100" {
		t.Errorf("default serve.ports: %v %v", rs, err)
	}
	cfg, ds = loadUser(t, "serve:\n  ports: [31000-31009, 8443]\n")
	if rs, err := cfg.Serve.PortRanges(); len(ds) != 0 || err != nil || len(rs) != 2 || rs[0].String() != "8443" || rs[1].String() != "31000-31009" {
		t.Errorf("serve.ports: %v %v %v", rs, err, ds)
	}
}

func TestServeBadValuesAreLocated(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"serve:\n  fallback_hold_seconds: -1\n", `serve.fallback_hold_seconds|2|Invalid fallback_hold_seconds|serve.fallback_hold_seconds is "-1"; expected a number of seconds >= 0`},
		{"serve:\n  queue_timeout_seconds: soon\n", "serve.queue_timeout_seconds|2|Invalid queue_timeout_seconds"},
		{"ssh_cidrs: [1.2.3.4/32]\nserve:\n  stream_timeout_seconds: [1]\n", "serve.stream_timeout_seconds|3|Invalid stream_timeout_seconds"},
		{"serve:\n  replica_proxy: 127.0.0.1:1080\n", `serve.replica_proxy|2|Invalid replica_proxy|serve.replica_proxy is "127.0.0.1:1080"; expected a proxy URL such as socks5://`},
		{"serve:\n  fallback_hold: 10\n", "|2|Invalid config file|line 2: field fallback_hold not found"},
		{"serve:\n  ports: [20-30]\n", "serve.ports|0|Invalid serve.ports|serve.ports 20-30 includes 22."},
		{"serve:\n  ports: [30100-30001]\n", "serve.ports|0|Invalid serve.ports|Invalid port range"},
	}
	for _, c := range cases {
		_, ds := loadUser(t, c.yaml)
		if len(ds) != 1 || !strings.HasPrefix(ds[0], c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, ds, c.want)
		}
	}
}
