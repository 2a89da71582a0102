package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
)

const iceMsg = "creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (%s)."

func ice(zone string) string { return strings.Replace(iceMsg, "%s", zone, 1) }

// retireEnv is a Launcher on the fake terraform whose environment a test
// can extend (destroy gate, failing destroy) before Launch.
type retireEnv struct {
	tc      *Toolchain
	logPath string
	st      *state.Store
	dir     string
	log     *strings.Builder
}

func newRetireEnv(t *testing.T, fail map[string]string, env map[string]string) *retireEnv {
	t.Helper()
	tc, logPath := fakeToolchain(t, fail)
	for k, v := range env {
		tc.Env[k] = v
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &retireEnv{tc: tc, logPath: logPath, st: st, dir: filepath.Join(t.TempDir(), "c"), log: &strings.Builder{}}
}

func (e *retireEnv) launcher(t *testing.T, cands []optimizer.Placement) *Launcher {
	t.Helper()
	ws, err := e.tc.Workspace(e.dir, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Launcher{Cluster: "c", NumNodes: 1, WS: ws, Store: e.st, Plan: CandidatePlanner(cands), Generate: fakeGenerate, Log: e.log, Backoff: 1}
}

func twoRegions() []optimizer.Placement {
	return []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large", HourlyCost: 0.096},
		{Cloud: "aws", Region: "us-east-2", Zone: "us-east-2a", InstanceType: "m6i.large", HourlyCost: 0.097},
	}
}

func callsIn(calls []fakeCall, name, dirPart string) int {
	n := 0
	for _, c := range calls {
		if c.Args[0] == name && strings.Contains(c.Dir, dirPart) {
			n++
		}
	}
	return n
}

// The failed region's destroy runs from its own retired workspace while
// the next region is tried: Launch returns UP with that destroy still in
// flight and recorded in state.db, and WaitRetired ends it, removing the
// directory and the row.
func TestFailedRegionDestroyedInBackground(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	e := newRetireEnv(t, map[string]string{"us-east-1a": ice("us-east-1a")}, map[string]string{"FAKE_TF_DESTROY_GATE": gate})
	l := e.launcher(t, twoRegions())
	out, err := l.Launch(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if out.Placement.Region != "us-east-2" {
		t.Fatalf("landed in %+v", out.Placement)
	}
	recs, err := e.st.ListRetired("c")
	if err != nil || len(recs) != 1 || recs[0].Region != "us-east-1" || recs[0].Class != "capacity" {
		t.Fatalf("retired rows while the destroy runs: %+v %v", recs, err)
	}
	if !strings.HasPrefix(recs[0].Dir, filepath.Join(e.dir, RetiredDir)+string(filepath.Separator)) {
		t.Fatalf("retired dir %s is not under %s/%s", recs[0].Dir, e.dir, RetiredDir)
	}
	// The retired copy holds the failed attempt's state and region; the
	// cluster directory's state is the new region's only.
	if n, err := localStateResources(recs[0].Dir); err != nil || n != 1 {
		t.Fatalf("retired state: %d resources, %v", n, err)
	}
	if id, ok := DirIdentity(recs[0].Dir); ok && id.Region != "us-east-1" {
		t.Fatalf("retired identity %+v", id)
	}
	if b, _ := os.ReadFile(filepath.Join(recs[0].Dir, "skyplan.auto.tfvars.json")); !strings.Contains(string(b), `"us-east-1a"`) {
		t.Fatalf("retired tfvars: %s", b)
	}
	if n, _ := localStateResources(e.dir); n != 2 {
		t.Fatalf("cluster state holds %d resources, want the 2 of us-east-2", n)
	}
	// Launch may return before the background goroutine has started
	// terraform destroy (CI saw only init/apply/apply/output logged).
	calls := readCalls(t, e.logPath)
	for deadline := time.Now().Add(30 * time.Second); callsIn(calls, "destroy", "") == 0 && time.Now().Before(deadline); calls = readCalls(t, e.logPath) {
		time.Sleep(10 * time.Millisecond)
	}
	if callsIn(calls, "destroy", "") != 1 || callsIn(calls, "destroy", "/"+RetiredDir+"/") != 1 || callsIn(calls, "destroy-done", "") != 0 {
		t.Fatalf("want one destroy, in the retired dir, still running: %+v", calls)
	}
	os.WriteFile(gate, nil, 0o644)
	if err := l.WaitRetired(context.Background()); err != nil {
		t.Fatal(err)
	}
	if recs, _ := e.st.ListRetired("c"); len(recs) != 0 {
		t.Fatalf("rows after the destroy: %+v", recs)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.dir, RetiredDir)); len(ents) != 0 {
		t.Fatalf("retired directories left: %v", ents)
	}
	if !strings.Contains(e.log.String(), "Destroying what the attempt in AWS (us-east-1a) created, in the background …") {
		t.Errorf("log:\n%s", e.log)
	}
}

// An attempt never starts in a region whose retired destroy still runs:
// the loop waits for it first.
func TestSameRegionWaitsForRetiredDestroy(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large"},
		{Cloud: "aws", Region: "us-east-2", Zone: "us-east-2a", InstanceType: "m6i.large"},
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m7i.large"},
	}
	gate := filepath.Join(t.TempDir(), "gate")
	e := newRetireEnv(t, map[string]string{"us-east-1a": ice("us-east-1a"), "us-east-2a": ice("us-east-2a")}, map[string]string{"FAKE_TF_DESTROY_GATE": gate})
	// us-east-1a is blocked for m6i.large only, so the third candidate
	// is us-east-1 again.
	l := e.launcher(t, cands)
	go func() { time.Sleep(300 * time.Millisecond); os.WriteFile(gate, nil, 0o644) }()
	_, err := l.Launch(context.Background())
	// us-east-1a keeps failing for any type in the fake, so the launch is
	// exhausted; what matters is the order of the calls.
	if err == nil {
		t.Fatalf("want exhausted\n%s", e.log)
	}
	calls := readCalls(t, e.logPath)
	firstDone, secondApply := -1, -1
	applies := 0
	for i, c := range calls {
		if c.Args[0] == "destroy-done" && strings.Contains(c.Dir, "us-east-1") && firstDone < 0 {
			firstDone = i
		}
		if c.Args[0] == "apply" {
			if applies++; applies == 3 {
				secondApply = i
			}
		}
	}
	if firstDone < 0 || secondApply < 0 || firstDone > secondApply {
		t.Fatalf("the us-east-1 retired destroy (done at call %d) must end before the second us-east-1 apply (call %d): %+v", firstDone, secondApply, calls)
	}
	if !strings.Contains(e.log.String(), "Waiting for the destroy of the failed attempt in AWS (us-east-1a) before trying AWS (us-east-1) again …") {
		t.Errorf("log:\n%s", e.log)
	}
}

