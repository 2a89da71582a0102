package gcp

import (
	"io/fs"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/templates"
)

// ProviderVersion is the hashicorp/google(-beta) version generated roots
// pin (the version of ../shared/provider-schemas).
const ProviderVersion = "6.50.0"

var _ cloud.Module = Cloud{}

func (Cloud) ModuleFiles() (fs.FS, error) { return templates.Module("gcp") }

// MaxNameLength is SkyPilot's GCP cluster name limit.
func (Cloud) MaxNameLength() int { return 35 }

// gpuType maps canonical accelerator names to Compute Engine GPU types.
var gpuType = map[string]string{
	"K80":       "nvidia-tesla-k80",
	"P4":        "nvidia-tesla-p4",
	"P100":      "nvidia-tesla-p100",
	"V100":      "nvidia-tesla-v100",
	"T4":        "nvidia-tesla-t4",
	"A100":      "nvidia-tesla-a100",
	"A100-80GB": "nvidia-a100-80gb",
	"L4":        "nvidia-l4",
	"H100":      "nvidia-h100-80gb",
	"H100-MEGA": "nvidia-h100-mega-80gb",
	"H200":      "nvidia-h200-141gb",
	"B200":      "nvidia-b200",
}

// Public images used when the task names none (SkyPilot's own images are
// not public): Ubuntu 22.04, and Canonical's NVIDIA-driver image for GPUs.
const (
	cpuImage = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts"
	gpuImage = "projects/ubuntu-os-accelerator-images/global/images/family/ubuntu-accelerator-2204-amd64-with-nvidia-550"
)

func machineFamily(machineType string) string { return strings.SplitN(machineType, "-", 2)[0] }

// gpuBuiltIn reports machine families whose GPUs come with the machine type
// (no guest_accelerator block).
func gpuBuiltIn(machineType string) bool {
	switch machineFamily(machineType) {
	case "a2", "a3", "a4", "g2":
		return true
	}
	return false
}

// diskType maps disk_tier to a boot disk type (SkyPilot's mapping with its
// per-family caps; CapsAtPDSSD is the pd-extreme cap the optimizer filters on).
func diskType(tier, machineType string, vcpus float64) string {
	fam := machineFamily(machineType)
	switch fam {
	case "n4", "a4":
		return "hyperdisk-balanced"
	}
	if strings.HasPrefix(machineType, "a3-ultragpu") {
		return "hyperdisk-balanced"
	}
	var t string
	switch tier {
	case "low":
		t = "pd-standard"
	case "high":
		t = "pd-ssd"
	case "ultra", "best":
		t = "pd-extreme"
	default:
		t = "pd-balanced"
	}
	if t == "pd-standard" && (fam == "a3" || fam == "g2") {
		t = "pd-balanced"
	}
	if t == "pd-extreme" && CapsAtPDSSD(machineType, vcpus) {
		t = "pd-ssd"
	}
	return t
}

// CapsAtPDSSD reports the machine types that cannot take pd-extreme and
// stop at pd-ssd: n1, a2, g2, a3 (except a3-ultragpu), e2, and n2 below 64
// vCPUs.
func CapsAtPDSSD(machineType string, vcpus float64) bool {
	if strings.HasPrefix(machineType, "a3-ultragpu") {
		return false
	}
	switch machineFamily(machineType) {
	case "n1", "a2", "g2", "a3", "e2":
		return true
	case "n2":
		return vcpus < 64
	}
	return false
}

// tpuRuntime is the default TPU VM software version per generation.
func tpuRuntime(accType string) string {
	switch {
	case strings.HasPrefix(accType, "v5litepod"):
		return "v2-alpha-tpuv5-lite"
	case strings.HasPrefix(accType, "v5p"):
		return "v2-alpha-tpuv5"
	case strings.HasPrefix(accType, "v6e"):
		return "v2-alpha-tpuv6e"
	}
	return "tpu-vm-base"
}

