package pipeline

import (
	"math/rand/v2"
	"testing"
)

// benchChain is a 50-task chain with 200 candidates per task (the optimizer
// returns one placement per region or zone, so hundreds are realistic).
func benchChain(n, k int) *Problem {
	r := rand.New(rand.NewPCG(50, 1))
	p := &Problem{}
	for i := range n {
		p.Options = append(p.Options, randomOptions(r, k))
		if i > 0 {
			p.Edges = append(p.Edges, Edge{From: i - 1, To: i, GB: randomGB(r)})
		}
	}
	return p
}

// benchDAG is a 20-task DAG where each task depends on each earlier one with
// probability density, and a few tasks read buckets.
func benchDAG(n, k int, density float64) *Problem {
	r := rand.New(rand.NewPCG(20, 1))
	p := &Problem{Inputs: make([][]BucketInput, n)}
	for v := range n {
		p.Options = append(p.Options, randomOptions(r, k))
		for u := range v {
			if r.Float64() < density {
				p.Edges = append(p.Edges, Edge{From: u, To: v, GB: randomGB(r)})
			}
		}
		if r.IntN(5) == 0 {
			p.Inputs[v] = []BucketInput{{URI: "s3://b", Cloud: "aws", GB: randomGB(r)}}
		}
	}
	return p
}

func benchSolve(b *testing.B, p *Problem) {
	for _, obj := range []Objective{MinimizeCost, MinimizeTime} {
		p.Objective = obj
		b.Run(obj.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Solve(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkChain50(b *testing.B)       { benchSolve(b, benchChain(50, 200)) }
func BenchmarkDAG20Sparse(b *testing.B)   { benchSolve(b, benchDAG(20, 200, 0.15)) }
func BenchmarkDAG20Dense(b *testing.B)    { benchSolve(b, benchDAG(20, 200, 0.5)) }
func BenchmarkDAG20Complete(b *testing.B) { benchSolve(b, benchDAG(20, 200, 1)) }

// benchDAGTight is the hard case for pruning: every task costs almost the
// same in every cloud, so only egress (which the bound sees late) decides.
func benchDAGTight(n int, density float64) *Problem {
	r := rand.New(rand.NewPCG(7, 7))
	p := &Problem{}
	for v := range n {
		var opts []Option
		for _, c := range testClouds {
			opts = append(opts, Option{Cloud: c, Cost: 10 + r.Float64(), Hours: 1 + r.Float64()/10})
		}
		p.Options = append(p.Options, opts)
		for u := range v {
			if r.Float64() < density {
				p.Edges = append(p.Edges, Edge{From: u, To: v, GB: r.Float64() * 10})
			}
		}
	}
	return p
}

func BenchmarkDAG20Tight(b *testing.B)      { benchSolve(b, benchDAGTight(20, 0.3)) }
func BenchmarkDAG20TightDense(b *testing.B) { benchSolve(b, benchDAGTight(20, 0.8)) }
