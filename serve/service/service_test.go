package service

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
	"testing"
	"time"

	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// fakeClusters "launches" a cluster by starting a real HTTP server on its
// own loopback address (127.0.1.N), as a replica's run: would.
type fakeClusters struct {
	mu       sync.Mutex
	next     int
	servers  map[string]*http.Server
	status   map[string]int // HTTP status the replica's /health answers
	downs    map[string]int
	fail     map[string]error // launch errors by cluster name
	hang     chan struct{}    // when set, replicas in hung answer only once it is closed
	hung     map[string]bool
	noSpot   map[string]bool // zones without spot capacity
	launched []string        // "zone [Spot]" per launch, in order
	port     int
	upGate   chan struct{} // when set, Up answers only once it is closed (a slow cloud refresh)
}

func newFakeClusters(port int) *fakeClusters {
	return &fakeClusters{servers: map[string]*http.Server{}, status: map[string]int{}, downs: map[string]int{}, fail: map[string]error{}, port: port}
}

func (f *fakeClusters) Launch(ctx context.Context, name string, t *task.Task, loc *replica.Location) (*state.Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail[name]; err != nil {
		return nil, err
	}
	if loc != nil && loc.UseSpot && f.noSpot[loc.Zone] {
		f.launched = append(f.launched, loc.Zone+" [Spot] failed")
		return nil, fmt.Errorf("InsufficientInstanceCapacity: no spot capacity in %s", loc.Zone)
	}
	if _, ok := f.servers[name]; ok {
		return nil, fmt.Errorf("cluster %s launched twice", name)
	}
	f.next++
	ip := fmt.Sprintf("127.0.1.%d", f.next)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(f.port)))
	if err != nil {
		return nil, err
	}
	code := http.StatusOK
	if c, ok := f.status["*"]; ok {
		code = c
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		hang, hung := f.hang, f.hung[name]
		f.mu.Unlock()
		if hung && hang != nil {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "%s\n", name)
	})}
	go srv.Serve(ln)
	f.servers[name] = srv
	sc := &state.Cluster{Name: name, Status: state.StatusUp, Cloud: "ssh", Region: "pool", InstanceType: "-", NumNodes: 1,
		Nodes: []state.Node{{PrivateIP: ip, PublicIP: ip}}}
	if loc != nil {
		sc.Cloud, sc.Region, sc.Zone, sc.UseSpot = "aws", "us-east-1", loc.Zone, loc.UseSpot
		if loc.Cloud != "" {
			sc.Cloud, sc.Region = loc.Cloud, loc.Region
		}
		if !loc.UseSpot && loc.Zone == "" {
			sc.Zone = "us-east-1f" // the optimizer's on-demand choice
		}
	}
	f.launched = append(f.launched, sc.Zone+spotTag(sc.UseSpot))
	return sc, nil
}

func (f *fakeClusters) Down(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.servers[name]; ok {
		s.Close()
		delete(f.servers, name)
	}
	f.downs[name]++
	return nil
}

func (f *fakeClusters) Up(ctx context.Context, name string) (bool, error) {
	f.mu.Lock()
	gate := f.upGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.servers[name]
	return ok, nil
}

// Logs is the replica's run output while its cluster lives (replica.LogSaver).
func (f *fakeClusters) Logs(ctx context.Context, name string, w io.Writer) error {
	f.mu.Lock()
	_, ok := f.servers[name]
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("cluster %s is gone", name)
	}
	_, err := fmt.Fprintf(w, "(%s) serving\n", name)
	return err
}

// kill makes a cluster vanish (preemption): its server stops, Up says no.
func (f *fakeClusters) kill(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.servers[name].Close()
	delete(f.servers, name)
}

func (f *fakeClusters) alive() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.servers {
		out = append(out, n)
	}
	return out
}

type fakeLB struct {
	mu       sync.Mutex
	urls     []string
	removed  []string
	inflight map[string]int
}

