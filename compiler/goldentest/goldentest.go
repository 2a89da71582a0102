// Package goldentest compares generated files with a golden directory
// byte for byte, and rewrites the directory under -update: the one helper
// the compiler's cluster goldens and controllervm's controller golden
// share.
package goldentest

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Dir checks that dir holds exactly the files paths (slash-separated,
// sorted), each equal to files[p]. With update it first rewrites dir from
// files. rerun is the command that regenerates the golden, named in every
// failure.
func Dir(t *testing.T, dir string, paths []string, files map[string][]byte, update bool, rerun string) {
	t.Helper()
	if update {
		os.RemoveAll(dir)
		for _, p := range paths {
			full := filepath.Join(dir, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, files[p], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(want)
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("generated files %v, golden has %v (%s)", paths, want, rerun)
	}
	for _, p := range paths {
		g, _ := os.ReadFile(filepath.Join(dir, p))
		if !bytes.Equal(g, files[p]) {
			t.Errorf("%s differs from the golden %s (%s and review the diff):\n%s", p, filepath.Join(dir, p), rerun, files[p])
		}
	}
}
