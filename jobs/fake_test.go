package jobs

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// fakeClusters is a cloud + nodes in memory: clusters exist from Launch
// to Down, each head keeps its jobs. Tests flip a cluster's cloud state
// (gone = preempted) and reachability (a hung or partitioned head).
type fakeClusters struct {
	mu       sync.Mutex
	regions  []string // cheapest first
	live     map[string]*fakeCluster
	launches []LaunchRequest
	downs    []string
	submits  int
	// launchErr, when set, decides a launch's error (nil = succeed).
	launchErr func(req LaunchRequest, n int) error
	// outcome decides how each submitted job ends: status and exit code,
	// reached after runFor.
	outcome func(cluster string, submit int) (string, int)
	runFor  time.Duration
	// setupFor: a submitted job reports SETTING_UP this long first
	// (setupOn decides which clusters; nil = all).
	setupFor time.Duration
	setupOn  func(cluster string) bool
	clock    controller.Clock
	// healthErrs: this many Healthy calls fail (the cloud cannot be asked).
	healthErrs int
}

type fakeCluster struct {
	name, region string
	gone         bool // the cloud lost the instances
	unreachable  bool
	jobs         map[int]*fakeHeadJob
}

type fakeHeadJob struct {
	name      string
	startedAt time.Time
	status    string
	code      int
	submit    int
}

func newFake(clk controller.Clock) *fakeClusters {
	return &fakeClusters{regions: []string{"us-east-1", "us-east-2", "us-west-2"}, live: map[string]*fakeCluster{},
		clock: clk, runFor: time.Minute,
		outcome: func(string, int) (string, int) { return "SUCCEEDED", 0 }}
}

func (f *fakeClusters) Launch(ctx context.Context, req LaunchRequest) (*Placement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.launches = append(f.launches, req)
	if f.launchErr != nil {
		if err := f.launchErr(req, len(f.launches)); err != nil {
			return nil, err
		}
	}
	spot := req.UseSpot == nil || *req.UseSpot
	if c, ok := f.live[req.Cluster]; ok && !c.gone {
		return &Placement{Cloud: "aws", Region: c.region, InstanceType: "m6i.large", UseSpot: spot, HourlyCost: 0.1, NumNodes: 1}, nil
	}
	region := ""
	for _, r := range f.regions {
		blocked := false
		for _, b := range req.Blocked {
			blocked = blocked || b.Region == r
		}
		if !blocked {
			region = r
			break
		}
	}
	if req.Prefer != nil {
		region = req.Prefer.Region
	}
	if region == "" {
		return nil, LaunchError(ErrNoResource, fmt.Errorf("every region blocked"))
	}
	f.live[req.Cluster] = &fakeCluster{name: req.Cluster, region: region, jobs: map[int]*fakeHeadJob{}}
	return &Placement{Cloud: "aws", Region: region, InstanceType: "m6i.large", UseSpot: spot, HourlyCost: 0.1, NumNodes: 1}, nil
}

func (f *fakeClusters) reach(name string) (*fakeCluster, error) {
	c, ok := f.live[name]
	if !ok || c.gone || c.unreachable {
		return nil, fmt.Errorf("ssh %s: connection refused", name)
	}
	return c, nil
}

func (f *fakeClusters) Submit(ctx context.Context, req SubmitRequest) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.reach(req.Cluster)
	if err != nil {
		return 0, err
	}
	f.submits++
	id := len(c.jobs) + 1
	hj := &fakeHeadJob{name: req.JobName, startedAt: f.clock.Now(), status: "RUNNING", submit: f.submits}
	if f.setupFor > 0 && (f.setupOn == nil || f.setupOn(req.Cluster)) {
		hj.status = "SETTING_UP"
	}
	c.jobs[id] = hj
	return id, nil
}

func (f *fakeClusters) FindJob(ctx context.Context, cluster, name string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.reach(cluster)
	if err != nil {
		return 0, err
	}
	for id, j := range c.jobs {
		if j.name == name {
			return id, nil
		}
	}
	return 0, nil
}

