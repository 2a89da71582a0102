package compiler

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/templates"
)

var update = flag.Bool("update", false, "rewrite testdata/compiler goldens")

const goldenDir = "../testdata/compiler"

// generatedPaths are the files a golden keeps: everything except the
// verbatim module copies (those are checked against templates/ instead).
func generatedPaths(m *Module) []string {
	var out []string
	for _, p := range m.Paths() {
		if !strings.HasPrefix(p, "modules/") {
			out = append(out, p)
		}
	}
	return out
}

func compileCase(t testing.TB, name string, in Input) *Module {
	t.Helper()
	m, ds := Compile(in)
	if ds.HasErrors() {
		t.Fatalf("%s: %v", name, ds.Error())
	}
	return m
}

func TestGoldens(t *testing.T) {
	cases := goldenCases()
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			m := compileCase(t, name, cases[name])
			dir := filepath.Join(goldenDir, name)
			if *update {
				os.RemoveAll(dir)
				for _, p := range generatedPaths(m) {
					full := filepath.Join(dir, p)
					if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(full, m.Files[p], 0o644); err != nil {
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
			got := generatedPaths(m)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("generated files %v, golden has %v (run go test ./compiler -run TestGoldens -update)", got, want)
			}
			for _, p := range got {
				g, _ := os.ReadFile(filepath.Join(dir, p))
				if !bytes.Equal(g, m.Files[p]) {
					t.Errorf("%s differs from golden %s (run with -update and review the diff):\n%s", p, filepath.Join(dir, p), m.Files[p])
				}
			}
		})
	}
}

func moduleFiles(cloud string) (map[string][]byte, error) { return templates.Files(cloud) }
