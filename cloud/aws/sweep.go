package aws

import (
	"strings"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/templates"
)

var _ cloud.TagSweeper = Cloud{}

// keyPairMarker starts the name of a leftover key pair in the sweep
// root's check warning (templates/sweep/aws.tf).
const keyPairMarker = "skyplan-leftover-key-pair="

// SweepModule is templates/sweep/aws.tf: one region's tagged instances,
// EIPs, ENIs, security groups, subnets, route tables, VPCs, gateways, key
// pairs and buckets.
func (Cloud) SweepModule() []byte { b, _ := templates.Sweep("aws"); return b }

// SweepVars passes the key pairs earlier runs reported, so the next run
// imports them.
func (Cloud) SweepVars(reported []string) map[string]any {
	if reported == nil {
		reported = []string{}
	}
	return map[string]any{"key_pairs": reported}
}

// SweepReported reads the key pair names out of the check warnings.
func (Cloud) SweepReported(details []string) []string {
	var out []string
	for _, d := range details {
		if i := strings.Index(d, keyPairMarker); i >= 0 {
			if f := strings.Fields(d[i+len(keyPairMarker):]); len(f) > 0 {
				out = append(out, f[0])
			}
		}
	}
	return out
}
