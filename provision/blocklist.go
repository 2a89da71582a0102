package provision

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/optimizer"
)

// BlocksFor returns what a classified failure of an attempt at p rules out.
// p.Zone is the zone the attempt used ("" for a region-level request).
// Auth/config/transient/unknown failures block nothing: the loop stops or
// retries in place instead.
func BlocksFor(c Classification, p optimizer.Placement, reason string) []optimizer.Blocked {
	spot := p.UseSpot
	base := optimizer.Blocked{Cloud: p.Cloud, Region: p.Region, InstanceType: p.InstanceType, UseSpot: &spot, Reason: reason}
	switch c.Class {
	case Capacity, Spot:
		zone := p.Zone
		if c.Zone != "" && zone == "" {
			zone = c.Zone
		}
		// A cloud without zones requests capacity for a whole region: a
		// capacity error there rules out the region (SkyPilot's Azure handler).
		if !cloud.HasZones(p.Cloud) || zone == "" {
			return []optimizer.Blocked{base}
		}
		b := base
		b.Zone = zone
		return []optimizer.Blocked{b}
	case Quota:
		if c.AllRegions {
			b := base
			b.Region = ""
			return []optimizer.Blocked{b}
		}
		return []optimizer.Blocked{base}
	}
	return nil
}

// ZonesToTry lists the zones of one placement that the loop attempts in
// turn: the placement's own zone, or for a region-level placement every
// zone of Zones that no block rules out (AWS on-demand), or "" when the
// cloud takes region-level requests (Azure).
func ZonesToTry(p optimizer.Placement, blocked []optimizer.Blocked) []string {
	if p.Zone == "" && len(p.Zones) == 0 {
		return []string{""}
	}
	return cloud.BlockSet(blocked).ZonesLeft(p.Key(), p.Zones)
}

// IsBlocked reports whether any block matches p (p.Zone set for zone checks).
func IsBlocked(p optimizer.Placement, blocked []optimizer.Blocked) bool {
	return cloud.BlockSet(blocked).Blocks(p.Key())
}

// InfraLabel renders "AWS (us-east-1a)" or "AWS (us-east-1)" as SkyPilot does.
func InfraLabel(cloudName, region, zone string) string {
	name := cloud.DisplayName(cloudName)
	switch {
	case zone != "":
		return fmt.Sprintf("%s (%s)", name, zone)
	case region != "":
		return fmt.Sprintf("%s (%s)", name, region)
	}
	return name
}

// ResourcesLabel renders "2x m5.xlarge[Spot]" or "1x(gpus=A100:8, p4d.24xlarge)".
func ResourcesLabel(numNodes int, instanceType string, accels map[string]float64, spot bool) string {
	if numNodes < 1 {
		numNodes = 1
	}
	it := instanceType
	if spot {
		it += "[Spot]"
	}
	var gpus []string
	for name, n := range accels {
		gpus = append(gpus, fmt.Sprintf("%s:%g", name, n))
	}
	if len(gpus) == 0 {
		return fmt.Sprintf("%dx %s", numNodes, it)
	}
	return fmt.Sprintf("%dx(gpus=%s, %s)", numNodes, strings.Join(gpus, ","), it)
}

// CandidatePlanner picks from a fixed ranked list (the optimizer's
// Candidates): the first one no block rules out, where a region-level
// placement is out once its region is blocked or all its zones are.
func CandidatePlanner(cands []optimizer.Placement) Planner {
	return func(blocked []optimizer.Blocked) (*optimizer.Placement, error) {
		for _, c := range cands {
			if IsBlocked(c, blocked) {
				continue
			}
			if c.Zone == "" && len(c.Zones) > 0 && len(ZonesToTry(c, blocked)) == 0 {
				continue
			}
			c := c
			return &c, nil
		}
		return nil, ErrNoPlacement
	}
}
