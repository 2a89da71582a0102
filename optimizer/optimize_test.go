package optimizer

import (
	"strings"
	"testing"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
)

var embedded = catalog.Embedded()

func q(v float64) *task.Quantity                { return &task.Quantity{Value: v} }
func qPlus(v float64) *task.Quantity            { return &task.Quantity{Value: v, AtLeast: true} }
func acc(n string, c float64) *task.Accelerator { return &task.Accelerator{Name: n, Count: c} }

func one(r task.Resources) *task.Task {
	return &task.Task{Name: "t", NumNodes: 1, Resources: task.ResourceSet{Items: []task.Resources{r}}}
}

func mustPlan(t *testing.T, tk *task.Task, opts Options) *TaskPlan {
	t.Helper()
	if opts.Catalog == nil {
		opts.Catalog = embedded
	}
	plan, ds := Optimize(tk, opts)
	if ds.HasErrors() || plan == nil {
		t.Fatalf("Optimize: %v", ds)
	}
	return plan
}

func TestSkyPilotExpectations(t *testing.T) {
	cases := []struct {
		name string
		r    task.Resources
		want string
	}{
		{"aws cpus=8", task.Resources{Infra: task.Infra{Cloud: "aws"}, CPUs: q(8)}, "m6i.2xlarge"},
		{"aws default", task.Resources{Infra: task.Infra{Cloud: "aws"}}, "m6i.2xlarge"},
		{"aws memory=32", task.Resources{Infra: task.Infra{Cloud: "aws"}, Memory: q(32)}, "r6i.xlarge"},
		{"aws memory=64+", task.Resources{Infra: task.Infra{Cloud: "aws"}, Memory: qPlus(64)}, "r6i.2xlarge"},
		{"aws cpus=4+ memory=4+", task.Resources{Infra: task.Infra{Cloud: "aws"}, CPUs: qPlus(4), Memory: qPlus(4)}, "c6i.xlarge"},
		{"aws T4", task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1)}, "g4dn.xlarge"},
		{"aws T4 16+ 32+", task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1), CPUs: qPlus(16), Memory: qPlus(32)}, "g4dn.4xlarge"},
		{"aws Inferentia2", task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("Inferentia2", 1)}, "inf2.xlarge"},
		{"aws Trainium", task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("Trainium", 1)}, "trn1.2xlarge"},
		{"azure cpus=8", task.Resources{Infra: task.Infra{Cloud: "azure"}, CPUs: q(8)}, "Standard_D8s_v5"},
		{"azure memory=32", task.Resources{Infra: task.Infra{Cloud: "azure"}, Memory: q(32)}, "Standard_E4s_v5"},
		{"azure memory=64+", task.Resources{Infra: task.Infra{Cloud: "azure"}, Memory: qPlus(64)}, "Standard_E8s_v5"},
		{"azure cpus=4+ memory=4+", task.Resources{Infra: task.Infra{Cloud: "azure"}, CPUs: qPlus(4), Memory: qPlus(4)}, "Standard_F4s_v2"},
		{"azure T4", task.Resources{Infra: task.Infra{Cloud: "azure"}, Accelerator: acc("T4", 1)}, "Standard_NC4as_T4_v3"},
		{"azure T4 16+ 32+", task.Resources{Infra: task.Infra{Cloud: "azure"}, Accelerator: acc("T4", 1), CPUs: qPlus(16), Memory: qPlus(32)}, "Standard_NC16as_T4_v3"},
		{"gcp cpus=8", task.Resources{Infra: task.Infra{Cloud: "gcp"}, CPUs: q(8)}, "n4-standard-8"},
		{"gcp memory=32", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Memory: q(32)}, "n4-highmem-4"},
		{"gcp memory=64+", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Memory: qPlus(64)}, "n4-highmem-8"},
		{"gcp cpus=4+ memory=4+", task.Resources{Infra: task.Infra{Cloud: "gcp"}, CPUs: qPlus(4), Memory: qPlus(4)}, "n2-highcpu-4"},
		// T4:1 → 4+ vCPUs with 16+ GB: n1-standard-4 has 15 GB, so n1-highmem-4.
		{"gcp T4", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("T4", 1)}, "n1-highmem-4"},
		{"gcp T4 16+ 32+", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("T4", 1), CPUs: qPlus(16), Memory: qPlus(32)}, "n1-standard-16"},
		{"gcp A100", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("A100", 1)}, "a2-highgpu-1g"},
		{"gcp A100-80GB:8", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("A100-80GB", 8)}, "a2-ultragpu-8g"},
		{"gcp L4", task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("L4", 1)}, "g2-standard-4"},
		{"gcp tpu v5e", task.Resources{Accelerator: acc("tpu-v5litepod-8", 1)}, "TPU-VM"},
		{"gcp tpu v4", task.Resources{Accelerator: acc("tpu-v4-8", 1)}, "TPU-VM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := mustPlan(t, one(c.r), Options{})
			if got := plan.Chosen.InstanceType; got != c.want {
				t.Errorf("chosen %s (%s %s $%.4f), want %s", got, plan.Chosen.Cloud, plan.Chosen.Region, plan.Chosen.HourlyCost, c.want)
			}
		})
	}
}