func (Cloud) Root(req cloud.ModuleRequest) (cloud.ModuleRoot, diag.Diagnostics) {
	var ds diag.Diagnostics
	if req.Zone == "" {
		ds.Errorf("GCP placement has no zone", "GCP nodes are placed zone by zone; the placement for %s names no zone.", req.Region)
		return cloud.ModuleRoot{}, ds
	}
	acc, count := req.Accelerator, req.AcceleratorCount
	tpuType, tpuRuntimeVersion := "", ""
	accType, accCount, hasGPU := "", 0, false
	machine := req.InstanceType
	if strings.HasPrefix(strings.ToLower(acc), "tpu-") {
		if req.TPUNode {
			ds = append(ds, cloud.FieldError("resources.accelerator_args.tpu_vm", "TPU nodes are not supported", "skyplan creates TPU VMs only; remove tpu_vm: false."))
			return cloud.ModuleRoot{}, ds
		}
		if req.QueuedResource {
			// A queued resource is granted later, outside the apply: its
			// TPU VMs and their addresses are not in the state when apply
			// returns, so there would be no nodes output to run on.
			ds = append(ds, cloud.FieldError("resources.accelerator_args.gcp_queued_resource", "gcp_queued_resource is not supported",
				"skyplan creates TPU VMs directly (google_tpu_v2_vm) and falls back zone by zone itself; a queued resource (google_tpu_v2_queued_resource) is provisioned after terraform apply returns, so skyplan would have no nodes to run on. Remove gcp_queued_resource: true, or request the capacity as a queued resource outside skyplan and use it as an SSH node pool."))
			return cloud.ModuleRoot{}, ds
		}
		tpuType = strings.TrimPrefix(strings.ToLower(acc), "tpu-")
		tpuRuntimeVersion = tpuRuntime(tpuType)
		if req.RuntimeVersion != "" {
			tpuRuntimeVersion = req.RuntimeVersion
		}
		machine = ""
	} else if acc != "" {
		hasGPU = true
		if !gpuBuiltIn(machine) {
			t, ok := gpuType[acc]
			if !ok {
				ds = append(ds, cloud.FieldError("resources.accelerators", "Unknown GCP GPU", "skyplan does not know the Compute Engine type of accelerator %q.", acc))
				return cloud.ModuleRoot{}, ds
			}
			accType, accCount = t, int(count)
		}
	}
	if tpuType == "" && machine == "" {
		ds.Errorf("Placement has no instance type", "The GCP placement names no machine type.")
		return cloud.ModuleRoot{}, ds
	}
	image := req.Image
	switch {
	case image == "" || strings.HasPrefix(image, "docker:") || strings.HasPrefix(image, "skypilot:"):
		image = cpuImage
		if hasGPU {
			image = gpuImage
		}
	case strings.HasPrefix(image, "projects/") || strings.HasPrefix(image, "https://"):
	default:
		ds = append(ds, cloud.FieldError("resources.image_id", "Unsupported GCP image_id", "%q is not an image path such as projects/P/global/images/NAME.", image))
		return cloud.ModuleRoot{}, ds
	}
	if req.NetworkTier == "best" {
		ds = append(ds, cloud.Warning("network_tier: best not compiled on GCP", "GPUDirect networking is not generated yet; the cluster uses standard networking."))
	}
	dtype := diskType(req.DiskTier, machine, req.VCPUs)
	iops, throughput, capped := hyperdiskPerformance(dtype, req.DiskTier, req.DiskSizeGB)
	if capped {
		ds = append(ds, cloud.Warning("Boot disk too small for its disk_tier",
			"A %d GB hyperdisk-balanced disk takes at most %d IOPS (500 per GB); disk_tier %s is provisioned with %d IOPS and %d MiB/s. Raise disk_size for more.", req.DiskSizeGB, iops, req.DiskTier, iops, throughput))
	}
	vars := []cloud.Var{{Name: "project_id", Type: "string", Value: req.ProjectID, ProviderOnly: true}}
	vars = append(vars, req.Common...)
	vars = append(vars,
		cloud.Var{Name: "region", Type: "string", Value: req.Region},
		cloud.Var{Name: "zone", Type: "string", Value: req.Zone},
		cloud.Var{Name: "machine_type", Type: "string", Value: machine},
		cloud.Var{Name: "accelerator_type", Type: "string", Value: accType},
		cloud.Var{Name: "accelerator_count", Type: "number", Value: accCount},
		cloud.Var{Name: "has_gpu", Type: "bool", Value: hasGPU},
		cloud.Var{Name: "image", Type: "string", Value: image},
		cloud.Var{Name: "disk_size_gb", Type: "number", Value: req.DiskSizeGB},
		cloud.Var{Name: "disk_type", Type: "string", Value: dtype},
		cloud.Var{Name: "disk_iops", Type: "number", Value: iops, Description: "Provisioned IOPS of a hyperdisk-balanced boot disk, from disk_tier (null: the disk type's default)."},
		cloud.Var{Name: "disk_throughput", Type: "number", Value: throughput, Description: "Provisioned throughput (MiB/s) of a hyperdisk-balanced boot disk, from disk_tier (null: the default)."},
		cloud.Var{Name: "flow_log_sampling", Type: "number", Value: 0, Description: "Fraction of the subnet's flows logged to Cloud Logging (0 = no VPC flow logs, as on AWS and Azure; logging is billed)."},
		cloud.Var{Name: "tpu_accelerator_type", Type: "string", Value: tpuType},
		cloud.Var{Name: "tpu_runtime_version", Type: "string", Value: tpuRuntimeVersion},
		cloud.Var{Name: "buckets", Type: "list(string)", Value: req.Buckets},
		cloud.Var{Name: "readwrite_buckets", Type: "list(string)", Value: req.ReadWriteBuckets},
		cloud.Var{Name: "readonly_buckets", Type: "list(string)", Value: req.ReadOnlyBuckets},
		cloud.Var{Name: "autostop_action", Type: "string", Value: req.AutostopAction},
	)
	root := cloud.ModuleRoot{Vars: vars, Providers: []cloud.Provider{
		{Name: "google", Source: "hashicorp/google", Version: ProviderVersion},
		{Name: "google-beta", Source: "hashicorp/google-beta", Version: ProviderVersion},
	}}
	if len(req.PersistentBuckets) > 0 {
		root.BucketVars = []cloud.Var{
			{Name: "project_id", Type: "string", Value: req.ProjectID, ProviderOnly: true},
			{Name: "region", Type: "string", Value: req.Region, ProviderOnly: true},
			{Name: "cluster_name", Type: "string", Value: req.ClusterName, ProviderOnly: true, Description: "Cluster the buckets were created for (the providers' skyplan-cluster label)."},
			{Name: "names", Type: "list(string)", Value: req.PersistentBuckets},
			{Name: "location", Type: "string", Value: strings.ToUpper(req.Region)},
			{Name: "labels", Type: "map(string)", Value: req.Labels},
		}
	}
	return root, ds
}

