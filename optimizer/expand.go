package optimizer

import (
	"github.com/skyplan/skyplan/cloud"
	"math"
	"sort"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/task"
)

// expand turns one feasible instance type into placements: one per zone for
// spot and for GCP, one per region (trying its zones inside) for on-demand
// AWS and Azure — SkyPilot's make_launchables_for_valid_region_zones.
func expand(cc *catalog.CloudCatalog, hc hostChoice, r *task.Resources, idx, numNodes int) []Placement {
	// Per-zone price of a separately priced accelerator (GCP).
	var accPrice map[string]float64
	if hc.accSeparate && hc.acc != nil {
		accPrice = map[string]float64{}
		for i := range cc.Accelerators {
			o := &cc.Accelerators[i]
			if !accMatches(o.AcceleratorName, o.AcceleratorCount, hc.acc) || !inLocation(o, r.Infra) {
				continue
			}
			if p, ok := o.PriceFor(r.UseSpot); ok {
				accPrice[o.Zone] = p
			}
		}
	}
	accels := map[string]float64{}
	if hc.acc != nil {
		accels[hc.acc.Name] = hc.acc.Count
	}
	base := Placement{
		Cloud: cc.Name, InstanceType: hc.instanceType, Accelerators: accels, UseSpot: r.UseSpot,
		VCPUs: hc.vcpus, MemoryGiB: hc.mem, NumNodes: numNodes, Request: r, RequestIndex: idx,
	}
	type zoneOffer struct {
		region, zone string
		price        float64
	}
	var zones []zoneOffer
	if ah := accelHosts(cc.Name); ah != nil && hc.instanceType == ah.TPUVMType() {
		for i := range cc.Accelerators {
			o := &cc.Accelerators[i]
			if p, ok := accPrice[o.Zone]; ok && accMatches(o.AcceleratorName, o.AcceleratorCount, hc.acc) {
				zones = append(zones, zoneOffer{o.Region, o.Zone, p})
			}
		}
	} else {
		for _, i := range cc.OfferIndexes(hc.instanceType) {
			o := &cc.Offers[i]
			if !inLocation(o, r.Infra) {
				continue
			}
			p, ok := o.PriceFor(r.UseSpot)
			if !ok {
				continue
			}
			if accPrice != nil {
				ap, ok := accPrice[o.Zone]
				if !ok {
					continue // GCP: the zone must offer both host and accelerator
				}
				p += ap
			}
			zones = append(zones, zoneOffer{o.Region, o.Zone, p})
		}
	}
	// A per-region image_id restricts placements to its regions.
	if r.ImageID != nil && len(r.ImageID.PerRegion) > 0 {
		kept := zones[:0]
		for _, z := range zones {
			if _, ok := r.ImageID.PerRegion[z.region]; ok {
				kept = append(kept, z)
			}
		}
		zones = kept
	}
	var out []Placement
	perZone := cloud.ZoneLevel(cc.Name, r.UseSpot)
	if perZone || !cloud.HasZones(cc.Name) {
		seen := map[string]bool{}
		for _, z := range zones {
			key := z.region + "/" + z.zone
			if seen[key] || !underCap(r, z.price) {
				continue
			}
			seen[key] = true
			p := base
			p.Region = z.region
			if perZone {
				p.Zone = z.zone
			}
			setCost(&p, z.price)
			out = append(out, p)
		}
	} else {
		// AWS on-demand: one placement per region; the price is the same in
		// every zone of a region, zones are tried cheapest first.
		byRegion := map[string]*Placement{}
		zoneLists := map[string][]zoneOffer{}
		var order []string
		for _, z := range zones {
			if !underCap(r, z.price) {
				continue
			}
			if byRegion[z.region] == nil {
				p := base
				p.Region = z.region
				setCost(&p, z.price)
				byRegion[z.region] = &p
				order = append(order, z.region)
			} else if z.price < byRegion[z.region].HourlyCostPerNode {
				setCost(byRegion[z.region], z.price)
			}
			zoneLists[z.region] = append(zoneLists[z.region], z)
		}
		for _, reg := range order {
			zs := zoneLists[reg]
			sort.SliceStable(zs, func(i, j int) bool {
				if zs[i].price != zs[j].price {
					return zs[i].price < zs[j].price
				}
				return zs[i].zone < zs[j].zone
			})
			p := byRegion[reg]
			for _, z := range zs {
				if !contains(p.Zones, z.zone) {
					p.Zones = append(p.Zones, z.zone)
				}
			}
			out = append(out, *p)
		}
	}
	sortPlacements(out)
	return out
}

func underCap(r *task.Resources, perNode float64) bool {
	return r.MaxHourlyCost <= 0 || perNode <= r.MaxHourlyCost+1e-9
}

func setCost(p *Placement, perNode float64) {
	p.HourlyCostPerNode = round6(perNode)
	n := p.NumNodes
	if n < 1 {
		n = 1
	}
	p.HourlyCost = round6(perNode * float64(n))
}

// round6 hides float noise (0.384*3 = 1.1520000000000001) in plans.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// sortPlacements orders by cost, then (AWS) us-* regions first, then
// region and zone names, as SkyPilot's region ordering does.
func sortPlacements(ps []Placement) {
	sort.SliceStable(ps, func(i, j int) bool { return placementLess(ps[i], ps[j]) })
}

func placementLess(a, b Placement) bool {
	if a.HourlyCost != b.HourlyCost {
		return a.HourlyCost < b.HourlyCost
	}
	if a.Cloud != b.Cloud {
		return false // keep cloud iteration order on ties
	}
	if rp, ok := cloud.As[cloud.RegionPreference](a.Cloud); ok {
		if ua, ub := rp.PreferredRegion(a.Region), rp.PreferredRegion(b.Region); ua != ub {
			return ua
		}
	}
	if a.Region != b.Region {
		return a.Region < b.Region
	}
	return a.Zone < b.Zone
}
