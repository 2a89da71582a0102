package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs skyplan in-process and returns stdout, stderr and the exit code.
func runCLI(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(&IO{Out: &out, Err: &errb, Environ: func(string) string { return "" }}, append([]string{"skyplan"}, args...))
	return out.String(), errb.String(), code
}

func writeTask(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanDryrunTable(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	out, errOut, code := runCLI(t, "plan", "--dryrun", "../examples/minimal.yaml", "--infra", "aws")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Estimated cost: $0.38 / hour", "Considered resources (1 node):",
		"INFRA", "INSTANCE", "vCPUs", "Mem(GB)", "GPUS", "COST ($)", "CHOSEN", "AWS (us-east-1)", "m6i.2xlarge", "✔"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runCLI(t, "plan", "--dryrun", "../examples/gpu-spot.yaml", "--num-nodes", "2")
	if code != 0 || !strings.Contains(out, "Considered resources (2 nodes):") || !strings.Contains(out, "[Spot]") {
		t.Errorf("spot table (exit %d):\n%s", code, out)
	}
	// One row per cloud × accelerator × market, chosen first.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	rows := lines[len(lines)-4 : len(lines)-1] // above the closing dashed rule
	if !strings.HasSuffix(strings.TrimSpace(rows[0]), "✔") || strings.Contains(rows[1], "✔") {
		t.Errorf("chosen row should be first and only:\n%s", out)
	}
}

func TestPlanDryrunJSONShape(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	out, errOut, code := runCLI(t, "plan", "--dryrun", "-o", "json", "../examples/gpu-spot.yaml", "--infra", "gcp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Tasks []struct {
			Name       string           `json:"name"`
			NumNodes   int              `json:"num_nodes"`
			Chosen     map[string]any   `json:"chosen"`
			Candidates []map[string]any `json:"candidates"`
		} `json:"tasks"`
		HourlyCost float64 `json:"hourly_cost"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not the plan JSON: %v\n%s", err, out)
	}
	if len(doc.Tasks) != 1 || doc.Tasks[0].Name != "gpu-spot" || doc.Tasks[0].NumNodes != 1 || len(doc.Tasks[0].Candidates) < 2 {
		t.Fatalf("unexpected plan: %+v", doc)
	}
	c := doc.Tasks[0].Chosen
	keys := []string{"cloud", "region", "zone", "instance_type", "accelerators", "use_spot", "vcpus", "memory_gib", "hourly_cost_per_node", "hourly_cost"}
	for _, k := range keys {
		if _, ok := c[k]; !ok {
			t.Errorf("chosen lacks %q: %v", k, c)
		}
	}
	if len(c) != len(keys) {
		t.Errorf("chosen has extra keys: %v", c)
	}
	if c["cloud"] != "gcp" || c["use_spot"] != true || c["zone"] == nil || doc.HourlyCost != c["hourly_cost"] {
		t.Errorf("chosen %v, hourly_cost %v", c, doc.HourlyCost)
	}
	prev := 0.0
	for _, p := range doc.Tasks[0].Candidates {
		if p["hourly_cost"].(float64) < prev {
			t.Fatalf("candidates not sorted by hourly_cost")
		}
		prev = p["hourly_cost"].(float64)
	}
	// Region-level placements render zone as null.
	out, _, _ = runCLI(t, "plan", "--dryrun", "-o", "json", "../examples/minimal.yaml", "--infra", "aws")
	if !strings.Contains(out, `"zone": null`) {
		t.Errorf("on-demand AWS zone should be null:\n%s", out)
	}
}

func TestPlanDryrunErrors(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	cases := []struct {
		name, yaml string
		args       []string
		want       []string
	}{
		{"no candidate", "resources:\n  infra: aws\n  accelerators: A100:3\n", nil,
			[]string{"Catalog does not contain any instances satisfying the request", "Did you mean: A100:8", "task.yaml line 3"}},
		{"unsupported cloud", "resources:\n  infra: kubernetes\n", nil,
			[]string{`Cloud "kubernetes" is not supported by skyplan yet`, "line 2", "resources.infra"}},
		{"pool", "pool:\n  workers: 2\nrun: echo\n", nil, []string{`"pool" is not supported yet`}},
		{"bad output", "run: echo\n", []string{"-o", "yaml"}, []string{"-o must be table, json or markdown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"plan", "--dryrun"}, c.args...)
			out, errOut, code := runCLI(t, append(args, writeTask(t, c.yaml))...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestPlanOrderedAndAnyOf(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	ordered := writeTask(t, "resources:\n  ordered:\n    - accelerators: H100:8\n    - accelerators: T4:1\n")
	out, errOut, code := runCLI(t, "plan", "--dryrun", ordered)
	if code != 0 || !strings.Contains(firstRow(out), "H100:8") {
		t.Fatalf("ordered should choose the first item (exit %d %s):\n%s", code, errOut, out)
	}
	anyOf := writeTask(t, "resources:\n  accelerators: {H100: 8, T4: 1}\n")
	out, _, _ = runCLI(t, "plan", "--dryrun", anyOf)
	if !strings.Contains(firstRow(out), "T4:1") {
		t.Fatalf("a set should choose the cheapest:\n%s", out)
	}
}

func firstRow(table string) string {
	for _, l := range strings.Split(table, "\n") {
		if strings.Contains(l, "✔") {
			return l
		}
	}
	return ""
}

func TestGPUsList(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	out, errOut, code := runCLI(t, "gpus", "list")
	if code != 0 || !strings.Contains(out, "AVAILABLE_QUANTITIES") || !regexpLine(out, "T4", "AWS", "1, 4, 8") {
		t.Fatalf("exit %d %s\n%s", code, errOut, out)
	}
	out, _, code = runCLI(t, "gpus", "list", "A100:8", "--infra", "gcp")
	if code != 0 || !regexpLine(out, "A100", "8", "GCP", "a2-highgpu-8g") || strings.Contains(out, "AWS") {
		t.Fatalf("A100:8 on gcp:\n%s", out)
	}
	out, _, _ = runCLI(t, "gpus", "list", "T4:1", "--infra", "aws", "--all-regions", "-o", "json")
	var doc struct {
		Accelerators []struct {
			Cloud        string `json:"cloud"`
			Region       string `json:"region"`
			InstanceType string `json:"instance_type"`
		} `json:"accelerators"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Accelerators) < 5 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	regions := map[string]bool{}
	for _, a := range doc.Accelerators {
		k := a.InstanceType + "@" + a.Region
		if a.Cloud != "aws" || !strings.HasPrefix(a.InstanceType, "g4dn.") || regions[k] {
			t.Errorf("--all-regions T4:1 on aws: one row per g4dn type and region, got %+v", a)
		}
		regions[k] = true
	}
	_, errOut, code = runCLI(t, "gpus", "list", "A1000")
	if code != 1 || !strings.Contains(errOut, "Did you mean") {
		t.Errorf("unknown accelerator: exit %d\n%s", code, errOut)
	}
}

