package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/task"
)

// runValidateCLI runs skyplan with args and a fixed environment.
func runValidateCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	streams := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Environ: func(k string) string { return env[k] }}
	code := Run(streams, append([]string{"skyplan"}, args...))
	return code, out.String(), errb.String()
}

func writeValidateTask(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateOK(t *testing.T) {
	p := writeValidateTask(t, "name: a\nresources: {accelerators: V100}\nrun: echo\n")
	code, out, errOut := runValidateCLI(t, nil, "validate", p)
	if code != 0 || out != "" || !strings.Contains(errOut, "is valid (1 task)") {
		t.Errorf("code %d out %q err %q", code, out, errOut)
	}
}

func TestValidateJSONVerdict(t *testing.T) {
	p := writeValidateTask(t, "resources: {accelerators: {V100: 1, NOPE-GPU: 1}}\nrun: echo\n")
	code, out, _ := runValidateCLI(t, nil, "validate", p, "-o", "json")
	var doc struct {
		Valid       bool `json:"valid"`
		Tasks       int  `json:"tasks"`
		Diagnostics []struct {
			Severity, Summary string
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("code %d, %v:\n%s", code, err, out)
	}
	if !doc.Valid || doc.Tasks != 1 || len(doc.Diagnostics) != 1 || doc.Diagnostics[0].Severity != "warning" {
		t.Errorf("verdict = %+v", doc)
	}
}

func TestValidateReportsLocatedErrors(t *testing.T) {
	p := writeValidateTask(t, "nmae: a\nrun: echo\n")
	code, out, errOut := runValidateCLI(t, nil, "validate", p)
	if code != 1 || out != "" {
		t.Fatalf("code %d out %q", code, out)
	}
	for _, want := range []string{`Error: Unknown field "nmae"`, "line 1, column 1", "field nmae", `Did you mean "name"?`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	code, _, errOut = runValidateCLI(t, nil, "validate", "-o", "json", p)
	var doc struct {
		Diagnostics []struct {
			Summary string `json:"summary"`
			Field   string `json:"field"`
			Range   struct {
				Start struct{ Line, Column int } `json:"start"`
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(errOut), &doc); err != nil || code != 1 {
		t.Fatalf("code %d, json %v:\n%s", code, err, errOut)
	}
	if d := doc.Diagnostics[0]; d.Summary != `Unknown field "nmae"` || d.Field != "nmae" || d.Range.Start.Line != 1 {
		t.Errorf("json diagnostic = %+v", d)
	}
}

func TestValidateOverridesAfterThePath(t *testing.T) {
	old := knownAccelerators
	knownAccelerators = func() []string { return []string{"V100", "A100", "A10G"} }
	defer func() { knownAccelerators = old }()
	p := writeValidateTask(t, "envs: {TOKEN: null}\nrun: echo\n")

	code, _, errOut := runValidateCLI(t, nil, "validate", p)
	if code != 1 || !strings.Contains(errOut, "Environment variable 'TOKEN' is None") {
		t.Errorf("null env: code %d\n%s", code, errOut)
	}
	// Flags after the positional argument, bare --env copying the local value.
	code, _, errOut = runValidateCLI(t, map[string]string{"TOKEN": "x"}, "validate", p, "--env", "TOKEN", "--gpus", "a10g:4", "--ports", "80,443", "--use-spot")
	if code != 0 {
		t.Errorf("with overrides: code %d\n%s", code, errOut)
	}
	code, _, errOut = runValidateCLI(t, nil, "validate", p, "--env", "TOKEN=1", "--gpus", "A1000")
	if code != 1 || !strings.Contains(errOut, `Unknown accelerator "A1000"`) || !strings.Contains(errOut, "field --gpus") || !strings.Contains(errOut, "A100") {
		t.Errorf("bad --gpus: code %d\n%s", code, errOut)
	}
	code, _, errOut = runValidateCLI(t, nil, "validate", "--use-spot", "--no-use-spot", p, "--env", "TOKEN=1")
	if code != 1 || !strings.Contains(errOut, "Conflicting spot flags") {
		t.Errorf("spot conflict: code %d\n%s", code, errOut)
	}
	code, _, errOut = runValidateCLI(t, nil, "validate", p, "--num-nodes", "0", "--env", "TOKEN=1")
	if code != 1 || !strings.Contains(errOut, "field --num-nodes") {
		t.Errorf("num nodes: code %d\n%s", code, errOut)
	}
	code, _, errOut = runValidateCLI(t, nil, "validate")
	if code != 1 || !strings.Contains(errOut, "Missing task file") {
		t.Errorf("no path: code %d\n%s", code, errOut)
	}
}

func TestOverridesFromFlags(t *testing.T) {
	p := writeValidateTask(t, "resources: {use_spot: true, accelerators: V100}\nrun: echo\n")
	var got *task.Pipeline
	var gotErr error
	app := NewApp(&IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Environ: func(string) string { return "" }})
	app.Commands = append(app.Commands, nil)
	app.Commands[len(app.Commands)-1] = newProbeCommand(func(pl *task.Pipeline, err error) { got, gotErr = pl, err })
	args := interspersedArgs(app, []string{"skyplan", "probe", p, "--no-use-spot", "--env", "A=1,2", "--secret", "S=x", "-t", "p3.2xlarge", "--disk-size", "1TB", "--name", "n1", "--num-nodes", "3"})
	if err := app.Run(args); err != nil {
		t.Fatal(err)
	}
	if gotErr != nil {
		t.Fatal(gotErr)
	}
	tk := got.Tasks[0]
	r := tk.Resources.Items[0]
	if r.UseSpot || !r.UseSpotSet || r.InstanceType != "p3.2xlarge" || r.DiskSizeGB != 1024 || tk.Name != "n1" || tk.NumNodes != 3 {
		t.Errorf("task = %s %+v", tk, r)
	}
	if len(tk.Envs) != 1 || *tk.Envs[0].Value != "1,2" || *tk.Secrets[0].Value != "x" {
		t.Errorf("envs %v secrets %v", tk.Envs, tk.Secrets)
	}
}

// validate checks that the catalog can place the task, as plan --dryrun
// does, with the same located errors and without credentials; -o json
// carries the verdict; --syntax-only says plainly what it skipped.
func TestValidateChecksFeasibility(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"SKYPLAN_HOME": home, "HOME": home}
	cases := []struct{ src, field string }{
		{"resources: {accelerators: H100:9}\nrun: echo\n", "resources.accelerators"},
		{"resources: {cpus: 1000}\nrun: echo\n", "resources.cpus"},
		{"resources: {instance_type: no-such.type}\nrun: echo\n", "resources.instance_type"},
	}
	for _, c := range cases {
		p := writeValidateTask(t, c.src)
		code, out, errOut := runValidateCLI(t, env, "validate", p)
		if code != 1 || out != "" || strings.Contains(errOut, "is valid") || !strings.Contains(errOut, "line 1") || !strings.Contains(errOut, "field "+c.field) {
			t.Errorf("%q: code %d out %q\n%s", c.src, code, out, errOut)
		}
		_, _, planErr := runValidateCLI(t, env, "plan", "--dryrun", p)
		if first(errOut) != first(planErr) {
			t.Errorf("%q: validate and plan --dryrun differ:\n%s\n---\n%s", c.src, errOut, planErr)
		}
		code, out, _ = runValidateCLI(t, env, "validate", "-o", "json", p)
		var doc struct {
			Valid, Feasible bool
			Checks          []string
			Diagnostics     []struct{ Severity, Field string }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 1 {
			t.Fatalf("json: code %d %v\n%s", code, err, out)
		}
		if doc.Valid || doc.Feasible || strings.Join(doc.Checks, ",") != "syntax,feasibility" || len(doc.Diagnostics) == 0 || doc.Diagnostics[0].Field != c.field {
			t.Errorf("%q: json verdict %+v", c.src, doc)
		}
		code, _, errOut = runValidateCLI(t, env, "validate", "--syntax-only", p)
		if code != 0 || !strings.Contains(errOut, "syntax only") {
			t.Errorf("%q --syntax-only: code %d\n%s", c.src, code, errOut)
		}
	}
	p := writeValidateTask(t, "resources: {accelerators: H100:8}\nrun: echo\n")
	code, out, _ := runValidateCLI(t, env, "validate", "-o", "json", p)
	if code != 0 || !strings.Contains(out, `"feasible": true`) || !strings.Contains(out, `"valid": true`) {
		t.Errorf("feasible task: code %d\n%s", code, out)
	}
}

// first is the first line of s.
func first(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