func (f *fakeClusters) JobStatus(ctx context.Context, cluster string, id int) (HeadStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.reach(cluster)
	if err != nil {
		return HeadStatus{}, err
	}
	j := c.jobs[id]
	if j == nil {
		return HeadStatus{}, fmt.Errorf("job %d not found", id)
	}
	if j.status == "SETTING_UP" && f.clock.Now().Sub(j.startedAt) >= f.setupFor {
		j.status, j.startedAt = "RUNNING", f.clock.Now()
	}
	if j.status == "RUNNING" && f.clock.Now().Sub(j.startedAt) >= f.runFor {
		j.status, j.code = f.outcome(cluster, j.submit)
	}
	code := j.code
	if code < 0 { // the drivers vanished without an exit code
		return HeadStatus{Status: j.status}, nil
	}
	return HeadStatus{Status: j.status, ExitCode: &code}, nil
}

func (f *fakeClusters) Healthy(ctx context.Context, cluster string) (Health, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.healthErrs > 0 {
		f.healthErrs--
		return Health{}, fmt.Errorf("DescribeInstances: request timed out")
	}
	c, ok := f.live[cluster]
	if !ok || c.gone {
		return Health{Up: false, Detail: "instance terminated"}, nil
	}
	return Health{Up: true}, nil
}

func (f *fakeClusters) Logs(ctx context.Context, cluster string, id int, follow bool, w io.Writer) error {
	f.mu.Lock()
	c, err := f.reach(cluster)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "(%s) output of job %d\n", c.name, id)
	if follow {
		<-ctx.Done()
	}
	return nil
}

func (f *fakeClusters) CancelJob(ctx context.Context, cluster string, id int) error { return nil }

func (f *fakeClusters) Down(ctx context.Context, cluster string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.downs = append(f.downs, cluster)
	delete(f.live, cluster)
	return nil
}

func (f *fakeClusters) liveNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.live {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (f *fakeClusters) cluster(name string) *fakeCluster {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live[name]
}

// harness: a store, a fake cloud, a fake clock and a controller.
type harness struct {
	t     *testing.T
	home  string
	store *Store
	clk   *controller.FakeClock
	fake  *fakeClusters
	ctl   *Controller
}

func newHarness(t *testing.T) *harness {
	home := t.TempDir()
	st, err := state.Open(filepath.Join(home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	js, err := OpenStore(st)
	if err != nil {
		t.Fatal(err)
	}
	clk := controller.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := &harness{t: t, home: home, store: js, clk: clk, fake: newFake(clk)}
	h.ctl = h.newController()
	return h
}

// worker returns a worker whose background teardowns are waited for
// before the test's directories are removed.
func (h *harness) worker(c *Controller, id int64) *worker {
	w := c.newWorker(id)
	h.t.Cleanup(w.waitBackground)
	return w
}

func (h *harness) newController() *Controller {
	return New(Options{Store: h.store, Clusters: h.fake, Clock: h.clk, Home: h.home, Poll: time.Second,
		UnreachableGrace: 30 * time.Second, RetryGap: 10 * time.Second})
}

func (h *harness) submit(rc Recovery) int64 {
	h.t.Helper()
	if rc.Strategy == "" {
		rc.Strategy = EagerNextRegion
	}
	tk := &task.Task{Name: "train", NumNodes: 1, Run: "python train.py"}
	id, err := h.store.Add("train", Spec{Task: tk, Recovery: rc, TaskID: "sky-managed-test"}, h.clk.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// drive steps worker w on the fake clock until cond holds or the job is
// done, failing after maxSteps passes.
func (h *harness) drive(w *worker, maxSteps int, cond func(j *Job) bool) *Job {
	h.t.Helper()
	for i := 0; i < maxSteps; i++ {
		j, err := h.store.Get(w.id)
		if err != nil {
			h.t.Fatal(err)
		}
		if cond != nil && cond(j) {
			return j
		}
		wait, done, err := w.Step(context.Background())
		if err != nil {
			h.t.Fatalf("step %d: %v", i, err)
		}
		if done {
			j, _ := h.store.Get(w.id)
			if cond != nil && !cond(j) {
				h.t.Fatalf("job done as %s (%s) before the condition held", j.Status, j.FailureReason)
			}
			return j
		}
		h.clk.Advance(wait)
	}
	j, _ := h.store.Get(w.id)
	h.t.Fatalf("condition not reached in %d steps; job is %s (%s)", maxSteps, j.Status, j.FailureReason)
	return nil
}

func is(s Status) func(*Job) bool { return func(j *Job) bool { return j.Status == s } }
