package task

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Job recovery strategies (SkyPilot's names).
const (
	// StrategyEagerNextRegion, the default: tear the preempted cluster
	// down, block its region unless the user pinned one, and relaunch
	// through the fallback loop.
	StrategyEagerNextRegion = "EAGER_NEXT_REGION"
	// StrategyFailover: relaunch in the same region first, then anywhere.
	StrategyFailover = "FAILOVER"
)

// JobRecoveryStrategies lists the strategies job_recovery accepts.
var JobRecoveryStrategies = []string{StrategyEagerNextRegion, StrategyFailover}

// JobRecovery is resources.job_recovery (alias spot_recovery): how a managed
// job recovers, and optionally the deadline the spot/on-demand policy keeps.
// Written as a strategy name or as a mapping.
type JobRecovery struct {
	// Strategy is EAGER_NEXT_REGION (the default) or FAILOVER, upper case.
	Strategy string `json:"strategy"`
	// MaxRestartsOnErrors: how many times a run that fails in user code
	// (not a preemption) is restarted (default 0).
	MaxRestartsOnErrors int `json:"max_restarts_on_errors,omitempty"`
	// RecoverOnExitCodes always restart, without counting against
	// MaxRestartsOnErrors.
	RecoverOnExitCodes []int `json:"recover_on_exit_codes,omitempty"`
	// Deadline: the job must finish within this time of submission; it
	// needs Duration of compute. Zero: no deadline.
	Deadline time.Duration `json:"deadline,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// RestartOverhead is the time from a launch until the job makes
	// progress again; zero: measured by the controller from the last
	// recovery.
	RestartOverhead time.Duration `json:"restart_overhead,omitempty"`
}

var jobRecoveryFields = []string{"strategy", "max_restarts_on_errors", "recover_on_exit_codes", "deadline", "duration", "restart_overhead"}

func (p *parser) jobRecovery(n *yaml.Node, field string) *JobRecovery {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	jr := &JobRecovery{Strategy: StrategyEagerNextRegion}
	if n.Kind == yaml.ScalarNode {
		if n.ShortTag() != "!!str" {
			p.typeError(n, field, "a strategy name (EAGER_NEXT_REGION or FAILOVER) or a mapping")
			return nil
		}
		if s, ok := p.recoveryStrategy(n, field); ok {
			jr.Strategy = s
		}
		return jr
	}
	if n.Kind != yaml.MappingNode {
		p.typeError(n, field, "a strategy name (EAGER_NEXT_REGION or FAILOVER) or a mapping")
		return nil
	}
	pairs, _ := p.mapping(n, field, "job_recovery", jobRecoveryFields)
	nodes := map[string]*yaml.Node{}
	for _, pr := range pairs {
		nodes[pr.name] = pr.val
		switch pr.name {
		case "strategy":
			if isNull(pr.val) {
				continue
			}
			if deref(pr.val).Kind != yaml.ScalarNode || deref(pr.val).ShortTag() != "!!str" {
				p.typeError(pr.val, pr.path, "a strategy name (EAGER_NEXT_REGION or FAILOVER)")
				continue
			}
			if s, ok := p.recoveryStrategy(pr.val, pr.path); ok {
				jr.Strategy = s
			}
		case "max_restarts_on_errors":
			if i, ok := p.integer(pr.val, pr.path); ok {
				if i < 0 {
					p.errorf(pr.val, pr.path, "Invalid max_restarts_on_errors",
						"max_restarts_on_errors must be an integer >= 0 (the number of restarts after user-code failures); got %d.", i)
					continue
				}
				jr.MaxRestartsOnErrors = i
			}
		case "recover_on_exit_codes":
			jr.RecoverOnExitCodes = p.exitCodes(pr.val, pr.path)
		case "deadline", "duration", "restart_overhead":
			d, ok := p.recoveryDuration(pr.val, pr.path)
			if !ok {
				continue
			}
			switch pr.name {
			case "deadline":
				jr.Deadline = d
			case "duration":
				jr.Duration = d
			default:
				jr.RestartOverhead = d
			}
		}
	}
	switch {
	case jr.Deadline > 0 && jr.Duration == 0 && nodes["duration"] == nil:
		p.errorf(nodes["deadline"], field+".deadline", "Deadline without a duration",
			"A deadline needs the compute the job takes, to decide when on-demand must take over: add job_recovery.duration, e.g. {deadline: 12h, duration: 8h}.")
	case jr.Deadline > 0 && jr.Duration > jr.Deadline:
		p.errorf(nodes["deadline"], field+".deadline", "Deadline shorter than the duration",
			"job_recovery.deadline (%s) is shorter than job_recovery.duration (%s): the job cannot finish in time even on on-demand. Raise the deadline or lower the duration.",
			fmtHours(jr.Deadline), fmtHours(jr.Duration))
	case jr.Deadline > 0 && jr.Duration+jr.RestartOverhead > jr.Deadline:
		p.warnf(nodes["deadline"], field+".deadline", "Deadline leaves no room for a restart",
			"job_recovery.deadline (%s) is less than duration plus restart_overhead (%s): even all on-demand, one launch makes the job late.",
			fmtHours(jr.Deadline), fmtHours(jr.Duration+jr.RestartOverhead))
	}
	return jr
}

func (p *parser) recoveryStrategy(n *yaml.Node, field string) (string, bool) {
	s := strings.ToUpper(strings.TrimSpace(deref(n).Value))
	for _, k := range JobRecoveryStrategies {
		if s == k {
			return s, true
		}
	}
	hint := didYouMean(s, JobRecoveryStrategies)
	if hint != "" {
		hint = " " + hint
	}
	p.errorf(n, field, "Unknown job recovery strategy",
		"Got %q; expected EAGER_NEXT_REGION (the default: relaunch in another region) or FAILOVER (same region first).%s", deref(n).Value, hint)
	return "", false
}

func (p *parser) exitCodes(n *yaml.Node, field string) []int {
	n = deref(n)
	items := []*yaml.Node{n}
	if n != nil && n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []int
	for i, it := range items {
		f := field
		if n.Kind == yaml.SequenceNode {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		c, ok := p.integer(it, f)
		if !ok {
			continue
		}
		if c < 0 || c > 255 {
			p.errorf(it, f, "Invalid exit code", "recover_on_exit_codes lists process exit codes, 0 to 255; got %d.", c)
			continue
		}
		out = append(out, c)
	}
	return out
}

// recoveryDuration reads "12h", "90m", "1h30m", "1.5h", "2d" or a number of
// hours.
func (p *parser) recoveryDuration(n *yaml.Node, field string) (time.Duration, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		p.typeError(n, field, "a duration such as 12h, 90m or a number of hours")
		return 0, false
	}
	d, err := ParseHours(n.Value)
	if err != nil {
		p.errorf(n, field, "Invalid "+lastSegment(field),
			"%s must be a duration such as 12h, 90m, 1h30m, 2d or a number of hours, and not negative; got %q.", lastSegment(field), n.Value)
		return 0, false
	}
	return d, true
}

// ParseHours parses a job_recovery duration: Go durations ("12h", "90m",
// "1h30m", "1.5h"), days ("2d"), or a plain number of hours ("8", "0.5").
func ParseHours(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("invalid duration %q: expected e.g. 12h, 90m, 2d or a number of hours", s)
	if strings.HasSuffix(s, "d") {
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil || f < 0 || f > 3650 {
			return 0, bad
		}
		return time.Duration(f * 24 * float64(time.Hour)), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, bad
		}
		return d, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 87600 {
		return 0, bad
	}
	return time.Duration(f * float64(time.Hour)), nil
}

func fmtHours(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64) + "h"
}
