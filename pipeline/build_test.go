package pipeline

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
)

// fakeCandidates serves fixed placements per task name, standing in for the
// catalog-backed optimizer.
func fakeCandidates(m map[string][]optimizer.Placement) CandidateFunc {
	return func(t *task.Task, _ optimizer.Options) ([]optimizer.Placement, diag.Diagnostics) {
		return m[t.Name], nil
	}
}

func pl(cloud, region, inst string, hourly float64, acc string, reqIdx int) optimizer.Placement {
	p := optimizer.Placement{Cloud: cloud, Region: region, InstanceType: inst, HourlyCost: hourly, HourlyCostPerNode: hourly, RequestIndex: reqIdx}
	if acc != "" {
		p.Accelerators = map[string]float64{acc: 1}
	}
	return p
}

func accel(name string, hours map[string]float64) task.Resources {
	return task.Resources{Accelerator: &task.Accelerator{Name: name, Count: 1}, TimeEstimateHrs: hours}
}

// seedLike is a three-task chain whose numbers make the mixed plan obvious:
// raw data in S3, TPU training cheapest on GCP, serving cheapest on AWS.
func seedLike() (*task.Pipeline, CandidateFunc) {
	train := map[string]float64{"tpu-v3-8": 4, "A100": 5}
	p := &task.Pipeline{Name: "seed", Tasks: []*task.Task{
		{Name: "prep", NumNodes: 1, Inputs: map[string]float64{"s3://raw/": 500}, Outputs: map[string]float64{"gs://feat/": 100},
			Resources: task.ResourceSet{Items: []task.Resources{{TimeEstimateHrs: map[string]float64{"": 2}}}}},
		{Name: "train", NumNodes: 1, Inputs: map[string]float64{"gs://feat": 100}, Outputs: map[string]float64{"gs://model": 10},
			Resources: task.ResourceSet{Items: []task.Resources{accel("tpu-v3-8", train), accel("A100", train)}}},
		{Name: "serve", NumNodes: 1,
			Resources: task.ResourceSet{Items: []task.Resources{accel("Inferentia", map[string]float64{"": 24}), accel("T4", map[string]float64{"": 24})}}},
	}}
	return p, fakeCandidates(map[string][]optimizer.Placement{
		"prep": {pl("aws", "us-east-1", "m6i.2xlarge", 0.384, "", 0), pl("gcp", "us-central1", "n2-standard-8", 0.388, "", 0), pl("azure", "eastus", "Standard_D8s_v5", 0.384, "", 0)},
		"train": {pl("gcp", "us-central1", "TPU-VM", 8, "tpu-v3-8", 0), pl("aws", "us-east-1", "p4d.24xlarge", 21.96, "A100", 1),
			pl("gcp", "us-central1", "a2-highgpu-8g", 29.4, "A100", 1), pl("azure", "eastus", "Standard_ND96asr_v4", 27.2, "A100", 1)},
		"serve": {pl("aws", "us-east-1", "inf1.xlarge", 0.228, "Inferentia", 0), pl("aws", "us-east-1", "g4dn.xlarge", 0.526, "T4", 1),
			pl("gcp", "us-central1", "n1-standard-4", 0.54, "T4", 1)},
	})
}

func TestOptimizeSeedLikeChain(t *testing.T) {
	p, cands := seedLike()
	res, ds := Optimize(p, Options{Candidates: cands})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	got := []string{}
	for _, tc := range res.Best.Tasks {
		got = append(got, tc.Chosen.Cloud+"/"+tc.Chosen.InstanceType)
	}
	if strings.Join(got, " ") != "aws/m6i.2xlarge gcp/TPU-VM aws/inf1.xlarge" {
		t.Fatalf("best plan %v", got)
	}
	// Hours come from each option's time_estimate, defaulting per request.
	if h := res.Best.Tasks[1].Hours; h != 4 {
		t.Errorf("train hours %v, want 4 (tpu-v3-8 estimate)", h)
	}
	if h := res.Best.Tasks[2].Hours; h != 24 {
		t.Errorf("serve hours %v, want 24", h)
	}
	// Egress: prep (AWS) → train (GCP) 100 GB at AWS rates; train → serve
	// 10 GB of model at GCP rates; the raw S3 input stays in AWS.
	if len(res.Best.Egress) != 2 {
		t.Fatalf("egress %+v", res.Best.Egress)
	}
	e0, e1 := res.Best.Egress[0], res.Best.Egress[1]
	if e0.From != "prep" || e0.To != "train" || e0.GB != 100 || math.Abs(e0.Cost-99*0.09) > 1e-9 {
		t.Errorf("first transfer %+v", e0)
	}
	if e1.From != "train" || e1.To != "serve" || e1.GB != 10 || math.Abs(e1.Cost-1.2) > 1e-9 {
		t.Errorf("second transfer %+v", e1)
	}
	wantCost := 0.384*2 + 8*4 + 0.228*24 + 99*0.09 + 1.2
	if math.Abs(res.Best.TotalCost-wantCost) > 1e-9 {
		t.Errorf("total cost %.4f, want %.4f", res.Best.TotalCost, wantCost)
	}
	wantHours := 2 + 4 + 24 + TransferHours(100, 10) + TransferHours(10, 10)
	if math.Abs(res.Best.TotalHours-wantHours) > 1e-9 {
		t.Errorf("total hours %.4f, want %.4f", res.Best.TotalHours, wantHours)
	}
	// GCP alone must pull the 500 GB of raw data out of S3.
	gcp := res.SingleCloud["gcp"]
	if gcp == nil || len(gcp.Egress) != 1 || gcp.Egress[0].From != "s3://raw/" || gcp.Egress[0].GB != 500 {
		t.Fatalf("gcp plan egress %+v", gcp)
	}
	if res.SingleCloud["azure"] != nil {
		t.Error("azure has no serve placement, so no single-cloud plan")
	}
	for _, c := range []string{"aws", "gcp"} {
		cp, _, ok := res.Saving(c)
		if !ok || cp <= 0 {
			t.Errorf("%s: saving %.1f%% ok=%v", c, cp, ok)
		}
	}
}

