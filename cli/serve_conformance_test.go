package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

// TestConformanceServeUp: every SkyPilot example with a service: section
// either plans with `serve up --dryrun` (replica placement and $/h at min
// and max replicas) or is refused with a located diagnostic; outcomes are
// kept in testdata/conformance/serve_up.golden.
func TestConformanceServeUp(t *testing.T) {
	base := filepath.Join("..", "..", "shared", "conformance", "skypilot-examples")
	manifest, err := os.ReadFile(filepath.Join(base, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("conformance examples not available: %v", err)
	}
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	var b strings.Builder
	col := -1
	n := 0
	for _, line := range strings.Split(string(manifest), "\n") {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") {
			for i, h := range f {
				if h == "service" {
					col = i
				}
			}
			continue
		}
		if line == "" || col < 0 || len(f) <= col || f[col] != "1" {
			continue
		}
		n++
		fmt.Fprintf(&b, "%s\t%s\n", f[0], serveUpOutcome(t, filepath.Join(base, f[0]), f[0]))
	}
	if n < 50 {
		t.Fatalf("only %d examples flagged service in the manifest", n)
	}
	golden := filepath.Join("..", "testdata", "conformance", "serve_up.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -run TestConformanceServeUp -update)", err)
	}
	got, wantLines := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(got), len(wantLines)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
}

var costLineRE = regexp.MustCompile(`at min_replicas=(\d+), \$([0-9.]+)/h at max_replicas=(\d+)`)
var minCostRE = regexp.MustCompile(`\$([0-9.]+)/h at min_replicas`)

func serveUpOutcome(t *testing.T, path, rel string) string {
	var extra []string
	for attempt := 0; attempt < 2; attempt++ {
		args := append([]string{"--json-diagnostics", "serve", "up", "--dryrun", path}, extra...)
		out, errOut, code := runCLI(t, args...)
		if code == 0 {
			m, mc := costLineRE.FindStringSubmatch(out), minCostRE.FindStringSubmatch(out)
			if m == nil || mc == nil || !strings.Contains(out, "Replica resources:") {
				t.Errorf("%s: dryrun output lacks the plan or the cost line:\n%s", rel, out)
				return "ok (unreadable)"
			}
			chosen := ""
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "✔") {
					chosen = strings.Join(strings.Fields(strings.ReplaceAll(l, "✔", "")), " ")
				}
			}
			return fmt.Sprintf("ok %s; $%s/h at %s, $%s/h at %s%s", chosen, mc[1], m[1], m[2], m[3], flagsNote(extra))
		}
		var ds struct {
			Diagnostics diag.Diagnostics `json:"diagnostics"`
		}
		if err := json.Unmarshal([]byte(errOut), &ds); err != nil || len(ds.Diagnostics) == 0 {
			t.Errorf("%s: exit %d without JSON diagnostics:\n%s", rel, code, errOut)
			return "error: unreadable diagnostics"
		}
		var missing []string
		for _, d := range ds.Diagnostics {
			if k, ok := strings.CutPrefix(d.Field, "envs."); ok && d.Severity == diag.Error && strings.HasPrefix(d.Summary, "Environment variable") {
				missing = append(missing, "--env", k+"=x")
			} else if k, ok := strings.CutPrefix(d.Field, "secrets."); ok && d.Severity == diag.Error && strings.HasPrefix(d.Summary, "Secret variable") {
				missing = append(missing, "--secret", k+"=x")
			}
		}
		if len(missing) > 0 && attempt == 0 {
			extra = missing
			continue
		}
		for _, d := range ds.Diagnostics {
			if d.Severity != diag.Error {
				continue
			}
			if d.Subject == nil || d.Subject.Filename == "" || (d.Subject.Start.Line == 0 && !strings.HasPrefix(d.Field, "--")) {
				t.Errorf("%s: refusal is not located: %+v", rel, d)
			}
			where := ""
			if d.Subject != nil && d.Subject.Start.Line > 0 {
				where = fmt.Sprintf(" @%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
			}
			return fmt.Sprintf("error: %s [%s]%s%s", d.Summary, d.Field, where, flagsNote(extra))
		}
	}
	return "error: env/secret flags did not help"
}
