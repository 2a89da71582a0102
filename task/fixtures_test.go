package task

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixtures checks every testdata/tasks/*.yaml against its first line:
// "# expect: ok" or "# expect: error SUMMARY @LINE:COL".
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "tasks", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# expect: ")
			if !ok {
				t.Fatalf("first line must be '# expect: ...', got %q", first)
			}
			pl, ds := Load(path, LoadOptions{Accelerators: testAccelerators})
			if !ds.HasErrors() {
				ds = append(ds, pl.ApplyOverrides(Overrides{}, func(string) string { return "" })...)
			}
			got := "ok"
			for _, d := range ds {
				if d.Severity == "error" {
					got = fmt.Sprintf("error %s @%d:%d", d.Summary, d.Subject.Start.Line, d.Subject.Start.Column)
					if d.Subject.Filename != path {
						t.Errorf("diagnostic names %q", d.Subject.Filename)
					}
					break
				}
			}
			if got != want {
				t.Errorf("got %q, want %q\n%v", got, want, ds)
			}
		})
	}
}
