package aws

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

var _ interface {
	cloud.DefaultFamilies
	cloud.Tiers
} = Cloud{}

// defaultFamilies are SkyPilot's default AWS CPU families.
var defaultFamilies = map[string]bool{
	"m6i": true, "m6id": true, "m7i": true, "r6i": true, "r6id": true,
	"r7i": true, "c6i": true, "c6id": true, "c7i": true,
}

func (Cloud) IsDefaultFamily(instanceType string) bool {
	fam, _, _ := strings.Cut(instanceType, ".")
	return defaultFamilies[fam]
}

func (Cloud) DefaultFamiliesText() string { return "m6i/c6i/r6i/m7i/c7i/r7i" }

// DiskTierReason: AWS supports every tier (ultra = io2).
func (Cloud) DiskTierReason(string, float64, string) string { return "" }

// NetworkTierReason: best needs EFA.
func (Cloud) NetworkTierReason(instanceType, tier string) string {
	if tier == "best" && EFAInterfaces(instanceType) == 0 {
		return fmt.Sprintf("network_tier: best needs an EFA instance type on AWS; %s has no EFA (EFA types: p4d, p4de, p5*, g4dn/g5/g6/g6e 8xlarge and larger, trn1, trn1n, trn2)", instanceType)
	}
	return ""
}