func (b *fakeLB) SetReplicas(urls []string) {
	b.mu.Lock()
	b.urls = append([]string(nil), urls...)
	b.mu.Unlock()
}
func (b *fakeLB) Remove(url string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removed = append(b.removed, url)
	var keep []string
	for _, u := range b.urls {
		if u != url {
			keep = append(keep, u)
		}
	}
	b.urls = keep
}
func (b *fakeLB) Replicas() []string { return b.rotation() }
func (b *fakeLB) InFlight(url string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inflight[url]
}
func (b *fakeLB) Serve(l net.Listener) error { return http.Serve(l, http.NotFoundHandler()) }
func (b *fakeLB) Close() error               { return nil }
func (b *fakeLB) rotation() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

type fixedScaler struct{ n *int }

func (s fixedScaler) Target(time.Time, []ScaleReplica) (int, int) { return 0, *s.n }

type noPlacer struct{}

func (noPlacer) Next([]replica.Location) *replica.Location { return nil }
func (noPlacer) Preempted(replica.Location)                {}
func (noPlacer) Active(replica.Location)                   {}

type fakeComponents struct {
	lb     *fakeLB
	target *int
}

func (c fakeComponents) Balancer(*Spec, func(string, ...any)) (Balancer, error) { return c.lb, nil }
func (c fakeComponents) Scaler(*Spec, Balancer) Scaler                          { return fixedScaler{c.target} }
func (c fakeComponents) Placer(*Spec) Placer                                    { return noPlacer{} }

type bed struct {
	t        *testing.T
	store    *state.Store
	clusters *fakeClusters
	lb       *fakeLB
	target   int
	now      time.Time
	ctl      *Controller
	dir      string
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newBed(t *testing.T, target int) *bed {
	dir := t.TempDir()
	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	b := &bed{t: t, store: store, clusters: newFakeClusters(freePort(t)), lb: &fakeLB{inflight: map[string]int{}},
		target: target, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), dir: dir}
	t.Cleanup(func() {
		for _, n := range b.clusters.alive() {
			b.clusters.Down(context.Background(), n)
		}
	})
	b.ctl = b.newController()
	t.Cleanup(func() { b.ctl.Close() })
	if err := store.CreateService(&state.Service{Name: "svc", Status: state.ServiceControllerInit, Version: 1, UpdateMode: ModeRolling, CreatedAt: b.now},
		state.ServiceVersion{Service: "svc", Version: 1, TaskYAML: "v1"}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *bed) newController() *Controller {
	return New(Options{Store: b.store, Clusters: b.clusters, Components: fakeComponents{lb: b.lb, target: &b.target},
		Now:      func() time.Time { return b.now },
		LoadSpec: func(v state.ServiceVersion) (*Spec, error) { return b.spec(v), nil },
		LogDir:   func(s string) string { return filepath.Join(b.dir, "serve", s) }, DrainTimeout: 30 * time.Second})
}

func (b *bed) spec(v state.ServiceVersion) *Spec {
	return &Spec{Task: &task.Task{Name: v.TaskYAML}, Port: b.clusters.port, Min: b.target, Max: b.target,
		Probe:  replica.Probe{Path: "/health", Timeout: 2 * time.Second, InitialDelay: time.Minute},
		Policy: replica.Policy{Probe: replica.Probe{InitialDelay: time.Minute}, ReplaceAfter: 3, ReplaceAfterDuration: 30 * time.Second}}
}

// pass advances the clock by d and runs one reconcile, then waits for the
// launches and teardowns it started.
func (b *bed) pass(d time.Duration) {
	b.now = b.now.Add(d)
	if err := b.ctl.Reconcile(context.Background()); err != nil {
		b.t.Fatalf("reconcile: %v", err)
	}
	b.ctl.Wait()
}

func (b *bed) replicas() map[state.ReplicaStatus]int {
	rs, err := b.store.ListReplicas("svc")
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[state.ReplicaStatus]int{}
	for _, r := range rs {
		out[r.Status]++
	}
	return out
}

func (b *bed) list() []*state.Replica {
	rs, err := b.store.ListReplicas("svc")
	if err != nil {
		b.t.Fatal(err)
	}
	return rs
}

func TestReplicasComeUpAndPreemptedOneIsReplaced(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second) // allocate + launch
	if got := b.replicas(); got[state.ReplicaStarting] != 2 {
		t.Fatalf("after the first pass want 2 STARTING, got %v", got)
	}
	b.pass(time.Second) // probe
	if got := b.replicas(); got[state.ReplicaReady] != 2 {
		t.Fatalf("want 2 READY, got %v", got)
	}
	if rot := b.lb.rotation(); len(rot) != 2 {
		t.Fatalf("LB rotation = %v, want 2 replicas", rot)
	}
	svc, _ := b.store.GetService("svc")
	if svc.Status != state.ServiceReady || !strings.HasPrefix(svc.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("service = %+v", svc)
	}
	victim := b.list()[0]
	b.clusters.kill(victim.Cluster)
	b.pass(time.Second)
	// Out of rotation in the pass that saw it die, torn down, replaced.
	for _, u := range b.lb.rotation() {
		if u == victim.URL {
			t.Fatalf("dead replica %s still in rotation", u)
		}
	}
	byID := map[int]*state.Replica{}
	for _, r := range b.list() {
		byID[r.ID] = r
	}
	if r := byID[victim.ID]; r == nil || r.Status != state.ReplicaPreempted {
		t.Fatalf("victim = %+v, want PREEMPTED", r)
	}
	if b.clusters.downs[victim.Cluster] == 0 {
		t.Fatalf("preempted replica's cluster was not torn down")
	}
	b.pass(time.Second)
	b.pass(time.Second)
	if got := b.replicas(); got[state.ReplicaReady] != 2 || got[state.ReplicaPreempted] != 1 {
		t.Fatalf("want 2 READY + 1 PREEMPTED, got %v", got)
	}
	if n := len(b.clusters.alive()); n != 2 {
		t.Fatalf("%d clusters alive, want 2", n)
	}
}

