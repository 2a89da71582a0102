package optimizer

import (
	awscloud "github.com/skyplan/skyplan/cloud/aws"
	"math"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
)

func gcp(r task.Resources) task.Resources   { r.Infra.Cloud = "gcp"; return r }
func aws(r task.Resources) task.Resources   { r.Infra.Cloud = "aws"; return r }
func azure(r task.Resources) task.Resources { r.Infra.Cloud = "azure"; return r }

// TestTierFiltering: candidates that cannot take the disk_tier or
// network_tier are dropped before the cheapest type is picked; when none is
// left the plan fails with the reason.
func TestTierFiltering(t *testing.T) {
	cases := []struct {
		name string
		r    task.Resources
		want string // chosen instance type, or "error: <substring>"
	}{
		// GCP disk tiers: ultra (pd-extreme) only where the GCP module does
		// not cap at pd-ssd.
		{"gcp 4+ cpus default tier", gcp(task.Resources{CPUs: qPlus(4), Memory: qPlus(4)}), "n2-highcpu-4"},
		{"gcp 4+ cpus ultra skips n2<64", gcp(task.Resources{CPUs: qPlus(4), Memory: qPlus(4), DiskTier: "ultra"}), "n4-highcpu-4"},
		{"gcp 4+ cpus best keeps n2", gcp(task.Resources{CPUs: qPlus(4), Memory: qPlus(4), DiskTier: "best"}), "n2-highcpu-4"},
		{"gcp n2-standard-64 ultra", gcp(task.Resources{InstanceType: "n2-standard-64", DiskTier: "ultra"}), "n2-standard-64"},
		{"gcp n2-standard-8 ultra", gcp(task.Resources{InstanceType: "n2-standard-8", DiskTier: "ultra"}), "error: Disk tier ultra is not supported for instance type n2-standard-8"},
		{"gcp T4 ultra (n1)", gcp(task.Resources{Accelerator: acc("T4", 1), DiskTier: "ultra"}), "error: Disk tier ultra is not supported for instance type n1-"},
		{"gcp T4 high", gcp(task.Resources{Accelerator: acc("T4", 1), DiskTier: "high"}), "n1-highmem-4"},
		{"gcp A100 ultra (a2)", gcp(task.Resources{Accelerator: acc("A100", 1), DiskTier: "ultra"}), "error: a2-highgpu-1g"},
		{"gcp L4 ultra (g2)", gcp(task.Resources{Accelerator: acc("L4", 1), DiskTier: "ultra"}), "error: g2-standard-"},
		{"gcp H200 ultra (hyperdisk)", gcp(task.Resources{Accelerator: acc("H200", 8), DiskTier: "ultra"}), "a3-ultragpu-8g"},
		{"gcp B200 ultra (hyperdisk)", gcp(task.Resources{Accelerator: acc("B200", 8), DiskTier: "ultra"}), "a4-highgpu-8g"},
		// AWS supports every tier.
		{"aws T4 ultra", aws(task.Resources{Accelerator: acc("T4", 1), DiskTier: "ultra"}), "g4dn.xlarge"},
		{"aws default low", aws(task.Resources{DiskTier: "low"}), "m6i.2xlarge"},
		// Azure keeps its S-series / no-ultra rules.
		{"azure ultra", azure(task.Resources{DiskTier: "ultra"}), "error: Azure disk_tier=ultra is not supported"},
		// network_tier: best.
		{"aws A100:8 best", aws(task.Resources{Accelerator: acc("A100", 8), NetworkTier: "best"}), "p4d.24xlarge"},
		{"aws L4:1 best needs EFA size", aws(task.Resources{Accelerator: acc("L4", 1), NetworkTier: "best"}), "g6.8xlarge"},
		{"aws L4:1 standard", aws(task.Resources{Accelerator: acc("L4", 1), NetworkTier: "standard"}), "g6.xlarge"},
		{"aws cpu best", aws(task.Resources{NetworkTier: "best"}), "error: network_tier: best needs an EFA instance type on AWS; m6i.2xlarge has no EFA"},
		{"azure best", azure(task.Resources{Accelerator: acc("A100", 8), NetworkTier: "best"}), "error: Azure does not support network_tier: best"},
		{"gcp T4 best keeps n1", gcp(task.Resources{Accelerator: acc("T4", 1), NetworkTier: "best"}), "n1-highmem-4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, ds := Optimize(one(c.r), Options{Catalog: embedded})
			if want, isErr := strings.CutPrefix(c.want, "error: "); isErr {
				if !ds.HasErrors() || !strings.Contains(ds[0].Detail, want) {
					t.Fatalf("want error containing %q, got %v", want, ds)
				}
				return
			}
			if ds.HasErrors() {
				t.Fatalf("Optimize: %v", ds)
			}
			if plan.Chosen.InstanceType != c.want {
				t.Errorf("chose %s, want %s", plan.Chosen.InstanceType, c.want)
			}
		})
	}
}

// TestNetworkTierBestUnpinnedSkipsAzure: an unpinned request still plans on
// the clouds that support the tier.
func TestNetworkTierBestUnpinnedSkipsAzure(t *testing.T) {
	plan := mustPlan(t, one(task.Resources{Accelerator: acc("A100", 8), NetworkTier: "best"}), Options{})
	for _, p := range plan.Candidates {
		if p.Cloud == "azure" {
			t.Fatalf("azure candidate %s kept for network_tier: best", p.InstanceType)
		}
		if p.Cloud == "aws" && awscloud.EFAInterfaces(p.InstanceType) == 0 {
			t.Fatalf("non-EFA AWS candidate %s", p.InstanceType)
		}
	}
}

