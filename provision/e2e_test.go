package provision_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/provision/provisiontest"
	"github.com/skyplan/skyplan/state"
)

// e2eEnv is one moto + fault proxy + toolchain for a test.
type e2eEnv struct {
	moto  *provisiontest.Moto
	proxy *provisiontest.FaultProxy
	tc    *provision.Toolchain
	store *state.Store
	home  string
	log   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// sharedPluginCache keeps provider unpacking out of every test's time.
func sharedPluginCache() string {
	d := filepath.Join(os.TempDir(), "skyplan-e2e-plugin-cache")
	_ = os.MkdirAll(d, 0o755)
	return d
}

func newE2E(t testing.TB) *e2eEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test (terraform + moto) skipped in -short mode")
	}
	e := &e2eEnv{home: t.TempDir(), log: &syncBuffer{}}
	e.moto = provisiontest.StartMoto(t)
	e.proxy = provisiontest.NewFaultProxy(t, e.moto.URL)
	env := map[string]string{"TF_PLUGIN_CACHE_DIR": sharedPluginCache(), "TF_CLI_CONFIG_FILE": filepath.Join(e.home, "missing.tfrc")}
	for k, v := range provisiontest.Env(e.proxy.URL) {
		env[k] = v
	}
	environ := os.Environ()
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	tc, err := provision.NewToolchain(context.Background(), provision.ToolchainOptions{Home: e.home, Getenv: getenv, Environ: environ})
	if err != nil {
		t.Fatal(err)
	}
	e.tc = tc
	st, err := state.Open(filepath.Join(e.home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	return e
}

// candidates: three regions, cheapest first, one zone each (zone-level
// placements keep the test short; region-level zone iteration is unit-tested).
func candidates() []optimizer.Placement {
	mk := func(region string, price float64) optimizer.Placement {
		return optimizer.Placement{Cloud: "aws", Region: region, Zone: region + "a", InstanceType: "t3.micro", HourlyCostPerNode: price, HourlyCost: price, NumNodes: 1}
	}
	return []optimizer.Placement{mk("us-east-1", 0.0104), mk("us-east-2", 0.0105), mk("us-west-2", 0.0106)}
}

func (e *e2eEnv) launcher(t testing.TB, cluster string) *provision.Launcher {
	ws, err := e.tc.Workspace(filepath.Join(e.home, "clusters", cluster), e.log, false)
	if err != nil {
		t.Fatal(err)
	}
	return &provision.Launcher{
		Cluster: cluster, NumNodes: 1, WS: ws, Store: e.store,
		Plan:     provision.CandidatePlanner(candidates()),
		Generate: provisiontest.FixtureGenerator(cluster, 1),
		Log:      e.log, Backoff: 100 * time.Millisecond,
	}
}

func (e *e2eEnv) live(t testing.TB) map[string]int {
	out := map[string]int{}
	for _, c := range candidates() {
		out[c.Region] = e.moto.Live(t, c.Region)
	}
	return out
}

// (1) capacity errors in the two cheapest regions → lands in the third,
// and moto shows running instances only there; then (3) down leaves none.
func TestE2EFailoverToThirdRegionThenDown(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.proxy.Fail("us-east-1", provisiontest.InsufficientInstanceCapacity, -1)
	e.proxy.Fail("us-east-2", provisiontest.VcpuLimitExceeded, -1)
	l := e.launcher(t, "ft")
	out, err := l.Launch(context.Background())
	if err != nil {
		t.Fatalf("launch: %v\n%s", err, e.log)
	}
	if out.Placement.Region != "us-west-2" || len(out.Nodes) != 1 || out.Nodes[0].InstanceID == "" {
		t.Fatalf("landed in %+v nodes %+v", out.Placement, out.Nodes)
	}
	if got := e.live(t); got["us-east-1"] != 0 || got["us-east-2"] != 0 || got["us-west-2"] != 1 {
		t.Fatalf("live instances per region: %v", got)
	}
	log := e.log.String()
	for _, want := range []string{
		"capacity error in AWS (us-east-1a) (InsufficientInstanceCapacity) → trying AWS (us-east-2a) …",
		"quota error in AWS (us-east-2a) (VcpuLimitExceeded) → trying AWS (us-west-2a) …",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("progress lacks %q:\n%s", want, log)
		}
	}
	c, err := e.store.GetCluster("ft")
	if err != nil || c.Status != state.StatusUp || c.Region != "us-west-2" || c.Nodes[0].InstanceID != out.Nodes[0].InstanceID {
		t.Fatalf("state: %+v %v", c, err)
	}
	atts, _ := e.store.ListAttempts("ft")
	if len(atts) != 3 || atts[0].Class != "capacity" || atts[1].Class != "quota" || atts[2].Class != "ok" {
		t.Errorf("attempts: %+v", atts)
	}
	launches, _ := e.store.ListLaunches()
	if len(launches) != 1 || launches[0].HourlyCost != 0.0106 {
		t.Errorf("launches: %+v", launches)
	}
	// (3) down destroys everything.
	if err := provision.Down(context.Background(), l.WS, e.store, "ft"); err != nil {
		t.Fatalf("down: %v\n%s", err, e.log)
	}
	if got := e.live(t); got["us-west-2"] != 0 {
		t.Fatalf("after down: %v", got)
	}
	if _, err := e.store.GetCluster("ft"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("cluster still recorded after down: %v", err)
	}
}

