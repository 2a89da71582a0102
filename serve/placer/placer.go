// Package placer chooses where the next spot replica of a service goes.
// DynamicFallback is SkyServe's dynamic_fallback spot placer (the
// "SpotHedge" placement of the SkyServe paper): it spreads spot replicas
// over distinct locations (zones, regions or clouds), cheapest first, and
// moves away from locations where a replica was preempted or failed to
// launch.
//
// A placer holds no goroutines and no clock; it is safe for concurrent use.
// The controller persists Snapshot() and restores it with Restore after a
// restart.
package placer

import (
	"sort"
	"strings"
	"sync"

	"github.com/skyplan/skyplan/optimizer"
)

// Location is one failure domain a replica can be placed in. Zone is "" for
// a region-level location, Region is "" for a cloud-level one.
type Location struct {
	Cloud  string `json:"cloud"`
	Region string `json:"region,omitempty"`
	Zone   string `json:"zone,omitempty"`
}

// String renders cloud/region/zone ("aws/us-east-1/us-east-1a").
func (l Location) String() string {
	parts := []string{l.Cloud}
	if l.Region != "" {
		parts = append(parts, l.Region)
	}
	if l.Zone != "" {
		parts = append(parts, l.Zone)
	}
	return strings.Join(parts, "/")
}

// State of a location.
type State string

const (
	// Active locations are eligible for new replicas.
	Active State = "ACTIVE"
	// Preempted locations had a replica preempted or a launch fail; they are
	// avoided until too few locations are left active.
	Preempted State = "PREEMPTED"
)

// Candidate is a location with the hourly price of one replica there.
type Candidate struct {
	Location
	HourlyCost float64 `json:"hourly_cost"`
}

// Placer decides the location of the next spot replica. The controller
// calls Select before launching, Preempted when a replica there is
// preempted or its launch fails, and Active when a replica there becomes
// ready.
type Placer interface {
	// Select returns the location for a new replica given the locations of
	// the replicas that exist now (launching or ready). ok is false when
	// there are no candidates at all.
	Select(inUse []Location) (loc Location, ok bool)
	// Preempted marks loc as preempted.
	Preempted(loc Location)
	// Active marks loc as active again.
	Active(loc Location)
	// Locations returns every candidate with its state, cheapest first.
	Locations() []LocationState
}

// LocationState is a candidate and its state, for status and persistence.
type LocationState struct {
	Candidate
	State State `json:"state"`
}

// DynamicFallback is SkyServe's dynamic_fallback placer: the next replica
// goes to the cheapest ACTIVE location not already in use, else the
// cheapest ACTIVE one; a preemption or failed launch marks the location
// PREEMPTED; when fewer than two locations remain ACTIVE every location is
// reset to ACTIVE (so a service never pins itself to one failure domain).
type DynamicFallback struct {
	mu    sync.Mutex
	cands []Candidate // cheapest first, stable
	state map[Location]State
}

var _ Placer = (*DynamicFallback)(nil)

// NewDynamicFallback returns a placer over cands (duplicates keep the
// cheapest price); every location starts ACTIVE.
func NewDynamicFallback(cands []Candidate) *DynamicFallback {
	best := map[Location]Candidate{}
	var order []Location
	for _, c := range cands {
		if b, ok := best[c.Location]; !ok || c.HourlyCost < b.HourlyCost {
			if !ok {
				order = append(order, c.Location)
			}
			best[c.Location] = c
		}
	}
	p := &DynamicFallback{state: map[Location]State{}}
	for _, l := range order {
		p.cands = append(p.cands, best[l])
		p.state[l] = Active
	}
	sort.SliceStable(p.cands, func(i, j int) bool { return p.cands[i].HourlyCost < p.cands[j].HourlyCost })
	return p
}

// Select implements Placer.
func (p *DynamicFallback) Select(inUse []Location) (Location, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	used := map[Location]bool{}
	for _, l := range inUse {
		used[l] = true
	}
	cands := p.cands
	var firstActive *Candidate
	for i := range cands {
		c := &cands[i]
		if p.state[c.Location] != Active {
			continue
		}
		if !used[c.Location] {
			return c.Location, true
		}
		if firstActive == nil {
			firstActive = c
		}
	}
	if firstActive != nil {
		return firstActive.Location, true
	}
	if len(cands) > 0 {
		// Unreachable while the reset rule holds: with one candidate that is
		// preempted, it is still the only choice.
		return cands[0].Location, true
	}
	return Location{}, false
}

// Preempted implements Placer.
func (p *DynamicFallback) Preempted(loc Location) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.state[loc]; !ok {
		return
	}
	p.state[loc] = Preempted
	active := 0
	for _, s := range p.state {
		if s == Active {
			active++
		}
	}
	if active < 2 {
		for l := range p.state {
			p.state[l] = Active
		}
	}
}

// Active implements Placer.
func (p *DynamicFallback) Active(loc Location) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.state[loc]; ok {
		p.state[loc] = Active
	}
}

// Locations implements Placer.
func (p *DynamicFallback) Locations() []LocationState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]LocationState, len(p.cands))
	for i, c := range p.cands {
		out[i] = LocationState{Candidate: c, State: p.state[c.Location]}
	}
	return out
}

// Restore sets the states saved from Locations (after a controller
// restart); unknown locations are ignored.
func (p *DynamicFallback) Restore(states []LocationState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range states {
		if _, ok := p.state[s.Location]; ok && (s.State == Active || s.State == Preempted) {
			p.state[s.Location] = s.State
		}
	}
}

// Granularity is what one location is: a zone, a region or a cloud.
type Granularity int

const (
	Zone Granularity = iota
	Region
	Cloud
)

// FromPlacements turns the optimizer's candidate placements (spot ones for
// a spot placer) into placer candidates at the given granularity, keeping
// the cheapest price per location. Region-level placements (AWS on-demand)
// become one location per zone they list when g is Zone.
func FromPlacements(ps []optimizer.Placement, g Granularity) []Candidate {
	var out []Candidate
	for _, p := range ps {
		switch g {
		case Cloud:
			out = append(out, Candidate{Location{Cloud: p.Cloud}, p.HourlyCost})
		case Region:
			out = append(out, Candidate{Location{Cloud: p.Cloud, Region: p.Region}, p.HourlyCost})
		default:
			zones := []string{p.Zone}
			if p.Zone == "" && len(p.Zones) > 0 {
				zones = p.Zones
			}
			for _, z := range zones {
				out = append(out, Candidate{Location{Cloud: p.Cloud, Region: p.Region, Zone: z}, p.HourlyCost})
			}
		}
	}
	return out
}
