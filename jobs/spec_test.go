package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

func taskWithRecovery(t *testing.T, yaml string) *task.Task {
	t.Helper()
	p, diags := task.Parse("task.yaml", []byte("run: echo hi\nresources:\n  use_spot: true\n"+yaml), task.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	return p.Tasks[0]
}

func TestRecoveryOf(t *testing.T) {
	rc, err := RecoveryOf(taskWithRecovery(t, ""), "")
	if err != nil || rc.Strategy != EagerNextRegion || rc.MaxRestartsOnErrors != 0 {
		t.Fatalf("default: %+v %v", rc, err)
	}
	rc, err = RecoveryOf(taskWithRecovery(t, "  job_recovery: {strategy: failover, max_restarts_on_errors: 3, recover_on_exit_codes: [33, 34], deadline: 12h, duration: 8h}\n"), "")
	if err != nil || rc.Strategy != Failover || rc.MaxRestartsOnErrors != 3 || len(rc.RecoverOnExitCodes) != 2 ||
		rc.Deadline != 12*time.Hour || rc.Duration != 8*time.Hour {
		t.Fatalf("mapping: %+v %v", rc, err)
	}
	if rc, _ := RecoveryOf(taskWithRecovery(t, "  job_recovery: FAILOVER\n"), "eager_next_region"); rc.Strategy != EagerNextRegion {
		t.Errorf("--job-recovery did not win: %s", rc.Strategy)
	}
	_, err = RecoveryOf(taskWithRecovery(t, ""), "sideways")
	if err == nil || !strings.Contains(err.Error(), `unknown job recovery strategy "SIDEWAYS"`) {
		t.Errorf("--job-recovery sideways: %v", err)
	}
}