func TestGCPPriceIsHostPlusAccelerator(t *testing.T) {
	plan := mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "gcp", Zone: "us-central1-a", Region: "us-central1"}, Accelerator: acc("A100", 1)}), Options{})
	c := plan.Chosen
	cc, _ := embedded.Cloud("gcp")
	var host, accel float64
	for _, o := range cc.Offers {
		if o.InstanceType == "a2-highgpu-1g" && o.Zone == "us-central1-a" {
			host = o.Price
		}
	}
	for _, o := range cc.Accelerators {
		if o.AcceleratorName == "A100" && o.AcceleratorCount == 1 && o.Zone == "us-central1-a" {
			accel = o.Price
		}
	}
	if host == 0 || accel == 0 || c.HourlyCostPerNode != round6(host+accel) {
		t.Errorf("cost %v, want host %v + A100 %v", c.HourlyCostPerNode, host, accel)
	}
	if c.Accelerators["A100"] != 1 || c.Zone != "us-central1-a" {
		t.Errorf("placement %+v", c)
	}
	tpu := mustPlan(t, one(task.Resources{Accelerator: acc("tpu-v5litepod-8", 1)}), Options{}).Chosen
	if tpu.Cloud != "gcp" || tpu.Zone == "" || tpu.HourlyCostPerNode <= 0 {
		t.Errorf("TPU VM placement %+v", tpu)
	}
}

func TestOnDemandAWSIsRegionLevelSpotIsZoneLevel(t *testing.T) {
	plan := mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1)}), Options{})
	c := plan.Chosen
	if c.Zone != "" || len(c.Zones) < 2 || !strings.HasPrefix(c.Zones[0], c.Region) {
		t.Errorf("on-demand AWS should be region-level with zones: %+v", c)
	}
	if !strings.HasPrefix(c.Region, "us-") {
		t.Errorf("on ties AWS prefers us-* regions, got %s", c.Region)
	}
	seen := map[string]bool{}
	for _, p := range plan.Candidates {
		if p.Cloud == "aws" && seen[p.Region] {
			t.Errorf("two on-demand placements in %s", p.Region)
		}
		seen[p.Region] = true
	}
	spot := mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1), UseSpot: true}), Options{})
	if spot.Chosen.Zone == "" || !spot.Chosen.UseSpot {
		t.Errorf("spot should be zone-level: %+v", spot.Chosen)
	}
	if spot.Chosen.HourlyCost >= c.HourlyCost {
		t.Errorf("spot %v not cheaper than on-demand %v", spot.Chosen.HourlyCost, c.HourlyCost)
	}
	for i := 1; i < len(spot.Candidates); i++ {
		if spot.Candidates[i].HourlyCost < spot.Candidates[i-1].HourlyCost {
			t.Fatalf("candidates not sorted by cost at %d", i)
		}
	}
}

