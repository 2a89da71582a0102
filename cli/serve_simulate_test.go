package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSpotTrace(t *testing.T, dir, zone string, data []int) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"gap_seconds": 60}, "data": data})
	if err := os.WriteFile(filepath.Join(dir, zone+"_v100_1.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestServeSimulateJSON(t *testing.T) {
	dir := t.TempDir()
	flaky := make([]int, 600)
	for i := range flaky {
		if i%100 < 70 {
			flaky[i] = 1
		}
	}
	stable := make([]int, 600)
	for i := range stable {
		stable[i] = 1
	}
	// us-east-1b is not in the catalog: it is priced as us-east-1's
	// cheapest spot zone, below us-east-1a, so spot-one-zone picks it.
	writeSpotTrace(t, dir, "us-east-1a", stable)
	writeSpotTrace(t, dir, "us-east-1b", flaky)
	out, errOut, code := runCLI(t, "serve", "simulate", "--traces", dir, "--replicas", "2", "--cold-start", "2m", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(doc.Rows) != 5 {
		t.Fatalf("rows = %v", doc.Rows)
	}
	for i, want := range []string{"on-demand", "spot-one-zone", "spread", "skyserve", "skyplan"} {
		r := doc.Rows[i]
		if r["policy"] != want {
			t.Errorf("row %d policy %v", i, r["policy"])
		}
		for _, k := range []string{"cost", "on_demand_cost", "availability", "preemptions", "on_demand_hours"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row %s lacks %s", want, k)
			}
		}
	}
	od, one := doc.Rows[0], doc.Rows[1]
	if od["cost"] != od["on_demand_cost"] || od["availability"].(float64) != 1 {
		t.Errorf("on-demand row %v", od)
	}
	if one["availability"].(float64) >= 1 || one["preemptions"].(float64) == 0 || one["cost"].(float64) >= od["cost"].(float64) {
		t.Errorf("spot-one-zone row %v (us-east-1b is the cheapest zone and flaps)", one)
	}
	if !strings.Contains(errOut, "zone us-east-1a: spot $") {
		t.Errorf("prices not reported on stderr: %s", errOut)
	}
	table, _, code := runCLI(t, "serve", "simulate", "--traces", dir, "--policy", "skyserve")
	if code != 0 || !strings.Contains(table, "POLICY") || !strings.Contains(table, "skyserve") || strings.Contains(table, "spread") {
		t.Errorf("table: %d %s", code, table)
	}
}

func TestServeSimulateBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--traces", filepath.Join(dir, "nope")}, "Trace directory not found"},
		{[]string{"--traces", dir}, "Cannot load spot traces"},
		{[]string{"--traces", dir, "--replicas", "0"}, "Invalid --replicas"},
		{[]string{"--traces", dir, "--policy", "cheap"}, "Unknown policy"},
		{[]string{"--traces", dir, "--cold-start", "soon"}, "Invalid --cold-start"},
		{[]string{"--traces", dir, "-o", "yaml"}, "Invalid --output"},
		{[]string{"--traces", dir, "--fallback-hold", "0"}, "Invalid --fallback-hold"},
		{[]string{"--traces", dir, "--window", "-1h"}, "Invalid --window"},
		{[]string{"--traces", dir, "--window", "1h", "--repeats", "0"}, "Invalid --repeats"},
	} {
		t.Run(fmt.Sprint(c.args), func(t *testing.T) {
			_, errOut, code := runCLI(t, append([]string{"serve", "simulate"}, c.args...)...)
			if code == 0 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, errOut, c.want)
			}
		})
	}
	writeSpotTrace(t, dir, "us-east-1a", []int{1, 1})
	if _, errOut, code := runCLI(t, "serve", "simulate", "--traces", dir, "--instance", "nosuch.type"); code == 0 || !strings.Contains(errOut, "No prices for the instance") {
		t.Errorf("unknown instance: %d %s", code, errOut)
	}
}