func TestOptimizeMinimizeTime(t *testing.T) {
	p, cands := seedLike()
	// Make the A100 the faster trainer: minimizing time must now choose it
	// even though it costs more; minimizing cost keeps the TPU.
	for i := range p.Tasks[1].Resources.Items {
		p.Tasks[1].Resources.Items[i].TimeEstimateHrs = map[string]float64{"tpu-v3-8": 6, "A100": 3}
	}
	res, ds := Optimize(p, Options{Candidates: cands, Objective: MinimizeTime})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if got := GPUs(res.Best.Tasks[1].Chosen); got != "A100:1" {
		t.Errorf("time objective picked %s", got)
	}
	resCost, _ := Optimize(p, Options{Candidates: cands})
	if got := GPUs(resCost.Best.Tasks[1].Chosen); got != "tpu-v3-8:1" {
		t.Errorf("cost objective picked %s", got)
	}
	if res.Best.TotalHours >= resCost.Best.TotalHours || res.Best.TotalCost <= resCost.Best.TotalCost {
		t.Errorf("time plan %.2fh $%.2f vs cost plan %.2fh $%.2f", res.Best.TotalHours, res.Best.TotalCost, resCost.Best.TotalHours, resCost.Best.TotalCost)
	}
}

func TestOptimizeDAGEdgesAndErrors(t *testing.T) {
	mk := func(name string, deps []string, in, out map[string]float64) *task.Task {
		return &task.Task{Name: name, NumNodes: 1, DependsOn: deps, Inputs: in, Outputs: out,
			Resources: task.ResourceSet{Items: []task.Resources{{}}}}
	}
	all := []optimizer.Placement{pl("aws", "us-east-1", "m", 1, "", 0), pl("gcp", "us-central1", "n", 1.5, "", 0)}
	cands := func(t *task.Task, _ optimizer.Options) ([]optimizer.Placement, diag.Diagnostics) {
		if t.Name == "b" {
			return all[1:], nil // b only runs on GCP
		}
		return all, nil
	}
	// a → b, a → c, (b, c) → d: a diamond, not a chain.
	p := &task.Pipeline{Tasks: []*task.Task{
		mk("a", nil, nil, map[string]float64{"s3://x": 40, "s3://y": 2}),
		mk("b", []string{"a"}, map[string]float64{"s3://x/": 40}, map[string]float64{"gs://b": 30}),
		mk("c", []string{"a"}, nil, nil),
		mk("d", []string{"b", "c"}, map[string]float64{"gs://b": 30, "gs://other": 7}, nil),
	}}
	res, ds := Optimize(p, Options{Candidates: cands})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	g, _ := buildGraph(p)
	want := map[[2]int]float64{{0, 1}: 40, {0, 2}: 42, {1, 3}: 30, {2, 3}: 7}
	if len(g.edges) != len(want) {
		t.Fatalf("edges %+v", g.edges)
	}
	for _, e := range g.edges {
		if want[[2]int{e.From, e.To}] != e.GB {
			t.Errorf("edge %d→%d carries %v GB, want %v", e.From, e.To, e.GB, want[[2]int{e.From, e.To}])
		}
	}
	// The brute-force check of the same numbers.
	prob := &Problem{Edges: g.edges, Inputs: g.inputs, BandwidthGbps: 10}
	for range p.Tasks {
		prob.Options = append(prob.Options, []Option{{Cloud: "aws", Cost: 1, Hours: 1}, {Cloud: "gcp", Cost: 1.5, Hours: 1}})
	}
	prob.Options[1] = prob.Options[1][1:]
	if b := bruteForce(prob); math.Abs(b.p-res.Best.TotalCost) > 1e-9 {
		t.Errorf("DAG plan $%.4f, brute force $%.4f", res.Best.TotalCost, b.p)
	}
	if res.SingleCloud["aws"] != nil || res.SingleCloud["gcp"] == nil {
		t.Errorf("single-cloud plans %+v", res.SingleCloud)
	}

	for name, tasks := range map[string][]*task.Task{
		"Unknown task":      {mk("a", nil, nil, nil), mk("b", []string{"zz"}, nil, nil)},
		"depends on itself": {mk("a", []string{"a"}, nil, nil)},
		"form a cycle":      {mk("a", []string{"c"}, nil, nil), mk("b", []string{"a"}, nil, nil), mk("c", []string{"b"}, nil, nil)},
		"Duplicate task":    {mk("a", nil, nil, nil), mk("a", []string{"a"}, nil, nil)},
	} {
		_, ds := Optimize(&task.Pipeline{Tasks: tasks}, Options{Candidates: cands})
		if !ds.HasErrors() || !strings.Contains(ds.Error(), name) {
			t.Errorf("%s: got %v", name, ds)
		}
	}
}

