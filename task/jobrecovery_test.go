package task

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestJobRecoveryForms(t *testing.T) {
	h := time.Hour
	for _, c := range []struct {
		yaml string
		want *JobRecovery
	}{
		{"resources:\n  use_spot: true\n", nil},
		{"resources:\n  job_recovery: failover\n", &JobRecovery{Strategy: StrategyFailover}},
		{"resources:\n  spot_recovery: EAGER_NEXT_REGION\n", &JobRecovery{Strategy: StrategyEagerNextRegion}},
		{"resources:\n  job_recovery: {max_restarts_on_errors: 2}\n", &JobRecovery{Strategy: StrategyEagerNextRegion, MaxRestartsOnErrors: 2}},
		{"resources:\n  job_recovery: {strategy: null, recover_on_exit_codes: 33}\n", &JobRecovery{Strategy: StrategyEagerNextRegion, RecoverOnExitCodes: []int{33}}},
		{"resources:\n  job_recovery:\n    strategy: FAILOVER\n    recover_on_exit_codes: [33, 34]\n    deadline: 12h\n    duration: 8\n    restart_overhead: 12m\n",
			&JobRecovery{Strategy: StrategyFailover, RecoverOnExitCodes: []int{33, 34}, Deadline: 12 * h, Duration: 8 * h, RestartOverhead: 12 * time.Minute}},
		{"resources:\n  job_recovery: {deadline: 2d, duration: 1h30m}\n", &JobRecovery{Strategy: StrategyEagerNextRegion, Deadline: 48 * h, Duration: 90 * time.Minute}},
		{"resources:\n  job_recovery: {deadline: 1.5, duration: 0.5h}\n", &JobRecovery{Strategy: StrategyEagerNextRegion, Deadline: 90 * time.Minute, Duration: 30 * time.Minute}},
	} {
		pl, ds := parseYAML(t, c.yaml)
		if ds.HasErrors() {
			t.Fatalf("%q: %v", c.yaml, ds)
		}
		if got := pl.Tasks[0].Resources.Items[0].JobRecovery; !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: job_recovery = %+v, want %+v", c.yaml, got, c.want)
		}
	}
}

func TestJobRecoveryErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml, summary, detail, field string
		line, col                          int
	}{
		{"unknown strategy", "resources:\n  job_recovery: EAGER_NEXT_REGON\n", "Unknown job recovery strategy", `Did you mean "EAGER_NEXT_REGION"?`, "resources.job_recovery", 2, 17},
		{"unknown strategy in mapping", "resources:\n  job_recovery:\n    strategy: failovr\n", "Unknown job recovery strategy", `Did you mean "FAILOVER"?`, "resources.job_recovery.strategy", 3, 15},
		{"strategy type", "resources:\n  job_recovery: {strategy: 3}\n", "Wrong type for strategy", "got an integer", "resources.job_recovery.strategy", 2, 28},
		{"negative restarts", "resources:\n  job_recovery:\n    max_restarts_on_errors: -1\n", "Invalid max_restarts_on_errors", "integer >= 0", "resources.job_recovery.max_restarts_on_errors", 3, 29},
		{"restarts not int", "resources:\n  job_recovery:\n    max_restarts_on_errors: many\n", "Wrong type for max_restarts_on_errors", "an integer", "resources.job_recovery.max_restarts_on_errors", 3, 29},
		{"exit code range", "resources:\n  job_recovery:\n    recover_on_exit_codes: [1, 300]\n", "Invalid exit code", "0 to 255; got 300", "resources.job_recovery.recover_on_exit_codes[1]", 3, 32},
		{"deadline < duration", "resources:\n  job_recovery:\n    duration: 8h\n    deadline: 6h\n", "Deadline shorter than the duration", "deadline (6h) is shorter than job_recovery.duration (8h)", "resources.job_recovery.deadline", 4, 15},
		{"deadline without duration", "resources:\n  job_recovery: {deadline: 12h}\n", "Deadline without a duration", "add job_recovery.duration", "resources.job_recovery.deadline", 2, 28},
		{"bad duration", "resources:\n  job_recovery:\n    duration: soon\n", "Invalid duration", `got "soon"`, "resources.job_recovery.duration", 3, 15},
		{"negative duration", "resources:\n  job_recovery:\n    restart_overhead: -5m\n", "Invalid restart_overhead", "not negative", "resources.job_recovery.restart_overhead", 3, 23},
		{"unknown key", "resources:\n  job_recovery:\n    max_restart_on_errors: 1\n", `Unknown field "max_restart_on_errors"`, `Did you mean "max_restarts_on_errors"?`, "resources.job_recovery.max_restart_on_errors", 3, 5},
		{"wrong type", "resources:\n  job_recovery: [FAILOVER]\n", "Wrong type for job_recovery", "a strategy name", "resources.job_recovery", 2, 17},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, ds := parseYAML(t, c.yaml)
			d := firstError(t, ds)
			if d.Summary != c.summary || !strings.Contains(d.Detail, c.detail) || d.Field != c.field {
				t.Errorf("got %q / %q / %q, want %q / %q / %q", d.Summary, d.Detail, d.Field, c.summary, c.detail, c.field)
			}
			if d.Subject == nil || d.Subject.Start.Line != c.line || d.Subject.Start.Column != c.col {
				t.Errorf("subject = %v, want task.yaml:%d:%d", d.Subject, c.line, c.col)
			}
		})
	}
}

func TestJobRecoveryDeadlineWithoutRoomWarns(t *testing.T) {
	_, ds := parseYAML(t, "resources:\n  job_recovery: {deadline: 8h, duration: 8h, restart_overhead: 10m}\n")
	if ds.HasErrors() || len(ds) != 1 || ds[0].Severity != "warning" || !strings.Contains(ds[0].Summary, "no room for a restart") {
		t.Fatalf("diagnostics = %v", ds)
	}
}

func TestParseHours(t *testing.T) {
	for in, want := range map[string]time.Duration{"12h": 12 * time.Hour, "90m": 90 * time.Minute, "0.2h": 12 * time.Minute, "8": 8 * time.Hour, "1d": 24 * time.Hour, "0": 0} {
		if got, err := ParseHours(in); err != nil || got != want {
			t.Errorf("ParseHours(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1h", "-2", "x", "3w", "1e9"} {
		if _, err := ParseHours(in); err == nil {
			t.Errorf("ParseHours(%q) accepted", in)
		}
	}
}
