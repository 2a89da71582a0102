package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	checkGolden(t, "serve_up.golden", b.String(), "TestConformanceServeUp")
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
		missing, line := refusalOutcome(t, rel, errOut, code, "refusal", extra, attempt == 0)
		if missing != nil {
			extra = missing
			continue
		}
		if line != "" {
			return line
		}
	}
	return "error: env/secret flags did not help"
}
