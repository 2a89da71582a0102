package provision

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDir finds ../shared/provision-errors from the package directory.
func sharedDir(t *testing.T, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared fixtures missing: %v", err)
	}
	return p
}

// TestClassifyFixtures runs the classifier over every real error text in
// shared/provision-errors/errors.tsv; every row must get its class.
func TestClassifyFixtures(t *testing.T) {
	f, err := os.Open(sharedDir(t, "provision-errors", "errors.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan() // header
	rows, bad := 0, 0
	for line := 2; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 5 {
			t.Fatalf("line %d: %d columns", line, len(cols))
		}
		rows++
		got := Classify(cols[0], cols[3])
		if string(got.Class) != cols[1] {
			bad++
			t.Errorf("line %d (%s %s, %s): got %s, want %s\n  %.200s", line, cols[0], cols[2], cols[4], got.Class, cols[1], cols[3])
		}
	}
	if rows != 86 {
		t.Errorf("read %d rows, want 86", rows)
	}
	t.Logf("%d/%d rows classified correctly", rows-bad, rows)
}

func TestClassifyDetails(t *testing.T) {
	c := Classify("aws", "Error: creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (us-east-2a).")
	if c.Class != Capacity || c.Code != "InsufficientInstanceCapacity" || c.Zone != "us-east-2a" {
		t.Errorf("aws capacity: %+v", c)
	}
	// A CI run's controller job failed on this, unclassified, with no retry.
	c = Classify("aws", `Error: getting attribute (userData): operation error EC2: DescribeInstanceAttribute, exceeded maximum number of attempts, 1, https response error StatusCode: 200, RequestID: upOM, decomposing response: read tcp 127.0.0.1:56386->127.0.0.1:39557: use of closed network connection`)
	if c.Class != Transient {
		t.Errorf("aws response cut off: %+v, want transient", c)
	}
	// The same transport failure from another cloud's provider.
	if c = Classify("gcp", "Error: Error creating instance: Post \"https://compute.googleapis.com/compute/v1/projects/p/zones/us-central1-a/instances\": read tcp 10.0.0.2:51234->142.250.1.95:443: read: connection reset by peer"); c.Class != Transient {
		t.Errorf("gcp connection reset: %+v, want transient", c)
	}
	c = Classify("gcp", "Code: QUOTA_EXCEEDED\nMessage: Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally.")
	if c.Class != Quota || !c.AllRegions {
		t.Errorf("gcp all-regions quota: %+v", c)
	}
	c = Classify("gcp", "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-east1.")
	if c.Class != Quota || c.AllRegions {
		t.Errorf("gcp regional quota: %+v", c)
	}
	c = Classify("gcp", "ZONE_RESOURCE_POOL_EXHAUSTED: The zone 'projects/p/zones/us-central1-a' does not have enough resources")
	if c.Zone != "us-central1-a" || c.Code != "ZONE_RESOURCE_POOL_EXHAUSTED" {
		t.Errorf("gcp zone: %+v", c)
	}
	if c := Classify("aws", `Error: Unsupported argument: An argument named "not_an_arg" is not expected here.`); c.Class.FailsOver() {
		t.Errorf("a Terraform configuration error must not fail over: %+v", c)
	}
}
