package cli

import (
	"strings"
	"testing"
)

// The default listing is grouped (common GPUs, TPUs by generation, others)
// and short; prices are left to the NAME listing, where they belong to a
// region.
func TestGPUsListGrouped(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	out, errOut, code := runCLI(t, "gpus", "list")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	c, tp, o := strings.Index(out, "COMMON_GPU"), strings.Index(out, "GOOGLE_TPU"), strings.Index(out, "OTHER_GPU")
	if c < 0 || tp < c || o < tp {
		t.Fatalf("sections out of order:\n%s", out)
	}
	if n := strings.Count(out, "\n"); n > 60 {
		t.Errorf("%d lines: TPU slice sizes are not collapsed\n%s", n, out)
	}
	if !regexpLine(out, "tpu-v5litepod", "1, 4, 8, 16") || !regexpLine(out, "tpu-v4", "…", "sizes)") {
		t.Errorf("TPU rows:\n%s", out)
	}
	if strings.Contains(out, "CHEAPEST") {
		t.Errorf("the summary mixes prices of different counts and regions:\n%s", out)
	}
}
