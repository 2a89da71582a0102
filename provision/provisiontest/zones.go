package provisiontest

import (
	"encoding/xml"
	"net/url"
	"testing"

	"github.com/skyplan/skyplan/catalog"
)

// ZoneFor is moto's name of the zone skyplan prices as pricedZone. The
// catalog names zone IDs with its own account's mapping (us-east-1a is
// use1-az2), moto's account names them differently (use1-az2 is
// us-east-1c), and generated modules place nodes by ID, so a fault meant
// for the priced zone must name the zone moto sees requests for.
func (m *Moto) ZoneFor(t testing.TB, region, pricedZone string) string {
	t.Helper()
	id, ok := catalog.Embedded().AWSZoneID(pricedZone)
	if !ok {
		t.Fatalf("the catalog has no zone ID for %s", pricedZone)
	}
	name, _ := m.zone(t, region, "ZoneId.1", id)
	return name
}

// PricedZone is the inverse of ZoneFor: the catalog's name of the zone
// moto calls motoZone (us-east-1c → us-east-1a), for comparing what a
// fault hit with the zones skyplan reports.
func (m *Moto) PricedZone(t testing.TB, motoZone string) string {
	t.Helper()
	region := motoZone[:len(motoZone)-1]
	_, id := m.zone(t, region, "ZoneName.1", motoZone)
	name, ok := catalog.Embedded().AWSZoneName(id)
	if !ok {
		t.Fatalf("the catalog names no zone with ID %s (moto's %s)", id, motoZone)
	}
	return name
}

// zone describes the one availability zone of region that filter=value
// selects, as moto's account names it.
func (m *Moto) zone(t testing.TB, region, filter, value string) (name, id string) {
	t.Helper()
	body := m.query(t, "ec2", region, url.Values{"Action": {"DescribeAvailabilityZones"}, "Version": {"2016-11-15"}, filter: {value}})
	var out struct {
		Zones []struct {
			Name string `xml:"zoneName"`
			ID   string `xml:"zoneId"`
		} `xml:"availabilityZoneInfo>item"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || len(out.Zones) != 1 {
		t.Fatalf("DescribeAvailabilityZones %s=%s in %s: %v: %.300s", filter, value, region, err, body)
	}
	return out.Zones[0].Name, out.Zones[0].ID
}
