package sim

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/skyplan/skyplan/serve/autoscale"
)

// DefaultTick is the replay step (the SkyServe paper's simulator uses 30 s).
const DefaultTick = 30 * time.Second

// Config of one replay.
type Config struct {
	// Replicas is the target number of ready replicas.
	Replicas int
	// ColdStart is the time from launch to ready (provisioning + setup +
	// model load).
	ColdStart time.Duration
	// Overprovision is num_overprovision for the policies that use it.
	Overprovision int
	// Tick is the replay step (DefaultTick if 0).
	Tick time.Duration
	// Prices per zone (every trace's zone must be present).
	Prices map[string]Prices
	// FallbackHold is skyplan's on-demand hold (DefaultFallbackHold if 0).
	FallbackHold time.Duration
	// Start and Window select part of the traces: the replay starts Start
	// into them and lasts Window (0: to the end of the shortest trace).
	Start, Window time.Duration
}

// Result of one policy over one set of traces (the JSON row of `serve
// simulate`).
type Result struct {
	Policy string `json:"policy"`
	// Cost is what the replicas cost over the replay, $; OnDemandCost what
	// Replicas on-demand replicas would have cost.
	Cost         float64 `json:"cost"`
	OnDemandCost float64 `json:"on_demand_cost"`
	// Availability is the fraction of time with at least Replicas ready.
	Availability float64 `json:"availability"`
	// Preemptions of spot replicas (launching or ready).
	Preemptions   int     `json:"preemptions"`
	OnDemandHours float64 `json:"on_demand_hours"`
	SpotHours     float64 `json:"spot_hours"`
	// LaunchFailures are spot launches refused for lack of capacity.
	LaunchFailures int `json:"launch_failures"`
	// CostRatio is Cost ÷ OnDemandCost.
	CostRatio float64 `json:"cost_ratio"`
	Hours     float64 `json:"hours"`
}

// simReplica is one replica of the simulated fleet.
type simReplica struct {
	id      int
	spot    bool
	zone    string
	readyAt time.Duration
	ready   bool
}

// fleetPolicy is a policy under replay: the real autoscaler, plus where a
// spot replica goes and what the placer learns.
type fleetPolicy struct {
	as *autoscale.Autoscaler
	// place picks the zone of a new spot replica given the zones of the
	// spot replicas that exist.
	place func(inUse []string) string
	// preempted is told about a preemption or failed launch in zone;
	// ready about a replica becoming ready there.
	preempted, ready func(zone string)
}

// Run replays policy over traces (one per zone) for their common span
// (or the part Start and Window select).
func Run(traces []Trace, policy string, c Config) (Result, error) {
	if c.Replicas < 1 {
		return Result{}, fmt.Errorf("replicas must be at least 1, got %d", c.Replicas)
	}
	if c.Tick <= 0 {
		c.Tick = DefaultTick
	}
	if len(traces) == 0 {
		return Result{}, fmt.Errorf("no traces")
	}
	byZone := map[string]Trace{}
	span := time.Duration(math.MaxInt64)
	for _, t := range traces {
		if _, ok := c.Prices[t.Zone]; !ok {
			return Result{}, fmt.Errorf("no prices for zone %s", t.Zone)
		}
		byZone[t.Zone] = t
		span = min(span, t.Span())
	}
	if c.Start < 0 || c.Start >= span {
		return Result{}, fmt.Errorf("start %v is outside the traces' common span %v", c.Start, span)
	}
	span -= c.Start
	if c.Window > 0 {
		span = min(span, c.Window)
	}
	zones := zonesBySpotPrice(traces, c.Prices)
	// The virtual clock every policy component reads.
	epoch := time.Unix(0, 0).UTC()
	var now time.Duration
	clock := func() time.Time { return epoch.Add(now) }
	p, err := newPolicy(policy, zones, c, clock)
	if err != nil {
		return Result{}, err
	}
	odZone := zones[0]
	for _, z := range zones {
		if c.Prices[z].OnDemand < c.Prices[odZone].OnDemand {
			odZone = z
		}
	}
	res := Result{Policy: policy}
	var fleet []*simReplica
	nextID := 1
	readyTicks, availTicks, ticks := 0, 0, 0
	tickHours := c.Tick.Hours()
	for now = 0; now < span; now += c.Tick {
		// 1. The cloud reclaims spot replicas beyond the zone's capacity
		// (newest first).
		perZone := map[string][]*simReplica{}
		for _, r := range fleet {
			if r.spot {
				perZone[r.zone] = append(perZone[r.zone], r)
			}
		}
		gone := map[*simReplica]bool{}
		for _, z := range zones {
			rs := perZone[z]
			capacity := byZone[z].capacityAt(c.Start + now)
			for i := len(rs) - 1; i >= 0 && i >= capacity; i-- {
				gone[rs[i]] = true
				res.Preemptions++
				p.preempted(z)
			}
		}
		fleet = without(fleet, gone)
		// 2. Cold starts finish.
		for _, r := range fleet {
			if !r.ready && now >= r.readyAt {
				r.ready = true
				if r.spot {
					p.ready(r.zone)
				}
			}
		}
		// 3. The autoscaler decides; spot launches go where the policy
		// places them and fail when the zone has no capacity.
		obs := make([]autoscale.Replica, len(fleet))
		for i, r := range fleet {
			obs[i] = autoscale.Replica{ID: r.id, Spot: r.spot, Ready: r.ready}
		}
		d := p.as.Evaluate(autoscale.Load{}, obs)
		down := map[int]bool{}
		for _, id := range d.ScaleDown {
			down[id] = true
		}
		kept := fleet[:0]
		for _, r := range fleet {
			if !down[r.id] {
				kept = append(kept, r)
			}
		}
		fleet = kept
		for _, l := range d.Launch {
			if !l.Spot {
				fleet = append(fleet, &simReplica{id: nextID, zone: odZone, readyAt: now + c.ColdStart})
				nextID++
				continue
			}
			var inUse []string
			count := map[string]int{}
			for _, r := range fleet {
				if r.spot {
					inUse = append(inUse, r.zone)
					count[r.zone]++
				}
			}
			z := p.place(inUse)
			if count[z] >= byZone[z].capacityAt(c.Start+now) {
				res.LaunchFailures++
				p.preempted(z)
				continue
			}
			fleet = append(fleet, &simReplica{id: nextID, spot: true, zone: z, readyAt: now + c.ColdStart})
			nextID++
		}
		// 4. Bill the tick and check availability.
		ready := 0
		for _, r := range fleet {
			if r.spot {
				res.Cost += c.Prices[r.zone].Spot * tickHours
				res.SpotHours += tickHours
			} else {
				res.Cost += c.Prices[r.zone].OnDemand * tickHours
				res.OnDemandHours += tickHours
			}
			if r.ready {
				ready++
			}
		}
		if now >= c.ColdStart {
			// The first cold start is the same for every policy: availability
			// counts from the moment the first replicas could be ready.
			if ready >= c.Replicas {
				readyTicks++
			}
			availTicks++
		}
		ticks++
	}
	res.Hours = float64(ticks) * tickHours
	res.OnDemandCost = float64(c.Replicas) * c.Prices[odZone].OnDemand * res.Hours
	res.Availability = float64(readyTicks) / float64(max(availTicks, 1))
	if res.OnDemandCost > 0 {
		res.CostRatio = res.Cost / res.OnDemandCost
	}
	return res, nil
}

