package azure

import (
	"io/fs"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/templates"
	"github.com/zclconf/go-cty/cty"
)

// ProviderVersion is the hashicorp/azurerm version generated roots pin
// (the version of ../shared/provider-schemas).
const ProviderVersion = "4.81.0"

var _ cloud.Module = Cloud{}

func (Cloud) ModuleFiles() (fs.FS, error) { return templates.Module("azure") }

// MaxNameLength is SkyPilot's Azure cluster name limit.
func (Cloud) MaxNameLength() int { return 42 }

// Marketplace images used when the task names none: Ubuntu 22.04, and
// Microsoft's HPC image (NVIDIA drivers, InfiniBand) for GPU sizes.
var (
	cpuImage = map[string]string{"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}
	gpuImage = map[string]string{"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "latest"}
)

// sizeRe splits Standard_<family><vcpus><features>[_...]; premium
// storage needs the "s" feature letter.
var sizeRe = regexp.MustCompile(`^(?:Standard|Basic)_([A-Za-z]+)([0-9]+)(?:-[0-9]+)?([a-z]*)`)

func premium(size string) bool {
	m := sizeRe.FindStringSubmatch(size)
	return m != nil && strings.Contains(m[3], "s")
}

func (Cloud) Root(req cloud.ModuleRequest) (cloud.ModuleRoot, diag.Diagnostics) {
	var ds diag.Diagnostics
	if req.InstanceType == "" {
		ds.Errorf("Placement has no instance type", "The optimizer's placement for cloud %q names no instance type.", "azure")
		return cloud.ModuleRoot{}, ds
	}
	var diskType string
	switch req.DiskTier {
	case "low":
		diskType = "Standard_LRS"
	case "ultra":
		ds = append(ds, cloud.FieldError("resources.disk_tier", "Disk tier not supported on Azure", "Azure disk_tier=ultra is not supported; use high or best."))
		return cloud.ModuleRoot{}, ds
	default:
		diskType = "StandardSSD_LRS"
		if premium(req.InstanceType) {
			diskType = "Premium_LRS"
		}
	}
	image := cpuImage
	if req.Accelerator != "" {
		image = gpuImage
	}
	if id := req.Image; id != "" && !strings.HasPrefix(id, "docker:") && !strings.HasPrefix(id, "skypilot:") {
		parts := strings.Split(id, ":")
		if len(parts) != 4 {
			ds = append(ds, cloud.FieldError("resources.image_id", "Unsupported Azure image_id", "%q is not a marketplace image PUBLISHER:OFFER:SKU:VERSION.", id))
			return cloud.ModuleRoot{}, ds
		}
		image = map[string]string{"publisher": parts[0], "offer": parts[1], "sku": parts[2], "version": parts[3]}
	}
	if req.NetworkTier == "best" {
		ds = append(ds, cloud.Warning("network_tier: best not supported on Azure", "Azure clusters use standard networking."))
	}
	vars := append([]cloud.Var{}, req.Common...)
	vars = append(vars,
		cloud.Var{Name: "subscription_id", Type: "string", Value: req.SubscriptionID, ProviderOnly: true},
		cloud.Var{Name: "location", Type: "string", Value: req.Region},
		cloud.Var{Name: "vm_size", Type: "string", Value: req.InstanceType},
		cloud.Var{Name: "image", Type: "object({ publisher = string, offer = string, sku = string, version = string })", Value: image},
		cloud.Var{Name: "disk_size_gb", Type: "number", Value: req.DiskSizeGB},
		cloud.Var{Name: "disk_type", Type: "string", Value: diskType},
		cloud.Var{Name: "proximity_placement", Type: "bool", Value: req.NumNodes > 1 && !req.DisablePlacementGroup},
		cloud.Var{Name: "buckets", Type: "list(string)", Value: req.Buckets},
		cloud.Var{Name: "readwrite_buckets", Type: "list(string)", Value: req.PersistentBuckets},
		cloud.Var{Name: "autostop_action", Type: "string", Value: req.AutostopAction},
	)
	root := cloud.ModuleRoot{Vars: vars, Providers: []cloud.Provider{{Name: "azurerm", Source: "hashicorp/azurerm", Version: ProviderVersion}}}
	if len(req.PersistentBuckets) > 0 {
		root.BucketVars = []cloud.Var{
			{Name: "subscription_id", Type: "string", Value: req.SubscriptionID, ProviderOnly: true},
			{Name: "names", Type: "list(string)", Value: req.PersistentBuckets},
			{Name: "location", Type: "string", Value: req.Region},
			{Name: "labels", Type: "map(string)", Value: req.Labels},
			{Name: "allowed_ips", Type: "list(string)", Value: trimCIDR32(req.SSHCIDRs)},
			{Name: "cluster_subnets", Type: "list(object({ resource_group = string, vnet = string, subnet = string }))", Value: []map[string]string{clusterSubnet(req)}},
		}
	}
	return root, ds
}

func trimCIDR32(cidrs []string) []string {
	out := make([]string, 0, len(cidrs))
	for _, c := range cidrs {
		out = append(out, strings.TrimSuffix(c, "/32"))
	}
	return out
}

// ProviderBlocks: azurerm needs a features block. Storage is managed
// through Azure Resource Manager only (data_plane_available = false): the
// storage accounts deny by default, so data-plane reads (queue and website
// properties) fail with 403 from any plan outside allowed_ips, e.g. CI.
func (Cloud) ProviderBlocks(b *hclwrite.Body, req cloud.ModuleRequest) error {
	b.AppendNewline()
	pb := b.AppendNewBlock("provider", []string{"azurerm"}).Body()
	fb := pb.AppendNewBlock("features", nil).Body()
	fb.AppendNewBlock("storage", nil).Body().SetAttributeValue("data_plane_available", cty.False)
	sub, err := cloud.RawExpr(`var.subscription_id == "" ? null : var.subscription_id`)
	if err != nil {
		return err
	}
	pb.SetAttributeRaw("subscription_id", sub)
	return nil
}

// clusterSubnet names the cluster's subnet by its parts, for the persistent
// buckets' network rules (that root is applied before the cluster's): the
// subnet the module creates (names as in templates/azure/main.tf) or the
// existing one of vpc_name RESOURCE_GROUP/VNET and subnet_name (default
// "default").
func clusterSubnet(req cloud.ModuleRequest) map[string]string {
	if req.VPCName != "" {
		rg, vnet, _ := strings.Cut(req.VPCName, "/")
		sub := req.SubnetName
		if sub == "" {
			sub = "default"
		}
		return map[string]string{"resource_group": rg, "vnet": vnet, "subnet": sub}
	}
	n := req.ClusterName
	return map[string]string{"resource_group": n + "-" + req.Region, "vnet": n + "-vnet", "subnet": n + "-subnet"}
}
