package catalog

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateFromURL(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("../testdata/catalog-small")))
	defer srv.Close()
	dest := t.TempDir()
	got, err := Update(context.Background(), srv.URL+"/", dest)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, u := range got {
		files[u.File] = u.Rows
	}
	// images.csv is absent upstream here (404): left alone, not an error.
	if files["aws/vms.csv"] != 5 || files["gcp/vms.csv"] != 3 || files["azure/vms.csv"] != 1 || files["aws/az_mappings.csv"] != 3 || len(files) != 4 {
		t.Errorf("updated %v", files)
	}
	c, err := LoadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	aws, err := c.Cloud("aws")
	if err != nil || len(aws.Offers) != 5 || aws.Offers[0].Zone != "us-east-1a" {
		t.Errorf("downloaded catalog: %v %+v", err, aws)
	}
}

func TestUpdateRejectsInvalidAndKeepsOld(t *testing.T) {
	src := t.TempDir()
	dest := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "azure"), 0o755); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile("../testdata/catalog-small/azure/vms.csv")
	os.WriteFile(filepath.Join(src, "azure", "vms.csv"), good, 0o644)
	if _, err := Update(context.Background(), src, dest); err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(string(good), "\n", 2)[0] + "\n"
	os.WriteFile(filepath.Join(src, "azure", "vms.csv"), []byte(header), 0o644)
	if _, err := Update(context.Background(), src, dest); err == nil || !strings.Contains(err.Error(), "no rows") {
		t.Errorf("header-only file accepted: %v", err)
	}
	kept, _ := os.ReadFile(filepath.Join(dest, "azure", "vms.csv"))
	if string(kept) != string(good) {
		t.Error("a failed update changed the installed catalog")
	}
	if _, err := Update(context.Background(), t.TempDir(), dest); err == nil {
		t.Error("empty source accepted")
	}
}

func FuzzValidateVMs(f *testing.F) {
	seed, _ := os.ReadFile("../testdata/catalog-small/aws/vms.csv")
	f.Add(seed)
	f.Add([]byte("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone\n\"a\"\"b\",,,1,2,3,,r,z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, file := range []string{"aws/vms.csv", "gcp/vms.csv", "aws/az_mappings.csv", "aws/images.csv"} {
			_, _ = Validate(file, data) // must not panic or hang
		}
	})
}

func TestStatusNamesSourceDateAndRows(t *testing.T) {
	st, err := Embedded().Status()
	if err != nil || len(st) != 3 {
		t.Fatalf("%v %v", st, err)
	}
	for _, s := range st {
		if !s.Embedded || s.Source != "embedded snapshot" || s.Date != SnapshotDate() || s.Offers == 0 {
			t.Errorf("embedded status %+v", s)
		}
	}
	if d := SnapshotDate(); len(d) != len("2006-01-02") {
		t.Errorf("snapshot date %q", d)
	}
	c, err := LoadDir("../testdata/catalog-small")
	if err != nil {
		t.Fatal(err)
	}
	st, err = c.Status()
	if err != nil || st[0].Cloud != "aws" || st[0].Embedded || !strings.HasSuffix(st[0].Source, "aws/vms.csv") || st[0].Offers != 5 || st[0].Date == "" {
		t.Errorf("dir status %+v %v", st, err)
	}
}
