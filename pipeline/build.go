package pipeline

import (
	"fmt"
	"github.com/skyplan/skyplan/catalog"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
)

// SingleClouds are the clouds a pipeline plan is compared against: every
// cloud with a catalog, in the registry's order.
func SingleClouds() []string { return catalog.Clouds() }

// CandidateFunc returns every feasible placement of one task.
type CandidateFunc func(t *task.Task, opts optimizer.Options) ([]optimizer.Placement, diag.Diagnostics)

// OptimizerCandidates asks the single-task optimizer for a task's ranked
// placements (the ones `skyplan plan` shows for one task); it is the default
// CandidateFunc. These hold, per request and cloud, every region and zone of
// the cheapest matching instance type. That loses no optimum: runtime
// depends only on the accelerator, so a dearer type with the same
// accelerator in the same cloud can never do better. optimizer.Candidates
// (every matching type) fits CandidateFunc too, at the price of longer
// candidate lists.
func OptimizerCandidates(t *task.Task, opts optimizer.Options) ([]optimizer.Placement, diag.Diagnostics) {
	plan, ds := optimizer.Optimize(t, opts)
	if plan == nil || ds.HasErrors() {
		return nil, ds
	}
	return plan.Candidates, ds
}

// Options steer a pipeline optimisation.
type Options struct {
	Objective     Objective
	BandwidthGbps float64 // 0 = DefaultBandwidthGbps
	Optimizer     optimizer.Options
	Candidates    CandidateFunc // nil = OptimizerCandidates
}

// TaskChoice is the placement picked for one task and what it costs.
type TaskChoice struct {
	Name     string
	NumNodes int
	Chosen   optimizer.Placement
	Cost     float64 // compute dollars, all nodes, estimated runtime
	Hours    float64 // estimated runtime
}

// Transfer is data crossing clouds: task → task, or bucket → task.
type Transfer struct {
	From, To           string // task names, or the bucket URI for From
	FromCloud, ToCloud string
	GB, Cost, Hours    float64
}

// Plan is one full assignment with its totals (compute plus egress).
type Plan struct {
	Tasks      []TaskChoice
	Egress     []Transfer
	TotalCost  float64
	TotalHours float64
}

// Result is the best plan and, for comparison, the best plan of each cloud
// alone (nil when some task has no placement in that cloud).
type Result struct {
	Name          string
	Objective     Objective
	BandwidthGbps float64
	Candidates    [][]optimizer.Placement // per task, as the optimizer ranked them
	Best          *Plan
	SingleCloud   map[string]*Plan
}

// Saving is how much cheaper and faster the best plan is than cloud's
// single-cloud plan, in percent of the latter; ok is false when that cloud
// has no plan.
func (r *Result) Saving(cloud string) (costPct, timePct float64, ok bool) {
	sc := r.SingleCloud[cloud]
	if sc == nil {
		return 0, 0, false
	}
	return pct(sc.TotalCost, r.Best.TotalCost), pct(sc.TotalHours, r.Best.TotalHours), true
}

func pct(base, v float64) float64 {
	if base <= 0 {
		return 0
	}
	return (base - v) / base * 100
}

// graph is the pipeline's shape with the data each edge carries.
type graph struct {
	names  []string
	edges  []Edge
	inputs [][]BucketInput
}

// Optimize places every task of a pipeline so that the whole pipeline is
// cheapest (or fastest), egress included, and solves each cloud alone too.
func Optimize(p *task.Pipeline, opts Options) (*Result, diag.Diagnostics) {
	var ds diag.Diagnostics
	if p == nil || len(p.Tasks) == 0 {
		ds.Errorf("Empty pipeline", "The pipeline has no tasks; add at least one task document.")
		return nil, ds
	}
	g, gds := buildGraph(p)
	ds = append(ds, gds...)
	if ds.HasErrors() {
		return nil, ds
	}
	cands := opts.Candidates
	if cands == nil {
		cands = OptimizerCandidates
	}
	res := &Result{Name: p.Name, Objective: opts.Objective, BandwidthGbps: opts.BandwidthGbps, SingleCloud: map[string]*Plan{}}
	if res.BandwidthGbps <= 0 {
		res.BandwidthGbps = DefaultBandwidthGbps
	}
	full := &Problem{Edges: g.edges, Inputs: g.inputs, BandwidthGbps: res.BandwidthGbps, Objective: opts.Objective}
	for i, t := range p.Tasks {
		pls, tds := cands(t, opts.Optimizer)
		ds = append(ds, tds...)
		if tds.HasErrors() {
			continue
		}
		pls = firstOrderedItem(t, pls)
		if len(pls) == 0 {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error,
				Summary: fmt.Sprintf("Task %q has no feasible placement", g.names[i]),
				Detail:  "No cloud offers the resources this task asks for; relax its resources or enable more clouds.",
				Subject: t.Source.Range("resources"), Field: "resources"})
			continue
		}
		res.Candidates = append(res.Candidates, pls)
		var row []Option
		for _, pl := range pls {
			h := taskHours(t, pl)
			row = append(row, Option{Cloud: pl.Cloud, Cost: h * hourlyCost(t, pl), Hours: h})
		}
		full.Options = append(full.Options, row)
	}
	if ds.HasErrors() {
		return nil, ds
	}
	best, err := solvePlan(full, p, g, res.Candidates, "")
	if err != nil {
		return nil, ds.Append(err)
	}
	res.Best = best
	for _, c := range SingleClouds() {
		sc, err := solvePlan(full, p, g, res.Candidates, c)
		if err != nil {
			return nil, ds.Append(err)
		}
		res.SingleCloud[c] = sc
	}
	return res, ds
}