func TestProbeNeverSucceedsEndsFailedProbingWithLastError(t *testing.T) {
	b := newBed(t, 1)
	b.clusters.status["*"] = http.StatusServiceUnavailable
	b.pass(time.Second)
	b.pass(30 * time.Second)
	if got := b.replicas(); got[state.ReplicaStarting] != 1 {
		t.Fatalf("within the initial delay want STARTING, got %v", got)
	}
	b.pass(31 * time.Second) // past the 1 min initial delay
	var failed *state.Replica
	for _, r := range b.list() {
		if r.Status == state.ReplicaFailedProbing {
			failed = r
		}
	}
	if failed == nil {
		t.Fatalf("no FAILED_PROBING replica: %v", b.replicas())
	}
	if !strings.Contains(failed.Reason, "503") || !strings.Contains(failed.LastProbeError, "503 Service Unavailable") {
		t.Fatalf("reason %q / last error %q should carry the probe's HTTP 503", failed.Reason, failed.LastProbeError)
	}
	if b.clusters.downs[failed.Cluster] == 0 {
		t.Fatal("FAILED_PROBING replica's cluster leaked")
	}
	// Replacements keep failing; after MaxUserFailures the service is
	// FAILED and stops launching.
	for i := 0; i < 8; i++ {
		b.pass(31 * time.Second)
	}
	svc, _ := b.store.GetService("svc")
	if svc.Status != state.ServiceFailed || !strings.Contains(svc.Message, "readiness probe") {
		t.Fatalf("service = %s %q, want FAILED with a reason", svc.Status, svc.Message)
	}
	if n := len(b.clusters.alive()); n != 0 {
		t.Fatalf("%d clusters alive after the service failed", n)
	}
}

