package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/provision/provisiontest"
	"github.com/skyplan/skyplan/runner/sshdtest"
)

const serveYAML = `name: web
resources:
  infra: ssh/pool
envs:
  VERSION: 1
service:
  readiness_probe:
    path: /version
    initial_delay_seconds: 60
  replicas: 2
  ports: %d
run: |
  mkdir -p www && echo v$VERSION > www/version && cd www
  exec python3 -m http.server %d --bind $SKYPILOT_NODE_IPS
`

type serveStatus struct {
	Services []struct {
		Name, Status, Endpoint string
		Version                int
		Replicas               []struct {
			ID, Version   int
			Status, Cloud string
			IP, Zone      string
			UseSpot       bool `json:"use_spot"`
		}
	}
}

// TestServeCLIWithDaemonKilled drives the real binary: `serve up` starts
// the controller daemon, replicas come up on an SSH node pool, the daemon
// is killed with SIGKILL, `serve status` restarts it and it adopts the
// running replicas on the same endpoint (none relaunched), `serve down`
// leaves no cluster and no server.
func TestServeCLIWithDaemonKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	nodes := sshdtest.Start(t, 4)
	home, work := t.TempDir(), t.TempDir()
	env := []string{"SKYPLAN_HOME=" + home, "HOME=" + home}
	t.Cleanup(func() { killDaemon(t, home) })
	if err := os.WriteFile(filepath.Join(home, "ssh_node_pools.yaml"), []byte(nodes.PoolYAML("pool")), 0o600); err != nil {
		t.Fatal(err)
	}
	port := commonPort(t, nodes)
	if err := os.WriteFile(filepath.Join(work, "service.yaml"), []byte(fmt.Sprintf(serveYAML, port, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	up := provisiontest.RunCLI(t, 2*time.Minute, work, env, "serve", "up", "service.yaml", "-n", "web", "-y")
	if up.Code != 0 {
		t.Fatalf("serve up: exit %d", up.Code)
	}
	m := regexp.MustCompile(`endpoint: (http://\S+)`).FindStringSubmatch(up.Stdout)
	if m == nil {
		t.Fatalf("serve up printed no endpoint: %q", up.Stdout)
	}
	endpoint := m[1]
	st := waitStatus(t, work, env, 90*time.Second, func(s serveStatus) bool { return readyCount(s) == 2 })
	before := replicaIDs(st)
	if ips := strings.Count(before, "@127.0.0.2"); ips > 1 {
		t.Fatalf("two replicas on one pool host: %s", before)
	}
	get(t, endpoint+"/version", "v1")
	logs := provisiontest.RunCLI(t, time.Minute, work, env, "serve", "logs", "web", fmt.Sprint(st.Services[0].Replicas[0].ID))
	if logs.Code != 0 || !strings.Contains(logs.Stdout, "Serving HTTP on") {
		t.Fatalf("serve logs web ID: exit %d, no replica output:\n%s", logs.Code, logs.Stdout)
	}
	ctlLog := provisiontest.RunCLI(t, time.Minute, work, env, "serve", "logs", "web", "--controller")
	if ctlLog.Code != 0 || !strings.Contains(ctlLog.Stdout, "STARTING → READY") {
		t.Fatalf("serve logs web --controller: exit %d:\n%s", ctlLog.Code, ctlLog.Stdout)
	}
	lbLog := provisiontest.RunCLI(t, time.Minute, work, env, "serve", "logs", "web", "--load-balancer")
	if lbLog.Code != 0 || !strings.Contains(lbLog.Stdout, "rotation") {
		t.Fatalf("serve logs web --load-balancer: exit %d:\n%s", lbLog.Code, lbLog.Stdout)
	}

	killDaemon(t, home)
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(endpoint, "http://"), time.Second); err == nil {
		c.Close()
		t.Fatal("load balancer still answers after the daemon was killed")
	}
	// status notices the dead controller and starts it again.
	st = waitStatus(t, work, env, 60*time.Second, func(s serveStatus) bool { return readyCount(s) == 2 })
	if after := replicaIDs(st); after != before {
		t.Fatalf("replicas after the restart %s, before %s: running replicas must be adopted, not relaunched", after, before)
	}
	if st.Services[0].Endpoint != endpoint {
		t.Fatalf("endpoint moved from %s to %s across the restart", endpoint, st.Services[0].Endpoint)
	}
	get(t, endpoint+"/version", "v1")

	// blue_green update through the CLI: traffic stays on v1 until both
	// v2 replicas are READY, then switches; v1's replicas are removed.
	if err := os.WriteFile(filepath.Join(work, "service2.yaml"), []byte(strings.Replace(fmt.Sprintf(serveYAML, port, port), "VERSION: 1", "VERSION: 2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	upd := provisiontest.RunCLI(t, time.Minute, work, env, "serve", "update", "web", "service2.yaml", "--mode", "blue_green", "-y")
	if upd.Code != 0 || !strings.Contains(upd.Stdout, "updating to version 2 (blue_green)") {
		t.Fatalf("serve update: exit %d %q", upd.Code, upd.Stdout)
	}
	st = waitStatus(t, work, env, 90*time.Second, func(s serveStatus) bool {
		if len(s.Services) != 1 || len(s.Services[0].Replicas) != 2 {
			return false
		}
		for _, r := range s.Services[0].Replicas {
			if r.Status != "READY" || r.Version != 2 {
				return false
			}
		}
		return true
	})
	get(t, endpoint+"/version", "v2")

	var urls []string
	for _, r := range st.Services[0].Replicas {
		urls = append(urls, fmt.Sprintf("%s:%d", r.IP, port))
	}
	down := provisiontest.RunCLI(t, 2*time.Minute, work, env, "serve", "down", "web", "-y")
	if down.Code != 0 || !strings.Contains(down.Stdout, "Service web torn down.") {
		t.Fatalf("serve down: exit %d %q", down.Code, down.Stdout)
	}
	for _, u := range urls {
		if c, err := net.DialTimeout("tcp", u, time.Second); err == nil {
			c.Close()
			t.Fatalf("replica server %s still running after serve down", u)
		}
	}
	cl := provisiontest.RunCLI(t, time.Minute, work, env, "status")
	if strings.Contains(cl.Stdout, "web-") {
		t.Fatalf("replica clusters left after serve down:\n%s", cl.Stdout)
	}
	if s := statusJSON(t, work, env); len(s.Services) != 0 {
		t.Fatalf("services left after down: %+v", s)
	}
}

func commonPort(t *testing.T, nodes *sshdtest.Cluster) int {
	for try := 0; try < 20; try++ {
		l, err := net.Listen("tcp", nodes.Nodes[0].IP+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := true
		for _, nd := range nodes.Nodes[1:] {
			l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", nd.IP, port))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no port free on every node")
	return 0
}

func statusJSON(t *testing.T, work string, env []string) serveStatus {
	r := provisiontest.RunCLI(t, time.Minute, work, env, "serve", "status", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("serve status: exit %d", r.Code)
	}
	var s serveStatus
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		t.Fatalf("serve status -o json: %v\n%s", err, r.Stdout)
	}
	return s
}

func waitStatus(t *testing.T, work string, env []string, timeout time.Duration, cond func(serveStatus) bool) serveStatus {
	deadline := time.Now().Add(timeout)
	for {
		s := statusJSON(t, work, env)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out; last status %+v", s)
		}
		time.Sleep(time.Second)
	}
}

func readyCount(s serveStatus) int {
	n := 0
	for _, svc := range s.Services {
		for _, r := range svc.Replicas {
			if r.Status == "READY" {
				n++
			}
		}
	}
	return n
}

func replicaIDs(s serveStatus) string {
	var ids []string
	for _, svc := range s.Services {
		for _, r := range svc.Replicas {
			ids = append(ids, fmt.Sprintf("%d@%s", r.ID, r.IP))
		}
	}
	return strings.Join(ids, ",")
}

// get expects want from url, retrying for a while: a restarted daemon
// may not listen yet.
func get(t *testing.T, url, want string) {
	var resp *http.Response
	var err error
	for i := 0; i < 60; i++ {
		if resp, err = (&http.Client{Timeout: 10 * time.Second}).Get(url); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != want {
		t.Fatalf("GET %s: %s %q, want 200 %q", url, resp.Status, b, want)
	}
}

// killDaemon SIGKILLs the controller daemon of home and waits for it to go.
func killDaemon(t *testing.T, home string) {
	f := controller.FilesIn(home)
	st, err := controller.Probe(f)
	if err != nil || !st.Running || st.PID <= 0 {
		return
	}
	_ = syscall.Kill(st.PID, syscall.SIGKILL)
	for i := 0; i < 100; i++ {
		if st, _ := controller.Probe(f); !st.Running {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("controller pid %d survived SIGKILL", st.PID)
}
