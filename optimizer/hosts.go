package optimizer

import (
	"strings"

	"github.com/skyplan/skyplan/task"
)

// Default CPU families per cloud (SkyPilot's _DEFAULT_INSTANCE_FAMILY).
var (
	awsDefaultFamilies = map[string]bool{
		"m6i": true, "m6id": true, "m7i": true, "r6i": true, "r6id": true,
		"r7i": true, "c6i": true, "c6id": true, "c7i": true,
	}
	gcpDefaultPrefixes = []string{
		"n2-standard-", "n2-highmem-", "n2-highcpu-",
		"n4-standard-", "n4-highcpu-", "n4-highmem-",
	}
	azureDefaultFamilies = map[string]bool{"Ds_v5": true, "Es_v5": true, "Fs_v2": true}
	// GCP GPUs other than the fixed-host ones attach to N1 VMs.
	gcpGPUHostPrefixes = []string{"n1-standard-", "n1-highmem-", "n1-highcpu-"}
)

const (
	defaultVCPUs         = 8
	defaultMemoryPerVCPU = 4
	// tpuVM is GCP's pseudo instance type for TPU VMs; the host is free.
	tpuVM = "TPU-VM"
	// tpuNodeHost carries a TPU node (tpu_vm: false), as in SkyPilot.
	tpuNodeHost = "n1-highmem-8"
)

// gcpFixedHosts maps accelerator → count → the only host types it runs on.
var gcpFixedHosts = map[string]map[float64][]string{
	"A100":      {1: {"a2-highgpu-1g"}, 2: {"a2-highgpu-2g"}, 4: {"a2-highgpu-4g"}, 8: {"a2-highgpu-8g"}, 16: {"a2-megagpu-16g"}},
	"A100-80GB": {1: {"a2-ultragpu-1g"}, 2: {"a2-ultragpu-2g"}, 4: {"a2-ultragpu-4g"}, 8: {"a2-ultragpu-8g"}},
	"L4": {
		1: {"g2-standard-4", "g2-standard-8", "g2-standard-12", "g2-standard-16", "g2-standard-32"},
		2: {"g2-standard-24"}, 4: {"g2-standard-48"}, 8: {"g2-standard-96"},
	},
	"H100":      {1: {"a3-highgpu-1g"}, 2: {"a3-highgpu-2g"}, 4: {"a3-highgpu-4g"}, 8: {"a3-highgpu-8g"}},
	"H100-MEGA": {8: {"a3-megagpu-8g"}},
	"H200":      {8: {"a3-ultragpu-8g"}},
	"B200":      {8: {"a4-highgpu-8g"}},
}

// gcpN1DefaultCPUs is the default host vCPU count per GPU count on N1.
var gcpN1DefaultCPUs = map[string]map[float64]float64{
	"K80":     {1: 4, 2: 8, 4: 16, 8: 32, 16: 64},
	"V100":    {1: 8, 2: 16, 4: 32, 8: 64},
	"T4":      {1: 4, 2: 8, 4: 48},
	"P100":    {1: 8, 2: 16, 4: 32, 8: 64},
	"DEFAULT": {1: 8, 2: 16, 4: 32, 8: 64, 16: 128},
}

// gcpFixedHostAccelerator infers the accelerator of a fixed GPU host type.
func gcpFixedHostAccelerator(instanceType string) *task.Accelerator {
	for name, counts := range gcpFixedHosts {
		for n, types := range counts {
			for _, t := range types {
				if t == instanceType {
					return &task.Accelerator{Name: name, Count: n}
				}
			}
		}
	}
	return nil
}

// tpuVMShape is what SkyPilot assumes a TPU VM host has, for cpus/memory checks.
func tpuVMShape(acc string) (vcpus, mem float64) {
	if strings.HasPrefix(strings.ToLower(acc), "tpu-v4") {
		return 240, 400
	}
	return 96, 334
}

// azureFamily turns "Standard_D8s_v5" into "Ds_v5"; constrained-vCPU types
// ("Standard_E4-2s_v5") get an "_" so they never join a default family
// (SkyPilot's _get_instance_family). Hand-parsed: it runs on every Azure row.
func azureFamily(instanceType string) string {
	t := strings.TrimPrefix(instanceType, "Standard_")
	t = strings.TrimSuffix(t, "_Promo")
	i := 0
	for i < len(t) && (t[i] >= 'A' && t[i] <= 'Z' || t[i] >= 'a' && t[i] <= 'z') {
		i++
	}
	j := i
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		j++
	}
	if i == 0 || j == i {
		return t
	}
	letters, rest := t[:i], t[j:]
	if strings.HasPrefix(rest, "-") {
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if k > 1 {
			return letters + "_" + rest[k:]
		}
	}
	return letters + rest
}

func isDefaultFamily(cloud, instanceType string) bool {
	switch cloud {
	case "aws":
		fam, _, _ := strings.Cut(instanceType, ".")
		return awsDefaultFamilies[fam]
	case "gcp":
		return hasAnyPrefix(instanceType, gcpDefaultPrefixes)
	case "azure":
		return azureDefaultFamilies[azureFamily(instanceType)]
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cpusOK and memOK apply SkyPilot's "N" (exact), "N+" (at least) and
// "Rx" (at least R GiB per vCPU) rules.
func cpusOK(q *task.Quantity, vcpus float64) bool {
	if q == nil {
		return true
	}
	if q.AtLeast {
		return vcpus >= q.Value
	}
	return vcpus == q.Value
}

func memOK(q *task.Quantity, mem, vcpus float64) bool {
	if q == nil {
		return true
	}
	switch {
	case q.PerCPU:
		return mem >= vcpus*q.Value
	case q.AtLeast:
		return mem >= q.Value
	}
	return mem == q.Value
}

// azureDiskTierReason says why an Azure instance type cannot take the disk
// tier (SkyPilot's Azure.check_disk_tier): no ultra disks, and premium SSDs
// (medium/high) only on S-series types.
func azureDiskTierReason(instanceType, tier string) string {
	switch tier {
	case "", "best", "low":
		return ""
	case "ultra":
		return "Azure disk_tier=ultra is not supported now. Please use disk_tier={low, medium, high, best} instead."
	}
	if !azureSSeries(instanceType) {
		return "Azure premium SSDs are only supported for S-series instances. To use disk_tier>=medium, please make sure instance_type is specified to an S-series instance."
	}
	return ""
}

// azureSSeries reports whether the size's lowercase feature letters (after
// the vCPU count) include "s" (premium storage): D8s_v5, NC4as_T4_v3.
func azureSSeries(instanceType string) bool {
	t := strings.TrimPrefix(instanceType, "Standard_")
	i := 0
	for i < len(t) && t[i] >= 'A' && t[i] <= 'Z' {
		i++
	}
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '-') {
		i++
	}
	for ; i < len(t) && t[i] >= 'a' && t[i] <= 'z'; i++ {
		if t[i] == 's' {
			return true
		}
	}
	return false
}
