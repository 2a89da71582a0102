package compiler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCase compiles a golden case into a fresh directory (modules included).
func writeCase(t testing.TB, name string, dir string) *Module {
	t.Helper()
	m := compileCase(t, name, goldenCases()[name])
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWriteDirRemovesStaleFiles(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, "aws-buckets", dir)
	if _, err := os.Stat(filepath.Join(dir, "buckets", "main.tf")); err != nil {
		t.Fatalf("buckets root not written: %v", err)
	}
	// A user's own file and terraform's state must survive regeneration.
	keep := filepath.Join(dir, "zz_override.tf")
	os.WriteFile(keep, []byte("# mine\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "terraform.tfstate"), []byte("{}"), 0o644)

	writeCase(t, "gcp-gpu-spot", dir)
	for _, gone := range []string{"buckets/main.tf", "modules/aws/main.tf", "modules/aws/buckets/main.tf"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("stale %s still present (err=%v)", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "modules", "aws")); !os.IsNotExist(err) {
		t.Errorf("empty modules/aws directory left behind")
	}
	for _, kept := range []string{"zz_override.tf", "terraform.tfstate", "modules/gcp/main.tf", "main.tf", VarsFile} {
		if _, err := os.Stat(filepath.Join(dir, kept)); err != nil {
			t.Errorf("%s missing after regeneration: %v", kept, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
