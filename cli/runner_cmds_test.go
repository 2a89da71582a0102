package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func runSkyplan(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb lockedBuf
	streams := &IO{In: strings.NewReader(""), Out: &out, Err: &errb}
	code := Run(streams, append([]string{"skyplan"}, args...))
	return code, out.String(), errb.String()
}

// launchPoolTask launches a task on SSH node pool "lab" as apply does,
// through the cluster manager, and renders the outcome as apply does.
func launchPoolTask(t *testing.T, taskPath, name string, detach bool) (int, string) {
	t.Helper()
	var out, errb lockedBuf
	streams := &IO{Out: &out, Err: &errb, Interrupted: context.Background(), Environ: os.Getenv}
	pl, ds := task.Load(taskPath, task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	m, closeM, err := openManager(streams, true)
	if err != nil {
		t.Fatal(err)
	}
	defer closeM()
	o := &ApplyOptions{IO: streams, Yes: true, Detach: detach}
	res, lds := m.Launch(streams.Interrupted, cluster.LaunchRequest{Cluster: name, Task: pl.Tasks[0], Detach: detach,
		Constraints: cluster.Constraints{Candidates: []optimizer.Placement{{Cloud: "ssh", Region: "lab"}}}})
	code, diags := outcome(o.finish(m, name, res, lds))
	errb.Write([]byte(diags.Error()))
	return code, errb.String()
}

func TestSSHPoolLaunchExecQueueLogsCancel(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	sc := sshdtest.Start(t, 2)
	if err := os.WriteFile(filepath.Join(skyhome.Dir(), "ssh_node_pools.yaml"), []byte(sc.PoolYAML("lab")), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi"), 0o644)
	taskPath := filepath.Join(dir, "task.yaml")
	os.WriteFile(taskPath, []byte(`name: poolrun
num_nodes: 2
workdir: `+dir+`
envs:
  GREETING: hello
setup: echo "setup on $SKYPILOT_SETUP_NODE_RANK"
run: |
  echo "$GREETING from $SKYPILOT_NODE_RANK of $SKYPILOT_NUM_NODES: $(cat hello.txt)"
`), 0o644)

	code, errOut := launchPoolTask(t, taskPath, "labc", false)
	if code != 0 || !strings.Contains(errOut, "(worker1, rank=1, ip=127.0.0.3) hello from 1 of 2: hi") ||
		!strings.Contains(errOut, "(worker1, rank=1, ip=127.0.0.3) setup on 1") {
		t.Fatalf("launch exit %d:\n%s", code, errOut)
	}
	store, err := state.Open(skyhome.StateDB())
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.GetCluster("labc")
	store.Close()
	if err != nil || c.Status != state.StatusUp || c.Cloud != "ssh" || c.Region != "lab" || len(c.Nodes) != 2 || c.Nodes[1].PrivateIP != "127.0.0.3" {
		t.Fatalf("state = %+v %v", c, err)
	}
	// Both hosts are held now: a second cluster on the pool does not fit.
	if code, errOut := launchPoolTask(t, taskPath, "other", false); code == 0 || !strings.Contains(errOut, "Not enough free hosts") {
		t.Fatalf("second cluster on a full pool: exit %d", code)
	}

	code, _, errOut = runSkyplan(t, "exec", "labc", "--", "echo", "exec-on", "$SKYPILOT_NODE_RANK")
	if code != 0 || !strings.Contains(errOut, "(head, rank=0, ip=127.0.0.2) exec-on 0") || strings.Contains(errOut, "setup on") {
		t.Fatalf("exec exit %d:\n%s", code, errOut)
	}
	// exec with a task file runs only `run` (no setup); job 3.
	code, _, errOut = runSkyplan(t, "exec", "labc", taskPath, "--env", "GREETING=bonjour")
	if code != 0 || !strings.Contains(errOut, "(worker1, rank=1, ip=127.0.0.3) bonjour from 1 of 2: hi") || strings.Contains(errOut, "setup on") {
		t.Fatalf("exec task file exit %d:\n%s", code, errOut)
	}
	code, _, errOut = runSkyplan(t, "exec", "labc", "--", "exit 7")
	if code != 7 || !strings.Contains(errOut, "head, rank=0, ip=127.0.0.2 exited with return code 7") {
		t.Fatalf("failing exec exit %d:\n%s", code, errOut)
	}
	if code, out, _ := runSkyplan(t, "logs", "labc", "--status"); code != ExitJobFailed || !strings.Contains(out, "Job 4: FAILED") {
		t.Fatalf("logs --status latest: %d %q", code, out)
	}
	if code, _, _ := runSkyplan(t, "logs", "labc", "1", "--status"); code != 0 {
		t.Fatalf("logs --status 1: %d", code)
	}
	if code, _, _ := runSkyplan(t, "logs", "labc", "99", "--status"); code != ExitJobNotFound {
		t.Fatalf("logs --status 99: %d", code)
	}

	code, out, errOut := runSkyplan(t, "exec", "labc", "-d", "--", "echo detached-start; sleep 120")
	if code != 0 || strings.TrimSpace(out) != "5" {
		t.Fatalf("exec -d: %d %q\n%s", code, out, errOut)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, _ := runSkyplan(t, "logs", "labc", "5", "--status")
		if code == ExitJobNotFinished {
			_, out, _ := runSkyplan(t, "logs", "labc", "5", "--no-follow")
			if strings.Contains(out, "(head, rank=0, ip=127.0.0.2) detached-start") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("detached job never showed as running with logs")
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, out, _ = runSkyplan(t, "queue", "labc", "-o", "json")
	var q struct {
		Jobs []struct {
			ID     int    `json:"id"`
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"jobs"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &q) != nil || len(q.Jobs) != 5 {
		t.Fatalf("queue json: %d %s", code, out)
	}
	wantStatus := []string{"SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "RUNNING"}
	for i, j := range q.Jobs {
		if j.ID != i+1 || j.Status != wantStatus[i] {
			t.Errorf("queue job %d = %+v, want status %s", i+1, j, wantStatus[i])
		}
	}
	if q.Jobs[0].Name != "poolrun" {
		t.Errorf("job 1 name = %q", q.Jobs[0].Name)
	}
	if code, out, _ := runSkyplan(t, "queue", "labc"); code != 0 || !strings.Contains(out, "ID  NAME") || !strings.Contains(out, "RUNNING") {
		t.Fatalf("queue table: %d\n%s", code, out)
	}
	if code, _, errOut := runSkyplan(t, "cancel", "labc", "5"); code != 0 {
		t.Fatalf("cancel: %d %s", code, errOut)
	}
	if code, out, _ := runSkyplan(t, "logs", "labc", "5", "--status"); code != ExitJobCancelled || !strings.Contains(out, "CANCELLED") {
		t.Fatalf("status after cancel: %d %q", code, out)
	}
	if code, _, errOut := runSkyplan(t, "cancel", "labc"); code == 0 || !strings.Contains(errOut, "No jobs to cancel") {
		t.Fatalf("cancel without ids: %d %s", code, errOut)
	}
	if code, _, errOut := runSkyplan(t, "exec", "nosuch", "--", "true"); code == 0 || !strings.Contains(errOut, "Cluster not found") {
		t.Fatalf("exec on unknown cluster: %d %s", code, errOut)
	}
}
