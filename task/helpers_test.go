package task

import (
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

// testAccelerators stands in for the catalog's names.
var testAccelerators = []string{"A100", "A100-80GB", "A10G", "A10", "V100", "T4", "L4", "H100", "Inferentia",
	"Inferentia2", "Trainium", "tpu-v2-8", "tpu-v3-32", "tpu-v5litepod-8", "tpu-v6e-8"}

func parseYAML(t *testing.T, src string) (*Pipeline, diag.Diagnostics) {
	t.Helper()
	return Parse("task.yaml", []byte(src), LoadOptions{Accelerators: testAccelerators})
}

// mustTask parses one task and applies empty overrides; any error fails.
func mustTask(t *testing.T, src string) *Task {
	t.Helper()
	pl, ds := parseYAML(t, src)
	if ds.HasErrors() {
		t.Fatalf("unexpected diagnostics:\n%v", ds)
	}
	if ds = pl.ApplyOverrides(Overrides{}, func(string) string { return "" }); ds.HasErrors() {
		t.Fatalf("unexpected override diagnostics:\n%v", ds)
	}
	if len(pl.Tasks) != 1 {
		t.Fatalf("got %d tasks, want 1", len(pl.Tasks))
	}
	return pl.Tasks[0]
}

// firstError returns the first error diagnostic or fails.
func firstError(t *testing.T, ds diag.Diagnostics) diag.Diagnostic {
	t.Helper()
	for _, d := range ds {
		if d.Severity == diag.Error {
			return d
		}
	}
	t.Fatalf("expected an error, got %v", ds)
	return diag.Diagnostic{}
}

// items renders every candidate of a task, ordered sets joined with " > ".
func items(tk *Task) string {
	var s []string
	for _, r := range tk.Resources.Items {
		s = append(s, r.String())
	}
	sep := " | "
	if tk.Resources.Ordered {
		sep = " > "
	}
	return strings.Join(s, sep)
}
