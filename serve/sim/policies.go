package sim

import (
	"fmt"
	"time"

	"github.com/skyplan/skyplan/serve/autoscale"
	"github.com/skyplan/skyplan/serve/placer"
	"github.com/skyplan/skyplan/task"
)

// Policy names, in report order.
const (
	OnDemand    = "on-demand"
	SpotOneZone = "spot-one-zone"
	Spread      = "spread"
	SkyServe    = "skyserve"
	Skyplan     = "skyplan"
)

// DefaultFallbackHold is how long skyplan keeps fallback on-demand
// replicas after the last spot replica was lost (chosen on
// ../shared/spot-traces: the shortest hold with ≥ 99% availability on
// every AWS trace, see docs/serve.md).
const DefaultFallbackHold = 45 * time.Minute

// Policies lists every policy name.
func Policies() []string { return []string{OnDemand, SpotOneZone, Spread, SkyServe, Skyplan} }

func zoneLocations(zones []string, c Config) []placer.Candidate {
	var cs []placer.Candidate
	for _, z := range zones {
		cs = append(cs, placer.Candidate{Location: placer.Location{Zone: z}, HourlyCost: c.Prices[z].Spot})
	}
	return cs
}

func toLocations(zones []string) []placer.Location {
	ls := make([]placer.Location, len(zones))
	for i, z := range zones {
		ls[i] = placer.Location{Zone: z}
	}
	return ls
}

func newPolicy(name string, zones []string, c Config, clock func() time.Time) (*fleetPolicy, error) {
	fixed := task.ReplicaPolicy{MinReplicas: c.Replicas}
	nop := func(string) {}
	switch name {
	case OnDemand:
		return &fleetPolicy{as: autoscale.New(fixed, autoscale.Options{}), place: nil, preempted: nop, ready: nop}, nil
	case SpotOneZone:
		return &fleetPolicy{as: autoscale.New(fixed, autoscale.Options{Spot: true}),
			place: func([]string) string { return zones[0] }, preempted: nop, ready: nop}, nil
	case Spread:
		// Naive spreading: each new replica goes to the next zone in turn,
		// whatever happened there before.
		next := 0
		return &fleetPolicy{as: autoscale.New(fixed, autoscale.Options{Spot: true}),
			place: func([]string) string {
				z := zones[next%len(zones)]
				next++
				return z
			}, preempted: nop, ready: nop}, nil
	case SkyServe:
		// SpotHedge as published: dynamic_fallback placer, num_overprovision
		// spot replicas, dynamic on-demand fallback.
		rp := fixed
		rp.NumOverprovision = c.Overprovision
		rp.DynamicOnDemandFallback = true
		rp.SpotPlacer = task.SpotPlacerDynamicFallback
		pl := placer.NewDynamicFallback(zoneLocations(zones, c))
		return placerPolicy(autoscale.New(rp, autoscale.Options{Spot: true}), pl), nil
	case Skyplan:
		// SpotHedge's placement and fallback rule, plus a hold: fallback
		// on-demand replicas stay until no spot replica has been lost for
		// skyplanHold. Spot decisions are SkyServe's, and on-demand replicas
		// only ever outlive SkyServe's, so availability is never lower.
		rp := fixed
		rp.NumOverprovision = c.Overprovision
		rp.DynamicOnDemandFallback = true
		rp.SpotPlacer = task.SpotPlacerDynamicFallback
		pl := placer.NewDynamicFallback(zoneLocations(zones, c))
		hold := c.FallbackHold
		if hold <= 0 {
			hold = DefaultFallbackHold
		}
		return placerPolicy(autoscale.New(rp, autoscale.Options{Spot: true, Now: clock, FallbackHold: hold}), pl), nil
	}
	return nil, fmt.Errorf("unknown policy %q: use one of %v or all", name, Policies())
}

func placerPolicy(as *autoscale.Autoscaler, pl placer.Placer) *fleetPolicy {
	return &fleetPolicy{as: as,
		place: func(inUse []string) string {
			l, _ := pl.Select(toLocations(inUse))
			return l.Zone
		},
		preempted: func(z string) { pl.Preempted(placer.Location{Zone: z}) },
		ready:     func(z string) { pl.Active(placer.Location{Zone: z}) },
	}
}
