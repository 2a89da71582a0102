package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// lineWatcher collects a process's stderr and tells when a line holding a
// given text has arrived.
type lineWatcher struct {
	mu    sync.Mutex
	lines []string
	grew  chan struct{}
}

func watchLines(r io.Reader) *lineWatcher {
	w := &lineWatcher{grew: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			select {
			case w.grew <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

func (w *lineWatcher) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// await waits (bounded) for a line containing want; exited ends the wait
// early when the process is gone.
func (w *lineWatcher) await(t *testing.T, want string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.After(4 * time.Minute)
	for !strings.Contains(w.text(), want) {
		select {
		case <-w.grew:
		case <-exited:
			if !strings.Contains(w.text(), want) {
				t.Fatalf("skyplan exited before printing %q:\n%s", want, w.text())
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %q:\n%s", want, w.text())
		}
	}
}

// Ctrl-C after provisioning: the wait for SSH on a node that is not up yet
// says which nodes answer and for how long; an interrupt during the run
// says the cluster is UP, what it costs per hour at its launch price, that
// the job keeps running, and the exact `skyplan down NAME`, instead of
// "context canceled". The cluster stays UP and that command removes it.
func TestInterruptAfterProvisioningSaysWhatIsLeft(t *testing.T) {
	e := newEnv(t, 2)
	mustWrite(t, filepath.Join(e.work, "long.yaml"), `name: long
num_nodes: 2
resources:
  infra: aws/us-east-1
  instance_type: m6i.large
  image_id: ami-12c6146b
run: |
  echo "started on rank $SKYPILOT_NODE_RANK"
  sleep 600
`, 0o644)
	e.sshd.Kill(1) // the worker's SSH is not up yet

	exe, _ := os.Executable()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "apply", "long.yaml", "-c", "ctrlc", "-y")
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), provisiontest.CLIEnvVar+"=1"), e.vars...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's process group
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := watchLines(pr)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); pw.Close(); close(exited) }()

	lines.await(t, "Waiting for SSH on cluster ctrlc: 1 of 2 node(s) reachable (head); not yet: worker1 (", exited)
	e.sshd.RestartWithNewHostKey(1) // it comes up (first contact: its key is pinned now)
	lines.await(t, "started on rank 1", exited)
	lines.await(t, "started on rank 0", exited)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("skyplan did not exit after the interrupt:\n%s", lines.text())
	}
	out := lines.text()
	t.Logf("stderr:\n%s", out)
	if cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("an interrupted apply exited 0")
	}

	var st struct {
		Clusters []struct {
			Name, Status string
			HourlyCost   float64 `json:"hourly_cost"`
		}
	}
	s := e.run("status", "-o", "json")
	if err := json.Unmarshal([]byte(s.stdout), &st); err != nil || len(st.Clusters) != 1 || st.Clusters[0].Status != "UP" {
		t.Fatalf("status after the interrupt: %v %+v", err, st)
	}
	for _, want := range []string{
		"SSH is up on all 2 node(s) of cluster ctrlc after ",
		"Interrupted",
		"Cluster ctrlc is UP in AWS (us-east-1",
		fmt.Sprintf("(2x m6i.large) and costs $%.4f/h (its price at launch) until it is torn down.", st.Clusters[0].HourlyCost),
		"Job 1 keeps running on it: follow it with `skyplan logs ctrlc 1`, stop it with `skyplan cancel ctrlc 1`.",
		"Tear it down: skyplan down ctrlc",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if strings.Contains(out, "context canceled") {
		t.Errorf("stderr still says only \"context canceled\"")
	}
	if st.Clusters[0].HourlyCost <= 0 {
		t.Errorf("cluster recorded without a launch price: %+v", st.Clusters[0])
	}
	if live := e.live(); live["us-east-1"] != 2 {
		t.Fatalf("instances after the interrupt: %v, want the 2 nodes still up", live)
	}
	if d := e.run("down", "ctrlc", "-y"); d.code != 0 {
		t.Fatalf("the command the message names failed: exit %d", d.code)
	}
	if live := e.live(); len(live) != 0 {
		t.Fatalf("instances left after down: %v", live)
	}
}