func TestNumNodesMultipliesCost(t *testing.T) {
	tk := one(task.Resources{Infra: task.Infra{Cloud: "aws"}, CPUs: q(8)})
	p1 := mustPlan(t, tk, Options{}).Chosen
	tk.NumNodes = 3
	p3 := mustPlan(t, tk, Options{}).Chosen
	if p3.HourlyCost != round6(3*p1.HourlyCostPerNode) || p3.NumNodes != 3 || p3.Request == nil {
		t.Errorf("3 nodes: %+v vs 1 node %+v", p3, p1)
	}
}

func TestAnyOfCheapestOrderedFirst(t *testing.T) {
	items := []task.Resources{
		{Accelerator: acc("H100", 8)},
		{Accelerator: acc("T4", 1)},
	}
	anyOf := mustPlan(t, &task.Task{NumNodes: 1, Resources: task.ResourceSet{Items: items}}, Options{})
	if anyOf.Chosen.Accelerators["T4"] != 1 || anyOf.Chosen.RequestIndex != 1 {
		t.Errorf("any_of should pick the cheaper T4, got %+v", anyOf.Chosen)
	}
	ordered := mustPlan(t, &task.Task{NumNodes: 1, Resources: task.ResourceSet{Items: items, Ordered: true}}, Options{})
	if ordered.Chosen.Accelerators["H100"] != 8 || ordered.Chosen.RequestIndex != 0 {
		t.Errorf("ordered should pick the first item, got %+v", ordered.Chosen)
	}
	last := ordered.Candidates[len(ordered.Candidates)-1]
	if last.RequestIndex != 1 {
		t.Errorf("ordered candidates should end with the second item, got %+v", last)
	}
}

func TestInfraPins(t *testing.T) {
	p := mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "aws", Region: "eu-west-1"}, Accelerator: acc("T4", 1)}), Options{}).Chosen
	if p.Cloud != "aws" || p.Region != "eu-west-1" {
		t.Errorf("region pin ignored: %+v", p)
	}
	p = mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1b"}, UseSpot: true, Accelerator: acc("T4", 1)}), Options{}).Chosen
	if p.Zone != "us-east-1b" {
		t.Errorf("zone pin ignored: %+v", p)
	}
	p = mustPlan(t, one(task.Resources{Infra: task.Infra{Region: "us-central1"}}), Options{}).Chosen
	if p.Cloud != "gcp" || p.Region != "us-central1" {
		t.Errorf("region-only infra should infer GCP: %+v", p)
	}
}

func TestMaxHourlyCost(t *testing.T) {
	p := mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1), CPUs: qPlus(16), MaxHourlyCost: 100}), Options{}).Chosen
	_, ds := Optimize(one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1), CPUs: qPlus(16), MaxHourlyCost: p.HourlyCostPerNode / 2}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "max_hourly_cost") {
		t.Errorf("cap below the cheapest price should fail naming max_hourly_cost: %v", ds)
	}
}

