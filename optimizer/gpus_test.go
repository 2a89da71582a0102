package optimizer

import (
	"math"
	"strings"
	"testing"
)

// A row's on-demand price, spot price and region belong together: both
// prices are that region's (cheapest zone), and the region is the cheapest
// on-demand one. Before, the spot price could come from another region.
func TestListAcceleratorsPricesBelongToTheRegion(t *testing.T) {
	for _, f := range []ListFilter{{Name: "H100", Cloud: "aws"}, {Name: "A100", Count: 8}, {Name: "T4"}} {
		offers, err := ListAccelerators(embedded, f)
		if err != nil || len(offers) == 0 {
			t.Fatalf("%+v: %v %v", f, offers, err)
		}
		for _, o := range offers {
			if o.Cloud == "gcp" {
				continue // GCP rows add the host VM's price; checked by the cloud-specific tests
			}
			cc, _ := embedded.Cloud(o.Cloud)
			minIn := func(region string, spot bool) float64 {
				best := math.Inf(1)
				for i := range cc.Offers {
					r := &cc.Offers[i]
					if r.InstanceType != o.InstanceType || (region != "" && r.Region != region) {
						continue
					}
					if p, ok := r.PriceFor(spot); ok && p < best {
						best = p
					}
				}
				return best
			}
			if o.Price == nil || math.Abs(*o.Price-minIn(o.Region, false)) > 1e-6 || math.Abs(*o.Price-minIn("", false)) > 1e-6 {
				t.Errorf("%s %s: price %v is not the cheapest on-demand, in %s", o.Cloud, o.InstanceType, o.Price, o.Region)
			}
			want := minIn(o.Region, true)
			if math.IsInf(want, 1) != (o.SpotPrice == nil) || (o.SpotPrice != nil && math.Abs(*o.SpotPrice-want) > 1e-6) {
				t.Errorf("%s %s in %s: spot %v, want that region's %v", o.Cloud, o.InstanceType, o.Region, o.SpotPrice, want)
			}
		}
	}
}

func TestSummarizeAcceleratorsGroupsLikeSkyPilot(t *testing.T) {
	offers, err := ListAccelerators(embedded, ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	s := SummarizeAccelerators(offers)
	if len(s.Common) == 0 || s.Common[0].Name != "A10" {
		t.Errorf("common GPUs come first in SkyPilot's order: %+v", s.Common)
	}
	for _, r := range s.Common {
		if strings.HasPrefix(r.Name, "tpu") || r.Name == "Inferentia" {
			t.Errorf("not a common GPU: %+v", r)
		}
	}
	// 175 TPU slice sizes collapse into one row per generation.
	if len(s.TPUs) == 0 || len(s.TPUs) > 10 {
		t.Fatalf("TPU rows: %d", len(s.TPUs))
	}
	var gens []string
	for _, r := range s.TPUs {
		gens = append(gens, r.Name)
	}
	if strings.Join(gens, ",") != "tpu-v2,tpu-v3,tpu-v4,tpu-v5litepod,tpu-v5p,tpu-v6e" {
		t.Errorf("TPU generations: %v", gens)
	}
	if got := strings.Join(s.TPUs[0].Counts, ","); got != "8,32,128,256,512" {
		t.Errorf("tpu-v2 slices: %s", got)
	}
	other := map[string]bool{}
	for _, r := range s.Other {
		other[r.Name] = true
	}
	if !other["Inferentia"] || !other["B200"] || other["T4"] {
		t.Errorf("other accelerators: %+v", s.Other)
	}
}
