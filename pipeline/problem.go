package pipeline

import (
	"fmt"
	"math"
	"sort"
)

// Objective is what the search minimises; the other measure breaks ties.
type Objective int

const (
	MinimizeCost Objective = iota // dollars (default)
	MinimizeTime                  // hours
)

// ParseObjective reads the --minimize flag value.
func ParseObjective(s string) (Objective, error) {
	switch s {
	case "", "cost":
		return MinimizeCost, nil
	case "time":
		return MinimizeTime, nil
	}
	return MinimizeCost, fmt.Errorf("unknown objective %q: want cost or time", s)
}

func (o Objective) String() string {
	if o == MinimizeTime {
		return "time"
	}
	return "cost"
}

// Option is one way to run a task as the search sees it: where, and what the
// whole run costs and takes. It is deliberately free of catalog types so the
// search can be tested with synthetic candidates.
type Option struct {
	Cloud string
	Cost  float64 // dollars for the run on all nodes
	Hours float64
}

// Edge says task To consumes GB produced by task From.
type Edge struct {
	From, To int
	GB       float64
}

// BucketInput is data a task reads from a bucket in Cloud.
type BucketInput struct {
	URI   string
	Cloud string
	GB    float64
}

// Problem is a pipeline reduced to numbers: per-task options, data edges and
// bucket inputs. Egress is charged on an edge only when its two ends run in
// different clouds (SkyPilot's model), at the producer's cloud's rate.
type Problem struct {
	Options       [][]Option
	Edges         []Edge
	Inputs        [][]BucketInput // per task; may be nil
	BandwidthGbps float64         // 0 = DefaultBandwidthGbps
	Objective     Objective
}

// Solution assigns one option index to every task.
type Solution struct {
	Choice []int
	Cost   float64 // compute + egress dollars
	Hours  float64 // runtimes + transfer hours (tasks run one after another)
}

// score orders plans: primary objective first, the other measure on ties.
type score struct{ p, s float64 }

func (a score) add(b score) score { return score{a.p + b.p, a.s + b.s} }

func near(x, y float64) bool { return math.Abs(x-y) <= 1e-9*(1+math.Abs(x)+math.Abs(y)) }

func (a score) less(b score) bool {
	if !near(a.p, b.p) {
		return a.p < b.p
	}
	return !near(a.s, b.s) && a.s < b.s
}

func (p *Problem) score(cost, hours float64) score {
	if p.Objective == MinimizeTime {
		return score{hours, cost}
	}
	return score{cost, hours}
}

// transfer is the cost and time of moving gb from cloud a to cloud b.
func (p *Problem) transfer(a, b string, gb float64) (float64, float64) {
	if a == b || gb <= 0 {
		return 0, 0
	}
	return EgressCost(a, gb), TransferHours(gb, p.BandwidthGbps)
}

// unary is an option's own cost and time plus pulling its bucket inputs.
func (p *Problem) unary(task int, o Option) (float64, float64) {
	c, h := o.Cost, o.Hours
	if task < len(p.Inputs) {
		for _, in := range p.Inputs[task] {
			if in.Cloud == "" {
				continue
			}
			ec, eh := p.transfer(in.Cloud, o.Cloud, in.GB)
			c, h = c+ec, h+eh
		}
	}
	return c, h
}

// Evaluate returns the cost and time of a full assignment.
func (p *Problem) Evaluate(choice []int) (cost, hours float64) {
	for t, i := range choice {
		c, h := p.unary(t, p.Options[t][i])
		cost, hours = cost+c, hours+h
	}
	for _, e := range p.Edges {
		c, h := p.transfer(p.Options[e.From][choice[e.From]].Cloud, p.Options[e.To][choice[e.To]].Cloud, e.GB)
		cost, hours = cost+c, hours+h
	}
	return cost, hours
}