// A background destroy that fails keeps its row and directory and says
// how to finish it; an exhausted launch then keeps the cluster's record,
// so `down` still finds what is left.
func TestFailedBackgroundDestroyKeepsRecord(t *testing.T) {
	e := newRetireEnv(t, map[string]string{"us-east-1a": ice("us-east-1a"), "us-east-2a": ice("us-east-2a")}, map[string]string{"FAKE_TF_DESTROY_FAIL": "1"})
	l := e.launcher(t, twoRegions())
	_, err := l.Launch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "failed to provision") {
		t.Fatalf("want exhausted, got %v\n%s", err, e.log)
	}
	recs, _ := e.st.ListRetired("c")
	if len(recs) != 2 || recs[0].Region != "us-east-1" || recs[1].Region != "us-east-2" {
		t.Fatalf("rows: %+v\n%s", recs, e.log)
	}
	if _, err := os.Stat(filepath.Join(recs[0].Dir, stateFile)); err != nil {
		t.Fatalf("retired state gone: %v", err)
	}
	if !strings.Contains(e.log.String(), "`skyplan down c` finishes it") {
		t.Errorf("log lacks the way out:\n%s", e.log)
	}
	if _, err := e.st.GetCluster("c"); err != nil {
		t.Fatalf("cluster record dropped while a failed attempt's resources exist: %v", err)
	}
}

