package controllervm

import (
	"fmt"
	"sort"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
)

// DefaultRegion is where `infra: aws` (no region) puts the controller.
const DefaultRegion = "us-east-1"

// Minimum size of the default instance: a Go binary with SQLite and a few
// reverse proxies needs no more.
const (
	MinVCPUs     = 2
	MinMemoryGiB = 2
)

// Spec is a resolved remote controller: where it runs, on what, and what
// that costs per hour on demand.
type Spec struct {
	Cloud, Region, InstanceType string
	IdleMinutes                 int
	HourlyPrice                 float64
	VCPUs, MemoryGiB            float64
	Arch                        string // catalog arch, x86_64 or arm64
	ImageID                     string // "" = the catalog's Ubuntu image
}

// catalogArch maps GOARCH to the catalog's Arch column.
func catalogArch(goarch string) string {
	if goarch == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// offerPrice is one instance type's on-demand price in a region: the
// lowest over the region's rows (rows repeat per zone).
type offerPrice struct {
	catalog.Offer
}

// regionOffers returns one entry per instance type offered on demand in
// region for arch, with its lowest price.
func regionOffers(cc *catalog.CloudCatalog, region, arch string) []offerPrice {
	best := map[string]catalog.Offer{}
	for _, o := range cc.Offers {
		if o.Region != region || o.AcceleratorName != "" || o.Price < 0 || (o.Arch != "" && o.Arch != arch) {
			continue
		}
		if b, ok := best[o.InstanceType]; !ok || o.Price < b.Price {
			best[o.InstanceType] = o
		}
	}
	out := make([]offerPrice, 0, len(best))
	for _, o := range best {
		out = append(out, offerPrice{o})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Price != out[j].Price {
			return out[i].Price < out[j].Price
		}
		return out[i].InstanceType < out[j].InstanceType
	})
	return out
}

// Cheapest returns the cheapest on-demand CPU instance type in region for
// arch (x86_64 or arm64) with at least minCPU vCPUs and minMemGiB memory;
// memPerCPU > 0 also asks for that much memory per vCPU (SkyPilot's
// controller: 4+ vCPUs, 4 GiB each).
func Cheapest(cat *catalog.Catalog, cloudName, region, arch string, minCPU, minMemGiB, memPerCPU float64) (catalog.Offer, error) {
	cc, err := cat.Cloud(cloudName)
	if err != nil {
		return catalog.Offer{}, err
	}
	for _, o := range regionOffers(cc, region, arch) {
		if o.VCPUs >= minCPU && o.MemoryGiB >= minMemGiB && o.MemoryGiB >= memPerCPU*o.VCPUs {
			return o.Offer, nil
		}
	}
	return catalog.Offer{}, fmt.Errorf("no %s instance type in %s with at least %g vCPUs and %g GiB on demand in the catalog", arch, region, minCPU, minMemGiB)
}

// DefaultInstanceType is the cheapest on-demand type in region with at
// least MinVCPUs and MinMemoryGiB for goarch (the architecture of the
// skyplan binary copied onto the VM).
func DefaultInstanceType(cat *catalog.Catalog, region, goarch string) (catalog.Offer, error) {
	return Cheapest(cat, "aws", region, catalogArch(goarch), MinVCPUs, MinMemoryGiB, 0)
}

// Resolve turns a remote controller setting into a Spec: the default
// region and instance type, and a check that the type is offered on
// demand in the region for goarch. Errors are located at the setting.
func Resolve(c config.ControllerConfig, cat *catalog.Catalog, goarch string) (Spec, diag.Diagnostics) {
	var ds diag.Diagnostics
	at := func(field, summary, detail string, args ...any) {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: fmt.Sprintf(detail, args...),
			Field: c.Field + field, Subject: &diag.Range{Filename: c.File, Start: diag.Pos{Line: c.Line, Column: 1}, End: diag.Pos{Line: c.Line, Column: 1}}})
	}
	if !c.Remote {
		at("", "Controller is local", "%s is local: there is no controller VM to compile. Fix: set %s: {infra: aws/REGION}.", c.Field, c.Field)
		return Spec{}, ds
	}
	s := Spec{Cloud: c.Cloud, Region: c.Region, IdleMinutes: c.IdleMinutes, Arch: catalogArch(goarch), ImageID: c.ImageID}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	cc, err := cat.Cloud(s.Cloud)
	if err != nil {
		at(".infra", "No catalog for the controller's cloud", "%v", err)
		return Spec{}, ds
	}
	if len(cc.Zones(s.Region)) == 0 {
		at(".infra", "Unknown controller region", "%s has no region %q in the %s catalog. Fix: use one of %v.", c.Field, s.Region, s.Cloud, cc.Regions())
		return Spec{}, ds
	}
	if c.InstanceType == "" {
		o, err := DefaultInstanceType(cat, s.Region, goarch)
		if err != nil {
			at(".infra", "No default controller instance type", "%v. Fix: set %s.instance_type.", err, c.Field)
			return Spec{}, ds
		}
		s.InstanceType, s.HourlyPrice, s.VCPUs, s.MemoryGiB = o.InstanceType, o.Price, o.VCPUs, o.MemoryGiB
		return s, ds
	}
	for _, o := range regionOffers(cc, s.Region, s.Arch) {
		if o.InstanceType == c.InstanceType {
			s.InstanceType, s.HourlyPrice, s.VCPUs, s.MemoryGiB = o.InstanceType, o.Price, o.VCPUs, o.MemoryGiB
			return s, ds
		}
	}
	def, _ := DefaultInstanceType(cat, s.Region, goarch)
	at(".instance_type", "Controller instance type not offered", "%s.instance_type %q is not offered on demand for %s in %s according to the catalog. Fix: drop the key for the default (%s), or pick another type.", c.Field, c.InstanceType, s.Arch, s.Region, def.InstanceType)
	return Spec{}, ds
}