// TestLocalDiskRefused: the bundled catalog has no local-disk columns, so
// local_disk is refused at its field instead of being ignored.
func TestLocalDiskRefused(t *testing.T) {
	tk := one(task.Resources{LocalDisk: "nvme:100+", Fields: map[string]string{"local_disk": "resources.local_disk"}})
	tk.Source = task.Source{File: "t.yaml", Positions: map[string]diag.Range{"resources.local_disk": {Filename: "t.yaml", Start: diag.Pos{Line: 3, Column: 15}}}}
	_, ds := Optimize(tk, Options{Catalog: embedded})
	if !ds.HasErrors() || ds[0].Summary != "local_disk is not supported by the bundled catalog" ||
		!strings.Contains(ds[0].Detail, "LocalDiskType") || ds[0].Subject == nil || ds[0].Subject.Start.Line != 3 {
		t.Fatalf("got %+v", ds)
	}
}

// TestMultipleInstancesHint: SkyPilot's note when several types of a cloud
// satisfy an accelerator request; none for CPU defaults, instance types or
// the JSON document.
func TestMultipleInstancesHint(t *testing.T) {
	plan := mustPlan(t, one(aws(task.Resources{Accelerator: acc("L4", 1)})), Options{})
	if len(plan.Hints) != 1 || !strings.HasPrefix(plan.Hints[0], "Multiple AWS instances satisfy L4:1. The cheapest g6.xlarge is considered among: g6.xlarge, ") {
		t.Fatalf("hints %q", plan.Hints)
	}
	var sb strings.Builder
	WriteHints(&sb, plan)
	if !strings.HasPrefix(sb.String(), "🔍 Multiple AWS") {
		t.Errorf("rendered %q", sb.String())
	}
	sb.Reset()
	if err := WriteJSON(&sb, plan); err != nil || strings.Contains(sb.String(), "Multiple") {
		t.Errorf("hint leaked into JSON: %v %s", err, sb.String())
	}
	for _, r := range []task.Resources{aws(task.Resources{}), aws(task.Resources{InstanceType: "g6.xlarge"})} {
		if p := mustPlan(t, one(r), Options{}); len(p.Hints) != 0 {
			t.Errorf("%+v: unexpected hints %q", r, p.Hints)
		}
	}
}

// TestMemorySpecPlansCheapestOfSet parses a memory spec against the
// catalog's names and checks the plan picks the cheapest of the set.
func TestMemorySpecPlansCheapestOfSet(t *testing.T) {
	pl, ds := task.Parse("t.yaml", []byte("resources:\n  infra: aws\n  accelerators: 24GB\n"), task.LoadOptions{Accelerators: embedded.AcceleratorNames()})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	tk := pl.Tasks[0]
	var names []string
	for _, r := range tk.Resources.Items {
		names = append(names, r.Accelerator.Name)
	}
	if strings.Join(names, ",") != "A10,A10G,L4" {
		t.Fatalf("expanded to %v", names)
	}
	plan, ds := Optimize(tk, Options{Catalog: embedded})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	// A10 is Azure-only: that item has no AWS candidate, the others do.
	best := math.Inf(1)
	for _, p := range plan.Candidates {
		best = math.Min(best, p.HourlyCost)
	}
	if plan.Chosen.HourlyCost != best || plan.Chosen.Cloud != "aws" {
		t.Errorf("chosen %+v, cheapest %v", plan.Chosen, best)
	}
}

// TestAcceleratorMemoryTable keeps task.AcceleratorMemory honest against
// the catalogs: every catalog GPU has an entry, and each entry is within 8%
// of the GpuInfo size the catalog reports (usable vs marketed memory).
func TestAcceleratorMemoryTable(t *testing.T) {
	for _, cloud := range []string{"aws", "gcp", "azure"} {
		cc, err := embedded.Cloud(cloud)
		if err != nil {
			t.Fatal(err)
		}
		rows := append(append([]catalogOffer(nil), offersOf(cc.Offers)...), offersOf(cc.Accelerators)...)
		for _, o := range rows {
			if o.name == "" || task.IsTPU(o.name) || strings.HasPrefix(o.name, "Inferentia") || o.name == "Trainium" {
				continue
			}
			g, ok := task.AcceleratorMemory[o.name]
			if !ok {
				t.Errorf("%s GPU %s has no task.AcceleratorMemory entry", cloud, o.name)
				continue
			}
			if o.mem > 0 && math.Abs(g.MemoryGB-o.mem)/g.MemoryGB > 0.08 {
				t.Errorf("%s %s: table %g GB, catalog %.1f GiB", cloud, o.name, g.MemoryGB, o.mem)
			}
		}
	}
}

type catalogOffer struct {
	name string
	mem  float64
}

func offersOf(os []catalog.Offer) []catalogOffer {
	out := make([]catalogOffer, 0, len(os))
	for _, o := range os {
		out = append(out, catalogOffer{o.AcceleratorName, o.DeviceMemoryGiB})
	}
	return out
}
