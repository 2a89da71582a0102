package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyplan/skyplan/config"
)

// detectServer is a local what-is-my-IP service over TLS answering body.
func detectServer(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func detectManager(t *testing.T, cfg config.Config, env map[string]string, client *http.Client) *Manager {
	t.Helper()
	m, _ := newTestManager(t, Options{Config: cfg, HTTPClient: client, Getenv: func(k string) string { return env[k] }})
	return m
}

// Without --ssh-cidr or ssh_cidrs, the caller's public address is asked
// of the detection service and allowed as a /32; given ranges win and ask
// nothing; a failed, non-HTTPS or nonsense answer never opens SSH wider,
// and the error names --ssh-cidr and what detection did.
func TestSSHSources(t *testing.T) {
	ctx := context.Background()
	srv, hits := detectServer(t, 200, "203.0.113.7\n")

	m := detectManager(t, config.Config{SSHDetectURL: srv.URL}, nil, srv.Client())
	got, ds := m.SSHSources(ctx, nil)
	if ds.HasErrors() || strings.Join(got.CIDRs, ",") != "203.0.113.7/32" || got.String() != "SSH from 203.0.113.7/32 (detected)" {
		t.Fatalf("detected: %+v %v", got, ds)
	}
	if hits.Load() != 1 {
		t.Errorf("one request per resolution, got %d", hits.Load())
	}

	// Given ranges and config ranges win; the service is not asked.
	got, _ = m.SSHSources(ctx, []string{"10.1.2.0/24"})
	if got.String() != "SSH from 10.1.2.0/24 (--ssh-cidr)" {
		t.Errorf("flag: %q", got)
	}
	m = detectManager(t, config.Config{SSHCIDRs: []string{"198.51.100.0/24"}, SSHDetectURL: srv.URL}, nil, srv.Client())
	got, _ = m.SSHSources(ctx, nil)
	if got.String() != "SSH from 198.51.100.0/24 (config ssh_cidrs)" || hits.Load() != 1 {
		t.Errorf("config: %q, %d requests", got, hits.Load())
	}

	// The environment overrides the config key; IPv6 becomes a /128.
	v6, _ := detectServer(t, 200, "2001:db8::7")
	m = detectManager(t, config.Config{SSHDetectURL: srv.URL}, map[string]string{"SKYPLAN_SSH_DETECT_URL": v6.URL}, v6.Client())
	if got, ds = m.SSHSources(ctx, nil); ds.HasErrors() || strings.Join(got.CIDRs, ",") != "2001:db8::7/128" {
		t.Errorf("env override: %+v %v", got, ds)
	}

	bad, _ := detectServer(t, 200, "<html>hello</html>")
	unspecified, _ := detectServer(t, 200, "0.0.0.0")
	down, _ := detectServer(t, 503, "")
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("203.0.113.9")) }))
	defer plain.Close()
	for _, c := range []struct {
		url    string
		client *http.Client
		want   string
	}{
		{bad.URL, bad.Client(), "not an IP address"},
		{unspecified.URL, unspecified.Client(), "not a public address"},
		{down.URL, down.Client(), "503"},
		{plain.URL, plain.Client(), "not an https:// URL"},
		{srv.URL, http.DefaultClient, "certificate"}, // the test CA is not trusted by default
		{"off", srv.Client(), "detection is off"},
	} {
		m = detectManager(t, config.Config{SSHDetectURL: c.url}, nil, c.client)
		got, ds := m.SSHSources(ctx, nil)
		if !ds.HasErrors() || len(got.CIDRs) != 0 {
			t.Errorf("%s: want an error and no range, got %+v", c.url, got)
			continue
		}
		d := ds[0]
		if d.Summary != "No SSH source address" || d.Field != "--ssh-cidr" || !strings.Contains(d.Detail, "--ssh-cidr 203.0.113.7/32") ||
			!strings.Contains(d.Detail, "ssh_cidrs") || !strings.Contains(d.Detail, c.want) {
			t.Errorf("%s: diagnostic %+v", c.url, d)
		}
	}

	// A service that does not answer is given up after the timeout.
	old := sshDetectTimeout
	sshDetectTimeout = 50 * time.Millisecond
	defer func() { sshDetectTimeout = old }()
	release := make(chan struct{})
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	m = detectManager(t, config.Config{SSHDetectURL: slow.URL}, nil, slow.Client())
	if _, ds := m.SSHSources(ctx, nil); !ds.HasErrors() || !strings.Contains(ds[0].Detail, "no answer within") {
		t.Errorf("slow service: %v", ds)
	}
}