// ProviderBlocks configures google and google-beta alike; every resource
// carries the skyplan-cluster label, derived from var.cluster_name (the
// buckets root declares it for the label alone).
func (Cloud) ProviderBlocks(b *hclwrite.Body, req cloud.ModuleRequest) error {
	for _, name := range []string{"google", "google-beta"} {
		b.AppendNewline()
		pb := b.AppendNewBlock("provider", []string{name}).Body()
		pr, err := cloud.RawExpr(`var.project_id == "" ? null : var.project_id`)
		if err != nil {
			return err
		}
		pb.SetAttributeRaw("project", pr)
		pb.SetAttributeRaw("region", cloud.VarRef("region"))
		labels, err := cloud.RawExpr("{ skyplan-cluster = var." + req.NameVar() + " }")
		if err != nil {
			return err
		}
		pb.SetAttributeRaw("default_labels", labels)
	}
	return nil
}

// hyperdiskPerformance provisions a hyperdisk-balanced boot disk for
// disk_tier (machine families without pd-* disks, n4/a4/a3-ultragpu, would
// otherwise get the same baseline disk for every tier): the IOPS of the
// AWS mapping (high 7000, ultra and best 20000) and throughput IOPS/16
// MiB/s, within hyperdisk-balanced's limits (at most 500 IOPS per GB; the
// throughput between 140 and IOPS/4 MiB/s). low and medium keep the disk
// type's defaults (nil). capped: the disk size lowered the IOPS.
func hyperdiskPerformance(diskType, tier string, sizeGB int) (iops, throughput any, capped bool) {
	if diskType != "hyperdisk-balanced" {
		return nil, nil, false
	}
	var want int
	switch tier {
	case "high":
		want = 7000
	case "ultra", "best":
		want = 20000
	default:
		return nil, nil, false
	}
	n := want
	if max := 500 * sizeGB; n > max {
		n, capped = max, true
	}
	if n < 3000 {
		n = 3000
	}
	tp := n / 16
	if tp < 140 {
		tp = 140
	}
	if tp > n/4 {
		tp = n / 4
	}
	return n, tp, capped
}
