package aws

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/templates"
	"github.com/zclconf/go-cty/cty"
)

// ProviderVersion is the hashicorp/aws version generated roots pin (what
// exists offline as a filesystem mirror).
const ProviderVersion = "5.100.0"

var _ cloud.Module = Cloud{}

func (Cloud) ModuleFiles() (fs.FS, error) { return templates.Module("aws") }

// MaxNameLength: AWS names are capped at 63 so derived names stay under 255.
func (Cloud) MaxNameLength() int { return 63 }

// Graviton families carry a "g" right after the generation digit (m6g,
// c7gn, g5g, im4gn).
var armFamily = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)

// imageTag picks SkyPilot's default image tag for an instance type.
func imageTag(instanceType, acc string) string {
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

// disk maps disk_tier to volume type, IOPS and throughput (SkyPilot's
// mapping: throughput = IOPS/16 MiB/s for gp3).
func disk(tier string) (typ string, iops, throughput any) {
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

// Root: the subnet lives in one availability zone, so a region-level
// placement compiles with its first zone to try (the fallback loop passes
// one zone per attempt).
func (Cloud) Root(req cloud.ModuleRequest) (cloud.ModuleRoot, diag.Diagnostics) {
	var ds diag.Diagnostics
	if req.InstanceType == "" {
		ds.Errorf("Placement has no instance type", "The optimizer's placement for cloud %q names no instance type.", "aws")
		return cloud.ModuleRoot{}, ds
	}
	zone := req.Zone
	if zone == "" && len(req.Zones) > 0 {
		zone = req.Zones[0]
	}
	if zone == "" {
		ds.Errorf("AWS placement has no zone", "The cluster's subnet lives in one availability zone; the placement for %s names none. The fallback loop passes one zone per attempt.", req.Region)
		return cloud.ModuleRoot{}, ds
	}
	ami := ""
	var lookup any // nil: the pinned ami_id
	image := req.Image
	switch {
	case strings.HasPrefix(image, "ami-"):
		ami = image
	case image == "" || strings.HasPrefix(image, "docker:") || strings.HasPrefix(image, "skypilot:"):
		tag := image
		if tag == "" || strings.HasPrefix(tag, "docker:") {
			tag = imageTag(req.InstanceType, req.Accelerator)
		}
		if req.ResolveImage == nil {
			ds = append(ds, cloud.FieldError("resources.image_id", "No image catalog", "Cannot resolve image tag %s in %s without the catalog.", tag, req.Region))
			return cloud.ModuleRoot{}, ds
		}
		id, ok := req.ResolveImage(tag, req.Region)
		if !ok {
			ds = append(ds, cloud.FieldError("resources.image_id", "No image for this region", "Image tag %s has no AMI in %s. Set resources.image_id to an AMI id for %s, or choose another region.", tag, req.Region, req.Region))
			return cloud.ModuleRoot{}, ds
		}
		ami = id
		lookup = imageLookup(tag, req.InstanceType)
	default:
		ds = append(ds, cloud.FieldError("resources.image_id", "Unsupported AWS image_id", "%q is neither an AMI id (ami-...), a skypilot: tag nor a docker: image.", image))
		return cloud.ModuleRoot{}, ds
	}
	diskType, iops, throughput := disk(req.DiskTier)
	efa := 0
	if req.NetworkTier == "best" {
		if efa = EFAInterfaces(req.InstanceType); efa == 0 {
			ds = append(ds, cloud.Warning("No EFA on this instance type", "network_tier: best uses EFA on %s only; %s gets standard networking.", efaText, req.InstanceType))
		}
	}
	subnet, sds := clusterNetwork(req.NumNodes, efa, req.UsePrivateIP)
	ds = append(ds, sds...)
	if ds.HasErrors() {
		return cloud.ModuleRoot{}, ds
	}
	vars := []cloud.Var{{Name: "region", Type: "string", Value: req.Region, ProviderOnly: true}}
	vars = append(vars, req.Common...)
	vars = append(vars,
		cloud.Var{Name: "zone", Type: "string", Value: zone},
		cloud.Var{Name: "zone_id", Type: "string", Value: zoneID(req, zone)},
		cloud.Var{Name: "instance_type", Type: "string", Value: req.InstanceType, Description: "Instance type of every node."},
		cloud.Var{Name: "ami_id", Type: "string", Value: ami, Description: "Pinned image of every node in this region (the catalog's or the task's); used when ami_lookup is null."},
		cloud.Var{Name: "ami_lookup", Type: "object({ owners = list(string), name = string })", Value: lookup, Description: "Resolve the image by owner and name instead of ami_id (null: ami_id)."},
		cloud.Var{Name: "ignore_ami_changes", Type: "bool", Value: true, Description: "A new image does not replace running nodes (false: it does)."},
		cloud.Var{Name: "disk_size_gb", Type: "number", Value: req.DiskSizeGB},
		cloud.Var{Name: "disk_type", Type: "string", Value: diskType},
		cloud.Var{Name: "disk_iops", Type: "number", Value: iops, Description: "OS disk IOPS from disk_tier."},
		cloud.Var{Name: "disk_throughput", Type: "number", Value: throughput, Description: "OS disk throughput (MiB/s) from disk_tier."},
		cloud.Var{Name: "placement_group", Type: "bool", Value: req.NumNodes > 1 && !req.DisablePlacementGroup, Description: "Cluster placement group (multi-node)."},
		cloud.Var{Name: "efa_interfaces", Type: "number", Value: efa, Description: "EFA interfaces per node (network_tier: best)."},
		cloud.Var{Name: "subnet_cidr", Type: "string", Value: subnet, Description: "CIDR of the subnet the module creates, sized for num_nodes × network interfaces per node (ignored with vpc_name)."},
		cloud.Var{Name: "buckets", Type: "list(string)", Value: req.Buckets},
		cloud.Var{Name: "readwrite_buckets", Type: "list(string)", Value: req.ReadWriteBuckets},
		cloud.Var{Name: "readonly_buckets", Type: "list(string)", Value: req.ReadOnlyBuckets},
		cloud.Var{Name: "autostop_action", Type: "string", Value: req.AutostopAction},
		cloud.Var{Name: "node_permissions_boundary", Type: "string", Value: optional(req.NodePermissionsBoundary),
			Description: "Permissions boundary of the node role (config aws.node_permissions_boundary; set by a skyplan controller VM). null: none."},
	)
	root := cloud.ModuleRoot{Vars: vars, Providers: []cloud.Provider{{Name: "aws", Source: "hashicorp/aws", Version: ProviderVersion}},
		Outputs: []cloud.Output{
			{Name: "zone", Description: "This account's name of the zone the nodes are in (zone_id); it may differ from zone."},
			{Name: "network", Description: "VPC and subnet IDs of the cluster's network."},
			{Name: "security_group_id", Description: "The cluster's security group."},
			{Name: "key_pair_id", Description: "The key pair with skyplan's SSH public key."},
		}}
	if len(req.PersistentBuckets) > 0 {
		root.BucketVars = []cloud.Var{
			{Name: "region", Type: "string", Value: req.Region, ProviderOnly: true},
			{Name: "cluster_name", Type: "string", Value: req.ClusterName, ProviderOnly: true, Description: "Cluster the buckets were created for (the provider's skyplan-cluster tag)."},
			{Name: "names", Type: "list(string)", Value: req.PersistentBuckets},
			{Name: "labels", Type: "map(string)", Value: req.Labels},
		}
	}
	return root, ds
}

// zoneID is the ID of the priced zone: the catalog prices AWS zones by ID
// and names them with one account's mapping, and another account may give
// that ID another name, so the module places nodes by ID. "" (unknown
// zone, no catalog): the module places by name.
func zoneID(req cloud.ModuleRequest, zone string) string {
	if req.ResolveZoneID == nil {
		return ""
	}
	id, _ := req.ResolveZoneID(zone)
	return id
}

// MaxRetries is the provider's own default retry budget (throttling and
// transient errors), what a plain `terraform apply` of a generated root
// uses; FastMaxRetries is what skyplan passes when it applies, because its
// fallback loop, not the provider, retries capacity errors (in another
// zone, region or cloud).
const (
	MaxRetries     = 25
	FastMaxRetries = 2
)

// MaxRetriesVar is the root variable the provider's max_retries reads.
const MaxRetriesVar = "aws_max_retries"

var _ cloud.RunVars = Cloud{}

// RunVars: skyplan's own runs get the fast retry budget.
func (Cloud) RunVars() map[string]any {
	return map[string]any{MaxRetriesVar: FastMaxRetries}
}

var _ cloud.AttemptVars = Cloud{}

// AttemptVars: a fallback attempt's first apply makes each API call once,
// so a capacity error reaches the loop without a backoff (the provider
// retries InsufficientInstanceCapacity, not only throttles).
func (Cloud) AttemptVars() map[string]any {
	return map[string]any{MaxRetriesVar: AttemptMaxRetries}
}

// AttemptMaxRetries is 1, not 0: the provider's max_retries counts
// attempts (measured on moto: 1 → one RunInstances call, 2 → two), and it
// reads 0 as unset, i.e. its default of 25, minutes of backoff.
const AttemptMaxRetries = 1

// ProviderBlocks: max_retries is a variable whose default is the
// provider's (skyplan's runs pass FastMaxRetries through RunVars); every
// resource carries the skyplan-cluster tag the leak sweep looks for,
// derived from var.cluster_name (the buckets root declares it for the tag
// alone).
func (Cloud) ProviderBlocks(b *hclwrite.Body, req cloud.ModuleRequest) error {
	b.AppendNewline()
	pb := b.AppendNewBlock("provider", []string{"aws"}).Body()
	pb.SetAttributeRaw("region", cloud.VarRef("region"))
	pb.SetAttributeRaw("max_retries", cloud.VarRef(MaxRetriesVar))
	if req.SkipAccountChecks {
		pb.SetAttributeValue("skip_credentials_validation", cty.True)
		pb.SetAttributeValue("skip_requesting_account_id", cty.True)
		pb.SetAttributeValue("skip_metadata_api_check", cty.True)
	}
	dt := pb.AppendNewBlock("default_tags", nil).Body()
	tags, err := cloud.RawExpr("{ skyplan-cluster = var." + req.NameVar() + " }")
	if err != nil {
		return err
	}
	dt.SetAttributeRaw("tags", tags)
	b.AppendNewline()
	vb := b.AppendNewBlock("variable", []string{MaxRetriesVar}).Body()
	vb.SetAttributeValue("description", cty.StringVal(fmt.Sprintf("AWS provider retries of throttled and transient API errors. %d is the provider's default, right for a plain terraform apply; skyplan passes %d (-var-file=skyplan.run.tfvars.json) because its fallback loop retries capacity errors in another zone itself.", MaxRetries, FastMaxRetries)))
	vb.SetAttributeRaw("type", hclwrite.TokensForIdentifier("number"))
	vb.SetAttributeValue("default", cty.NumberIntVal(MaxRetries))
	return nil
}

// optional is s, or nil (null in the tfvars) when empty.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}
