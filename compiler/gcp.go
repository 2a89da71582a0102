package compiler

import (
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// gcpGPUType maps canonical accelerator names to Compute Engine GPU types.
var gcpGPUType = map[string]string{
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
	gcpCPUImage = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts"
	gcpGPUImage = "projects/ubuntu-os-accelerator-images/global/images/family/ubuntu-accelerator-2204-amd64-with-nvidia-550"
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

// gcpDisk maps disk_tier to a boot disk type (SkyPilot's mapping with its
// per-family caps).
func gcpDisk(tier, machineType string, vcpus float64) string {
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
	if t == "pd-extreme" && (fam == "n1" || fam == "a2" || fam == "g2" || fam == "a3" || fam == "e2" || (fam == "n2" && vcpus < 64)) {
		t = "pd-ssd"
	}
	return t
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

func (c *compilation) gcp() (cloudRoot, diag.Diagnostics) {
	var ds diag.Diagnostics
	p := c.in.Placement
	if p.Zone == "" {
		ds.Errorf("GCP placement has no zone", "GCP nodes are placed zone by zone; the placement for %s names no zone.", p.Region)
		return cloudRoot{}, ds
	}
	acc, count := c.accelerator()
	tpuType, tpuRuntimeVersion := "", ""
	accType, accCount, hasGPU := "", 0, false
	machine := p.InstanceType
	if strings.HasPrefix(strings.ToLower(acc), "tpu-") {
		args := c.req.AcceleratorArgs
		if args != nil && !args.TPUVM {
			ds = append(ds, c.errf("resources.accelerator_args.tpu_vm", "TPU nodes are not supported", "skyplan creates TPU VMs only; remove tpu_vm: false."))
			return cloudRoot{}, ds
		}
		tpuType = strings.TrimPrefix(strings.ToLower(acc), "tpu-")
		tpuRuntimeVersion = tpuRuntime(tpuType)
		if args != nil && args.RuntimeVersion != "" {
			tpuRuntimeVersion = args.RuntimeVersion
		}
		machine = ""
	} else if acc != "" {
		hasGPU = true
		if !gpuBuiltIn(machine) {
			t, ok := gcpGPUType[acc]
			if !ok {
				ds = append(ds, c.errf("resources.accelerators", "Unknown GCP GPU", "skyplan does not know the Compute Engine type of accelerator %q.", acc))
				return cloudRoot{}, ds
			}
			accType, accCount = t, int(count)
		}
	}
	if tpuType == "" && machine == "" {
		ds.Errorf("Placement has no instance type", "The GCP placement names no machine type.")
		return cloudRoot{}, ds
	}
	image := c.imageFor(p.Region)
	switch {
	case image == "" || strings.HasPrefix(image, "docker:") || strings.HasPrefix(image, "skypilot:"):
		image = gcpCPUImage
		if hasGPU {
			image = gcpGPUImage
		}
	case strings.HasPrefix(image, "projects/") || strings.HasPrefix(image, "https://"):
	default:
		ds = append(ds, c.errf("resources.image_id", "Unsupported GCP image_id", "%q is not an image path such as projects/P/global/images/NAME.", image))
		return cloudRoot{}, ds
	}
	if c.req.NetworkTier == "best" {
		ds = append(ds, c.warn("network_tier: best not compiled on GCP", "GPUDirect networking is not generated yet; the cluster uses standard networking."))
	}
	eph, pers, bds := c.buckets()
	ds = append(ds, bds...)
	vars := []tfVar{{name: "project_id", typ: "string", value: c.in.ProjectID, providerOnly: true}}
	vars = append(vars, c.commonVars()...)
	vars = append(vars,
		tfVar{name: "region", typ: "string", value: p.Region},
		tfVar{name: "zone", typ: "string", value: p.Zone},
		tfVar{name: "machine_type", typ: "string", value: machine},
		tfVar{name: "accelerator_type", typ: "string", value: accType},
		tfVar{name: "accelerator_count", typ: "number", value: accCount},
		tfVar{name: "has_gpu", typ: "bool", value: hasGPU},
		tfVar{name: "image", typ: "string", value: image},
		tfVar{name: "disk_size_gb", typ: "number", value: diskSize(c.req)},
		tfVar{name: "disk_type", typ: "string", value: gcpDisk(c.req.DiskTier, machine, p.VCPUs)},
		tfVar{name: "tpu_accelerator_type", typ: "string", value: tpuType},
		tfVar{name: "tpu_runtime_version", typ: "string", value: tpuRuntimeVersion},
		tfVar{name: "buckets", typ: "list(string)", value: eph},
	)
	root := cloudRoot{vars: vars, providers: []providerSpec{
		{"google", "hashicorp/google", GoogleProviderVersion},
		{"google-beta", "hashicorp/google-beta", GoogleProviderVersion},
	}}
	if len(pers) > 0 {
		root.buckets.vars = []tfVar{
			{name: "project_id", typ: "string", value: c.in.ProjectID, providerOnly: true},
			{name: "region", typ: "string", value: p.Region, providerOnly: true},
			{name: "names", typ: "list(string)", value: pers},
			{name: "location", typ: "string", value: strings.ToUpper(p.Region)},
			{name: "labels", typ: "map(string)", value: c.labels},
		}
	}
	return root, ds
}