func TestOptimizeReportsTaskWithoutPlacement(t *testing.T) {
	p, _ := seedLike()
	_, ds := Optimize(p, Options{Candidates: fakeCandidates(nil)})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), `"prep" has no feasible placement`) {
		t.Fatalf("got %v", ds)
	}
}

func TestRenderTextAndJSON(t *testing.T) {
	p, cands := seedLike()
	res, ds := Optimize(p, Options{Candidates: cands})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"TASK", "#NODES", "INFRA", "INSTANCE", "GPUS", "COST", "TIME",
		"GCP (us-central1)", "tpu-v3-8:1", "FROM", "prep (AWS)", "train (GCP)", "AWS ONLY", "AZURE ONLY", "no plan", "cost saving", "time saving"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tasks []struct {
			Name       string            `json:"name"`
			NumNodes   int               `json:"num_nodes"`
			Chosen     map[string]any    `json:"chosen"`
			Candidates []json.RawMessage `json:"candidates"`
		} `json:"tasks"`
		Egress      []map[string]any            `json:"egress"`
		TotalCost   *float64                    `json:"total_cost"`
		TotalHours  *float64                    `json:"total_hours"`
		SingleCloud map[string]*json.RawMessage `json:"single_cloud"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tasks) != 3 || doc.Tasks[1].Chosen["cloud"] != "gcp" || len(doc.Tasks[1].Candidates) != 4 || doc.Tasks[0].NumNodes != 1 {
		t.Errorf("tasks: %s", raw)
	}
	for _, k := range []string{"from", "to", "gb", "cost", "hours"} {
		if _, ok := doc.Egress[0][k]; !ok {
			t.Errorf("egress entry lacks %q", k)
		}
	}
	if doc.TotalCost == nil || math.Abs(*doc.TotalCost-res.Best.TotalCost) > 1e-5 || doc.TotalHours == nil {
		t.Errorf("totals: %s", raw)
	}
	if len(doc.SingleCloud) != 3 || doc.SingleCloud["azure"] != nil || doc.SingleCloud["aws"] == nil {
		t.Errorf("single_cloud: %s", raw)
	}
	var aws struct {
		TotalCost float64          `json:"total_cost"`
		Tasks     []map[string]any `json:"tasks"`
	}
	if err := json.Unmarshal(*doc.SingleCloud["aws"], &aws); err != nil || len(aws.Tasks) != 3 || aws.TotalCost <= res.Best.TotalCost {
		t.Errorf("aws plan %s (%v)", *doc.SingleCloud["aws"], err)
	}
}

func TestOrderedResourcesUseFirstItemWithPlacements(t *testing.T) {
	p, cands := seedLike()
	// serve lists Inferentia first; ordered means it wins even where T4 is
	// the only option a cloud has, so GCP has no single-cloud plan left.
	p.Tasks[2].Resources.Ordered = true
	res, ds := Optimize(p, Options{Candidates: cands})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if len(res.Candidates[2]) != 1 || GPUs(res.Candidates[2][0]) != "Inferentia:1" {
		t.Errorf("serve candidates %+v", res.Candidates[2])
	}
	if res.SingleCloud["gcp"] != nil {
		t.Error("gcp plan should vanish: serve must use Inferentia")
	}
}