// solvePlan solves the problem, restricted to one cloud when cloud != "".
// It returns nil, nil when a task has no candidate in that cloud.
func solvePlan(full *Problem, p *task.Pipeline, g *graph, cands [][]optimizer.Placement, cloud string) (*Plan, error) {
	prob := *full
	index := make([][]int, len(full.Options)) // restricted → full option index
	prob.Options = make([][]Option, len(full.Options))
	for t, row := range full.Options {
		for i, o := range row {
			if cloud == "" || o.Cloud == cloud {
				prob.Options[t] = append(prob.Options[t], o)
				index[t] = append(index[t], i)
			}
		}
		if len(prob.Options[t]) == 0 {
			return nil, nil
		}
	}
	sol, err := prob.Solve()
	if err != nil {
		return nil, err
	}
	plan := &Plan{TotalCost: sol.Cost, TotalHours: sol.Hours}
	clouds := make([]string, len(sol.Choice))
	for t, i := range sol.Choice {
		o := prob.Options[t][i]
		clouds[t] = o.Cloud
		plan.Tasks = append(plan.Tasks, TaskChoice{
			Name: g.names[t], NumNodes: numNodes(p.Tasks[t]),
			Chosen: cands[t][index[t][i]], Cost: o.Cost, Hours: o.Hours,
		})
	}
	for t, ins := range g.inputs {
		for _, in := range ins {
			if c, h := prob.transfer(in.Cloud, clouds[t], in.GB); in.Cloud != clouds[t] && in.GB > 0 {
				plan.Egress = append(plan.Egress, Transfer{From: in.URI, To: g.names[t], FromCloud: in.Cloud, ToCloud: clouds[t], GB: in.GB, Cost: c, Hours: h})
			}
		}
	}
	for _, e := range g.edges {
		if clouds[e.From] != clouds[e.To] && e.GB > 0 {
			c, h := prob.transfer(clouds[e.From], clouds[e.To], e.GB)
			plan.Egress = append(plan.Egress, Transfer{From: g.names[e.From], To: g.names[e.To], FromCloud: clouds[e.From], ToCloud: clouds[e.To], GB: e.GB, Cost: c, Hours: h})
		}
	}
	return plan, nil
}

func numNodes(t *task.Task) int {
	if t.NumNodes < 1 {
		return 1
	}
	return t.NumNodes
}

// hourlyCost is the price of all of a task's nodes for one hour.
func hourlyCost(t *task.Task, pl optimizer.Placement) float64 {
	if pl.HourlyCost > 0 {
		return pl.HourlyCost
	}
	return pl.HourlyCostPerNode * float64(numNodes(t))
}

// taskHours is the runtime estimate for a placement: the time_estimate of
// its accelerator, else the request's default, else 1 hour (SkyPilot's
// default when no estimator is given).
func taskHours(t *task.Task, pl optimizer.Placement) float64 {
	req := pl.Request
	if req == nil && pl.RequestIndex >= 0 && pl.RequestIndex < len(t.Resources.Items) {
		req = &t.Resources.Items[pl.RequestIndex]
	}
	if req == nil || len(req.TimeEstimateHrs) == 0 {
		return 1
	}
	var names []string
	if req.Accelerator != nil {
		names = append(names, req.Accelerator.Name)
	}
	for name := range pl.Accelerators {
		names = append(names, name)
	}
	for _, n := range names {
		for k, h := range req.TimeEstimateHrs {
			if k != "" && strings.EqualFold(k, n) {
				return h
			}
		}
	}
	if h, ok := req.TimeEstimateHrs[""]; ok {
		return h
	}
	return 1
}

// firstOrderedItem keeps, for an ordered resource list, only the first list
// item that has placements, as SkyPilot fixes ordered tasks before costing.
func firstOrderedItem(t *task.Task, pls []optimizer.Placement) []optimizer.Placement {
	if !t.Resources.Ordered || len(pls) == 0 {
		return pls
	}
	first := pls[0].RequestIndex
	for _, pl := range pls {
		first = min(first, pl.RequestIndex)
	}
	var out []optimizer.Placement
	for _, pl := range pls {
		if pl.RequestIndex == first {
			out = append(out, pl)
		}
	}
	return out
}
