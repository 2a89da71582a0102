package optimizer

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"strings"

	"github.com/skyplan/skyplan/task"
)

// EFAInstanceTypes are the AWS types that get Elastic Fabric Adapter
// networking for network_tier: best: SkyPilot's EFA_SUPPORTED_INSTANCE_TYPES
// (sky/provision/aws) plus the Trainium types the AWS module wires EFA for.
var EFAInstanceTypes = map[string]bool{
	"p4d.24xlarge": true, "p4de.24xlarge": true,
	"p5.48xlarge": true, "p5e.48xlarge": true, "p5en.48xlarge": true,
	"g4dn.8xlarge": true, "g4dn.12xlarge": true, "g4dn.16xlarge": true, "g4dn.metal": true,
	"g5.8xlarge": true, "g5.12xlarge": true, "g5.16xlarge": true, "g5.24xlarge": true, "g5.48xlarge": true,
	"g6.8xlarge": true, "g6.12xlarge": true, "g6.16xlarge": true, "g6.24xlarge": true, "g6.48xlarge": true,
	"g6e.8xlarge": true, "g6e.12xlarge": true, "g6e.16xlarge": true, "g6e.24xlarge": true, "g6e.48xlarge": true,
	"trn1.32xlarge": true, "trn1n.32xlarge": true, "trn2.48xlarge": true,
}

// tierReason says why an instance type of a cloud cannot serve the
// request's disk_tier / network_tier ("" = it can). The optimizer drops
// such types before picking the cheapest, like SkyPilot's per-cloud
// feasibility checks.
func tierReason(cloud string, hc hostChoice, r *task.Resources) string {
	if reason := diskTierReason(cloud, hc, r.DiskTier); reason != "" {
		return reason
	}
	return networkTierReason(cloud, hc.instanceType, r.NetworkTier)
}

// diskTierReason: AWS supports every tier (ultra = io2); Azure per
// azureDiskTierReason; GCP cannot give ultra (pd-extreme) to the families
// the GCP module caps at pd-ssd (compiler/gcp.go gcpDisk: n1, a2, g2, a3
// except a3-ultragpu, e2, n2 below 64 vCPUs). n4, a4 and a3-ultragpu always
// use hyperdisk-balanced, so every tier is accepted. best never filters: it
// means the highest tier the type supports.
func diskTierReason(cloud string, hc hostChoice, tier string) string {
	switch cloud {
	case "azure":
		return azureDiskTierReason(hc.instanceType, tier)
	case "gcp":
		if tier != "ultra" || hc.instanceType == tpuVM || !gcpCapsAtPDSSD(hc.instanceType, hc.vcpus) {
			return ""
		}
		return fmt.Sprintf("Disk tier ultra is not supported for instance type %s (pd-extreme needs n2 with 64+ vCPUs or another family; n1, a2, g2, a3 and e2 stop at pd-ssd). Use disk_tier: high or best.", hc.instanceType)
	}
	return ""
}

// gcpCapsAtPDSSD mirrors compiler/gcp.go's pd-extreme downgrade.
func gcpCapsAtPDSSD(instanceType string, vcpus float64) bool {
	if strings.HasPrefix(instanceType, "a3-ultragpu") {
		return false
	}
	fam, _, _ := strings.Cut(instanceType, "-")
	switch fam {
	case "n1", "a2", "g2", "a3", "e2":
		return true
	case "n2":
		return vcpus < 64
	}
	return false
}

// networkTierReason: best needs EFA on AWS and is unsupported on Azure
// (SkyPilot lists CUSTOM_NETWORK_TIER as unsupported there). GCP keeps
// every type, as SkyPilot does: GPUDirect is used where the machine has it
// (a3/a4) and other types get standard networking.
func networkTierReason(cloud, instanceType, tier string) string {
	if tier != "best" {
		return ""
	}
	switch cloud {
	case "aws":
		if !EFAInstanceTypes[instanceType] {
			return fmt.Sprintf("network_tier: best needs an EFA instance type on AWS; %s has no EFA (EFA types: p4d, p4de, p5*, g4dn/g5/g6/g6e 8xlarge and larger, trn1, trn1n, trn2)", instanceType)
		}
	case "azure":
		return "Azure does not support network_tier: best (custom network tiers are unsupported on Azure)"
	}
	return ""
}

// filterTiers drops the choices that cannot take the request's tiers; when
// none is left it returns the reason of the cheapest.
func filterTiers(cloud string, choices []hostChoice, r *task.Resources) ([]hostChoice, string) {
	if r.DiskTier == "" && r.NetworkTier == "" {
		return choices, ""
	}
	var ok []hostChoice
	for _, hc := range choices {
		if tierReason(cloud, hc, r) == "" {
			ok = append(ok, hc)
		}
	}
	if len(ok) == 0 {
		return nil, tierReason(cloud, choices[0], r)
	}
	return ok, ""
}

// localDiskText explains refusing local_disk: SkyPilot filters AWS types on the
// catalog's LocalDiskType/NVMeSupported/LocalDiskSize/LocalDiskCount
// columns, which the bundled catalog does not carry, so skyplan cannot
// tell which types have instance storage. Ignoring the field would plan
// a node without the disk the task expects.
func localDiskText(r *task.Resources) string {
	return fmt.Sprintf("local_disk (%q) is not supported by the bundled catalog: it has no LocalDiskType, NVMeSupported, LocalDiskSize or LocalDiskCount columns, so skyplan cannot tell which instance types have instance storage. Remove local_disk, or name an instance type with local NVMe storage instead (e.g. instance_type: m6id.2xlarge).", r.LocalDisk)
}

// multipleTypesHint is SkyPilot's "🔍 Multiple AWS instances satisfy
// L4:1. The cheapest ... is considered among: ..." note: only the cheapest
// type of a cloud becomes placements.
func multipleTypesHint(cloudName string, r *task.Resources, choices []hostChoice) string {
	if len(choices) < 2 || r.Accelerator == nil || r.InstanceType != "" {
		return ""
	}
	names := make([]string, 0, len(choices))
	seen := map[string]bool{}
	for _, hc := range choices {
		if !seen[hc.instanceType] {
			seen[hc.instanceType] = true
			names = append(names, hc.instanceType)
		}
	}
	if len(names) < 2 {
		return ""
	}
	const show = 10
	more := ""
	if len(names) > show {
		more = fmt.Sprintf(", … (%d more)", len(names)-show)
		names = names[:show]
	}
	return fmt.Sprintf("Multiple %s instances satisfy %s. The cheapest %s is considered among: %s%s.",
		cloud.DisplayName(cloudName), accText(r.Accelerator), names[0], strings.Join(names, ", "), more)
}