func TestBlockedZonesRegionsAndClouds(t *testing.T) {
	tk := one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1)})
	first := mustPlan(t, tk, Options{}).Chosen
	// Blocking one zone trims it from the region-level placement.
	plan := mustPlan(t, tk, Options{Blocked: []Blocked{{Cloud: "aws", Zone: first.Zones[0]}}})
	if plan.Chosen.Region != first.Region || contains(plan.Chosen.Zones, first.Zones[0]) || len(plan.Chosen.Zones) != len(first.Zones)-1 {
		t.Errorf("zone block: %+v", plan.Chosen)
	}
	// Blocking every zone of the region removes the placement.
	var all []Blocked
	for _, z := range first.Zones {
		all = append(all, Blocked{Cloud: "aws", Zone: z})
	}
	plan = mustPlan(t, tk, Options{Blocked: all})
	if plan.Chosen.Region == first.Region {
		t.Errorf("region with every zone blocked still chosen: %+v", plan.Chosen)
	}
	plan = mustPlan(t, tk, Options{Blocked: []Blocked{{Cloud: "aws", Region: first.Region}}})
	if plan.Chosen.Region == first.Region {
		t.Errorf("region block ignored")
	}
	f := false
	_, ds := Optimize(tk, Options{Catalog: embedded, Blocked: []Blocked{{Cloud: "aws", UseSpot: &f}}})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "blocked") {
		t.Errorf("whole cloud blocked should fail saying so: %v", ds)
	}
	unpinned := one(task.Resources{Accelerator: acc("T4", 1)})
	plan = mustPlan(t, unpinned, Options{Blocked: []Blocked{{Cloud: plan0Cloud(t, unpinned)}}})
	if plan.Chosen.Cloud == plan0Cloud(t, unpinned) {
		t.Errorf("cloud block ignored")
	}
}

func plan0Cloud(t *testing.T, tk *task.Task) string { return mustPlan(t, tk, Options{}).Chosen.Cloud }

func TestEnabledCloudsAndSSH(t *testing.T) {
	p := mustPlan(t, one(task.Resources{Accelerator: acc("T4", 1)}), Options{EnabledClouds: []string{"azure"}}).Chosen
	if p.Cloud != "azure" {
		t.Errorf("EnabledClouds ignored: %+v", p)
	}
	// A task that pins a cloud is planned there even if check did not enable it.
	p = mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("T4", 1)}), Options{EnabledClouds: []string{"azure"}}).Chosen
	if p.Cloud != "gcp" {
		t.Errorf("pinned cloud overridden by EnabledClouds: %+v", p)
	}
	tk := one(task.Resources{Infra: task.Infra{Cloud: "ssh", Region: "lab"}})
	tk.NumNodes = 2
	p = mustPlan(t, tk, Options{SSHPools: map[string]int{"lab": 2}}).Chosen
	if p.Cloud != "ssh" || p.Region != "lab" || p.InstanceType != "ssh-node" || p.HourlyCost != 0 {
		t.Errorf("ssh placement %+v", p)
	}
	_, ds := Optimize(tk, Options{Catalog: embedded, SSHPools: map[string]int{"lab": 1}})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "has 1 hosts") {
		t.Errorf("small pool: %v", ds)
	}
}

func TestUnsupportedCloudIsLocated(t *testing.T) {
	tk := one(task.Resources{Infra: task.Infra{Cloud: "kubernetes"}})
	tk.Source = task.Source{File: "t.yaml", Positions: map[string]diag.Range{"resources.infra": {Filename: "t.yaml", Start: diag.Pos{Line: 3, Column: 10}}}}
	_, ds := Optimize(tk, Options{Catalog: embedded})
	if len(ds) != 1 || ds[0].Subject == nil || ds[0].Subject.Start.Line != 3 || ds[0].Field != "resources.infra" ||
		!strings.Contains(ds[0].Summary, `"kubernetes" is not supported by skyplan yet`) {
		t.Errorf("got %#v", ds)
	}
}

