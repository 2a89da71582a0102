package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

func taskWithRecovery(m map[string]any) *task.Task {
	return &task.Task{Resources: task.ResourceSet{Items: []task.Resources{{JobRecovery: m}}}}
}

func TestRecoveryOf(t *testing.T) {
	rc, err := RecoveryOf(taskWithRecovery(nil), "")
	if err != nil || rc.Strategy != EagerNextRegion || rc.MaxRestartsOnErrors != 0 {
		t.Fatalf("default: %+v %v", rc, err)
	}
	// JSON round trips turn YAML ints into float64: both are accepted.
	rc, err = RecoveryOf(taskWithRecovery(map[string]any{"strategy": "failover", "max_restarts_on_errors": float64(3),
		"recover_on_exit_codes": []any{33, float64(34)}, "deadline": "12h", "duration": "8h"}), "")
	if err != nil || rc.Strategy != Failover || rc.MaxRestartsOnErrors != 3 || len(rc.RecoverOnExitCodes) != 2 ||
		rc.Deadline != 12*time.Hour || rc.Duration != 8*time.Hour {
		t.Fatalf("mapping: %+v %v", rc, err)
	}
	if rc, _ := RecoveryOf(taskWithRecovery(map[string]any{"strategy": "FAILOVER"}), "eager_next_region"); rc.Strategy != EagerNextRegion {
		t.Errorf("--job-recovery did not win: %s", rc.Strategy)
	}
	for _, c := range []struct {
		m        map[string]any
		override string
		want     string
	}{
		{nil, "sideways", `unknown job recovery strategy "SIDEWAYS"`},
		{map[string]any{"max_restarts_on_errors": -1}, "", "non-negative integer"},
		{map[string]any{"recover_on_exit_codes": []any{300}}, "", "exit codes 0-255"},
		{map[string]any{"deadline": "4h", "duration": "8h"}, "", "shorter than job_recovery.duration"},
	} {
		_, err := RecoveryOf(taskWithRecovery(c.m), c.override)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %q: err %v, want %q", c.m, c.override, err, c.want)
		}
	}
}
