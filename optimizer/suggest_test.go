package optimizer

import (
	"strings"
	"testing"

	"github.com/skyplan/skyplan/task"
)

func noCandidateDetail(t *testing.T, r task.Resources) string {
	t.Helper()
	_, ds := Optimize(one(r), Options{Catalog: embedded})
	if !ds.HasErrors() || !strings.Contains(ds[0].Summary, "Catalog does not contain") {
		t.Fatalf("want a no-candidate error, got %v", ds)
	}
	return ds[0].Detail
}

// H100:9 suggests the nearby H100 counts first, not the cheapest names
// that are one edit away (A10:0.17, A10:0.33, …).
func TestSuggestionsSameAcceleratorNearestCountsFirst(t *testing.T) {
	d := noCandidateDetail(t, task.Resources{Accelerator: acc("H100", 9)})
	if !strings.Contains(d, "Did you mean: H100:8, H100:4, H100:2, H100:1, ") {
		t.Errorf("suggestions:\n%s", d)
	}
	if strings.Contains(d, "A10:0.17") {
		t.Errorf("fractional A10s are not close to H100:9:\n%s", d)
	}
	// Ties go to the larger count, which satisfies the request.
	d = noCandidateDetail(t, task.Resources{Infra: task.Infra{Cloud: "gcp"}, Accelerator: acc("A100", 3)})
	if !strings.Contains(d, "Did you mean: A100:4, A100:2, A100:1, A100:8") {
		t.Errorf("A100:3 on GCP:\n%s", d)
	}
}

// cpus: 1000 names only what the user set (no memory=4x they never wrote),
// says how large the default families go, and has no GPU hint.
func TestNoCandidateMentionsOnlyWhatMatters(t *testing.T) {
	d := noCandidateDetail(t, task.Resources{CPUs: q(1000)})
	if strings.Contains(d, "memory=") || strings.Contains(d, "gpus list") {
		t.Errorf("cpus=1000:\n%s", d)
	}
	if !strings.Contains(d, "no AWS default CPU instance (m6i/c6i/r6i/m7i/c7i/r7i) has cpus=1000 (the largest has ") {
		t.Errorf("cpus=1000:\n%s", d)
	}
	// The bundled snapshot has no m7i/c7i/r7i (which go up to 192 vCPUs):
	// the message says the catalog lacks them instead of implying they
	// were considered; GCP's families are all there and get no such note.
	if !strings.Contains(d, "128 vCPUs; this catalog has no m7i/c7i/r7i rows: `skyplan catalog update` fetches SkyPilot's full catalogs)") {
		t.Errorf("cpus=1000 does not say the snapshot lacks m7i/c7i/r7i:\n%s", d)
	}
	if strings.Count(d, "this catalog has no") != 1 {
		t.Errorf("the missing-family note is not AWS's alone:\n%s", d)
	}
	// The size exists; the price cap rules it out: say so.
	d = noCandidateDetail(t, task.Resources{Infra: task.Infra{Cloud: "aws", Region: "us-east-1"}, CPUs: q(64), UseSpot: true, MaxHourlyCost: 0.01})
	if !strings.Contains(d, "has cpus=64 at a spot price under max_hourly_cost $0.01") {
		t.Errorf("price cap:\n%s", d)
	}
	// A GPU request keeps the hint.
	d = noCandidateDetail(t, task.Resources{Accelerator: acc("H100", 9)})
	if !strings.Contains(d, "gpus list") {
		t.Errorf("GPU request lost the gpus list hint:\n%s", d)
	}
}
