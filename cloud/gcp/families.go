package gcp

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

var _ interface {
	cloud.DefaultFamilies
	cloud.Tiers
} = Cloud{}

// defaultPrefixes are SkyPilot's default GCP CPU machine types.
var defaultPrefixes = []string{
	"n2-standard-", "n2-highmem-", "n2-highcpu-",
	"n4-standard-", "n4-highcpu-", "n4-highmem-",
}

func (Cloud) IsDefaultFamily(instanceType string) bool {
	return hasAnyPrefix(instanceType, defaultPrefixes)
}

func (Cloud) DefaultFamiliesText() string { return "n2/n4 standard, highmem, highcpu" }

// DiskTierReason: GCP cannot give ultra (pd-extreme) to the families the
// module caps at pd-ssd (CapsAtPDSSD). n4, a4 and a3-ultragpu always use
// hyperdisk-balanced, so every tier is accepted; best never filters: it
// means the highest tier the type supports.
func (Cloud) DiskTierReason(instanceType string, vcpus float64, tier string) string {
	if tier != "ultra" || instanceType == TPUVM || !CapsAtPDSSD(instanceType, vcpus) {
		return ""
	}
	return fmt.Sprintf("Disk tier ultra is not supported for instance type %s (pd-extreme needs n2 with 64+ vCPUs or another family; n1, a2, g2, a3 and e2 stop at pd-ssd). Use disk_tier: high or best.", instanceType)
}

// NetworkTierReason: GCP keeps every type, as SkyPilot does: GPUDirect is
// used where the machine has it (a3/a4), other types get standard networking.
func (Cloud) NetworkTierReason(string, string) string { return "" }

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