// (2) every region fails → exhausted with a reasons table, zero instances.
func TestE2EAllRegionsFail(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range candidates() {
		e.proxy.Fail(c.Region, provisiontest.InsufficientInstanceCapacity, -1)
	}
	l := e.launcher(t, "none")
	_, err := l.Launch(context.Background())
	var ex *provision.ExhaustedError
	if !errors.As(err, &ex) {
		t.Fatalf("want ExhaustedError, got %v\n%s", err, e.log)
	}
	t.Logf("log:\n%s", e.log)
	if len(ex.Failures) != 3 {
		t.Errorf("failures: %+v", ex.Failures)
	}
	var tbl bytes.Buffer
	ex.WriteTable(&tbl, 1)
	for _, want := range []string{"INFRA", "RESOURCES", "REASON", "AWS (us-west-2a)", "1x t3.micro", "capacity: "} {
		if !strings.Contains(tbl.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tbl.String())
		}
	}
	for r, n := range e.live(t) {
		if n != 0 {
			t.Errorf("%d instances left in %s", n, r)
		}
	}
	// Nothing of the cluster is left, so its directory goes with its record
	// (issue 18); were it kept, its state must hold nothing.
	if _, err := os.Stat(l.WS.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cluster directory %s left behind by a launch that left nothing (stat: %v)", l.WS.Dir, err)
		if n, err := l.WS.ManagedInstances(context.Background()); err != nil || n != 0 {
			t.Errorf("state still holds %d resources (%v)", n, err)
		}
	}
	if _, err := e.store.GetCluster("none"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a never-UP cluster with nothing left should not stay listed: %v", err)
	}
}

// A transient error is retried in place, not failed over.
func TestE2ETransientRetriedInPlace(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.proxy.Fail("us-east-1", provisiontest.RequestLimitExceeded, 2)
	l := e.launcher(t, "tr")
	out, err := l.Launch(context.Background())
	if err != nil {
		t.Fatalf("launch: %v\n%s", err, e.log)
	}
	if out.Placement.Region != "us-east-1" {
		t.Errorf("moved to %s on a transient error", out.Placement.Region)
	}
	if !strings.Contains(e.log.String(), "retrying in place") {
		t.Errorf("no retry message:\n%s", e.log)
	}
	if err := provision.Down(context.Background(), l.WS, e.store, "tr"); err != nil {
		t.Fatal(err)
	}
}

// (6) interrupt mid-apply, then down → zero instances.
func TestE2EInterruptThenDown(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	e.proxy.OnRunInstances(func(region, zone string) {
		// Interrupt once the instance is being created (Terraform waits
		// ~10 s for it to run), like a user pressing Ctrl-C.
		once.Do(func() { time.AfterFunc(500*time.Millisecond, cancel) })
	})
	l := e.launcher(t, "intr")
	_, err := l.Launch(ctx)
	if err == nil {
		t.Fatalf("launch survived the interrupt\n%s", e.log)
	}
	c, gerr := e.store.GetCluster("intr")
	if gerr != nil || c.Status != state.StatusInit {
		t.Fatalf("after interrupt the cluster must stay recorded as INIT: %+v %v", c, gerr)
	}
	if err := provision.Down(context.Background(), l.WS, e.store, "intr"); err != nil {
		t.Fatalf("down: %v\n%s", err, e.log)
	}
	for r, n := range e.live(t) {
		if n != 0 {
			t.Errorf("%d instances left in %s after down", n, r)
		}
	}
}

// BenchmarkFailoverStep measures skyplan+terraform seconds per failed
// location against moto behind the fault proxy (every location answers
// RunInstances with InsufficientInstanceCapacity): apply, classification,
// destroy of what the attempt created, re-plan.
func BenchmarkFailoverStep(b *testing.B) {
	e := newE2E(b)
	for _, c := range candidates() {
		e.proxy.Fail(c.Region, provisiontest.InsufficientInstanceCapacity, -1)
	}
	l := e.launcher(b, "bench")
	// Warm up: init and provider caches are per directory, not per step.
	if err := provisiontest.FixtureGenerator("bench", 1)(candidates()[0], l.WS.Dir); err != nil {
		b.Fatal(err)
	}
	if err := l.WS.Init(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	steps := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_, err := l.Launch(context.Background())
		var ex *provision.ExhaustedError
		if !errors.As(err, &ex) {
			b.Fatalf("want exhausted, got %v", err)
		}
		steps += len(ex.Failures)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(steps), "s/failed-location")
}

// BenchmarkFailoverZoneStep is the same inside one region: a region-level
// placement whose three zones all fail. Zones are tried on top of each
// other (one apply each) and the region is destroyed once when left.
func BenchmarkFailoverZoneStep(b *testing.B) {
	e := newE2E(b)
	e.proxy.Fail("us-east-2", provisiontest.InsufficientInstanceCapacity, -1)
	l := e.launcher(b, "benchz")
	region := optimizer.Placement{Cloud: "aws", Region: "us-east-2", InstanceType: "t3.micro", Zones: []string{"us-east-2a", "us-east-2b", "us-east-2c"}, NumNodes: 1}
	l.Plan = provision.CandidatePlanner([]optimizer.Placement{region})
	if err := provisiontest.FixtureGenerator("benchz", 1)(candidates()[0], l.WS.Dir); err != nil {
		b.Fatal(err)
	}
	if err := l.WS.Init(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	steps := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_, err := l.Launch(context.Background())
		var ex *provision.ExhaustedError
		if !errors.As(err, &ex) {
			b.Fatalf("want exhausted, got %v", err)
		}
		steps += len(ex.Failures)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(steps), "s/failed-location")
}
