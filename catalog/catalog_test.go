package catalog

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const sharedCatalogs = "../../shared/catalogs"

// countRows counts data rows of a source CSV (records, not lines: AWS
// GpuInfo cells are quoted but never span lines).
func countRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("source catalogs not available: %v", err)
	}
	defer f.Close()
	n := -1 // header
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	return n
}

func TestEmbeddedSnapshotMatchesSourceRowCounts(t *testing.T) {
	c := Embedded()
	for _, cloud := range Clouds() {
		cc, err := c.Cloud(cloud)
		if err != nil {
			t.Fatal(err)
		}
		want := countRows(t, filepath.Join(sharedCatalogs, cloud, "vms.csv"))
		if cloud == "aws" {
			// Rows in AWS local zones absent from az_mappings.csv are dropped.
			want -= unmappedAWSRows(t)
		}
		if got := len(cc.Offers) + len(cc.Accelerators); got != want {
			t.Errorf("%s: %d rows, source has %d", cloud, got, want)
		}
	}
}

func TestAWSZoneIDsAreMappedToNames(t *testing.T) {
	cc, err := Embedded().Cloud("aws")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range cc.Offers {
		if !strings.HasPrefix(o.Zone, o.Region) || len(o.Zone) != len(o.Region)+1 {
			t.Fatalf("%s in %s has zone %q, want a zone name like %sa", o.InstanceType, o.Region, o.Zone, o.Region)
		}
	}
}

func TestBlankPricesAreNotOffered(t *testing.T) {
	c, err := LoadDir("../testdata/catalog-small")
	if err != nil {
		t.Fatal(err)
	}
	aws, err := c.Cloud("aws")
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string]Offer{}
	for _, o := range aws.Offers {
		byType[o.InstanceType] = o
	}
	g4 := byType["g4dn.xlarge"]
	if _, ok := g4.PriceFor(true); ok {
		t.Errorf("g4dn.xlarge blank SpotPrice should be not offered, got %v", g4.SpotPrice)
	}
	if p, ok := g4.PriceFor(false); !ok || p != 0.526 {
		t.Errorf("g4dn.xlarge on-demand = %v,%v", p, ok)
	}
	if g4.AcceleratorName != "T4" || g4.AcceleratorCount != 1 || g4.DeviceMemoryGiB != 16 {
		t.Errorf("quoted GpuInfo row parsed wrong: %+v", g4)
	}
	if _, ok := byType["trn1.32xlarge"].PriceFor(false); ok {
		t.Error("trn1.32xlarge blank Price should be not offered")
	}
	gcp, _ := c.Cloud("gcp")
	if len(gcp.Accelerators) != 1 || gcp.Accelerators[0].AcceleratorName != "T4" || len(gcp.Offers) != 2 {
		t.Errorf("GCP accelerator rows not split from VM rows: %d offers, %+v", len(gcp.Offers), gcp.Accelerators)
	}
}

