package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/skyhome"
)

// Ctrl-C during `exec` on an UP cluster: instead of "context canceled",
// the error says the cluster stays UP (here on an SSH node pool, whose
// hosts stay taken), that the job keeps running and how to follow or stop
// it, and the exact `skyplan down NAME`.
func TestExecInterruptedSaysWhatIsLeft(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	sc := sshdtest.Start(t, 1)
	if err := os.WriteFile(filepath.Join(skyhome.Dir(), "ssh_node_pools.yaml"), []byte(sc.PoolYAML("lab")), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "task.yaml")
	os.WriteFile(path, []byte("resources:\n  infra: ssh/lab\nrun: echo up\n"), 0o644)
	if code, _, errOut := runSkyplan(t, "apply", path, "-c", "intr", "-y"); code != 0 {
		t.Fatalf("apply: %d\n%s", code, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuf
	streams := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Interrupted: ctx}
	done := make(chan int, 1)
	go func() {
		done <- Run(streams, []string{"skyplan", "exec", "intr", "--", "echo exec-started; sleep 120"})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "exec-started") {
		if time.Now().After(deadline) {
			t.Fatalf("exec never started:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel() // what the first Ctrl-C does
	var code int
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("exec did not return after the interrupt")
	}
	got := errb.String()
	if code == 0 {
		t.Errorf("interrupted exec exited 0")
	}
	for _, want := range []string{
		"Error: Interrupted",
		"Cluster intr is UP on SSH node pool lab (1x", "its hosts stay taken until it is torn down.",
		"Job 2 keeps running on it: follow it with `skyplan logs intr 2`, stop it with `skyplan cancel intr 2`.",
		"Tear it down: skyplan down intr",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "context canceled") {
		t.Errorf("stderr still says \"context canceled\":\n%s", got)
	}
	if code, _, errOut := runSkyplan(t, "down", "intr", "-y"); code != 0 {
		t.Fatalf("down: %d\n%s", code, errOut)
	}
}
