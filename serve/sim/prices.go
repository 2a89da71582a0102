package sim

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/catalog"
)

// Prices of one replica in a zone, $/h.
type Prices struct {
	Spot, OnDemand float64
	// Source says which catalog row the prices came from.
	Source string
}

// CatalogPrices looks up instance in the catalogs for each zone: the zone's
// spot price and its region's on-demand price; a zone the catalog does not
// list (AWS zone names differ per account) takes its region's cheapest
// spot zone, else the cheapest spot offer anywhere.
func CatalogPrices(cat *catalog.Catalog, instance string, zones []string) (map[string]Prices, error) {
	var offers []catalog.Offer
	for _, c := range []string{"aws", "gcp", "azure"} {
		cc, err := cat.Cloud(c)
		if err != nil {
			return nil, err
		}
		for _, i := range cc.OfferIndexes(instance) {
			if o := cc.Offers[i]; o.Price >= 0 && o.SpotPrice >= 0 {
				offers = append(offers, o)
			}
		}
		if len(offers) > 0 {
			break
		}
	}
	if len(offers) == 0 {
		return nil, fmt.Errorf("instance type %q has no catalog offer with both a spot and an on-demand price; pass --instance with the traces' instance (p3.2xlarge for the AWS traces, c3-highcpu-88 for GCP)", instance)
	}
	cheapest := func(keep func(catalog.Offer) bool) (catalog.Offer, bool) {
		var best catalog.Offer
		found := false
		for _, o := range offers {
			if keep(o) && (!found || o.SpotPrice < best.SpotPrice) {
				best, found = o, true
			}
		}
		return best, found
	}
	out := map[string]Prices{}
	for _, z := range zones {
		o, ok := cheapest(func(o catalog.Offer) bool { return o.Zone == z })
		how := "zone " + z
		if !ok {
			o, ok = cheapest(func(o catalog.Offer) bool { return o.Region != "" && strings.HasPrefix(z, o.Region) })
			how = "cheapest spot zone of " + o.Region
		}
		if !ok {
			o, _ = cheapest(func(catalog.Offer) bool { return true })
			how = "cheapest spot zone " + o.Zone
		}
		out[z] = Prices{Spot: o.SpotPrice, OnDemand: o.Price, Source: fmt.Sprintf("%s %s (%s)", instance, o.Zone, how)}
	}
	return out, nil
}
