package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// TestConformancePlan: every SkyPilot example either plans with --dryrun or
// is refused with a located, specific diagnostic (never a panic); the
// outcomes are kept in testdata/conformance/plan.golden.
func TestConformancePlan(t *testing.T) {
	base := filepath.Join("..", "..", "shared", "conformance", "skypilot-examples")
	manifest, err := os.ReadFile(filepath.Join(base, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("conformance examples not available: %v", err)
	}
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	var b strings.Builder
	for _, line := range strings.Split(string(manifest), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rel := strings.SplitN(line, "\t", 2)[0]
		fmt.Fprintf(&b, "%s\t%s\n", rel, planOutcome(t, filepath.Join(base, rel), rel))
	}
	checkGolden(t, "plan.golden", b.String(), "TestConformancePlan")
}

// planOutcome plans one example, supplying --env/--secret for variables
// the file leaves null (as a user must), and summarises the result.
func planOutcome(t *testing.T, path, rel string) string {
	var extra []string
	for attempt := 0; attempt < 2; attempt++ {
		args := append([]string{"plan", "--dryrun", "-o", "json", path}, extra...)
		out, errOut, code := runCLI(t, args...)
		if code == 0 {
			var doc struct {
				Tasks []struct {
					Chosen struct {
						Cloud        string `json:"cloud"`
						InstanceType string `json:"instance_type"`
					} `json:"chosen"`
				} `json:"tasks"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				// Pipelines print the pipeline optimizer's document.
				return "ok (pipeline)" + flagsNote(extra)
			}
			var parts []string
			for _, tk := range doc.Tasks {
				parts = append(parts, tk.Chosen.Cloud+" "+tk.Chosen.InstanceType)
			}
			return "ok " + strings.Join(parts, "; ") + flagsNote(extra)
		}
		missing, line := refusalOutcome(t, rel, errOut, code, "error", extra, attempt == 0)
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

func flagsNote(extra []string) string {
	var keys []string
	for i := 1; i < len(extra); i += 2 {
		keys = append(keys, extra[i-1]+" "+strings.TrimSuffix(extra[i], "=x"))
	}
	if len(keys) == 0 {
		return ""
	}
	return " with " + strings.Join(keys, " ")
}

// checkGolden compares got with testdata/conformance/<name> line by line
// (rewritten with -update).
func checkGolden(t *testing.T, name, got, test string) {
	t.Helper()
	golden := filepath.Join("..", "testdata", "conformance", name)
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -run %s -update)", err, test)
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
}

// refusalOutcome reads a failed run's JSON diagnostics. On the first try
// (retry), variables the file leaves null come back as the --env/--secret
// flags a user would add (missing, to run again with). Otherwise the first
// error is the golden line, and every error must be located (what names it
// in the failure). Both empty: no error among the diagnostics.
func refusalOutcome(t *testing.T, rel, errOut string, code int, what string, extra []string, retry bool) (missing []string, line string) {
	t.Helper()
	var ds struct {
		Diagnostics diag.Diagnostics `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(errOut), &ds); err != nil || len(ds.Diagnostics) == 0 {
		t.Errorf("%s: exit %d without JSON diagnostics:\n%s", rel, code, errOut)
		return nil, "error: unreadable diagnostics"
	}
	for _, d := range ds.Diagnostics {
		if k, ok := strings.CutPrefix(d.Field, "envs."); ok && d.Severity == diag.Error && strings.HasPrefix(d.Summary, "Environment variable") {
			missing = append(missing, "--env", k+"=x")
		} else if k, ok := strings.CutPrefix(d.Field, "secrets."); ok && d.Severity == diag.Error && strings.HasPrefix(d.Summary, "Secret variable") {
			missing = append(missing, "--secret", k+"=x")
		}
	}
	if len(missing) > 0 && retry {
		return missing, ""
	}
	for _, d := range ds.Diagnostics {
		if d.Severity != diag.Error {
			continue
		}
		if d.Subject == nil || d.Subject.Filename == "" || (d.Subject.Start.Line == 0 && !strings.HasPrefix(d.Field, "--")) {
			t.Errorf("%s: %s is not located: %+v", rel, what, d)
		}
		where := ""
		if d.Subject != nil && d.Subject.Start.Line > 0 {
			where = fmt.Sprintf(" @%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
		}
		return nil, fmt.Sprintf("error: %s [%s]%s%s", d.Summary, d.Field, where, flagsNote(extra))
	}
	return nil, ""
}
