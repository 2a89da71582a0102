package e2ecli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// (4) a saved plan is applied later exactly as planned; a plan made before
// the state changed is refused as stale.
func TestSavedPlanAndStalePlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pA, pB := filepath.Join(e.work, "a.tfplan"), filepath.Join(e.work, "b.tfplan")
	if r := e.run("apply", "task.yaml", "-c", "sp"); r.code != 1 || !strings.Contains(r.stderr, "Pass -y") {
		t.Errorf("apply without -y and without a terminal must refuse before any cloud call: exit %d", r.code)
	}
	r := e.run("plan", "task.yaml", "-c", "sp", "--out", pA, "--detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("plan with changes and --detailed-exitcode: exit %d, want 2", r.code)
	}
	for _, want := range []string{"CHOSEN", "to add", "Cost: $0.0960 / hour for 1 node(s)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
	if r := e.run("plan", "task.yaml", "-c", "sp", "--out", pB); r.code != 0 {
		t.Fatalf("plan without --detailed-exitcode: exit %d", r.code)
	}
	if got := e.live(); len(got) != 0 {
		t.Fatalf("plan created instances: %v", got)
	}
	r = e.run("apply", pA, "--provision-only")
	if r.code != 0 {
		t.Fatalf("apply saved plan: exit %d", r.code)
	}
	if got := e.live(); got["us-east-1"] != 1 || len(got) != 1 {
		t.Errorf("the saved plan placed us-east-1; live: %v", got)
	}
	r = e.run("apply", pB, "--provision-only")
	if r.code != 1 || !strings.Contains(r.stderr, "Saved plan is stale") {
		t.Errorf("stale plan: exit %d", r.code)
	}
	if got := e.live(); got["us-east-1"] != 1 || len(got) != 1 {
		t.Errorf("the stale plan changed something: %v", got)
	}
	// Re-planning an UP cluster keeps it: nothing to add or destroy (moto
	// reports a perpetual in-place diff on one attribute, so 0 or 2).
	if r := e.run("plan", "task.yaml", "-c", "sp", "--detailed-exitcode"); (r.code != 0 && r.code != 2) || !strings.Contains(r.stdout, "Resources: 0 to add") || !strings.Contains(r.stdout, ", 0 to destroy.") {
		t.Errorf("plan after apply: exit %d", r.code)
	}
	if r := e.run("down", "-y", "sp"); r.code != 0 {
		t.Fatalf("down: exit %d", r.code)
	}
	if got := e.live(); len(got) != 0 {
		t.Errorf("left after down: %v", got)
	}
}

// (5) two applies of one cluster at once: one is refused with a clear
// message, the other succeeds.
func TestConcurrentApplyRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c1, out1, err1 := e.start(ctx, "apply", "task.yaml", "-c", "cc", "-y", "--provision-only")
	c2, out2, err2 := e.start(ctx, "apply", "task.yaml", "-c", "cc", "-y", "--provision-only")
	_ = c1.Wait()
	_ = c2.Wait()
	codes := []int{c1.ProcessState.ExitCode(), c2.ProcessState.ExitCode()}
	t.Logf("exit codes %v\n--- 1 ---\n%s\n%s\n--- 2 ---\n%s\n%s", codes, out1, err1, out2, err2)
	refused := err1.String()
	if codes[0] == 0 {
		refused = err2.String()
	}
	if codes[0]+codes[1] != 1 || !strings.Contains(refused, "Cluster is busy") {
		t.Fatalf("want one success and one refusal, got %v", codes)
	}
	if got := e.live(); got["us-east-1"] != 1 || len(got) != 1 {
		t.Errorf("live: %v", got)
	}
	// stop/start go through Terraform (aws_ec2_instance_state).
	if r := e.run("stop", "-y", "cc"); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
	if is := e.moto.Instances(t, "us-east-1"); len(is) != 1 || is[0].State != "stopped" {
		t.Errorf("after stop: %+v", is)
	}
	if r := e.run("status", "cc"); !strings.Contains(r.stdout, "STOPPED") {
		t.Errorf("status after stop:\n%s", r.stdout)
	}
	if r := e.run("apply", "task.yaml", "-c", "cc", "-y", "--provision-only"); r.code != 1 || !strings.Contains(r.stderr, "Cluster is stopped") {
		t.Errorf("apply on a stopped cluster: exit %d", r.code)
	}
	if r := e.run("start", "cc"); r.code != 0 || !strings.Contains(r.stdout, "Cluster cc is UP") {
		t.Fatalf("start: exit %d", r.code)
	}
	if is := e.moto.Instances(t, "us-east-1"); len(is) != 1 || is[0].State != "running" {
		t.Errorf("after start: %+v", is)
	}
	if r := e.run("down", "-y", "cc"); r.code != 0 {
		t.Fatalf("down: exit %d", r.code)
	}
}