func TestHomeOverridePreferredOverSnapshot(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	src, _ := os.ReadFile("../testdata/catalog-small/azure/vms.csv")
	if err := os.MkdirAll(filepath.Join(home, "catalogs", "azure"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "catalogs", "azure", "vms.csv"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := Load()
	az, err := c.Cloud("azure")
	if err != nil {
		t.Fatal(err)
	}
	if len(az.Offers) != 1 || !strings.HasPrefix(az.Source, home) {
		t.Errorf("azure should come from the override: %d offers from %s", len(az.Offers), az.Source)
	}
	gcp, _ := c.Cloud("gcp")
	if !strings.HasPrefix(gcp.Source, "embedded:") {
		t.Errorf("gcp has no override and should be embedded, got %s", gcp.Source)
	}
}

func TestValidateRejectsWrongFormat(t *testing.T) {
	cases := map[string]string{
		"missing column": "InstanceType,vCPUs\nm6i.large,2\n",
		"bad number":     "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone\nm6i.large,,,two,8,0.1,,us-east-1,use1-az1\n",
		"unterminated":   "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone\n\"m6i.large,,,2,8,0.1,,us-east-1,use1-az1\n",
		"negative price": "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone\nm6i.large,,,2,8,-1,,us-east-1,use1-az1\n",
		"empty":          "",
	}
	for name, data := range cases {
		if _, err := Validate("aws/vms.csv", []byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Validate("aws/vms.csv", []byte("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone,Extra\r\nm6i.large,,,2,8,0.1,,us-east-1,use1-az1,x\r\n")); err != nil {
		t.Errorf("CRLF file with an extra column rejected: %v", err)
	}
}

func TestAWSImage(t *testing.T) {
	c := Embedded()
	id, ok := c.AWSImage("skypilot:custom-cpu-ubuntu", "us-east-1")
	if !ok || !strings.HasPrefix(id, "ami-") {
		t.Errorf("custom-cpu-ubuntu in us-east-1 = %q, %v", id, ok)
	}
	if _, ok := c.AWSImage("skypilot:no-such-tag", "us-east-1"); ok {
		t.Error("unknown tag found")
	}
}

// TestAWSZoneID: a priced zone name maps back to the ID its offers were
// priced under, for the embedded snapshot and a catalog directory alike,
// and every AWS offer's zone has one (the module places nodes by it).
func TestAWSZoneID(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "aws"), 0o755)
	os.WriteFile(filepath.Join(dir, "aws", "az_mappings.csv"), []byte("AvailabilityZoneName,AvailabilityZone\nus-east-1a,use1-az6\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "aws", "vms.csv"), []byte("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone\nm6i.large,,,2,8,0.1,0.03,us-east-1,use1-az6\n"), 0o644)
	d, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c          *Catalog
		zone, want string
	}{
		{Embedded(), "us-east-1a", "use1-az2"},
		{Embedded(), "us-east-1d", "use1-az1"},
		{d, "us-east-1a", "use1-az6"},
	} {
		if id, ok := tc.c.AWSZoneID(tc.zone); !ok || id != tc.want {
			t.Errorf("AWSZoneID(%s) = %q, %v; want %s", tc.zone, id, ok, tc.want)
		}
		if name, ok := tc.c.AWSZoneName(tc.want); !ok || name != tc.zone {
			t.Errorf("AWSZoneName(%s) = %q, %v; want %s", tc.want, name, ok, tc.zone)
		}
	}
	if id, ok := Embedded().AWSZoneID("us-east-9z"); ok {
		t.Errorf("unknown zone mapped to %q", id)
	}
	e := Embedded()
	aws, err := e.Cloud("aws")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range aws.Offers {
		if _, ok := e.AWSZoneID(o.Zone); o.Zone != "" && !ok {
			t.Fatalf("offer %s in %s has no zone ID", o.InstanceType, o.Zone)
		}
	}
}

func TestAcceleratorNames(t *testing.T) {
	names := Embedded().AcceleratorNames()
	want := []string{"A100", "A10G", "T4", "Inferentia2", "Trainium", "tpu-v5litepod-8", "H100"}
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	for _, w := range want {
		if !set[w] {
			t.Errorf("AcceleratorNames lacks %s", w)
		}
	}
}

func BenchmarkLoadAllClouds(b *testing.B) {
	for b.Loop() {
		c, _ := LoadDir(sharedCatalogs)
		c.Preload()
	}
}

func unmappedAWSRows(t *testing.T) int {
	t.Helper()
	mapping, err := os.ReadFile(filepath.Join(sharedCatalogs, "aws", "az_mappings.csv"))
	if err != nil {
		t.Skip(err)
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(string(mapping), "\n")[1:] {
		if parts := strings.Split(strings.TrimSpace(line), ","); len(parts) == 2 {
			ids[parts[1]] = true
		}
	}
	vms, _ := os.ReadFile(filepath.Join(sharedCatalogs, "aws", "vms.csv"))
	n := 0
	for _, line := range strings.Split(string(vms), "\n")[1:] {
		parts := strings.Split(strings.TrimSpace(line), ",")
		if len(parts) > 2 && !ids[parts[len(parts)-2]] {
			n++
		}
	}
	if n == 0 || n > 100 {
		t.Fatalf("expected a few local-zone rows, got %d", n)
	}
	return n
}

func TestParseSimpleDecimalMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "8.0", "0.384", "14.400390625", "3.599609375", "1234567.891", "0.00924", "98.32", "7.", "12345678901234567", "1e5", ".5", "-1"} {
		got, ok, err := parseFloat([]byte(s))
		want, werr := strconv.ParseFloat(s, 64)
		if (err == nil) != (werr == nil) || (err == nil && (!ok || got != want)) {
			t.Errorf("parseFloat(%q) = %v,%v,%v; strconv %v,%v", s, got, ok, err, want, werr)
		}
	}
}

// The embedded snapshot must decode to exactly what parsing the source CSVs
// gives; regenerate it with `go generate ./catalog` when this fails.
func TestEmbeddedSnapshotEqualsSourceCSVs(t *testing.T) {
	if _, err := os.Stat(sharedCatalogs); err != nil {
		t.Skipf("source catalogs not available: %v", err)
	}
	src, err := LoadDir(sharedCatalogs)
	if err != nil {
		t.Fatal(err)
	}
	for _, cloud := range Clouds() {
		want, err := src.Cloud(cloud)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Embedded().Cloud(cloud)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Offers, want.Offers) || !reflect.DeepEqual(got.Accelerators, want.Accelerators) {
			t.Errorf("%s: embedded snapshot differs from %s (%d/%d offers)", cloud, sharedCatalogs, len(got.Offers), len(want.Offers))
		}
	}
}

func TestSnapshotRoundTripAndCorruption(t *testing.T) {
	c, _ := LoadDir("../testdata/catalog-small")
	cc, _ := c.Cloud("gcp")
	enc := encodeSnapshot(cc)
	dec, err := decodeSnapshot("gcp", enc)
	if err != nil || !reflect.DeepEqual(dec.Offers, cc.Offers) || !reflect.DeepEqual(dec.Accelerators, cc.Accelerators) {
		t.Fatalf("round trip: %v", err)
	}
	for _, cut := range []int{0, 5, len(enc) / 2, len(enc) - 1} {
		if _, err := decodeSnapshot("gcp", enc[:cut]); err == nil {
			t.Errorf("truncated snapshot (%d bytes) accepted", cut)
		}
	}
}

func TestOfferIndexes(t *testing.T) {
	cc := &CloudCatalog{Offers: []Offer{{InstanceType: "a"}, {InstanceType: "a"}, {InstanceType: "b"}, {InstanceType: "a"}}}
	if got := cc.OfferIndexes("a"); !reflect.DeepEqual(got, []int32{0, 1, 3}) {
		t.Errorf("a: %v", got)
	}
	if got := cc.OfferIndexes("c"); len(got) != 0 {
		t.Errorf("c: %v", got)
	}
}
