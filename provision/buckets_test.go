package provision

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/skyplan/skyplan/templates"
)

// TestBucketsProtected reads the protection from the module the kept root
// calls: AWS's persistent buckets carry prevent_destroy; a module without
// it (or no module at all) is not protected, so down's hint stays
// `terraform destroy` there.
func TestBucketsProtected(t *testing.T) {
	write := func(cloudName string) string {
		dir := t.TempDir()
		files, err := templates.Files(cloudName)
		if err != nil {
			t.Fatal(err)
		}
		for rel, b := range files {
			p := filepath.Join(dir, "modules", cloudName, rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, b, 0o644)
		}
		return dir
	}
	if !BucketsProtected(write("aws")) {
		t.Errorf("AWS persistent buckets not seen as protected")
	}
	if BucketsProtected(t.TempDir()) {
		t.Errorf("a directory without modules is protected")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "modules", "x", BucketsDir, "main.tf")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("resource \"a\" \"b\" {\n  lifecycle {\n    prevent_destroy = false\n  }\n}\n"), 0o644)
	if BucketsProtected(dir) {
		t.Errorf("prevent_destroy = false counted as protection")
	}
}
