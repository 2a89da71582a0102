package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var testClouds = []string{"aws", "gcp", "azure"}

// randomOptions draws k candidates spread over the three clouds, with prices
// and runtimes in realistic ranges, sometimes repeating a cloud many times.
func randomOptions(r *rand.Rand, k int) []Option {
	opts := make([]Option, k)
	for i := range opts {
		opts[i] = Option{
			Cloud: testClouds[r.IntN(len(testClouds))],
			Cost:  math.Round(r.Float64()*5000) / 100,
			Hours: 0.1 + math.Round(r.Float64()*200)/10,
		}
	}
	return opts
}

// randomGB spans the egress tiers (GCP switches at 1 and 10 TB).
func randomGB(r *rand.Rand) float64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return r.Float64() * 100
	case 2:
		return r.Float64() * 3000
	default:
		return r.Float64() * 20000
	}
}

// bruteForce evaluates every combination of the original candidates.
func bruteForce(p *Problem) score {
	n := len(p.Options)
	choice := make([]int, n)
	var best score
	found := false
	var rec func(t int)
	rec = func(t int) {
		if t == n {
			c, h := p.Evaluate(choice)
			if s := p.score(c, h); !found || s.less(best) {
				best, found = s, true
			}
			return
		}
		for i := range p.Options[t] {
			choice[t] = i
			rec(t + 1)
		}
	}
	rec(0)
	return best
}

func checkOptimal(t *testing.T, name string, p *Problem) {
	t.Helper()
	sol, err := p.Solve()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got := p.score(sol.Cost, sol.Hours)
	want := bruteForce(p)
	if !near(got.p, want.p) {
		t.Fatalf("%s (%s): solver %.6f, brute force %.6f (choice %v)", name, p.Objective, got.p, want.p, sol.Choice)
	}
	if !near(got.s, want.s) {
		t.Fatalf("%s (%s): tie-break measure %.6f, brute force %.6f", name, p.Objective, got.s, want.s)
	}
	c, h := p.Evaluate(sol.Choice)
	if !near(c, sol.Cost) || !near(h, sol.Hours) {
		t.Fatalf("%s: reported totals %.4f/%.4f differ from evaluation %.4f/%.4f", name, sol.Cost, sol.Hours, c, h)
	}
}

// TestChainDPMatchesBruteForce: random chains of 2-6 tasks with 2-20
// candidates each. Draws whose full product would exceed 300k combinations are
// redrawn to keep brute force quick; every task still has 2-20 candidates.
func TestChainDPMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2026))
	for trial := range 200 {
		n := 2 + r.IntN(5)
		var sizes []int
		for {
			sizes = sizes[:0]
			prod := 1
			for range n {
				k := 2 + r.IntN(19)
				sizes = append(sizes, k)
				prod *= k
			}
			if prod <= 300_000 {
				break
			}
		}
		p := &Problem{BandwidthGbps: []float64{1, 10, 100}[r.IntN(3)]}
		for i, k := range sizes {
			p.Options = append(p.Options, randomOptions(r, k))
			if i > 0 {
				p.Edges = append(p.Edges, Edge{From: i - 1, To: i, GB: randomGB(r)})
			}
		}
		p.Inputs = make([][]BucketInput, n)
		if r.IntN(2) == 0 {
			p.Inputs[0] = []BucketInput{{URI: "s3://raw", Cloud: testClouds[r.IntN(3)], GB: randomGB(r)}}
		}
		if !p.isChain() {
			t.Fatal("generator built a non-chain")
		}
		for _, obj := range []Objective{MinimizeCost, MinimizeTime} {
			p.Objective = obj
			checkOptimal(t, fmt.Sprint("chain trial ", trial), p)
		}
	}
}

// TestDAGSearchMatchesBruteForce: random DAGs of 3-7 tasks (edges only from
// lower to higher index, so acyclic) that are not chains.
func TestDAGSearchMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 8))
	dags := 0
	for trial := range 400 {
		n := 3 + r.IntN(5)
		p := &Problem{Inputs: make([][]BucketInput, n)}
		prod := 1
		for range n {
			k := 2 + r.IntN(7)
			prod *= k
			p.Options = append(p.Options, randomOptions(r, k))
		}
		if prod > 300_000 {
			continue
		}
		for v := 1; v < n; v++ {
			for u := range v {
				if r.Float64() < 0.45 {
					p.Edges = append(p.Edges, Edge{From: u, To: v, GB: randomGB(r)})
				}
			}
		}
		for v := range n {
			if r.IntN(4) == 0 {
				p.Inputs[v] = []BucketInput{{URI: "gs://x", Cloud: testClouds[r.IntN(3)], GB: randomGB(r)}}
			}
		}
		if p.isChain() {
			continue
		}
		dags++
		for _, obj := range []Objective{MinimizeCost, MinimizeTime} {
			p.Objective = obj
			checkOptimal(t, fmt.Sprint("dag trial ", trial), p)
		}
	}
	if dags < 100 {
		t.Fatalf("only %d non-chain DAGs generated", dags)
	}
}

func TestSolveRejectsBadProblems(t *testing.T) {
	if _, err := (&Problem{}).Solve(); err == nil {
		t.Error("empty problem accepted")
	}
	p := &Problem{Options: [][]Option{{{Cloud: "aws"}}, {}}}
	if _, err := p.Solve(); err == nil {
		t.Error("task without options accepted")
	}
	cyc := &Problem{
		Options: [][]Option{{{Cloud: "aws"}}, {{Cloud: "gcp"}}, {{Cloud: "aws"}}},
		Edges:   []Edge{{From: 0, To: 2}, {From: 2, To: 1}, {From: 1, To: 0}},
	}
	if _, err := cyc.Solve(); err == nil {
		t.Error("cyclic DAG accepted")
	}
}
