package cluster

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newTestManager(t *testing.T, opts Options) (*Manager, *syncBuf) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home) // the runner's known_hosts and logs, skyplan's SSH key
	t.Setenv("SSH_AUTH_SOCK", "")
	st, err := state.Open(filepath.Join(home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := &syncBuf{}
	opts.Store, opts.Log, opts.Home = st, log, home
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, log
}

func loadTask(t *testing.T, yaml string) *task.Task {
	t.Helper()
	p := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, ds := task.Load(p, task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return pl.Tasks[0]
}

func mustOK(t *testing.T, what string, ds diag.Diagnostics) {
	t.Helper()
	if ds.HasErrors() {
		t.Fatalf("%s: %v", what, ds)
	}
}

// The controllers' loop on an SSH node pool, through the Manager only:
// launch, exec a detached job, read its status and logs, cancel it, see a
// lost node through Refresh, and give the hosts back with Down.
func TestManagerSSHPoolLifecycle(t *testing.T) {
	nodes := sshdtest.Start(t, 3)
	poolFile := filepath.Join(t.TempDir(), "pools.yaml")
	if err := os.WriteFile(poolFile, []byte(nodes.PoolYAML("lab")), 0o600); err != nil {
		t.Fatal(err)
	}
	m, log := newTestManager(t, Options{SSHPools: func() (map[string]*sshpool.Pool, diag.Diagnostics) { return sshpool.LoadFile(poolFile) }})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	two := loadTask(t, "resources:\n  infra: ssh/lab\nnum_nodes: 2\nsetup: echo setup-$SKYPILOT_SETUP_NODE_RANK\nrun: echo hello-$SKYPILOT_NODE_RANK\n")
	one := loadTask(t, "resources:\n  infra: ssh/lab\nrun: echo one\n")
	// Two clusters launched at once never share a host; a third finds the
	// pool full.
	var wg sync.WaitGroup
	results := make([]*LaunchResult, 2)
	diags := make([]diag.Diagnostics, 2)
	for i, req := range []LaunchRequest{{Cluster: "a", Task: two}, {Cluster: "b", Task: one}} {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], diags[i] = m.Launch(ctx, req) }()
	}
	wg.Wait()
	mustOK(t, "launch a", diags[0])
	mustOK(t, "launch b", diags[1])
	a, b := results[0], results[1]
	if a.Job == nil || a.Job.ExitCode != 0 || a.Job.Status != JobSucceeded || len(a.Cluster.Nodes) != 2 || b.Job.ExitCode != 0 {
		t.Fatalf("launch results: %+v %+v\n%s", a.Job, b.Job, log)
	}
	seen := map[string]bool{}
	for _, r := range results {
		for _, n := range r.Cluster.Nodes {
			if seen[n.InstanceID] {
				t.Fatalf("host %s given to two clusters", n.InstanceID)
			}
			seen[n.InstanceID] = true
		}
	}
	if !strings.Contains(log.String(), "hello-1") || !strings.Contains(log.String(), "setup-1") {
		t.Errorf("job logs not streamed to the log sink:\n%s", log)
	}
	if _, ds := m.Launch(ctx, LaunchRequest{Cluster: "c", Task: one}); !ds.HasErrors() || !strings.Contains(ds.Error(), "Not enough free hosts") {
		t.Errorf("third cluster on a full pool: %v", ds)
	}

	// Exec returns the job id at once when detached; status, logs, cancel.
	long := loadTask(t, "run: echo started; sleep 60\n")
	j, ds := m.Exec(ctx, ExecRequest{Cluster: "a", Task: long, Detach: true})
	mustOK(t, "exec", ds)
	if j.ID != 2 {
		t.Fatalf("exec job id %d, want 2", j.ID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, ds := m.JobStatus(ctx, "a", j.ID)
		mustOK(t, "job status", ds)
		if info.Status == JobRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job 2 never ran: %+v", info)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var logs bytes.Buffer
	info, ds := m.Logs(ctx, LogsRequest{Cluster: "a", JobID: 1, Out: &logs})
	mustOK(t, "logs", ds)
	if info.Status != JobSucceeded || !strings.Contains(logs.String(), "hello-0") {
		t.Errorf("logs of job 1: %+v\n%s", info, logs.String())
	}
	if done, ds := m.Cancel(ctx, "a", []int{j.ID}, false); ds.HasErrors() || len(done) != 1 {
		t.Fatalf("cancel: %v %v", done, ds)
	}
	if info, _ := m.JobStatus(ctx, "a", j.ID); info == nil || info.Status != JobCancelled {
		t.Errorf("after cancel: %+v", info)
	}
	if info, ds := m.JobStatus(ctx, "a", 99); info != nil || ds.HasErrors() {
		t.Errorf("unknown job: %+v %v", info, ds)
	}
	jobs, ds := m.Queue(ctx, "a")
	mustOK(t, "queue", ds)
	if len(jobs) != 2 {
		t.Errorf("queue: %+v", jobs)
	}

	// A lost node (the machine died) is drift: the cluster is INIT.
	rf, ds := m.Refresh(ctx, RefreshRequest{Cluster: "a", DialTimeout: time.Second})
	mustOK(t, "refresh", ds)
	if len(rf.Drift) != 0 || rf.Cluster.Status != state.StatusUp {
		t.Fatalf("healthy refresh: %+v", rf)
	}
	var lost int
	for i, nd := range nodes.Nodes {
		if strings.HasPrefix(a.Cluster.Nodes[1].InstanceID, nd.IP+":") {
			lost = i
		}
	}
	nodes.Kill(lost)
	rf, ds = m.Refresh(ctx, RefreshRequest{Cluster: "a", DialTimeout: time.Second})
	mustOK(t, "refresh", ds)
	if len(rf.Drift) != 1 || !strings.Contains(rf.Drift[0], "node 1") || rf.Cluster.Status != state.StatusInit {
		t.Fatalf("refresh after losing node 1: %+v", rf)
	}
	if got, _ := m.Get("a"); got.Status != state.StatusInit || len(got.Drift) != 1 {
		t.Errorf("drift not recorded: %+v", got)
	}
	if _, ds := m.Exec(ctx, ExecRequest{Cluster: "a", Task: long}); !ds.HasErrors() || !strings.Contains(ds.Error(), "not UP") {
		t.Errorf("exec on a drifted cluster: %v", ds)
	}

	for _, name := range []string{"a", "b"} {
		if _, ds := m.Down(ctx, DownRequest{Cluster: name}); ds.HasErrors() {
			t.Fatalf("down %s: %v", name, ds)
		}
	}
	if list, _ := m.List(); len(list) != 0 {
		t.Errorf("clusters left after down: %d", len(list))
	}
	if _, ds := m.Down(ctx, DownRequest{Cluster: "a"}); !ds.HasErrors() || !strings.Contains(ds.Error(), `No cluster named "a"`) {
		t.Errorf("second down: %v", ds)
	}
}

// One cluster, two operations at once in one process: the second is
// refused as busy, never interleaved.
func TestManagerRefusesConcurrentOperationsOnOneCluster(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	release, ds := m.lock("x", "apply")
	mustOK(t, "lock", ds)
	if _, ds := m.Down(context.Background(), DownRequest{Cluster: "x"}); !ds.HasErrors() || ds[0].Summary != "Cluster is busy" {
		t.Errorf("down while busy: %v", ds)
	}
	release()
	if _, ds := m.Down(context.Background(), DownRequest{Cluster: "x"}); !ds.HasErrors() || !strings.Contains(ds.Error(), "No cluster named") {
		t.Errorf("down after release: %v", ds)
	}
}