func without(fleet []*simReplica, gone map[*simReplica]bool) []*simReplica {
	if len(gone) == 0 {
		return fleet
	}
	out := fleet[:0]
	for _, r := range fleet {
		if !gone[r] {
			out = append(out, r)
		}
	}
	return out
}

// zonesBySpotPrice orders the traces' zones cheapest spot first (name on ties).
func zonesBySpotPrice(traces []Trace, prices map[string]Prices) []string {
	var zs []string
	for _, t := range traces {
		zs = append(zs, t.Zone)
	}
	sort.SliceStable(zs, func(i, j int) bool {
		a, b := prices[zs[i]].Spot, prices[zs[j]].Spot
		if a != b {
			return a < b
		}
		return zs[i] < zs[j]
	})
	return zs
}

// CommonSpan is the time every trace covers.
func CommonSpan(traces []Trace) time.Duration {
	span := time.Duration(math.MaxInt64)
	for _, t := range traces {
		span = min(span, t.Span())
	}
	return span
}

// RunWindows replays repeats windows of length window, evenly spaced over
// the traces (the SkyServe paper replays 24 h windows at 10 offsets), and
// sums them into one result: costs, hours and counts add up, availability
// is the mean. window 0 or longer than the traces replays them whole once.
func RunWindows(traces []Trace, policy string, c Config, window time.Duration, repeats int) (Result, error) {
	span := CommonSpan(traces)
	if window <= 0 || window >= span || repeats < 1 {
		c.Start, c.Window = 0, 0
		return Run(traces, policy, c)
	}
	var sum Result
	avail := 0.0
	for i := 0; i < repeats; i++ {
		c.Window = window
		c.Start = 0
		if repeats > 1 {
			c.Start = time.Duration(int64(span-window) * int64(i) / int64(repeats-1))
		}
		r, err := Run(traces, policy, c)
		if err != nil {
			return Result{}, err
		}
		sum.Policy = r.Policy
		sum.Cost += r.Cost
		sum.OnDemandCost += r.OnDemandCost
		sum.Preemptions += r.Preemptions
		sum.OnDemandHours += r.OnDemandHours
		sum.SpotHours += r.SpotHours
		sum.LaunchFailures += r.LaunchFailures
		sum.Hours += r.Hours
		avail += r.Availability
	}
	sum.Availability = avail / float64(repeats)
	if sum.OnDemandCost > 0 {
		sum.CostRatio = sum.Cost / sum.OnDemandCost
	}
	return sum, nil
}
