package compiler

import (
	"flag"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/compiler/goldentest"
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
			goldentest.Dir(t, dir, generatedPaths(m), m.Files, *update, "run go test ./compiler -run TestGoldens -update")
		})
	}
}

func moduleFiles(cloud string) (map[string][]byte, error) { return templates.Files(cloud) }
