package service

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// A controller VM's daemon: the balancer takes the first free port of
// serve.ports, listens on Host and reports EndpointHost (the VM's public
// address) in the endpoint; a restarted daemon takes the same port again.
func TestBalancerTakesFirstFreeServePortAndReportsEndpointHost(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	first := busy.Addr().(*net.TCPAddr).Port
	// The range starts at the busy port; the next free port after it wins.
	want := 0
	for p := first + 1; p < first+20 && want == 0; p++ {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			want = p
		}
	}
	if want == 0 {
		t.Skip("no free port near the busy one")
	}
	b := newBed(t, 1)
	b.ctl.Close()
	ports := []task.PortRange{{From: first, To: first + 20}}
	newCtl := func() *Controller {
		return New(Options{Store: b.store, Clusters: b.clusters, Components: fakeComponents{lb: b.lb, target: &b.target},
			Now:      func() time.Time { return b.now },
			LoadSpec: func(v state.ServiceVersion) (*Spec, error) { return b.spec(v), nil },
			LogDir:   func(s string) string { return filepath.Join(b.dir, "serve", s) },
			Host:     "127.0.0.1", EndpointHost: "203.0.113.9", Ports: ports})
	}
	b.ctl = newCtl()
	b.pass(time.Second)
	svc, _ := b.store.GetService("svc")
	if svc.LBPort != want || svc.Endpoint != fmt.Sprintf("http://203.0.113.9:%d", want) {
		t.Fatalf("LB port %d endpoint %q, want port %d on 203.0.113.9", svc.LBPort, svc.Endpoint, want)
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", want), time.Second)
	if err != nil {
		t.Fatalf("the balancer does not listen on Host: %v", err)
	}
	c.Close()
	// A restart keeps the recorded port (not the first free one again).
	b.ctl.Close()
	b.ctl = newCtl()
	b.pass(time.Second)
	if svc, _ = b.store.GetService("svc"); svc.LBPort != want {
		t.Fatalf("after a restart LB port %d, want %d", svc.LBPort, want)
	}
	// serve.ports changed so that the recorded port is outside them: the
	// balancer moves into the new ports (the only ones opened).
	b.ctl.Close()
	moved := 0
	for p := want + 1; p < first+40 && moved == 0; p++ {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			moved = p
		}
	}
	ports = []task.PortRange{{From: moved, To: moved}}
	b.ctl = newCtl()
	b.pass(time.Second)
	if svc, _ = b.store.GetService("svc"); svc.LBPort != moved || svc.Endpoint != fmt.Sprintf("http://203.0.113.9:%d", moved) {
		t.Fatalf("after serve.ports changed: LB port %d endpoint %s, want %d", svc.LBPort, svc.Endpoint, moved)
	}
}

func TestBalancerRefusesWhenEveryServePortIsTaken(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := busy.Addr().(*net.TCPAddr).Port
	_, err = listenBalancer("127.0.0.1", 0, []task.PortRange{{From: p, To: p}})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("no free load balancer port in %d", p)) {
		t.Fatalf("err = %v", err)
	}
}

// serve down removes a service's secrets and the copies of its local
// sources (a service forwarded to a controller VM) with its record.
func TestDownRemovesSecretsAndUploads(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	b := newBed(t, 1)
	b.pass(time.Second)
	if err := WriteSecrets("svc", 1, []string{"TOKEN=x"}); err != nil {
		t.Fatal(err)
	}
	copy := filepath.Join(UploadsDir("svc"), "20260101-000000.000000", "1")
	if err := os.MkdirAll(copy, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.UpdateService("svc", func(s *state.Service) error { s.DownRequested = true; return nil }); err != nil {
		t.Fatal(err)
	}
	b.pass(time.Second)
	b.pass(time.Second)
	if _, err := b.store.GetService("svc"); err == nil {
		t.Fatal("service still recorded after down")
	}
	if s, _ := ReadSecrets("svc", 1); len(s) != 0 {
		t.Errorf("secrets left after down: %v", s)
	}
	if _, err := os.Stat(UploadsDir("svc")); err == nil {
		t.Errorf("uploads left after down: %s", UploadsDir("svc"))
	}
}
