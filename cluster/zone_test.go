package cluster

import (
	"path/filepath"
	"testing"

	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
)

// TestPricedZoneKeptAccountZoneShown: AWS places by zone ID, so the nodes
// report the account's name of the priced zone. The record keeps the
// priced zone (recompiles, blocks and recovery speak the catalog's
// names) and the labels show both; a region-level placement learns its
// zone from the nodes.
func TestPricedZoneKeptAccountZoneShown(t *testing.T) {
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large", HourlyCost: 0.1}
	nodes := []state.Node{{Rank: 0, InstanceID: "i-1", Zone: "us-east-1c"}}
	c, err := provision.MarkUp(st, "z", p, 1, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if c.Zone != "us-east-1a" || c.Nodes[0].Zone != "us-east-1c" {
		t.Errorf("recorded zone %q, node zone %q; want the priced us-east-1a and the account's us-east-1c", c.Zone, c.Nodes[0].Zone)
	}
	if got, want := PlacedLabel(c.Cloud, c.Region, c.Zone, AccountZone(c)), "AWS (us-east-1c, priced as us-east-1a)"; got != want {
		t.Errorf("PlacedLabel = %q, want %q", got, want)
	}
	if AccountZone(c) != "us-east-1c" {
		t.Errorf("AccountZone = %q", AccountZone(c))
	}

	c.Nodes[0].Zone = "us-east-1a"
	if got := PlacedLabel(c.Cloud, c.Region, c.Zone, AccountZone(c)); got != "AWS (us-east-1a)" || AccountZone(c) != "" {
		t.Errorf("same names: PlacedLabel = %q, AccountZone = %q", got, AccountZone(c))
	}

	region := optimizer.Placement{Cloud: "gcp", Region: "us-central1", InstanceType: "n2-standard-8"}
	rc, err := provision.MarkUp(st, "r", region, 1, []state.Node{{Rank: 0, Zone: "us-central1-b"}})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Zone != "us-central1-b" || PlacedLabel(rc.Cloud, rc.Region, rc.Zone, AccountZone(rc)) != "GCP (us-central1-b)" {
		t.Errorf("region-level placement: zone %q, label %q", rc.Zone, PlacedLabel(rc.Cloud, rc.Region, rc.Zone, AccountZone(rc)))
	}
}