// state is a task's best option in one cloud. Egress depends only on the
// clouds at both ends of an edge, so any other option of that task in that
// cloud is dominated: this keeps the search at (tasks × clouds) states while
// staying exact over (task, candidate).
type state struct {
	cloud  int // index into the problem's cloud list
	option int
	own    score
}

type compiled struct {
	p      *Problem
	clouds []string
	states [][]state // per task, sorted by own score
	// pair[e][a][b] is edge e's egress score with From in cloud a, To in b.
	pair [][][]score
}

func (p *Problem) compile() (*compiled, error) {
	if len(p.Options) == 0 {
		return nil, fmt.Errorf("the pipeline has no tasks")
	}
	idx := map[string]int{}
	var clouds []string
	for _, opts := range p.Options {
		for _, o := range opts {
			if _, ok := idx[o.Cloud]; !ok {
				idx[o.Cloud] = -1
				clouds = append(clouds, o.Cloud)
			}
		}
	}
	sort.Strings(clouds)
	for i, c := range clouds {
		idx[c] = i
	}
	cp := &compiled{p: p, clouds: clouds, states: make([][]state, len(p.Options))}
	for t, opts := range p.Options {
		if len(opts) == 0 {
			return nil, fmt.Errorf("task %d has no candidate placement", t)
		}
		best := map[int]int{} // cloud → index in states
		for i, o := range opts {
			c, h := p.unary(t, o)
			st := state{cloud: idx[o.Cloud], option: i, own: p.score(c, h)}
			if j, ok := best[st.cloud]; !ok {
				best[st.cloud] = len(cp.states[t])
				cp.states[t] = append(cp.states[t], st)
			} else if st.own.less(cp.states[t][j].own) {
				cp.states[t][j] = st // strict: the first of equal options stays
			}
		}
		sort.SliceStable(cp.states[t], func(i, j int) bool { return cp.states[t][i].own.less(cp.states[t][j].own) })
	}
	for _, e := range p.Edges {
		if e.From < 0 || e.To < 0 || e.From >= len(p.Options) || e.To >= len(p.Options) || e.From == e.To {
			return nil, fmt.Errorf("edge %d→%d names a task that does not exist", e.From, e.To)
		}
		tab := make([][]score, len(clouds))
		for a := range clouds {
			tab[a] = make([]score, len(clouds))
			for b := range clouds {
				tab[a][b] = p.score(p.transfer(clouds[a], clouds[b], e.GB))
			}
		}
		cp.pair = append(cp.pair, tab)
	}
	return cp, nil
}

// isChain reports whether every edge joins consecutive tasks i → i+1, the
// shape of a multi-document YAML pipeline, which the DP solves directly.
func (p *Problem) isChain() bool {
	for _, e := range p.Edges {
		if e.To != e.From+1 {
			return false
		}
	}
	return true
}

// Solve returns an optimal assignment: dynamic programming for chains,
// branch-and-bound for general DAGs. Both are exact under the model.
func (p *Problem) Solve() (*Solution, error) {
	cp, err := p.compile()
	if err != nil {
		return nil, err
	}
	var choice []int
	if p.isChain() {
		choice = cp.solveChain()
	} else {
		if err := p.checkAcyclic(); err != nil {
			return nil, err
		}
		choice = cp.solveDAG()
	}
	sol := &Solution{Choice: choice}
	sol.Cost, sol.Hours = p.Evaluate(choice)
	return sol, nil
}

// checkAcyclic refuses cyclic edge sets (the builder reports them with
// positions first; this guards direct users of Problem).
func (p *Problem) checkAcyclic() error {
	n := len(p.Options)
	indeg := make([]int, n)
	out := make([][]int, n)
	for _, e := range p.Edges {
		indeg[e.To]++
		out[e.From] = append(out[e.From], e.To)
	}
	var queue []int
	for v := range n {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	seen := 0
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		seen++
		for _, w := range out[v] {
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	if seen != n {
		return fmt.Errorf("the task dependencies form a cycle")
	}
	return nil
}
