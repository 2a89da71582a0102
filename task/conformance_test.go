package task

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

var update = flag.Bool("update", false, "rewrite golden files")

// findShared returns ../shared next to the repository root (the directory
// holding go.mod, found by walking up from the test directory), or "".
func findShared() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		return ""
	}
	return shared
}

// sharedDir is findShared, skipping the test when ../shared is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	shared := findShared()
	if shared == "" {
		t.Skip("../shared (reference data next to the repository root) is absent")
	}
	return shared
}

// catalogAccelerators reads the accelerator names of the shared CSV
// catalogs, as the catalog package supplies them at runtime.
func catalogAccelerators(t testing.TB) []string {
	t.Helper()
	set := map[string]bool{}
	for _, c := range []string{"aws", "gcp", "azure"} {
		f, err := os.Open(filepath.Join(sharedDir(t), "catalogs", c, "vms.csv"))
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReader(f))
		r.FieldsPerRecord = -1
		head, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		col := -1
		for i, h := range head {
			if h == "AcceleratorName" {
				col = i
			}
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if col >= 0 && rec[col] != "" {
				set[rec[col]] = true
			}
		}
		f.Close()
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// conformanceFiles lists the task YAMLs of MANIFEST.tsv.
func conformanceFiles(t testing.TB) (string, []string) {
	base := filepath.Join(sharedDir(t), "conformance", "skypilot-examples")
	data, err := os.ReadFile(filepath.Join(base, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		files = append(files, strings.SplitN(line, "\t", 2)[0])
	}
	return base, files
}

// outcome is one golden line: "ok" or the first error's summary and place.
func outcome(ds diag.Diagnostics) string {
	for _, d := range ds {
		if d.Severity != diag.Error {
			continue
		}
		where := ""
		if d.Subject != nil && d.Subject.Start.Line > 0 {
			where = fmt.Sprintf(" @%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
		}
		return fmt.Sprintf("error: %s [%s]%s", d.Summary, d.Field, where)
	}
	return "ok"
}

// TestConformanceParse: every SkyPilot example either parses, or is
// refused with a located, specific diagnostic; the outcomes are golden.
func TestConformanceParse(t *testing.T) {
	base, files := conformanceFiles(t)
	opts := LoadOptions{Accelerators: catalogAccelerators(t)}
	var b strings.Builder
	for _, rel := range files {
		path := filepath.Join(base, rel)
		pl, ds := Load(path, opts)
		needs := ""
		if !ds.HasErrors() {
			od := pl.ApplyOverrides(Overrides{}, func(string) string { return "" })
			// Null envs/secrets are SkyPilot's "pass --env" case: supply
			// them like a user would, so the rest of the file is checked.
			var o Overrides
			for _, d := range od {
				if k, ok := strings.CutPrefix(d.Field, "envs."); ok && strings.HasPrefix(d.Summary, "Environment variable") {
					o.Envs = append(o.Envs, k+"=x")
				} else if k, ok := strings.CutPrefix(d.Field, "secrets."); ok && strings.HasPrefix(d.Summary, "Secret variable") {
					o.Secrets = append(o.Secrets, k+"=x")
				} else {
					ds = append(ds, d)
				}
			}
			if !ds.HasErrors() && (len(o.Envs) > 0 || len(o.Secrets) > 0) {
				pl, ds = Load(path, opts)
				ds = append(ds, pl.ApplyOverrides(o, func(string) string { return "" })...)
				for _, e := range o.Envs {
					needs += " --env " + strings.TrimSuffix(e, "=x")
				}
				for _, e := range o.Secrets {
					needs += " --secret " + strings.TrimSuffix(e, "=x")
				}
			}
		}
		for _, d := range ds {
			if d.Severity == diag.Error && (d.Subject == nil || d.Subject.Start.Line == 0) {
				t.Errorf("%s: error without a line: %v", rel, d)
			}
			if d.Severity == diag.Error && d.Subject != nil && d.Subject.Filename != path {
				t.Errorf("%s: diagnostic names file %q", rel, d.Subject.Filename)
			}
		}
		res := outcome(ds)
		if res == "ok" && needs != "" {
			res = "ok with" + needs
		}
		fmt.Fprintf(&b, "%s\t%s\n", rel, res)
	}
	checkGolden(t, "parse.golden", b.String(), "TestConformanceParse", "conformance outcomes")
}

// checkGolden compares got with testdata/conformance/<name> line by line
// (written with -update); what names the outcomes in the failure.
func checkGolden(t *testing.T, name, got, test, what string) {
	t.Helper()
	golden := filepath.Join("..", "testdata", "conformance", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./task -run %s -update)", err, test)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	t.Errorf("%s differ from testdata/conformance/%s (rerun with -update if intended)", what, name)
}
