package optimizer

import (
	"github.com/skyplan/skyplan/cloud"
	"math"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/task"
)

// AcceleratorOffer is one row of `skyplan gpus list`: the cheapest price of
// an instance type with an accelerator on a cloud (per region with
// AllRegions). GCP prices include the host VM.
type AcceleratorOffer struct {
	Accelerator     string  `json:"accelerator"`
	Count           float64 `json:"count"`
	Cloud           string  `json:"cloud"`
	InstanceType    string  `json:"instance_type"`
	DeviceMemoryGiB float64 `json:"device_memory_gib,omitempty"`
	VCPUs           float64 `json:"vcpus,omitempty"`
	MemoryGiB       float64 `json:"memory_gib,omitempty"`
	// Price and SpotPrice are $/hour per node; nil when not offered.
	Price     *float64 `json:"hourly_price"`
	SpotPrice *float64 `json:"hourly_spot_price"`
	Region    string   `json:"region"` // region of the cheapest on-demand offer
}

// ListFilter narrows ListAccelerators.
type ListFilter struct {
	Name       string  // case-insensitive exact accelerator name; "" = all
	Count      float64 // 0 = any
	Cloud      string  // "" = all
	Region     string
	AllRegions bool
}

// ListAccelerators lists accelerator offers, sorted by accelerator name,
// count, price.
func ListAccelerators(cat *catalog.Catalog, f ListFilter) ([]AcceleratorOffer, error) {
	clouds := catalog.Clouds()
	if f.Cloud != "" {
		clouds = []string{strings.ToLower(f.Cloud)}
	}
	cat.Preload(clouds...)
	// Prices are aggregated per region (the cheapest zone of each), and a
	// row without --all-regions is one region's: the cheapest on-demand
	// region (else the cheapest spot one) with that region's spot price, so
	// a row's prices and region always belong together.
	type key struct{ cloud, it, acc, count, region string }
	agg := map[key]*AcceleratorOffer{}
	var order []key
	add := func(cloud, it string, accName string, count float64, o *catalog.Offer, vcpus, mem, price, spot float64) {
		k := key{cloud, it, accName, countText(count), o.Region}
		a := agg[k]
		if a == nil {
			a = &AcceleratorOffer{Accelerator: accName, Count: count, Cloud: cloud, InstanceType: it,
				DeviceMemoryGiB: o.DeviceMemoryGiB, VCPUs: vcpus, MemoryGiB: mem, Region: o.Region}
			agg[k] = a
			order = append(order, k)
		}
		if price >= 0 && (a.Price == nil || price < *a.Price) {
			p := round6(price)
			a.Price = &p
		}
		if spot >= 0 && (a.SpotPrice == nil || spot < *a.SpotPrice) {
			s := round6(spot)
			a.SpotPrice = &s
		}
	}
	want := func(o *catalog.Offer) bool {
		if o.AcceleratorName == "" || (f.Name != "" && !strings.EqualFold(o.AcceleratorName, f.Name)) {
			return false
		}
		if f.Count > 0 && math.Abs(o.AcceleratorCount-f.Count) > 0.01 {
			return false
		}
		return f.Region == "" || strings.EqualFold(o.Region, f.Region)
	}
	for _, c := range clouds {
		cc, err := cat.Cloud(c)
		if err != nil {
			return nil, err
		}
		ah := accelHosts(c)
		if ah == nil {
			for i := range cc.Offers {
				o := &cc.Offers[i]
				if want(o) {
					add(c, o.InstanceType, o.AcceleratorName, o.AcceleratorCount, o, o.VCPUs, o.MemoryGiB, o.Price, o.SpotPrice)
				}
			}
			continue
		}
		hosts := hostsByZone(cc, ah)
		for i := range cc.Accelerators {
			o := &cc.Accelerators[i]
			if !want(o) {
				continue
			}
			if task.IsTPU(o.AcceleratorName) {
				add(c, ah.TPUVMType(), o.AcceleratorName, o.AcceleratorCount, o, 0, 0, o.Price, o.SpotPrice)
				continue
			}
			h := listHost(ah, hosts[o.Zone], o.AcceleratorName, o.AcceleratorCount)
			if h == nil {
				continue // e.g. a2-megagpu-16g not offered in this zone
			}
			price, spot := sumPrice(h.Price, o.Price), sumPrice(h.SpotPrice, o.SpotPrice)
			add(c, h.InstanceType, o.AcceleratorName, o.AcceleratorCount, o, h.VCPUs, h.MemoryGiB, price, spot)
		}
	}
	out := make([]AcceleratorOffer, 0, len(order))
	if f.AllRegions {
		for _, k := range order {
			out = append(out, *agg[k])
		}
	} else {
		best := map[key]int{} // region-less key → index in out
		for _, k := range order {
			a := agg[k]
			rk := k
			rk.region = ""
			i, seen := best[rk]
			switch {
			case !seen:
				best[rk] = len(out)
				out = append(out, *a)
			case cheaperRegion(a, &out[i]):
				out[i] = *a
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !strings.EqualFold(a.Accelerator, b.Accelerator) {
			return strings.ToLower(a.Accelerator) < strings.ToLower(b.Accelerator)
		}
		if a.Count != b.Count {
			return a.Count < b.Count
		}
		pa, pb := priceOr(a.Price), priceOr(b.Price)
		if pa != pb {
			return pa < pb
		}
		return a.Region < b.Region
	})
	return out, nil
}

// cheaperRegion: a's region is the better one to show: the lower on-demand
// price (a region with one beats one without), then the lower spot price,
// then the region name.
func cheaperRegion(a, b *AcceleratorOffer) bool {
	if pa, pb := priceOr(a.Price), priceOr(b.Price); pa != pb {
		return pa < pb
	}
	if sa, sb := priceOr(a.SpotPrice), priceOr(b.SpotPrice); sa != sb {
		return sa < sb
	}
	return a.Region < b.Region
}

func priceOr(p *float64) float64 {
	if p == nil {
		return math.Inf(1)
	}
	return *p
}

func sumPrice(a, b float64) float64 {
	if a < 0 || b < 0 {
		return catalog.NotOffered
	}
	return a + b
}

// hostsByZone indexes the VM rows that can carry accelerators by zone.
func hostsByZone(cc *catalog.CloudCatalog, ah cloud.AcceleratorHosts) map[string][]*catalog.Offer {
	out := map[string][]*catalog.Offer{}
	for i := range cc.Offers {
		o := &cc.Offers[i]
		if ah.AttachesTo(o.InstanceType) || fixedHostAccelerator(ah, o.InstanceType) != nil {
			out[o.Zone] = append(out[o.Zone], o)
		}
	}
	return out
}

// listHost picks the cheapest default host for a GPU in one zone (the
// simplified rule SkyPilot's gpus list applies per zone).
func listHost(ah cloud.AcceleratorHosts, rows []*catalog.Offer, name string, count float64) *catalog.Offer {
	var allowed func(o *catalog.Offer) bool
	if fixed := ah.FixedHosts(name); fixed != nil {
		types := fixed[count]
		allowed = func(o *catalog.Offer) bool { return contains(types, o.InstanceType) }
	} else {
		cpus, ok := ah.DefaultHostCPUs(name)[count]
		if !ok {
			return nil
		}
		allowed = func(o *catalog.Offer) bool {
			return ah.AttachesTo(o.InstanceType) && o.VCPUs >= cpus && o.MemoryGiB >= cpus*defaultMemoryPerVCPU
		}
	}
	var best *catalog.Offer
	for _, o := range rows {
		if o.Price >= 0 && allowed(o) && (best == nil || o.Price < best.Price) {
			best = o
		}
	}
	return best
}