func TestRestartTearsDownInterruptedLaunchAndAdoptsRunningReplicas(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second)
	b.pass(time.Second)
	// A replica whose launch was in flight when the controller died.
	orphan := &state.Replica{Version: 1, Status: state.ReplicaProvisioning}
	if err := b.store.AllocateReplica("svc", orphan); err != nil {
		t.Fatal(err)
	}
	orphan.Cluster = "svc-orphan"
	orphan.Status = state.ReplicaProvisioning
	b.store.PutReplica(orphan)
	b.clusters.Launch(context.Background(), "svc-orphan", nil, nil)
	before := b.lb.rotation()
	b.ctl.Close()
	b.ctl = b.newController()
	b.pass(time.Second)
	if _, up := b.clusters.servers["svc-orphan"]; up {
		t.Fatal("the interrupted launch's cluster was not torn down")
	}
	if got := b.replicas(); got[state.ReplicaReady] != 2 {
		t.Fatalf("running replicas not adopted: %v", got)
	}
	if rot := b.lb.rotation(); len(rot) != 2 || len(before) != 2 {
		t.Fatalf("rotation before %v after %v", before, rot)
	}
}

func TestScaleDownDrainsThenPurges(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second)
	b.pass(time.Second)
	b.target = 1
	newest := b.list()[1]
	b.lb.inflight[newest.URL] = 1 // a long request on the replica to retire
	b.pass(time.Second)
	r := b.list()[1]
	if r.Status != state.ReplicaShuttingDown || b.clusters.downs[r.Cluster] != 0 {
		t.Fatalf("want the newest replica draining (SHUTTING_DOWN, cluster up), got %s downs=%d", r.Status, b.clusters.downs[r.Cluster])
	}
	if rot := b.lb.rotation(); len(rot) != 1 || rot[0] == newest.URL {
		t.Fatalf("rotation %v should exclude the draining replica", rot)
	}
	b.lb.mu.Lock()
	b.lb.inflight[newest.URL] = 0
	b.lb.mu.Unlock()
	b.pass(time.Second)
	if got := len(b.list()); got != 1 || b.clusters.downs[newest.Cluster] != 1 {
		t.Fatalf("after drain want 1 replica and the cluster down, got %d replicas, downs=%d", got, b.clusters.downs[newest.Cluster])
	}
	// Its logs were saved before the teardown: `serve logs svc ID` still works.
	saved, err := os.ReadFile(filepath.Join(b.dir, "serve", "svc", ReplicaLogName(newest.ID)))
	if err != nil || string(saved) != "("+newest.Cluster+") serving\n" {
		t.Fatalf("saved logs of the scaled-down replica: %q, %v", saved, err)
	}
}

func TestRollingUpdateKeepsServingThenDown(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second)
	b.pass(time.Second)
	if _, err := b.store.AddServiceVersion("svc", state.ServiceVersion{TaskYAML: "v2"}, ModeRolling); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		b.pass(time.Second)
		if rot := b.lb.rotation(); len(rot) < 2 {
			t.Fatalf("pass %d: rotation %v has fewer than 2 ready replicas during a rolling update", i, rot)
		}
	}
	for _, r := range b.list() {
		if r.Version != 2 || r.Status != state.ReplicaReady {
			t.Fatalf("after the update: replica %d v%d %s", r.ID, r.Version, r.Status)
		}
	}
	if _, err := b.store.UpdateService("svc", func(s *state.Service) error { s.DownRequested = true; return nil }); err != nil {
		t.Fatal(err)
	}
	b.pass(time.Second)
	b.pass(time.Second)
	if n := len(b.clusters.alive()); n != 0 {
		t.Fatalf("%d replica clusters alive after down", n)
	}
	if _, err := b.store.GetService("svc"); err == nil {
		t.Fatal("service still recorded after down")
	}
}

func TestBlueGreenSwitchesOnlyWhenNewVersionComplete(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second)
	b.pass(time.Second)
	old := b.lb.rotation()
	if _, err := b.store.AddServiceVersion("svc", state.ServiceVersion{TaskYAML: "v2"}, ModeBlueGreen); err != nil {
		t.Fatal(err)
	}
	b.pass(time.Second) // new replicas launched, STARTING
	if rot := b.lb.rotation(); fmt.Sprint(rot) != fmt.Sprint(old) {
		t.Fatalf("blue/green switched before the new version was ready: %v vs %v", rot, old)
	}
	b.pass(time.Second) // new READY → old retired
	b.pass(time.Second)
	rot := b.lb.rotation()
	if len(rot) != 2 {
		t.Fatalf("rotation %v", rot)
	}
	for _, u := range rot {
		for _, o := range old {
			if u == o {
				t.Fatalf("old replica %s still in rotation after the switch", u)
			}
		}
	}
	if n := len(b.clusters.alive()); n != 2 {
		t.Fatalf("%d clusters alive, want the 2 new ones", n)
	}
}

