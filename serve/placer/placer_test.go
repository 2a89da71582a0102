package placer

import (
	"testing"

	"github.com/skyplan/skyplan/optimizer"
)

func loc(z string) Location { return Location{Cloud: "aws", Region: z[:len(z)-1], Zone: z} }

func threeZones() *DynamicFallback {
	return NewDynamicFallback([]Candidate{
		{loc("us-east-1b"), 0.9}, {loc("us-east-1a"), 0.8}, {loc("us-west-2a"), 1.0}, {loc("us-east-1a"), 0.95},
	})
}

func TestSelectSpreadsCheapestFirst(t *testing.T) {
	p := threeZones()
	var inUse []Location
	want := []string{"us-east-1a", "us-east-1b", "us-west-2a", "us-east-1a"}
	for i, w := range want {
		l, ok := p.Select(inUse)
		if !ok || l.Zone != w {
			t.Fatalf("replica %d: got %v, want %s", i, l, w)
		}
		inUse = append(inUse, l)
	}
	if got := p.Locations(); len(got) != 3 || got[0].HourlyCost != 0.8 {
		t.Errorf("locations = %+v (duplicates must keep the cheapest price)", got)
	}
}

func TestPreemptedAvoidedThenReset(t *testing.T) {
	p := threeZones()
	p.Preempted(loc("us-east-1a"))
	if l, _ := p.Select(nil); l.Zone != "us-east-1b" {
		t.Errorf("after preempting 1a: %v, want us-east-1b", l)
	}
	// In use everywhere active: the cheapest ACTIVE one, never the preempted.
	if l, _ := p.Select([]Location{loc("us-east-1b"), loc("us-west-2a")}); l.Zone != "us-east-1b" {
		t.Errorf("all active in use: %v, want us-east-1b", l)
	}
	p.Active(loc("us-east-1a"))
	if l, _ := p.Select(nil); l.Zone != "us-east-1a" {
		t.Errorf("after 1a active again: %v", l)
	}
	p.Preempted(loc("us-east-1a"))
	p.Preempted(loc("us-east-1b")) // one ACTIVE left → every location reset
	for _, s := range p.Locations() {
		if s.State != Active {
			t.Errorf("%v is %s after reset", s.Location, s.State)
		}
	}
	if l, _ := p.Select(nil); l.Zone != "us-east-1a" {
		t.Errorf("after reset: %v", l)
	}
}

func TestRestoreAndUnknown(t *testing.T) {
	p := threeZones()
	p.Preempted(loc("us-east-1a"))
	saved := p.Locations()
	q := threeZones()
	q.Restore(append(saved, LocationState{Candidate: Candidate{Location: loc("eu-west-1a")}, State: Preempted}))
	q.Preempted(Location{Cloud: "gcp"}) // unknown: ignored
	if l, _ := q.Select(nil); l.Zone != "us-east-1b" {
		t.Errorf("restored placer chose %v", l)
	}
	if _, ok := NewDynamicFallback(nil).Select(nil); ok {
		t.Error("no candidates must not select")
	}
}

func TestFromPlacements(t *testing.T) {
	ps := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", Zones: []string{"us-east-1a", "us-east-1b"}, HourlyCost: 3},
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", HourlyCost: 2},
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-b", HourlyCost: 2.5},
	}
	if got := FromPlacements(ps, Zone); len(got) != 4 || got[1].Zone != "us-east-1b" {
		t.Errorf("zones = %+v", got)
	}
	p := NewDynamicFallback(FromPlacements(ps, Region))
	if got := p.Locations(); len(got) != 2 || got[0].String() != "gcp/us-central1" || got[0].HourlyCost != 2 {
		t.Errorf("regions = %+v", got)
	}
	if got := NewDynamicFallback(FromPlacements(ps, Cloud)).Locations(); len(got) != 2 || got[1].String() != "aws" {
		t.Errorf("clouds = %+v", got)
	}
}
