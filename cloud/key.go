package cloud

import (
	"fmt"
	"strings"
)

// Key is the canonical identity of a placement: where (cloud, region, zone)
// and what (instance type, market). Zone is "" for a region-level
// placement. The optimizer's placements, the fallback loop's attempts and
// blocks, state's clusters and every rendered plan compare and print
// placements through it.
type Key struct {
	Cloud        string `json:"cloud"`
	Region       string `json:"region"`
	Zone         string `json:"zone,omitempty"`
	InstanceType string `json:"instance_type"`
	Spot         bool   `json:"use_spot"`
}

// String is the one label of a placement:
// "aws/us-east-1/us-east-1a/p4d.24xlarge[spot]", with "-" for the zone of a
// region-level placement ("azure/eastus/-/Standard_D2s_v5").
func (k Key) String() string {
	zone := k.Zone
	if zone == "" {
		zone = "-"
	}
	s := k.Cloud + "/" + k.Region + "/" + zone + "/" + k.InstanceType
	if k.Spot {
		s += "[spot]"
	}
	return s
}

// Equal reports whether two keys name the same placement (cloud names
// compare case-insensitively; everything else exactly).
func (k Key) Equal(o Key) bool {
	return strings.EqualFold(k.Cloud, o.Cloud) && k.Region == o.Region && k.Zone == o.Zone &&
		k.InstanceType == o.InstanceType && k.Spot == o.Spot
}

// Location is the key without the instance type and market.
func (k Key) Location() Key { return Key{Cloud: k.Cloud, Region: k.Region, Zone: k.Zone} }

// ParseKey reads a String() label back.
func ParseKey(s string) (Key, error) {
	var k Key
	rest, spot := strings.CutSuffix(s, "[spot]")
	k.Spot = spot
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[3] == "" {
		return Key{}, fmt.Errorf("placement key %q: expected CLOUD/REGION/ZONE/INSTANCE_TYPE[spot] (ZONE \"-\" for region-level), e.g. aws/us-east-1/us-east-1a/p4d.24xlarge[spot]", s)
	}
	k.Cloud, k.Region, k.Zone, k.InstanceType = parts[0], parts[1], parts[2], parts[3]
	if k.Zone == "-" {
		k.Zone = ""
	}
	return k, nil
}

// Block is a set of placements the fallback loop ruled out. Empty fields
// are wildcards; Spot nil matches both markets.
type Block struct {
	Cloud        string `json:"cloud,omitempty"`
	Region       string `json:"region,omitempty"`
	Zone         string `json:"zone,omitempty"`
	InstanceType string `json:"instance_type,omitempty"`
	UseSpot      *bool  `json:"use_spot,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// String renders the block as a key with "*" for wildcards.
func (b Block) String() string {
	star := func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	}
	s := star(b.Cloud) + "/" + star(b.Region) + "/" + star(b.Zone) + "/" + star(b.InstanceType)
	if b.UseSpot != nil {
		if *b.UseSpot {
			s += "[spot]"
		} else {
			s += "[on-demand]"
		}
	}
	return s
}

// Matches reports whether b blocks the placement k. A zone block does not
// match a region-level key: BlockSet.ZonesLeft trims its zones instead.
func (b Block) Matches(k Key) bool {
	switch {
	case b.Cloud != "" && !strings.EqualFold(b.Cloud, k.Cloud),
		b.Region != "" && b.Region != k.Region,
		b.Zone != "" && b.Zone != k.Zone,
		b.InstanceType != "" && b.InstanceType != k.InstanceType,
		b.UseSpot != nil && *b.UseSpot != k.Spot:
		return false
	}
	return true
}

// BlockSet is the fallback loop's blocked set: the one filter the
// optimizer, the candidate planner and the zone loop apply.
type BlockSet []Block

// Blocks reports whether any block matches k.
func (s BlockSet) Blocks(k Key) bool {
	for _, b := range s {
		if b.Matches(k) {
			return true
		}
	}
	return false
}

// ZonesLeft returns the zones of a region-level placement k that no block
// rules out, in their order; a zone-level k yields its own zone or nothing.
func (s BlockSet) ZonesLeft(k Key, zones []string) []string {
	if k.Zone != "" {
		if s.Blocks(k) {
			return nil
		}
		return []string{k.Zone}
	}
	var out []string
	for _, z := range zones {
		kz := k
		kz.Zone = z
		if !s.Blocks(kz) {
			out = append(out, z)
		}
	}
	return out
}
