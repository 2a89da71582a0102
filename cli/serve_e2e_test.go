package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/serve/service"
	"github.com/skyplan/skyplan/state"
)

// poolBed is a service on an SSH node pool of real sshd nodes: every
// replica runs the task's run: (python3 -m http.server) on its node's own
// loopback address, behind the real load balancer, launched and torn down
// through cluster.Manager by a controller running in this process.
type poolBed struct {
	t     testing.TB
	nodes *sshdtest.Cluster
	store *state.Store
	ctl   *service.Controller
	port  int
	stop  context.CancelFunc
	log   lockedBuffer
	done  chan struct{}
}

const webTask = `name: web
resources:
  infra: ssh/pool
envs:
  VERSION: "1"
service:
  readiness_probe:
    path: /version
    initial_delay_seconds: 60
    timeout_seconds: 2
  %s
  ports: %d
run: |
  mkdir -p www && echo "v$VERSION" > www/version && cd www
  exec python3 -m http.server %d --bind $SKYPILOT_NODE_IPS
`

func startPoolBed(t testing.TB, nodes int) *poolBed {
	if testing.Short() {
		t.Skip("SSH node pool end-to-end test skipped in -short mode")
	}
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	b := &poolBed{t: t, nodes: sshdtest.Start(t, nodes)}
	// One port on every node: each replica binds its own 127.0.0.N.
	b.port = freePortOn(t, b.nodes.Nodes)
	if err := os.WriteFile(sshpool.Path(), []byte(b.nodes.PoolYAML("pool")), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(filepath.Join(home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	b.store = store
	t.Cleanup(func() { store.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	streams := &IO{In: strings.NewReader(""), Out: io.Discard, Err: &b.log, Environ: os.Getenv, Interrupted: ctx}
	ctl, err := newServeController(streams, store, time.Now, func(o *service.Options) {
		o.DrainTimeout = 5 * time.Second
		sc := o.Components.(service.ServeComponents)
		sc.QueueTimeout, sc.Window = 5*time.Second, 3*time.Second
		o.Components = sc
	})
	if err != nil {
		t.Fatal(err)
	}
	b.ctl = ctl
	b.stop, b.done = cancel, make(chan struct{})
	go func() {
		defer close(b.done)
		for ctx.Err() == nil {
			_ = b.ctl.Reconcile(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(b.shutdown)
	return b
}

func (b *poolBed) shutdown() {
	b.stop()
	<-b.done
	b.ctl.Close()
}

func freePortOn(t testing.TB, nodes []*sshdtest.Node) int {
	for try := 0; try < 20; try++ {
		l, err := net.Listen("tcp", nodes[0].IP+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := true
		for _, nd := range nodes[1:] {
			if l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", nd.IP, port)); err != nil {
				ok = false
			} else {
				l.Close()
			}
		}
		if ok {
			return port
		}
	}
	t.Fatal("no port free on every node")
	return 0
}

func (b *poolBed) create(name, replicas string) {
	yaml := fmt.Sprintf(webTask, replicas, b.port, b.port)
	path := filepath.Join(b.t.TempDir(), "service.yaml")
	os.WriteFile(path, []byte(yaml), 0o644)
	if err := b.store.CreateService(&state.Service{Name: name, Status: state.ServiceControllerInit, Version: 1, UpdateMode: service.ModeRolling, CreatedAt: time.Now()},
		state.ServiceVersion{Service: name, Version: 1, TaskYAML: yaml, TaskPath: path, At: time.Now()}); err != nil {
		b.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or timeout passes.
func (b *poolBed) waitFor(what string, timeout time.Duration, cond func([]*state.Replica) bool) []*state.Replica {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		reps, err := b.store.ListReplicas("web")
		if err != nil {
			b.t.Fatal(err)
		}
		if cond(reps) {
			return reps
		}
		if time.Now().After(deadline) {
			var s []string
			for _, r := range reps {
				s = append(s, fmt.Sprintf("%d:v%d:%s(%s)", r.ID, r.Version, r.Status, r.Reason))
			}
			log, _ := os.ReadFile(service.ControllerLog("web"))
			b.t.Fatalf("timed out waiting for %s; replicas %v\ncontroller log:\n%s\nprogress:\n%s", what, s, log, b.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ready(reps []*state.Replica, version int) []*state.Replica {
	var out []*state.Replica
	for _, r := range reps {
		if r.Status == state.ReplicaReady && !r.Terminate && (version == 0 || r.Version == version) {
			out = append(out, r)
		}
	}
	return out
}

func (b *poolBed) endpoint() string {
	svc, err := b.store.GetService("web")
	if err != nil {
		b.t.Fatal(err)
	}
	return svc.Endpoint
}

// load is a bounded load generator: workers send GET path at about rate
// requests/s in total until stopped; every non-200 answer or transport
// error is a failed request.
type load struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	errs         []string
	bodies       map[string]int
	stop         chan struct{}
	wg           sync.WaitGroup
}

func startLoad(url string, workers int, rate float64) *load {
	l := &load{stop: make(chan struct{}), bodies: map[string]int{}}
	client := &http.Client{Timeout: 10 * time.Second}
	gap := time.Duration(float64(workers) / rate * float64(time.Second))
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				case <-time.After(gap):
				}
				l.sent.Add(1)
				resp, err := client.Get(url)
				if err != nil {
					l.fail(err.Error())
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					l.fail(resp.Status)
					continue
				}
				l.mu.Lock()
				l.bodies[strings.TrimSpace(string(body))]++
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *load) fail(msg string) {
	l.failed.Add(1)
	l.mu.Lock()
	if len(l.errs) < 10 {
		l.errs = append(l.errs, msg)
	}
	l.mu.Unlock()
}

func (l *load) end() (sent, failed int64) {
	close(l.stop)
	l.wg.Wait()
	return l.sent.Load(), l.failed.Load()
}

func nodeOf(b *poolBed, r *state.Replica) int {
	for i, nd := range b.nodes.Nodes {
		if nd.IP == r.IP {
			return i
		}
	}
	b.t.Fatalf("replica %d at %s is on no node", r.ID, r.IP)
	return -1
}

// TestServiceOnSSHPoolSurvivesNodeLossUpdatesAndTearsDown is the whole
// life of a service: up → traffic → one replica's node killed under load
// (≤ 0.1% failed requests, replica replaced) → rolling update under load
// (zero failed requests) → down (nothing left running).
func TestServiceOnSSHPoolSurvivesNodeLossUpdatesAndTearsDown(t *testing.T) {
	b := startPoolBed(t, 4)
	b.create("web", "replicas: 2")
	reps := b.waitFor("2 READY replicas", 90*time.Second, func(rs []*state.Replica) bool { return len(ready(rs, 1)) == 2 })
	url := b.endpoint() + "/version"

	l := startLoad(url, 4, 100)
	time.Sleep(2 * time.Second)
	victim := reps[0]
	killedAt := time.Now()
	b.nodes.Kill(nodeOf(b, victim))
	for inRotation(b.ctl.Rotation("web"), victim.URL) {
		if time.Since(killedAt) > 30*time.Second {
			t.Fatal("killed replica still in rotation after 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("node killed → replica out of rotation in %s", time.Since(killedAt).Round(time.Millisecond))
	b.waitFor("the killed replica replaced", 90*time.Second, func(rs []*state.Replica) bool {
		gone := true
		for _, r := range rs {
			if r.ID == victim.ID && !r.Status.Terminal() {
				gone = false
			}
		}
		return gone && len(ready(rs, 1)) == 2
	})
	t.Logf("node killed → replacement READY in %s", time.Since(killedAt).Round(time.Millisecond))
	time.Sleep(time.Second)
	sent, failed := l.end()
	t.Logf("node loss: %d requests, %d failed (%v)", sent, failed, l.errs)
	if sent < 100 {
		t.Fatalf("load generator sent only %d requests", sent)
	}
	if float64(failed) > 0.001*float64(sent) {
		t.Fatalf("%d of %d requests failed (> 0.1%%): %v", failed, sent, l.errs)
	}
	for _, r := range b.must(b.store.ListReplicas("web")) {
		if r.ID == victim.ID && r.Status != state.ReplicaPreempted {
			t.Fatalf("killed replica ended %s (%s), want PREEMPTED", r.Status, r.Reason)
		}
	}

	// Rolling update to VERSION=2 under load: zero failed requests.
	yaml2 := strings.Replace(fmt.Sprintf(webTask, "replicas: 2", b.port, b.port), `VERSION: "1"`, `VERSION: "2"`, 1)
	l = startLoad(url, 4, 100)
	time.Sleep(time.Second)
	if _, err := b.store.AddServiceVersion("web", state.ServiceVersion{TaskYAML: yaml2, TaskPath: "service.yaml", At: time.Now()}, service.ModeRolling); err != nil {
		t.Fatal(err)
	}
	b.waitFor("version 2 rolled out", 120*time.Second, func(rs []*state.Replica) bool {
		if len(ready(rs, 2)) != 2 {
			return false
		}
		for _, r := range rs {
			if r.Version == 1 && !r.Status.Terminal() {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	sent, failed = l.end()
	t.Logf("rolling update: %d requests, %d failed; answers %v", sent, failed, l.bodies)
	if failed != 0 {
		t.Fatalf("%d of %d requests failed during the rolling update: %v", failed, sent, l.errs)
	}
	if l.bodies["v2"] == 0 || l.bodies["v1"] == 0 {
		t.Fatalf("answers %v: want both versions served during the update", l.bodies)
	}

	// Down: every replica drained and destroyed, the service gone.
	ep := b.endpoint()
	live := ready(b.must(b.store.ListReplicas("web")), 2)
	if _, err := b.store.UpdateService("web", func(s *state.Service) error { s.DownRequested = true; return nil }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := b.store.GetService("web"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("service not removed within 60 s of down")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cls, _ := b.store.ListClusters()
	if len(cls) != 0 {
		t.Fatalf("clusters left after down: %v", cls[0].Name)
	}
	for _, r := range live {
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(r.URL, "http://"), time.Second); err == nil {
			c.Close()
			t.Fatalf("replica %d's server %s still answers after down", r.ID, r.URL)
		}
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(ep, "http://"), time.Second); err == nil {
		c.Close()
		t.Fatal("load balancer still listening after down")
	}
}

func (b *poolBed) must(rs []*state.Replica, err error) []*state.Replica {
	if err != nil {
		b.t.Fatal(err)
	}
	return rs
}

// TestServiceOnSSHPoolAutoscales: load above target_qps_per_replica adds a
// replica after upscale_delay_seconds; when idle, it is drained and
// removed after downscale_delay_seconds.
func TestServiceOnSSHPoolAutoscales(t *testing.T) {
	b := startPoolBed(t, 3)
	b.create("web", "replica_policy:\n    min_replicas: 1\n    max_replicas: 2\n    target_qps_per_replica: 5\n    upscale_delay_seconds: 2\n    downscale_delay_seconds: 3")
	b.waitFor("1 READY replica", 90*time.Second, func(rs []*state.Replica) bool { return len(ready(rs, 1)) == 1 })
	l := startLoad(b.endpoint()+"/version", 4, 40)
	start := time.Now()
	b.waitFor("scale up to 2 READY", 90*time.Second, func(rs []*state.Replica) bool { return len(ready(rs, 1)) == 2 })
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("scaled up after %s, before the 2 s upscale delay", d)
	}
	t.Logf("scaled up in %s", time.Since(start).Round(time.Millisecond))
	sent, failed := l.end()
	if failed != 0 {
		t.Fatalf("%d of %d requests failed while scaling up: %v", failed, sent, l.errs)
	}
	start = time.Now()
	b.waitFor("scale down to 1 replica when idle", 60*time.Second, func(rs []*state.Replica) bool {
		n := 0
		for _, r := range rs {
			if !r.Status.Terminal() {
				n++
			}
		}
		return n == 1 && len(ready(rs, 1)) == 1
	})
	if d := time.Since(start); d < 3*time.Second {
		t.Fatalf("scaled down after %s, before the 3 s downscale delay", d)
	}
	t.Logf("scaled down %s after the load stopped", time.Since(start).Round(time.Millisecond))
}

// lockedBuffer is a goroutine-safe bytes.Buffer (launch progress).
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func inRotation(urls []string, u string) bool {
	for _, x := range urls {
		if x == u {
			return true
		}
	}
	return false
}