// A row left by a killed skyplan (its destroy never ran) is finished by
// the next launch of the cluster, refreshing first.
func TestNextLaunchFinishesRetiredRows(t *testing.T) {
	e := newRetireEnv(t, nil, nil)
	dir := filepath.Join(e.dir, RetiredDir, "20261202T000000.000000000-us-east-1")
	os.MkdirAll(dir, 0o755)
	fakeGenerate(optimizer.Placement{Region: "us-east-1", Zone: "us-east-1a"}, dir)
	os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"version":4,"serial":3,"lineage":"fake","resources":[{"mode":"managed","type":"x","name":"n","instances":[{}]}]}`), 0o644)
	if err := e.st.AddRetired(state.Retired{Cluster: "c", ID: filepath.Base(dir), Dir: dir, Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", Class: "capacity", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	l := e.launcher(t, twoRegions()[1:])
	if _, err := l.Launch(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if err := l.WaitRetired(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := readCalls(t, e.logPath)
	var destroy *fakeCall
	for i := range calls {
		if calls[i].Args[0] == "destroy" {
			destroy = &calls[i]
		}
	}
	if destroy == nil || destroy.Dir != dir || strings.Contains(strings.Join(destroy.Args, " "), "-refresh=false") {
		t.Fatalf("want a refreshing destroy in %s: %+v", dir, calls)
	}
	if recs, _ := e.st.ListRetired("c"); len(recs) != 0 {
		t.Fatalf("rows left: %+v", recs)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("retired dir left: %v", err)
	}
}

// Down finishes recorded retired attempts before it destroys the cluster,
// and a row whose directory is already gone is just dropped.
func TestFinishRetiredDropsRowsWithoutDirectory(t *testing.T) {
	e := newRetireEnv(t, nil, nil)
	gone := filepath.Join(e.dir, RetiredDir, "gone")
	e.st.AddRetired(state.Retired{Cluster: "c", ID: "gone", Dir: gone, Cloud: "aws", Region: "us-east-1", At: time.Now()})
	if err := FinishRetired(context.Background(), e.tc, e.st, "c", nil, false); err != nil {
		t.Fatal(err)
	}
	if recs, _ := e.st.ListRetired("c"); len(recs) != 0 {
		t.Fatalf("rows left: %+v", recs)
	}
	if calls := readCalls(t, e.logPath); len(calls) != 0 {
		t.Fatalf("no terraform call needed: %+v", calls)
	}
}

// generateWithRunVars is fakeGenerate plus the compiler's run-vars file
// declaring the AWS provider's retry budget.
func generateWithRunVars(p optimizer.Placement, dir string) error {
	if err := fakeGenerate(p, dir); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "skyplan.run.tfvars.json"), []byte(`{"aws_max_retries": 2}`), 0o644)
}

func hasArg(c fakeCall, arg string) bool {
	for _, a := range c.Args {
		if a == arg {
			return true
		}
	}
	return false
}

// A fallback attempt's first apply runs with no provider retries (so a
// capacity error costs no backoff); a transient error is retried in place
// with the run-vars budget; a root whose run-vars file lacks the variable
// gets no -var (Terraform would refuse an undeclared one).
func TestAttemptApplyWithoutProviderRetries(t *testing.T) {
	e := newRetireEnv(t, map[string]string{
		"us-east-1a": ice("us-east-1a"),
		"us-east-2a": "once:creating EC2 Instance: RequestLimitExceeded: Request limit exceeded.",
	}, nil)
	l := e.launcher(t, twoRegions())
	l.Generate = generateWithRunVars
	out, err := l.Launch(context.Background())
	if err != nil || out.Placement.Region != "us-east-2" {
		t.Fatalf("%+v %v\n%s", out, err, e.log)
	}
	if err := l.WaitRetired(context.Background()); err != nil {
		t.Fatal(err)
	}
	var applies []fakeCall
	for _, c := range readCalls(t, e.logPath) {
		if c.Args[0] == "apply" {
			applies = append(applies, c)
		}
		if c.Args[0] == "destroy" && hasArg(c, "aws_max_retries=1") {
			t.Errorf("a destroy must keep the provider's retries: %v", c.Args)
		}
	}
	if len(applies) != 3 {
		t.Fatalf("want 3 applies (us-east-1, us-east-2, its retry in place), got %d\n%s", len(applies), e.log)
	}
	for i, want := range []bool{true, true, false} {
		if got := hasArg(applies[i], "aws_max_retries=1"); got != want {
			t.Errorf("apply %d: -var aws_max_retries=1 is %v, want %v: %v", i, got, want, applies[i].Args)
		}
		if !hasArg(applies[i], "-var-file=skyplan.run.tfvars.json") && !strings.Contains(strings.Join(applies[i].Args, " "), "skyplan.run.tfvars.json") {
			t.Errorf("apply %d lacks the run-vars file: %v", i, applies[i].Args)
		}
	}
	if !strings.Contains(e.log.String(), "retrying in place") {
		t.Errorf("no in-place retry:\n%s", e.log)
	}

	// Without a run-vars file (a root compiled before it existed): no -var.
	e2 := newRetireEnv(t, map[string]string{"us-east-1a": ice("us-east-1a")}, nil)
	l2 := e2.launcher(t, twoRegions())
	if _, err := l2.Launch(context.Background()); err != nil {
		t.Fatal(err)
	}
	l2.WaitRetired(context.Background())
	for _, c := range readCalls(t, e2.logPath) {
		if hasArg(c, "-var") {
			t.Errorf("-var passed to a root without run vars: %v", c.Args)
		}
	}
}

// A failed attempt that created a bucket holds a name global to the
// cloud: the next region's attempt, which creates the same bucket, waits
// for that destroy (else S3 answers BucketAlreadyOwnedByYou).
func TestNextRegionWaitsForRetiredBuckets(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	e := newRetireEnv(t, map[string]string{"us-east-1a": ice("us-east-1a")}, map[string]string{"FAKE_TF_DESTROY_GATE": gate, "FAKE_TF_BUCKET": "skyplan-data"})
	l := e.launcher(t, twoRegions())
	go func() { time.Sleep(300 * time.Millisecond); os.WriteFile(gate, nil, 0o644) }()
	out, err := l.Launch(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if out.Placement.Region != "us-east-2" {
		t.Fatalf("landed in %+v", out.Placement)
	}
	calls := readCalls(t, e.logPath)
	destroyDone, secondApply, applies := -1, -1, 0
	for i, c := range calls {
		if c.Args[0] == "destroy-done" && destroyDone < 0 {
			destroyDone = i
		}
		if c.Args[0] == "apply" {
			if applies++; applies == 2 {
				secondApply = i
			}
		}
	}
	if destroyDone < 0 || secondApply < 0 || destroyDone > secondApply {
		t.Fatalf("the retired destroy (done at call %d) must end before the us-east-2 apply (call %d): %+v", destroyDone, secondApply, calls)
	}
	if !strings.Contains(e.log.String(), "Waiting for the destroy of the failed attempt in AWS (us-east-1a): it holds bucket names") {
		t.Errorf("log:\n%s", e.log)
	}
}
