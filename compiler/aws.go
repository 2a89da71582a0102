package compiler

import (
	"github.com/skyplan/skyplan/optimizer"
	"regexp"
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// efaInterfaces is the number of network cards (one EFA interface each) of
// the multi-card instance types; every other type in
// optimizer.EFAInstanceTypes (g4dn/g5/g6/g6e 8xlarge and up) has one card,
// so one EFA interface.
var efaInterfaces = map[string]int{
	"p4d.24xlarge":   4,
	"p4de.24xlarge":  4,
	"p5.48xlarge":    32,
	"p5e.48xlarge":   32,
	"p5en.48xlarge":  16,
	"trn1.32xlarge":  8,
	"trn1n.32xlarge": 16,
	"trn2.48xlarge":  16,
}

// Graviton families carry a "g" right after the generation digit (m6g,
// c7gn, g5g, im4gn).
var armFamily = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)

// awsImageTag picks SkyPilot's default image tag for an instance type.
func awsImageTag(instanceType, acc string) string {
	fam := strings.SplitN(instanceType, ".", 2)[0]
	switch {
	case strings.HasPrefix(fam, "inf") || strings.HasPrefix(fam, "trn"):
		return "skypilot:neuron-ubuntu-2204"
	case strings.HasPrefix(fam, "p2"):
		return "skypilot:k80-ubuntu-2004"
	}
	tag := "skypilot:custom-cpu-ubuntu"
	if acc != "" {
		tag = "skypilot:custom-gpu-ubuntu"
	}
	if armFamily.MatchString(instanceType) && !strings.HasPrefix(fam, "g4dn") {
		tag += "-arm64"
	}
	return tag
}

// awsDisk maps disk_tier to volume type, IOPS and throughput (SkyPilot's
// mapping: throughput = IOPS/16 MiB/s for gp3).
func awsDisk(tier string) (typ string, iops, throughput any) {
	switch tier {
	case "low":
		return "standard", nil, nil
	case "high":
		return "gp3", 7000, 7000 / 16
	case "ultra", "best":
		return "io2", 20000, nil
	default: // "" and medium
		return "gp3", 3500, 3500 / 16
	}
}

func (c *compilation) aws() (cloudRoot, diag.Diagnostics) {
	var ds diag.Diagnostics
	p := c.in.Placement
	zone := p.Zone
	if zone == "" && len(p.Zones) > 0 {
		zone = p.Zones[0]
	}
	if zone == "" {
		ds.Errorf("AWS placement has no zone", "The cluster's subnet lives in one availability zone; the placement for %s names none. The fallback loop passes one zone per attempt.", p.Region)
		return cloudRoot{}, ds
	}
	acc, _ := c.accelerator()
	ami := ""
	image := c.imageFor(p.Region)
	switch {
	case strings.HasPrefix(image, "ami-"):
		ami = image
	case image == "" || strings.HasPrefix(image, "docker:") || strings.HasPrefix(image, "skypilot:"):
		tag := image
		if tag == "" || strings.HasPrefix(tag, "docker:") {
			tag = awsImageTag(p.InstanceType, acc)
		}
		if c.in.Images == nil {
			ds = append(ds, c.errf("resources.image_id", "No image catalog", "Cannot resolve image tag %s in %s without the catalog.", tag, p.Region))
			return cloudRoot{}, ds
		}
		id, ok := c.in.Images.AWSImage(tag, p.Region)
		if !ok {
			ds = append(ds, c.errf("resources.image_id", "No image for this region", "Image tag %s has no AMI in %s. Set resources.image_id to an AMI id for %s, or choose another region.", tag, p.Region, p.Region))
			return cloudRoot{}, ds
		}
		ami = id
	default:
		ds = append(ds, c.errf("resources.image_id", "Unsupported AWS image_id", "%q is neither an AMI id (ami-...), a skypilot: tag nor a docker: image.", image))
		return cloudRoot{}, ds
	}
	diskType, iops, throughput := awsDisk(c.req.DiskTier)
	efa := 0
	if c.req.NetworkTier == "best" {
		efa = efaInterfaces[p.InstanceType]
		if efa == 0 && optimizer.EFAInstanceTypes[p.InstanceType] {
			efa = 1
		}
		if efa == 0 {
			ds = append(ds, c.warn("No EFA on this instance type", "network_tier: best uses EFA on %s only; %s gets standard networking.", "p4d, p4de, p5*, g4dn/g5/g6/g6e 8xlarge and larger, trn1, trn1n and trn2", p.InstanceType))
		}
	}
	eph, pers, bds := c.buckets()
	ds = append(ds, bds...)
	vars := []tfVar{{name: "region", typ: "string", value: p.Region, providerOnly: true}}
	vars = append(vars, c.commonVars()...)
	vars = append(vars,
		tfVar{name: "zone", typ: "string", value: zone},
		tfVar{name: "instance_type", typ: "string", value: p.InstanceType},
		tfVar{name: "ami_id", typ: "string", value: ami},
		tfVar{name: "disk_size_gb", typ: "number", value: diskSize(c.req)},
		tfVar{name: "disk_type", typ: "string", value: diskType},
		tfVar{name: "disk_iops", typ: "number", value: iops},
		tfVar{name: "disk_throughput", typ: "number", value: throughput},
		tfVar{name: "placement_group", typ: "bool", value: c.numNodes > 1 && !c.in.DisablePlacementGroup},
		tfVar{name: "efa_interfaces", typ: "number", value: efa},
		tfVar{name: "buckets", typ: "list(string)", value: eph},
	)
	root := cloudRoot{vars: vars, providers: []providerSpec{{"aws", "hashicorp/aws", AWSProviderVersion}}}
	if len(pers) > 0 {
		root.buckets.vars = []tfVar{
			{name: "region", typ: "string", value: p.Region, providerOnly: true},
			{name: "names", typ: "list(string)", value: pers},
			{name: "labels", typ: "map(string)", value: c.labels},
		}
	}
	return root, ds
}
