package sim

import (
	"fmt"
	"time"

	"github.com/skyplan/skyplan/jobs/policy"
)

// Prices are hourly prices of one node.
type Prices struct {
	Spot     float64
	OnDemand float64
}

// Config is one replay: a job, the trace it meets, the cluster size, and
// where in the trace the job is submitted.
type Config struct {
	Job    policy.Job
	Prices Prices
	// Nodes is the cluster size: spot is available when the trace counts at
	// least this many instances (default 1). Cost scales with it.
	Nodes int
	// Start is the submission time as an offset into the trace.
	Start time.Duration
}

// Grid is the virtual clock of a replay: decisions every Step, with the job's
// durations rounded to whole steps on the safe side (Duration and
// RestartOverhead up, Deadline down), so the replay and the optimum work on
// one exact model. Step divides the trace's tick and is at most a minute
// (a 300 s tick becomes five 60 s steps), which keeps the rounding of a
// restart overhead under a minute.
type Grid struct {
	Step     time.Duration
	Work     int // steps of compute the job needs
	Overhead int // steps of restart overhead per start
	Deadline int // steps to the deadline (0: none)
}

const maxStep = time.Minute

// NewGrid returns the grid of a job replayed over a trace.
func NewGrid(t Trace, j policy.Job) Grid {
	k := int((t.Gap + maxStep - 1) / maxStep)
	step := t.Gap / time.Duration(k)
	ceil := func(d time.Duration) int { return int((d + step - 1) / step) }
	g := Grid{Step: step, Work: ceil(j.Duration), Overhead: ceil(j.RestartOverhead)}
	if j.Deadline > 0 {
		g.Deadline = int(j.Deadline / step)
	}
	return g
}

// Job is the job as the grid sees it: the durations the policies are given.
func (g Grid) Job() policy.Job {
	return policy.Job{
		Duration:        time.Duration(g.Work) * g.Step,
		Deadline:        time.Duration(g.Deadline) * g.Step,
		RestartOverhead: time.Duration(g.Overhead) * g.Step,
	}
}

// Result is one policy's replay on one trace.
type Result struct {
	Trace  string
	Policy string
	// Cost is what the replay paid: every step an instance ran, restart
	// overheads included, times nodes.
	Cost float64
	// OnDemandCost is what the job costs all on on-demand: one start
	// (overhead) plus the work.
	OnDemandCost float64
	// Finished reports whether the job completed within the replay's horizon
	// (a job without deadline that waits for spot past the trace's end does
	// not); Elapsed is when it completed (or when the replay gave up).
	Finished    bool
	Elapsed     time.Duration
	DeadlineMet bool
	// Preemptions counts spot instances lost to the trace.
	Preemptions int
	// Starts counts instance launches (each paid a restart overhead).
	Starts             int
	SpotHours, ODHours float64
}

// OnDemandCost is the cost of the job run all on on-demand on the grid.
func OnDemandCost(g Grid, c Config) float64 {
	return float64(g.Work+g.Overhead) * g.Step.Hours() * c.Prices.OnDemand * float64(nodes(c))
}

func nodes(c Config) int {
	if c.Nodes < 1 {
		return 1
	}
	return c.Nodes
}

// Replay runs a policy over a trace with the executor protocol of
// jobs/policy: preemption first, then Decide, then Resolve with the trace
// answering the spot launch attempt. The horizon is the rest of the trace
// plus the time the job needs on on-demand, so deadline-safe policies always
// finish and a spot-only policy gives up once the trace has ended.
func Replay(t Trace, p policy.Policy, c Config) (Result, error) {
	if err := c.Job.Validate(); err != nil {
		return Result{}, err
	}
	if c.Start < 0 || c.Start >= t.Span() {
		return Result{}, fmt.Errorf("start %v is outside trace %s (%v long)", c.Start, t.Name, t.Span())
	}
	g := NewGrid(t, c.Job)
	job := g.Job()
	n := nodes(c)
	stepHours := g.Step.Hours()
	res := Result{Trace: t.Name, Policy: p.Name(), OnDemandCost: OnDemandCost(g, c)}
	horizon := int((t.Span()-c.Start)/g.Step) + g.Work + g.Overhead + 1
	if g.Deadline > horizon {
		horizon = g.Deadline + g.Work + g.Overhead + 1
	}
	running, warm, done := policy.Idle, 0, 0
	for i := 0; i < horizon && done < g.Work; i++ {
		avail := t.SpotAt(c.Start+time.Duration(i)*g.Step, n)
		if running == policy.Spot && !avail {
			running, warm = policy.Idle, 0
			res.Preemptions++
		}
		obs := policy.Observation{
			Elapsed:  time.Duration(i) * g.Step,
			Done:     time.Duration(done) * g.Step,
			Running:  running,
			Warmup:   time.Duration(warm) * g.Step,
			Launches: res.Starts,
			Step:     g.Step,
		}
		next := p.Decide(job, obs).Resolve(running, func() bool { return avail })
		if next != running {
			running, warm = next, 0
			if next != policy.Idle {
				warm = g.Overhead
				res.Starts++
			}
		}
		switch running {
		case policy.Spot:
			res.Cost += c.Prices.Spot * stepHours * float64(n)
			res.SpotHours += stepHours
		case policy.OnDemand:
			res.Cost += c.Prices.OnDemand * stepHours * float64(n)
			res.ODHours += stepHours
		default:
			continue
		}
		if warm > 0 {
			warm--
			continue
		}
		done++
		if done == g.Work {
			res.Finished = true
			res.Elapsed = time.Duration(i+1) * g.Step
		}
	}
	if g.Work == 0 {
		res.Finished = true
	}
	if !res.Finished {
		res.Elapsed = time.Duration(horizon) * g.Step
	}
	res.DeadlineMet = res.Finished && (g.Deadline == 0 || res.Elapsed <= time.Duration(g.Deadline)*g.Step)
	return res, nil
}
