package controllervm

import (
	"io/fs"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/templates"
)

// HoursPerMonth is AWS's billing month (365 × 24 / 12).
const HoursPerMonth = 730

// gp3PerGBMonth is the price of gp3 storage in us-east-1 (AWS EBS
// pricing page, $0.08 per GB-month): SkyPilot's catalogs, and so
// skyplan's, carry no disk prices. Both controllers' disks are gp3
// (SkyPilot's default disk tier "medium" is gp3 on AWS).
const gp3PerGBMonth = 0.08

// SkyPilot's default jobs controller (sky/jobs/constants.py
// CONTROLLER_RESOURCES, ../shared/reference/jobs-and-serve.md §A):
// cpus 4+, memory 4x (GiB per vCPU), disk_size 50.
const (
	skypilotCPUs      = 4
	skypilotMemPerCPU = 4
	skypilotDiskGB    = 50
)

// controllerCost is one side of the comparison.
type controllerCost struct {
	InstanceType     string
	VCPUs, MemoryGiB float64
	Hourly           float64 // on demand
	DiskGB           int
}

func (c controllerCost) instanceMonth() float64 { return c.Hourly * HoursPerMonth }
func (c controllerCost) diskMonth() float64     { return float64(c.DiskGB) * gp3PerGBMonth }
func (c controllerCost) month() float64         { return c.instanceMonth() + c.diskMonth() }

// moduleDefault reads a number variable's default from the embedded
// controller module (root_disk_gb): the size the module really creates.
func moduleDefault(t testing.TB, file, name string) int {
	t.Helper()
	sub, _ := templates.Controller("aws")
	src, err := fs.ReadFile(sub, file)
	if err != nil {
		t.Fatal(err)
	}
	f, ds := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "variable" && len(b.Labels) == 1 && b.Labels[0] == name {
			if a, ok := b.Body.Attributes["default"]; ok {
				v, d := a.Expr.Value(nil)
				if !d.HasErrors() {
					n, _ := v.AsBigFloat().Int64()
					return int(n)
				}
			}
		}
	}
	t.Fatalf("%s has no numeric default for %s", file, name)
	return 0
}

// controllerCosts resolves skyplan's default controller exactly as
// `controller up` does (Resolve of `infra: aws`, the bundled catalog) and
// SkyPilot's default controller size as the cheapest on-demand type in
// the same region that meets it.
func controllerCosts(t testing.TB, cat *catalog.Catalog) (ours, sky controllerCost) {
	t.Helper()
	spec, ds := Resolve(config.ControllerConfig{Remote: true, Cloud: "aws", Field: "jobs.controller"}, cat, "amd64")
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	ours = controllerCost{spec.InstanceType, spec.VCPUs, spec.MemoryGiB, spec.HourlyPrice, moduleDefault(t, "variables.tf", "root_disk_gb") + DefaultVolumeGB}
	o, err := Cheapest(cat, "aws", spec.Region, spec.Arch, skypilotCPUs, 0, skypilotMemPerCPU)
	if err != nil {
		t.Fatal(err)
	}
	sky = controllerCost{o.InstanceType, o.VCPUs, o.MemoryGiB, o.Price, skypilotDiskGB}
	return ours, sky
}

// TestControllerCostsResolve: the default controller meets its minimum
// size and costs less than SkyPilot's default, which meets SkyPilot's.
func TestControllerCostsResolve(t *testing.T) {
	ours, sky := controllerCosts(t, catalog.Embedded())
	if ours.VCPUs < MinVCPUs || ours.MemoryGiB < MinMemoryGiB || sky.VCPUs < skypilotCPUs || sky.MemoryGiB < skypilotMemPerCPU*sky.VCPUs {
		t.Fatalf("sizes: skyplan %+v, SkyPilot %+v", ours, sky)
	}
	if ours.Hourly <= 0 || ours.Hourly >= sky.Hourly {
		t.Fatalf("skyplan's default (%+v) should cost less than SkyPilot's (%+v)", ours, sky)
	}
}

// BenchmarkControllerMonthlyCost reports, from the bundled AWS catalog,
// the monthly on-demand cost of skyplan's default controller (the
// cheapest type with >= 2 vCPUs and 2 GiB, as controllervm.Resolve picks
// it) against SkyPilot's default controller (4+ vCPUs, 4 GiB each), the
// ratio, and the disks: skyplan's root disk plus its state volume, and
// SkyPilot's 50 GB disk, at gp3's price. bench/controller-cost.sh runs it.
func BenchmarkControllerMonthlyCost(b *testing.B) {
	cat := catalog.Embedded()
	var ours, sky controllerCost
	for i := 0; i < b.N; i++ {
		ours, sky = controllerCosts(b, cat)
	}
	b.ReportMetric(ours.instanceMonth(), "skyplan-vm-$/month")
	b.ReportMetric(sky.instanceMonth(), "skypilot-vm-$/month")
	b.ReportMetric(sky.instanceMonth()/ours.instanceMonth(), "vm-ratio")
	b.ReportMetric(float64(DefaultVolumeGB)*gp3PerGBMonth, "state-volume-$/month")
	b.ReportMetric(sky.month()/ours.month(), "total-ratio")
	b.Logf("skyplan  %-11s %2.0f vCPU %5.1f GiB $%.4f/h  VM $%6.2f/month  disks %2d GB $%5.2f/month (state volume %d GB $%.2f)  total $%6.2f/month",
		ours.InstanceType, ours.VCPUs, ours.MemoryGiB, ours.Hourly, ours.instanceMonth(), ours.DiskGB, ours.diskMonth(), DefaultVolumeGB, float64(DefaultVolumeGB)*gp3PerGBMonth, ours.month())
	b.Logf("SkyPilot %-11s %2.0f vCPU %5.1f GiB $%.4f/h  VM $%6.2f/month  disks %2d GB $%5.2f/month  total $%6.2f/month",
		sky.InstanceType, sky.VCPUs, sky.MemoryGiB, sky.Hourly, sky.instanceMonth(), sky.DiskGB, sky.diskMonth(), sky.month())
	b.Logf("SkyPilot / skyplan: VM %.2fx, VM + disks %.2fx", sky.instanceMonth()/ours.instanceMonth(), sky.month()/ours.month())
}
