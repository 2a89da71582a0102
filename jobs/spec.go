package jobs

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skyplan/skyplan/task"
)

// Strategies of job_recovery (SkyPilot's names).
const (
	EagerNextRegion = "EAGER_NEXT_REGION"
	Failover        = "FAILOVER"
)

// Recovery is a task's job_recovery settings.
type Recovery struct {
	Strategy            string `json:"strategy"`
	MaxRestartsOnErrors int    `json:"max_restarts_on_errors"`
	RecoverOnExitCodes  []int  `json:"recover_on_exit_codes,omitempty"`
	// Deadline and Duration (job_recovery.deadline/duration): the job
	// needs Duration of compute and must end within Deadline of
	// submission; the spot/on-demand policy decides each launch.
	Deadline        time.Duration `json:"deadline,omitempty"`
	Duration        time.Duration `json:"duration,omitempty"`
	RestartOverhead time.Duration `json:"restart_overhead,omitempty"`
}

// Spec is what a job was submitted with; it never changes afterwards.
type Spec struct {
	Task     *task.Task `json:"task"`
	Recovery Recovery   `json:"recovery"`
	// TaskID is SKYPILOT_TASK_ID, the same for every attempt so
	// checkpoints keyed by it survive recoveries.
	TaskID string `json:"task_id"`
	// PinnedRegion: the user fixed the region, so a preemption does not
	// block it (EAGER_NEXT_REGION).
	PinnedRegion bool `json:"pinned_region"`
	// SSHCIDRs may SSH to every attempt's cluster (--ssh-cidr, or the
	// address detected at submit); empty: the controller's config.
	SSHCIDRs []string `json:"ssh_cidrs,omitempty"`
}

// RecoveryOf reads a task's job_recovery (strategy name or mapping) with
// SkyPilot's defaults; override (--job-recovery) replaces the strategy.
func RecoveryOf(t *task.Task, override string) (Recovery, error) {
	rc := Recovery{Strategy: EagerNextRegion}
	for _, r := range t.Resources.Items {
		if jr := r.JobRecovery; jr != nil {
			// The task parser validated these fields (task/jobrecovery.go).
			rc = Recovery{Strategy: jr.Strategy, MaxRestartsOnErrors: jr.MaxRestartsOnErrors,
				RecoverOnExitCodes: jr.RecoverOnExitCodes, Deadline: jr.Deadline, Duration: jr.Duration,
				RestartOverhead: jr.RestartOverhead}
			if rc.Strategy == "" {
				rc.Strategy = EagerNextRegion
			}
			break
		}
	}
	if override != "" {
		rc.Strategy = strings.ToUpper(override)
	}
	if rc.Strategy != EagerNextRegion && rc.Strategy != Failover {
		return rc, fmt.Errorf("unknown job recovery strategy %q: expected EAGER_NEXT_REGION or FAILOVER", rc.Strategy)
	}
	if rc.Deadline > 0 && rc.Duration > rc.Deadline {
		return rc, fmt.Errorf("job_recovery.deadline (%s) is shorter than job_recovery.duration (%s): the job cannot finish in time", rc.Deadline, rc.Duration)
	}
	return rc, nil
}

// recoverExit reports whether exit code is one the user listed.
func (r Recovery) recoverExit(code *int) bool {
	return code != nil && slices.Contains(r.RecoverOnExitCodes, *code)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) {
			return int(x), true
		}
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

// asDuration reads "12h", "90m", "1.5h" or a number of hours.
func asDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case string:
		if d, err := time.ParseDuration(x); err == nil && d >= 0 {
			return d, nil
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil && f >= 0 {
			return time.Duration(f * float64(time.Hour)), nil
		}
	default:
		if n, ok := asInt(v); ok && n >= 0 {
			return time.Duration(n) * time.Hour, nil
		}
		if f, ok := v.(float64); ok && f >= 0 {
			return time.Duration(f * float64(time.Hour)), nil
		}
	}
	return 0, fmt.Errorf("expected a duration such as 12h or 90m, got %v", v)
}
