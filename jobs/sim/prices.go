package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/catalog"
)

// PriceSource says where a replay's prices come from.
type PriceSource struct {
	Cloud, Instance string
	// Region and Zone of the spot price; the on-demand price is the
	// region's.
	Region, Zone string
	Prices       Prices
	// Matched reports whether the trace's own zone was in the catalog; when
	// not, Zone is the cheapest spot zone of the instance type (in the
	// trace's region if the catalog has it).
	Matched bool
}

func (p PriceSource) String() string {
	how := "the trace's zone"
	if !p.Matched {
		how = "trace zone not in the catalog: cheapest spot zone"
	}
	return fmt.Sprintf("%s %s in %s (%s): on-demand $%.4f/h, spot $%.4f/h", catalog.DisplayName(p.Cloud), p.Instance, p.Zone, how, p.Prices.OnDemand, p.Prices.Spot)
}

// PricesFor finds instance's on-demand and spot prices in the catalogs for
// a trace measured in zone: that zone's spot price and its region's
// on-demand price when the catalog has the zone; otherwise the cheapest
// spot zone of the zone's region, or of the whole catalog.
func PricesFor(cat *catalog.Catalog, instance, zone string) (PriceSource, error) {
	var offers []catalog.Offer
	cloud := ""
	for _, c := range []string{"aws", "gcp", "azure"} {
		cc, err := cat.Cloud(c)
		if err != nil {
			return PriceSource{}, err
		}
		for _, i := range cc.OfferIndexes(instance) {
			o := cc.Offers[i]
			if o.Price >= 0 && o.SpotPrice >= 0 {
				offers = append(offers, o)
			}
		}
		if len(offers) > 0 {
			cloud = c
			break
		}
	}
	if len(offers) == 0 {
		return PriceSource{}, fmt.Errorf("instance type %q has no catalog row with both an on-demand and a spot price; try p3.2xlarge (the traces' instance)", instance)
	}
	sort.SliceStable(offers, func(i, k int) bool { return offers[i].SpotPrice < offers[k].SpotPrice })
	pick := func(o catalog.Offer, matched bool) PriceSource {
		return PriceSource{Cloud: cloud, Instance: instance, Region: o.Region, Zone: o.Zone,
			Prices: Prices{Spot: o.SpotPrice, OnDemand: o.Price}, Matched: matched}
	}
	for _, o := range offers {
		if o.Zone == zone {
			return pick(o, true), nil
		}
	}
	for _, o := range offers {
		if zone != "" && strings.HasPrefix(zone, o.Region) {
			return pick(o, false), nil
		}
	}
	return pick(offers[0], false), nil
}
