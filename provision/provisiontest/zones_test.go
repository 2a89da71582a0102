package provisiontest

import "testing"

// TestZoneForAndBack: moto's account names the priced zone's ID
// differently from the catalog, and PricedZone undoes ZoneFor.
func TestZoneForAndBack(t *testing.T) {
	m := StartMoto(t)
	for _, priced := range []string{"us-east-1a", "us-east-1b", "us-east-2a", "us-west-2c"} {
		region := priced[:len(priced)-1]
		got := m.ZoneFor(t, region, priced)
		if back := m.PricedZone(t, got); back != priced {
			t.Errorf("ZoneFor(%s) = %s, PricedZone of it = %s", priced, got, back)
		}
	}
	// The mapping the tests rely on: use1-az2 is us-east-1a in the
	// catalog and us-east-1c in moto.
	if got := m.ZoneFor(t, "us-east-1", "us-east-1a"); got != "us-east-1c" {
		t.Errorf("moto's name of the catalog's us-east-1a = %s, want us-east-1c", got)
	}
}
