package controllervm

import (
	"testing"

	"github.com/skyplan/skyplan/catalog"
)

// BenchmarkControllerCostVsSkyPilot reports, from the embedded catalog,
// the monthly on-demand cost (730 h) of skyplan's default controller
// instance (cheapest with >= 2 vCPUs and 2 GiB) and of SkyPilot's default
// controller size (>= 4 vCPUs with 4 GiB each, i.e. 16 GiB) in the
// default region, and their ratio.
func BenchmarkControllerCostVsSkyPilot(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	var ours, sky catalog.Offer
	for i := 0; i < b.N; i++ {
		if ours, err = DefaultInstanceType(cat, DefaultRegion, "amd64"); err != nil {
			b.Fatal(err)
		}
		if sky, err = Cheapest(cat, "aws", DefaultRegion, "x86_64", 4, 16, 4); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(ours.Price*730, "skyplan-$/month")
	b.ReportMetric(sky.Price*730, "skypilot-$/month")
	b.ReportMetric(sky.Price/ours.Price, "ratio")
	b.Logf("skyplan %s $%.4f/h ($%.2f/month); SkyPilot-size %s $%.4f/h ($%.2f/month); %.2fx cheaper",
		ours.InstanceType, ours.Price, ours.Price*730, sky.InstanceType, sky.Price, sky.Price*730, sky.Price/ours.Price)
}
