package compiler

import (
	"regexp"
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// Marketplace images used when the task names none: Ubuntu 22.04, and
// Microsoft's HPC image (NVIDIA drivers, InfiniBand) for GPU sizes.
var (
	azureCPUImage = map[string]string{"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}
	azureGPUImage = map[string]string{"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "latest"}
)

// azureSize splits Standard_<family><vcpus><features>[_...]; premium
// storage needs the "s" feature letter.
var azureSize = regexp.MustCompile(`^(?:Standard|Basic)_([A-Za-z]+)([0-9]+)(?:-[0-9]+)?([a-z]*)`)

func azurePremium(size string) bool {
	m := azureSize.FindStringSubmatch(size)
	return m != nil && strings.Contains(m[3], "s")
}

func (c *compilation) azure() (cloudRoot, diag.Diagnostics) {
	var ds diag.Diagnostics
	p := c.in.Placement
	acc, _ := c.accelerator()
	var diskType string
	switch c.req.DiskTier {
	case "low":
		diskType = "Standard_LRS"
	case "ultra":
		ds = append(ds, c.errf("resources.disk_tier", "Disk tier not supported on Azure", "Azure disk_tier=ultra is not supported; use high or best."))
		return cloudRoot{}, ds
	default:
		diskType = "StandardSSD_LRS"
		if azurePremium(p.InstanceType) {
			diskType = "Premium_LRS"
		}
	}
	image := azureCPUImage
	if acc != "" {
		image = azureGPUImage
	}
	if id := c.imageFor(p.Region); id != "" && !strings.HasPrefix(id, "docker:") && !strings.HasPrefix(id, "skypilot:") {
		parts := strings.Split(id, ":")
		if len(parts) != 4 {
			ds = append(ds, c.errf("resources.image_id", "Unsupported Azure image_id", "%q is not a marketplace image PUBLISHER:OFFER:SKU:VERSION.", id))
			return cloudRoot{}, ds
		}
		image = map[string]string{"publisher": parts[0], "offer": parts[1], "sku": parts[2], "version": parts[3]}
	}
	if c.req.NetworkTier == "best" {
		ds = append(ds, c.warn("network_tier: best not supported on Azure", "Azure clusters use standard networking."))
	}
	if c.in.VPCName != "" && c.in.SubscriptionID == "" {
		ds.Errorf("Existing Azure network needs a subscription", "vpc_name on Azure needs azure.subscription_id in skyplan's config to build the subnet id.")
		return cloudRoot{}, ds
	}
	eph, pers, bds := c.buckets()
	ds = append(ds, bds...)
	vars := c.commonVars()
	vars = append(vars,
		tfVar{name: "subscription_id", typ: "string", value: c.in.SubscriptionID},
		tfVar{name: "location", typ: "string", value: p.Region},
		tfVar{name: "vm_size", typ: "string", value: p.InstanceType},
		tfVar{name: "image", typ: "object({ publisher = string, offer = string, sku = string, version = string })", value: image},
		tfVar{name: "disk_size_gb", typ: "number", value: diskSize(c.req)},
		tfVar{name: "disk_type", typ: "string", value: diskType},
		tfVar{name: "proximity_placement", typ: "bool", value: c.numNodes > 1 && !c.in.DisablePlacementGroup},
		tfVar{name: "buckets", typ: "list(string)", value: eph},
	)
	root := cloudRoot{vars: vars, providers: []providerSpec{{"azurerm", "hashicorp/azurerm", AzurermProviderVersion}}}
	if len(pers) > 0 {
		root.buckets.vars = []tfVar{
			{name: "subscription_id", typ: "string", value: c.in.SubscriptionID, providerOnly: true},
			{name: "names", typ: "list(string)", value: pers},
			{name: "location", typ: "string", value: p.Region},
			{name: "labels", typ: "map(string)", value: c.labels},
			{name: "allowed_ips", typ: "list(string)", value: trimCIDR32(c.in.SSHCIDRs)},
		}
	}
	return root, ds
}
