package controllervm

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/controllervm/default golden")

// goldenDir holds the compiled default controller for reviewers: both
// roots and their tfvars; the module copy under modules/ is the embedded
// templates/aws/controller verbatim and is not repeated.
const goldenDir = "../testdata/controllervm/default"

// TestGolden compiles the default controller (testInput: aws, us-east-1,
// the catalog's default type and image) and compares every generated
// file with the golden byte for byte.
func TestGolden(t *testing.T) {
	m := compileInput(t, testInput(t))
	var got []string
	for _, p := range m.Paths() {
		if !strings.HasPrefix(p, moduleDir+"/") {
			got = append(got, p)
		}
	}
	if *update {
		os.RemoveAll(goldenDir)
		for _, p := range got {
			full := filepath.Join(goldenDir, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, m.Files[p], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	filepath.Walk(goldenDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(goldenDir, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("generated files %v, golden has %v (run go test ./controllervm -run TestGolden -update)", got, want)
	}
	for _, p := range got {
		g, _ := os.ReadFile(filepath.Join(goldenDir, p))
		if !bytes.Equal(g, m.Files[p]) {
			t.Errorf("%s differs from the golden %s (run go test ./controllervm -run TestGolden -update and review the diff):\n%s", p, filepath.Join(goldenDir, p), m.Files[p])
		}
	}
}
