// Package policy decides, step by step, whether a managed job runs on spot,
// on on-demand, or waits. The same Policy values drive the jobs controller
// (real clock; it learns whether spot can be had only by trying to launch it
// or by being preempted) and `skyplan jobs simulate` (virtual clock over a
// recorded availability trace), so a figure measured by the simulator is a
// figure of the code the controller runs.
//
// The model (the NSDI'24 "Can't Be Late" setting): a job needs Job.Duration of
// compute and must finish within Job.Deadline of submission. It keeps its
// progress across preemptions (checkpoints), and every start or switch of an
// instance costs Job.RestartOverhead of wall time, paid for, before the job
// makes progress again.
//
// Protocol for an executor (controller or simulator), at every decision point:
//
//  1. If the job runs on spot and spot was preempted, set Running to Idle
//     (Done keeps the checkpointed progress).
//  2. d := policy.Decide(job, obs).
//  3. next := d.Resolve(obs.Running, trySpot): trySpot is called only when the
//     decision asks for spot and none is running; it tries to launch a spot
//     instance (make before break: an on-demand instance keeps running while
//     the attempt is made) and reports whether spot could be had.
//  4. If next differs from Running, stop the old instance and start next; the
//     new instance pays the restart overhead before it makes progress.
//
// Policies are pure functions of (Job, Observation): they keep no state of
// their own, so a controller restarted after kill -9 decides exactly as the
// one that died, from its durable record of the job alone.
package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind is what a job runs on at a moment.
type Kind int

const (
	// Idle: nothing runs; the job waits (for spot, or because it is done).
	Idle Kind = iota
	// Spot: a preemptible instance.
	Spot
	// OnDemand: a regular instance, never preempted.
	OnDemand
)

func (k Kind) String() string {
	switch k {
	case Idle:
		return "idle"
	case Spot:
		return "spot"
	case OnDemand:
		return "on-demand"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Job is the deadline problem, fixed at submission.
type Job struct {
	// Duration is the compute the job needs. Zero: unknown, and the job has
	// no deadline to reason about.
	Duration time.Duration
	// Deadline is the wall time from submission by which the job must
	// finish. Zero: no deadline (policies then never pay for on-demand
	// unless they always do).
	Deadline time.Duration
	// RestartOverhead is the wall time from launching an instance (first
	// start, recovery, or switch between spot and on-demand) until the job
	// makes progress again: provisioning, setup, restoring the checkpoint.
	RestartOverhead time.Duration
}

// HasDeadline reports whether the job carries a deadline the policies reason
// about (both a deadline and a duration).
func (j Job) HasDeadline() bool { return j.Deadline > 0 && j.Duration > 0 }

// Validate refuses a job whose deadline cannot be met even on on-demand.
func (j Job) Validate() error {
	switch {
	case j.Duration < 0 || j.Deadline < 0 || j.RestartOverhead < 0:
		return fmt.Errorf("duration, deadline and restart overhead must not be negative")
	case j.Deadline > 0 && j.Duration == 0:
		return fmt.Errorf("a deadline needs the job's duration")
	case j.HasDeadline() && j.Deadline < j.Duration:
		return fmt.Errorf("deadline %v is shorter than the duration %v", j.Deadline, j.Duration)
	}
	return nil
}

// Observation is what the executor knows at a decision point.
type Observation struct {
	// Elapsed is the wall time since submission.
	Elapsed time.Duration
	// Done is the work completed so far (checkpointed progress: running
	// time after each instance's restart overhead).
	Done time.Duration
	// Running is what runs now (Idle after a preemption or before the first
	// launch).
	Running Kind
	// Warmup is the restart overhead the running instance still has to pay
	// before it makes progress (0 once it is productive, or when Idle).
	Warmup time.Duration
	// Launches counts the instances launched for this job so far (first
	// start, recoveries, switches), each of which paid a restart overhead:
	// the number of the controller's attempt records.
	Launches int
	// Step bounds the wall time until the next decision (the controller's
	// poll interval, the simulator's tick). Deadline-safe policies keep a
	// margin of one Step, because nothing can change course before then.
	Step time.Duration
}

// Remaining is the work still to do (never negative).
func (o Observation) Remaining(j Job) time.Duration {
	if r := j.Duration - o.Done; r > 0 {
		return r
	}
	return 0
}

// Left is the wall time left until the deadline (negative once it passed).
func (o Observation) Left(j Job) time.Duration { return j.Deadline - o.Elapsed }

// Decision is a policy's answer: what to run next.
type Decision struct {
	// Want is the kind to run. Spot means: keep the running spot instance,
	// or try to get one now.
	Want Kind
	// Fallback applies when Want is Spot and no spot instance can be had:
	// Idle (wait) or OnDemand (keep or start on-demand).
	Fallback Kind
}

// Run returns the decision to run k (with Idle as the fallback for spot).
func Run(k Kind) Decision { return Decision{Want: k, Fallback: Idle} }

// SpotElse returns the decision "spot if it can be had, else fallback".
func SpotElse(fallback Kind) Decision { return Decision{Want: Spot, Fallback: fallback} }

// Resolve applies the decision to the world: running is what runs now;
// trySpot attempts to launch spot and is called only when the decision needs
// a new spot instance. It returns what runs next.
func (d Decision) Resolve(running Kind, trySpot func() bool) Kind {
	if d.Want != Spot {
		return d.Want
	}
	if running == Spot || trySpot() {
		return Spot
	}
	if d.Fallback == OnDemand {
		return OnDemand
	}
	return Idle
}

func (d Decision) String() string {
	if d.Want == Spot {
		return "spot else " + d.Fallback.String()
	}
	return d.Want.String()
}

// Policy decides what a job runs on. Decide must be a pure function of its
// arguments (see the package comment) and cheap: the simulator calls it once
// per trace tick.
type Policy interface {
	// Name is the policy's name on the command line and in job records.
	Name() string
	// Decide returns what to run from now until the next decision.
	Decide(job Job, obs Observation) Decision
}

// Policy names.
const (
	NameOnDemand        = "on-demand"
	NameGreedy          = "greedy"
	NameUniformProgress = "uniform-progress"
	NameSkyplan         = "skyplan"
)

var registry = map[string]Policy{}

// register adds a policy to the registry (from the policy files' init).
func register(p Policy) { registry[p.Name()] = p }

// Names lists the registered policies in a fixed order: on-demand, greedy,
// uniform-progress, skyplan, then any others by name.
func Names() []string {
	order := map[string]int{NameOnDemand: 0, NameGreedy: 1, NameUniformProgress: 2, NameSkyplan: 3}
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Slice(names, func(i, k int) bool {
		oi, iok := order[names[i]]
		ok, kok := order[names[k]]
		switch {
		case iok && kok:
			return oi < ok
		case iok != kok:
			return iok
		}
		return names[i] < names[k]
	})
	return names
}

// Lookup returns the policy with that name, or an error listing the known
// names (with a did-you-mean when one is close).
func Lookup(name string) (Policy, error) {
	if p, ok := registry[name]; ok {
		return p, nil
	}
	msg := fmt.Sprintf("unknown policy %q; expected one of %s", name, strings.Join(Names(), ", "))
	if s := closest(name, Names()); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, fmt.Errorf("%s", msg)
}

// Default is the policy a spot managed job uses when the user names none:
// skyplan's. Without a deadline it is greedy spot (SkyPilot's behaviour for
// spot jobs: spot whenever it can be had, wait otherwise); with one it keeps
// the deadline guarantee of safety.go. Jobs with use_spot: false and no
// deadline run the on-demand policy.
func Default() Policy { return registry[NameSkyplan] }
