package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

// runPipelinePlan plans the bundled example pipeline (plan --dryrun).
func runPipelinePlan(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	var out, errb bytes.Buffer
	streams := &IO{Out: &out, Err: &errb}
	code := Run(streams, append([]string{"skyplan", "plan", "--dryrun", "../examples/pipeline/pipeline.yaml"}, args...))
	if code != 0 {
		return out.String(), Exit(code, diag.Diagnostics{{Severity: diag.Error, Summary: errb.String()}})
	}
	return out.String(), nil
}

func TestPlanPipelineText(t *testing.T) {
	out, err := runPipelinePlan(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"minimizing cost", "TASK", "#NODES", "INFRA", "INSTANCE", "GPUS", "preprocess", "train", "serve", "Egress:", "Total:", "AWS ONLY", "GCP ONLY", "AZURE ONLY", "cost saving"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlanPipelineJSONAndObjectives(t *testing.T) {
	plans := map[string]map[string]any{}
	for _, obj := range []string{"cost", "time"} {
		out, err := runPipelinePlan(t, "-o", "json", "--minimize", obj, "--bandwidth-gbps", "5")
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		for _, k := range []string{"tasks", "egress", "total_cost", "total_hours", "single_cloud"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("JSON lacks %q", k)
			}
		}
		if doc["minimize"] != obj || doc["bandwidth_gbps"] != 5.0 {
			t.Errorf("minimize=%v bandwidth=%v", doc["minimize"], doc["bandwidth_gbps"])
		}
		sc := doc["single_cloud"].(map[string]any)
		for _, c := range []string{"aws", "gcp", "azure"} {
			if _, ok := sc[c]; !ok {
				t.Errorf("single_cloud lacks %s", c)
			}
		}
		plans[obj] = doc
	}
	// Each objective wins on its own measure.
	if plans["time"]["total_hours"].(float64) > plans["cost"]["total_hours"].(float64) ||
		plans["cost"]["total_cost"].(float64) > plans["time"]["total_cost"].(float64) {
		t.Errorf("cost plan $%v/%vh vs time plan $%v/%vh", plans["cost"]["total_cost"], plans["cost"]["total_hours"], plans["time"]["total_cost"], plans["time"]["total_hours"])
	}
}

func TestPlanPipelineRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--minimize", "speed"}, {"--bandwidth-gbps", "0"}} {
		_, err := runPipelinePlan(t, args...)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitFailure || !strings.Contains(ee.Diags.Error(), args[0]) {
			t.Errorf("%v: got %v", args, err)
		}
	}
}