// regexpLine reports whether one line contains all parts in order.
func regexpLine(out string, parts ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestCatalogUpdateFromDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	out, errOut, code := runCLI(t, "catalog", "update", "--from", "../testdata/catalog-small")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "aws/vms.csv") || !strings.Contains(out, "5 rows") || !strings.Contains(out, "azure/vms.csv") {
		t.Errorf("update report:\n%s", out)
	}
	// The refreshed catalog now drives planning: the small Azure file only has D8s_v5 in eastus.
	out, errOut, code = runCLI(t, "plan", "--dryrun", "../examples/minimal.yaml", "--infra", "azure", "-o", "json")
	if code != 0 || !strings.Contains(out, `"region": "eastus"`) || strings.Count(out, `"cloud": "azure"`) != 2 {
		t.Errorf("plan after update (exit %d %s):\n%s", code, errOut, out)
	}
	// An invalid source replaces nothing.
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, "gcp"), 0o755)
	os.WriteFile(filepath.Join(bad, "gcp", "vms.csv"), []byte("InstanceType,Price\nn2,1\n"), 0o644)
	before, _ := os.ReadFile(filepath.Join(home, "catalogs", "gcp", "vms.csv"))
	_, errOut, code = runCLI(t, "catalog", "update", "--from", bad)
	after, _ := os.ReadFile(filepath.Join(home, "catalogs", "gcp", "vms.csv"))
	if code != 1 || !strings.Contains(errOut, "missing column") || !bytes.Equal(before, after) {
		t.Errorf("invalid update: exit %d\n%s", code, errOut)
	}
}

func BenchmarkPlanDryrunWarm(b *testing.B) {
	b.Setenv("SKYPLAN_HOME", b.TempDir())
	for b.Loop() {
		if _, errOut, code := runCLI(b, "plan", "--dryrun", "../examples/minimal.yaml"); code != 0 {
			b.Fatal(errOut)
		}
	}
}

// As `sky launch`: a task with a service section is planned (the section
// ignored, with a warning that points to serve up), not refused.
func TestPlanIgnoresServiceSection(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	path := writeTask(t, "service:\n  readiness_probe: /\n  replicas: 2\nresources:\n  cpus: 2\nrun: echo hi\n")
	out, errOut, code := runCLI(t, "plan", "--dryrun", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "Considered resources") && !strings.Contains(out, "INSTANCE") {
		t.Errorf("no plan on stdout:\n%s", out)
	}
	for _, w := range []string{`The "service" section is ignored`, "skyplan serve up " + path, "field service"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}