func TestNoCandidateErrors(t *testing.T) {
	_, ds := Optimize(one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("A100", 3)}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds[0].Detail, "Did you mean: A100:8, A100-80GB:8") || !strings.Contains(ds[0].Summary, "Catalog does not contain") {
		t.Errorf("A100:3 on AWS: %v", ds)
	}
	_, ds = Optimize(one(task.Resources{Infra: task.Infra{Cloud: "aws"}, CPUs: q(7)}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds[0].Detail, `add "+" to the end of the CPU count`) {
		t.Errorf("cpus=7: %v", ds)
	}
	_, ds = Optimize(one(task.Resources{Infra: task.Infra{Cloud: "aws", Region: "us-east-3"}}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds[0].Detail, "us-east-1") {
		t.Errorf("bad region should suggest close ones: %v", ds)
	}
	_, ds = Optimize(one(task.Resources{InstanceType: "m6i.huge"}), Options{Catalog: embedded})
	// Not blamed on the user: the bundled snapshot is dated and partial.
	if !ds.HasErrors() || ds[0].Summary != `Instance type "m6i.huge" is not in the catalog` ||
		!strings.Contains(ds[0].Detail, "skyplan's bundled catalog snapshot of "+catalog.SnapshotDate()) ||
		!strings.Contains(ds[0].Detail, "`skyplan catalog update` to fetch SkyPilot's full") {
		t.Errorf("bad instance type: %v", ds)
	}
	_, ds = Optimize(one(task.Resources{InstanceType: "m6i.2xlarg", Infra: task.Infra{Cloud: "aws"}}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds[0].Detail, "did you mean: m6i.2xlarge") {
		t.Errorf("typo: %v", ds)
	}
	_, ds = Optimize(one(task.Resources{InstanceType: "g4dn.xlarge", Accelerator: acc("V100", 1)}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "Infeasible resource demands") {
		t.Errorf("type/accelerator mismatch: %v", ds)
	}
}

func TestInstanceTypeGiven(t *testing.T) {
	p := mustPlan(t, one(task.Resources{InstanceType: "a2-highgpu-1g"}), Options{}).Chosen
	if p.Cloud != "gcp" || p.Accelerators["A100"] != 1 {
		t.Errorf("a2-highgpu-1g should infer GCP and A100:1: %+v", p)
	}
	p = mustPlan(t, one(task.Resources{InstanceType: "p3.2xlarge"}), Options{}).Chosen
	if p.Cloud != "aws" || p.Accelerators["V100"] != 1 {
		t.Errorf("p3.2xlarge: %+v", p)
	}
}

// TestAzureFamily moved to cloud/azure with the family parser.

func TestTPUNodeOnN1Host(t *testing.T) {
	r := task.Resources{InstanceType: "n1-highmem-8", Accelerator: acc("tpu-v2-8", 1), AcceleratorArgs: &task.AcceleratorArgs{TPUVM: false}}
	p := mustPlan(t, one(r), Options{}).Chosen
	if p.Cloud != "gcp" || p.InstanceType != "n1-highmem-8" || p.Accelerators["tpu-v2-8"] != 1 {
		t.Errorf("TPU node: %+v", p)
	}
	r.AcceleratorArgs = nil // TPU VM by default: an N1 instance type contradicts it
	if _, ds := Optimize(one(r), Options{Catalog: embedded}); !ds.HasErrors() {
		t.Error("TPU VM with an N1 instance type accepted")
	}
}

func TestAzureDiskTierAndImageRegions(t *testing.T) {
	_, ds := Optimize(one(task.Resources{Infra: task.Infra{Cloud: "azure"}, DiskTier: "ultra"}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "Azure disk_tier=ultra is not supported") {
		t.Errorf("ultra on Azure: %v", ds)
	}
	// Premium SSDs need an S-series size: Standard_D8_v5 (no "s") is refused.
	_, ds = Optimize(one(task.Resources{InstanceType: "Standard_D8_v5", DiskTier: "high"}), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "S-series") {
		t.Errorf("high tier on a non-S Azure size: %v", ds)
	}
	mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "azure"}, DiskTier: "high"}), Options{})
	img := &task.ImageID{PerRegion: map[string]string{"eu-west-1": "ami-1", "ap-south-1": "ami-2"}}
	plan := mustPlan(t, one(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: acc("T4", 1), ImageID: img}), Options{})
	for _, p := range plan.Candidates {
		if p.Region != "eu-west-1" && p.Region != "ap-south-1" {
			t.Errorf("placement outside the image_id regions: %s", p.Region)
		}
	}
}
