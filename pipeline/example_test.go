package pipeline

import (
	"bytes"
	"testing"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
)

// TestExamplePipelineBeatsSingleCloud plans examples/pipeline/pipeline.yaml
// against the bundled catalog: the optimum must mix clouds and cost less
// than the best plan of every cloud on its own.
func TestExamplePipelineBeatsSingleCloud(t *testing.T) {
	p, ds := task.Load("../examples/pipeline/pipeline.yaml", task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if len(p.Tasks) != 3 {
		t.Fatalf("example has %d tasks", len(p.Tasks))
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, ds := Optimize(p, Options{Optimizer: optimizer.Options{Catalog: cat}})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	clouds := map[string]bool{}
	for _, tc := range res.Best.Tasks {
		clouds[tc.Chosen.Cloud] = true
	}
	if len(clouds) < 2 {
		t.Errorf("best plan stays in one cloud: %v", clouds)
	}
	compared := 0
	for _, c := range SingleClouds() {
		sc := res.SingleCloud[c]
		if sc == nil {
			t.Logf("%s: no single-cloud plan", c)
			continue
		}
		compared++
		if !(res.Best.TotalCost < sc.TotalCost) {
			t.Errorf("mixed plan $%.2f is not cheaper than %s alone ($%.2f)", res.Best.TotalCost, c, sc.TotalCost)
		}
		cp, tp, _ := res.Saving(c)
		t.Logf("vs %s only: $%.2f → $%.2f (%.1f%% cheaper), %.2fh → %.2fh (%.1f%% faster)", c, sc.TotalCost, res.Best.TotalCost, cp, sc.TotalHours, res.Best.TotalHours, tp)
	}
	if compared == 0 {
		t.Fatal("no single-cloud plan to compare with")
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", buf.String())
}

// BenchmarkExampleRealCatalog is the whole pipeline optimisation of the
// example (optimizer calls included) with the catalog already loaded;
// BenchmarkChain50RealCatalog repeats its three tasks into a 50-task chain.
func BenchmarkExampleRealCatalog(b *testing.B) { benchReal(b, 3) }
func BenchmarkChain50RealCatalog(b *testing.B) { benchReal(b, 50) }

func benchReal(b *testing.B, n int) {
	ex, ds := task.Load("../examples/pipeline/pipeline.yaml", task.LoadOptions{})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	p := &task.Pipeline{Name: ex.Name}
	for i := range n {
		p.Tasks = append(p.Tasks, ex.Tasks[i%len(ex.Tasks)])
	}
	opts := Options{Optimizer: optimizer.Options{Catalog: cat}}
	if _, ds := Optimize(p, opts); ds.HasErrors() { // warm the catalog
		b.Fatal(ds)
	}
	for b.Loop() {
		if _, ds := Optimize(p, opts); ds.HasErrors() {
			b.Fatal(ds)
		}
	}
}

// TestDAGFromYAML parses depends_on through the task package and plans a
// diamond against the bundled catalog; the result must match brute force
// over the same candidates.
func TestDAGFromYAML(t *testing.T) {
	src := `name: diamond
---
name: fetch
resources: {cpus: 4+}
inputs: {gs://corpus/raw: 300}
outputs: {gs://corpus/clean: 200}
---
name: embed
depends_on: [fetch]
resources:
  accelerators: {A100: 8, V100: 8}
  time_estimate: {A100: 2, V100: 5}
outputs: {s3://vec/emb: 50}
---
name: index
depends_on: [fetch]
resources: {cpus: 16+, time_estimate: 3}
outputs: {s3://vec/index: 20}
---
name: publish
depends_on: [embed, index]
resources: {cpus: 2+}
`
	p, ds := task.Parse("diamond.yaml", []byte(src), task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	g, ds := buildGraph(p)
	if ds.HasErrors() || len(g.edges) != 4 || len(g.inputs[0]) != 1 || g.inputs[0][0].Cloud != "gcp" {
		t.Fatalf("graph %+v %v", g, ds)
	}
	for _, obj := range []Objective{MinimizeCost, MinimizeTime} {
		res, ds := Optimize(p, Options{Objective: obj, Optimizer: optimizer.Options{Catalog: cat}})
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		prob := &Problem{Edges: g.edges, Inputs: g.inputs, BandwidthGbps: DefaultBandwidthGbps, Objective: obj}
		for i, tk := range p.Tasks {
			var row []Option
			for _, pl := range res.Candidates[i] {
				h := taskHours(tk, pl)
				row = append(row, Option{Cloud: pl.Cloud, Cost: h * hourlyCost(tk, pl), Hours: h})
			}
			prob.Options = append(prob.Options, compressForBrute(row))
		}
		want := bruteForce(prob)
		got := prob.score(res.Best.TotalCost, res.Best.TotalHours)
		if !near(got.p, want.p) {
			t.Errorf("%s: plan %.4f, brute force %.4f", obj, got.p, want.p)
		}
		t.Logf("%s: $%.2f %.2fh", obj, res.Best.TotalCost, res.Best.TotalHours)
	}
}

// compressForBrute keeps the 12 best options per cloud so brute force over
// four tasks stays small; the solver saw all of them, so this can only make
// brute force worse, never better, than the true optimum it must match.
func compressForBrute(row []Option) []Option {
	per := map[string][]Option{}
	for _, o := range row {
		if len(per[o.Cloud]) < 12 {
			per[o.Cloud] = append(per[o.Cloud], o)
		}
	}
	var out []Option
	for _, c := range SingleClouds() {
		out = append(out, per[c]...)
	}
	return out
}
