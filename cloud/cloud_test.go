package cloud_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/cloud"
	_ "github.com/skyplan/skyplan/cloud/registry"
)

func TestRegistryOrderAndIdentity(t *testing.T) {
	if got, want := cloud.Names(), []string{"aws", "gcp", "azure", "ssh"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for name, want := range map[string][2]string{"aws": {"AWS", "ubuntu"}, "GCP": {"GCP", "gcpuser"}, "azure": {"Azure", "azureuser"}} {
		c, ok := cloud.Lookup(name)
		if !ok || c.DisplayName() != want[0] || cloud.DefaultSSHUser(name) != want[1] {
			t.Errorf("Lookup(%q) = %v, %v; want display %s, user %s", name, c, ok, want[0], want[1])
		}
	}
	if cloud.DisplayName("kubernetes") != "Kubernetes" || cloud.DisplayName("oci") != "oci" {
		t.Errorf("DisplayName of unregistered names: %q %q", cloud.DisplayName("kubernetes"), cloud.DisplayName("oci"))
	}
	if got := cloud.With[cloud.Power](); !slices.Equal(got, []string{"aws"}) {
		t.Errorf("With[Power] = %v", got)
	}
	if !cloud.IsNodePool("ssh") || cloud.IsNodePool("aws") {
		t.Error("IsNodePool: only ssh is made of node pools")
	}
}

func TestLocality(t *testing.T) {
	cases := []struct {
		cloud         string
		spot, zoneLvl bool
		hasZones      bool
	}{
		{"aws", false, false, true}, {"aws", true, true, true},
		{"gcp", false, true, true}, {"gcp", true, true, true},
		{"azure", false, false, false}, {"azure", true, false, false},
	}
	for _, c := range cases {
		if cloud.ZoneLevel(c.cloud, c.spot) != c.zoneLvl || cloud.HasZones(c.cloud) != c.hasZones {
			t.Errorf("%s spot=%v: ZoneLevel=%v HasZones=%v", c.cloud, c.spot, cloud.ZoneLevel(c.cloud, c.spot), cloud.HasZones(c.cloud))
		}
	}
}

func TestKeyLabelEqualParse(t *testing.T) {
	k := cloud.Key{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p4d.24xlarge", Spot: true}
	if k.String() != "aws/us-east-1/us-east-1a/p4d.24xlarge[spot]" {
		t.Fatalf("label %q", k.String())
	}
	r := cloud.Key{Cloud: "azure", Region: "eastus", InstanceType: "Standard_D2s_v5"}
	if r.String() != "azure/eastus/-/Standard_D2s_v5" {
		t.Fatalf("region-level label %q", r.String())
	}
	for _, want := range []cloud.Key{k, r} {
		got, err := cloud.ParseKey(want.String())
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseKey(%q) = %+v, %v", want.String(), got, err)
		}
	}
	if _, err := cloud.ParseKey("aws/us-east-1"); err == nil || !strings.Contains(err.Error(), "CLOUD/REGION/ZONE/INSTANCE_TYPE") {
		t.Errorf("ParseKey of a bad label: %v", err)
	}
	od := k
	od.Spot = false
	if k.Equal(od) || !k.Equal(cloud.Key{Cloud: "AWS", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p4d.24xlarge", Spot: true}) {
		t.Error("Equal: market must differ, cloud case must not")
	}
}

func TestBlockSet(t *testing.T) {
	spot := true
	set := cloud.BlockSet{
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", UseSpot: &spot},
		{Cloud: "gcp", Region: "us-central1"},
	}
	k := cloud.Key{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large", Spot: true}
	if !set.Blocks(k) {
		t.Error("zone block must block its spot placement")
	}
	k.Spot = false
	if set.Blocks(k) {
		t.Error("a spot block must not block on-demand")
	}
	region := cloud.Key{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", Spot: true}
	if set.Blocks(region) {
		t.Error("a zone block must not block a region-level placement")
	}
	if got := set.ZonesLeft(region, []string{"us-east-1a", "us-east-1b"}); !slices.Equal(got, []string{"us-east-1b"}) {
		t.Errorf("ZonesLeft = %v", got)
	}
	if !set.Blocks(cloud.Key{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n2-standard-8"}) {
		t.Error("a region block must block every zone of the region")
	}
	if s := set[0].String(); s != "aws/us-east-1/us-east-1a/*[spot]" {
		t.Errorf("block label %q", s)
	}
}

func TestStores(t *testing.T) {
	for uri, want := range map[string][2]string{
		"s3://b/x": {"s3", "aws"}, "gs://b": {"gcs", "gcp"}, "r2://b": {"r2", ""},
		"https://acct.blob.core.windows.net/c/p": {"azure", "azure"}, "az://c": {"azure", "azure"},
	} {
		st, ok := cloud.StoreOfURI(uri)
		if !ok || st.Name() != want[0] || cloud.StoreCloud(st.Name()) != want[1] {
			t.Errorf("StoreOfURI(%q) = %v %v, cloud %q; want %v", uri, st, ok, cloud.StoreCloud(want[0]), want)
		}
	}
	if _, ok := cloud.StoreOfURI("https://example.com/x"); ok {
		t.Error("a plain https URL is not a bucket of any store")
	}
	s3, _ := cloud.LookupStore("s3")
	if got := strings.Join(s3.UploadCommand("/d/f.bin", false, "b", "us-east-2"), " "); got != "aws s3 cp /d/f.bin s3://b/f.bin --region us-east-2" {
		t.Errorf("s3 upload argv = %q", got)
	}
	if r2, _ := cloud.LookupStore("r2"); r2.UploadCommand("/d", true, "b", "") != nil {
		t.Error("R2 uploads need an account endpoint the client does not have: no argv")
	}
	if s, ok := cloud.HomeStore("gcp"); !ok || s.Name() != "gcs" {
		t.Errorf("HomeStore(gcp) = %v", s)
	}
	if !cloud.IsCloudURI("cos://b/x") || cloud.IsCloudURI("./a://b") || cloud.IsCloudURI("/data") {
		t.Error("IsCloudURI: any SCHEME:// names a bucket; paths do not")
	}
}

func TestStopAnswer(t *testing.T) {
	if ok, _ := cloud.CanStop("aws", false); !ok {
		t.Error("AWS on-demand can stop")
	}
	for _, c := range []struct {
		name string
		spot bool
	}{{"aws", true}, {"gcp", false}, {"azure", false}, {"ssh", false}} {
		if ok, reason := cloud.CanStop(c.name, c.spot); ok || reason == "" {
			t.Errorf("CanStop(%s, spot=%v) = %v, %q; want a refusal with a reason", c.name, c.spot, ok, reason)
		}
	}
}

func TestEgress(t *testing.T) {
	if got := cloud.EgressCost("aws", 101); got < 8.99 || got > 9.01 {
		t.Errorf("aws 101 GB = %v, want 9 (first GB free, $0.09)", got)
	}
	if got := cloud.EgressCost("gcp", 100); got < 11.99 || got > 12.01 {
		t.Errorf("gcp 100 GB = %v, want 12", got)
	}
	if cloud.EgressCost("ssh", 100) != 0 {
		t.Error("node pools move data for free")
	}
}