func TestHungReplicaDoesNotDelayOthers(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second)
	b.pass(time.Second)
	reps := b.list()
	hung, dead := reps[0], reps[1]
	release := make(chan struct{})
	defer close(release)
	b.clusters.mu.Lock()
	b.clusters.hang, b.clusters.hung = release, map[string]bool{hung.Cluster: true}
	b.clusters.mu.Unlock()
	b.clusters.kill(dead.Cluster)
	b.pass(time.Second)
	byID := map[int]*state.Replica{}
	for _, r := range b.list() {
		byID[r.ID] = r
	}
	if r := byID[dead.ID]; r.Status != state.ReplicaPreempted {
		t.Fatalf("dead replica is %s in the pass where a hung probe is still running; want PREEMPTED", r.Status)
	}
	if r := byID[hung.ID]; r.Status != state.ReplicaReady {
		t.Fatalf("hung replica is %s; its probe (2 s timeout) has no result yet", r.Status)
	}
	if inRot(b.lb.rotation(), dead.URL) {
		t.Fatal("dead replica still in rotation")
	}
	// The hung probe times out; a later pass applies it: NOT_READY.
	time.Sleep(2500 * time.Millisecond)
	b.pass(time.Second)
	for _, r := range b.list() {
		if r.ID == hung.ID && r.Status != state.ReplicaNotReady {
			t.Fatalf("hung replica after its probe timed out: %s (%s)", r.Status, r.LastProbeError)
		}
	}
}

func inRot(urls []string, u string) bool {
	for _, x := range urls {
		if x == u {
			return true
		}
	}
	return false
}

func spotTag(spot bool) string {
	if spot {
		return " [Spot]"
	}
	return ""
}

// TestSlowRefreshDoesNotHoldReplicaInRotation: a cloud refresh takes
// seconds to a minute. The failed probe's NOT_READY is applied without
// waiting for it, the periodic rotation sync never puts the replica back
// meanwhile, and the refresh's verdict (gone) arrives with a later probe:
// PREEMPTED, torn down, replaced.
func TestSlowRefreshDoesNotHoldReplicaInRotation(t *testing.T) {
	b := newBed(t, 2)
	b.pass(time.Second)
	b.pass(time.Second)
	gate := make(chan struct{})
	b.clusters.mu.Lock()
	b.clusters.upGate = gate
	b.clusters.mu.Unlock()
	victim := b.list()[0]
	b.clusters.kill(victim.Cluster)
	for i := 0; i < 3; i++ {
		b.pass(time.Second)
		if inRot(b.lb.rotation(), victim.URL) {
			t.Fatalf("pass %d: the dead replica is back in rotation while its cluster refresh runs", i)
		}
	}
	for _, r := range b.list() {
		if r.ID == victim.ID && r.Status != state.ReplicaNotReady {
			t.Fatalf("while the refresh runs the dead replica is %s, want NOT_READY", r.Status)
		}
	}
	close(gate)
	time.Sleep(50 * time.Millisecond) // the refresh goroutine records its verdict
	b.pass(time.Second)
	b.pass(time.Second)
	for _, r := range b.list() {
		if r.ID == victim.ID && r.Status != state.ReplicaPreempted {
			t.Fatalf("after the refresh answered the dead replica is %s, want PREEMPTED", r.Status)
		}
	}
	b.pass(time.Second)
	b.pass(time.Second)
	if got := b.replicas(); got[state.ReplicaReady] != 2 {
		t.Fatalf("want the replacement READY: %v", got)
	}
}
