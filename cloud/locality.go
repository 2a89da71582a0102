package cloud

// Locality says at which level a cloud takes capacity requests. It decides
// how the optimizer expands offers into placements and what a capacity
// error blocks: SkyPilot plans AWS on-demand per region (trying its zones
// in turn), AWS spot and every GCP request per zone, and Azure per region
// (its VMs are requested without a zone).
type Locality interface {
	// ZoneLevel reports whether placements of the market are per zone.
	ZoneLevel(spot bool) bool
	// HasZones reports whether the cloud's placements name zones at all;
	// a region-level placement of a cloud with zones lists the zones to try.
	HasZones() bool
}

// ZoneLevel reports whether the cloud called name places the market per
// zone. Clouds without a Locality are zone-level when they have zones.
func ZoneLevel(name string, spot bool) bool {
	if l, ok := As[Locality](name); ok {
		return l.ZoneLevel(spot)
	}
	return false
}

// HasZones reports whether the cloud called name has zones.
func HasZones(name string) bool {
	if l, ok := As[Locality](name); ok {
		return l.HasZones()
	}
	return false
}

// RegionPreference is a cloud whose equally priced regions are not equal:
// the preferred ones win ties (SkyPilot lists AWS's US regions first).
type RegionPreference interface {
	PreferredRegion(region string) bool
}
