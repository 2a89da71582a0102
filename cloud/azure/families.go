package azure

import (
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

var _ interface {
	cloud.DefaultFamilies
	cloud.Tiers
} = Cloud{}

// defaultFamilies are SkyPilot's default Azure CPU families.
var defaultFamilies = map[string]bool{"Ds_v5": true, "Es_v5": true, "Fs_v2": true}

func (Cloud) IsDefaultFamily(instanceType string) bool { return defaultFamilies[Family(instanceType)] }

func (Cloud) DefaultFamiliesText() string { return "Ds_v5/Es_v5/Fs_v2" }

// Family turns "Standard_D8s_v5" into "Ds_v5"; constrained-vCPU types
// ("Standard_E4-2s_v5") get an "_" so they never join a default family
// (SkyPilot's _get_instance_family). Hand-parsed: it runs on every Azure row.
func Family(instanceType string) string {
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

// DiskTierReason says why an Azure instance type cannot take the disk tier
// (SkyPilot's Azure.check_disk_tier): no ultra disks, and premium SSDs
// (medium/high) only on S-series types.
func (Cloud) DiskTierReason(instanceType string, _ float64, tier string) string {
	switch tier {
	case "", "best", "low":
		return ""
	case "ultra":
		return "Azure disk_tier=ultra is not supported now. Please use disk_tier={low, medium, high, best} instead."
	}
	if !sSeries(instanceType) {
		return "Azure premium SSDs are only supported for S-series instances. To use disk_tier>=medium, please make sure instance_type is specified to an S-series instance."
	}
	return ""
}

// sSeries reports whether the size's lowercase feature letters (after the
// vCPU count) include "s" (premium storage): D8s_v5, NC4as_T4_v3.
func sSeries(instanceType string) bool {
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

// NetworkTierReason: SkyPilot lists CUSTOM_NETWORK_TIER as unsupported on Azure.
func (Cloud) NetworkTierReason(_, tier string) string {
	if tier == "best" {
		return "Azure does not support network_tier: best (custom network tiers are unsupported on Azure)"
	}
	return ""
}
