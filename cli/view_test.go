package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonDocs decodes stdout as a stream of JSON documents.
func jsonDocs(t *testing.T, out string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var docs []map[string]any
	for dec.More() {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("stdout is not JSON documents: %v\n%s", err, out)
		}
		docs = append(docs, d)
	}
	return docs
}

// In JSON mode every command prints exactly one JSON document on stdout,
// on failure too, with the diagnostics in it.
func TestJSONModeOneDocumentOnStdout(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("nmae: x\nresources:\n  ports: 70000\n"), 0o644)
	warn := filepath.Join(dir, "warn.yaml")
	os.WriteFile(warn, []byte("resources: {accelerators: {V100: 1, NOPE-GPU: 1}}\nrun: echo\n"), 0o644)

	code, out, _ := runSky(t, "validate", "-o", "json", bad)
	docs := jsonDocs(t, out)
	if code != 1 || len(docs) != 1 || docs[0]["valid"] != false {
		t.Fatalf("validate -o json bad.yaml: exit %d, %d docs:\n%s", code, len(docs), out)
	}
	ds, _ := docs[0]["diagnostics"].([]any)
	if len(ds) < 2 || !strings.Contains(out, `"field": "nmae"`) {
		t.Errorf("the failure document lacks the diagnostics:\n%s", out)
	}

	// A warning and an error: one document, both diagnostics in it.
	code, out, _ = runSky(t, "plan", "--dryrun", "-o", "json", warn, "--num-nodes", "0")
	if docs := jsonDocs(t, out); code != 1 || len(docs) != 1 || !strings.Contains(out, `"severity": "warning"`) || !strings.Contains(out, `"severity": "error"`) {
		t.Errorf("plan with a warning and an error: exit %d, %d docs:\n%s", code, len(docs), out)
	}
	// Success with a warning: the result plus its diagnostics.
	code, out, _ = runSky(t, "plan", "--dryrun", "-o", "json", warn)
	if docs := jsonDocs(t, out); code != 0 || len(docs) != 1 || docs[0]["tasks"] == nil || docs[0]["diagnostics"] == nil {
		t.Errorf("plan with a warning: exit %d:\n%s", code, out)
	}
	// Errors before any work (a cluster command, an unknown flag).
	for _, args := range [][]string{{"status", "-o", "json", "--no-such-flag"}, {"queue", "-o", "json", "nosuch"}, {"status", "-o", "json"}} {
		code, out, _ := runSky(t, args...)
		if docs := jsonDocs(t, out); len(docs) != 1 {
			t.Errorf("%v: exit %d, %d documents:\n%s", args, code, len(docs), out)
		}
	}
}

// `-o` is the output format everywhere: compile writes with --out-dir and
// says so when given -o json or the old -o DIR.
func TestCompileOutputFormatIsNotADirectory(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	dir := t.TempDir()
	p := filepath.Join(dir, "task.yaml")
	os.WriteFile(p, []byte("resources: {infra: aws}\nrun: echo\n"), 0o644)
	t.Chdir(dir)
	code, out, _ := runSky(t, "compile", p, "-o", "json")
	docs := jsonDocs(t, out)
	if code != 1 || len(docs) != 1 || !strings.Contains(out, "--out-dir") {
		t.Errorf("compile -o json: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "json")); err == nil {
		t.Errorf("compile -o json wrote a directory named json")
	}
	code, _, errOut := runSky(t, "compile", p, "-o", "out")
	if code != 1 || !strings.Contains(errOut, "--out-dir out") {
		t.Errorf("compile -o out: exit %d:\n%s", code, errOut)
	}
}

func TestHelpExitCodes(t *testing.T) {
	code, out, _ := runSky(t, "help", "exit-codes")
	for _, want := range []string{"100", "101", "102", "103", "--detailed-exitcode"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("help exit-codes lacks %q (exit %d):\n%s", want, code, out)
		}
	}
}

// Flags bind to the options struct (gh's runF seam): nothing reads a flag
// by name, so a misspelt name cannot silently read false.
func TestApplyFlagsBindToOptions(t *testing.T) {
	var got *ApplyOptions
	io := &IO{}
	cmd := newApplyCmd(io, func(o *ApplyOptions) error { got = o; return nil })
	app := NewApp(io)
	app.Commands = append(app.Commands[:0:0], cmd)
	err := app.Run(interspersedArgs(app, []string{"skyplan", "apply", "t.yaml", "-c", "x", "-y", "-d", "--down", "-i", "5",
		"--ssh-cidr", "10.0.0.0/8", "--gpus", "A100:8", "--use-spot", "--env", "A=1,2"}))
	if err != nil || got == nil {
		t.Fatalf("run: %v", err)
	}
	if got.Arg != "t.yaml" || got.Cluster != "x" || !got.Yes || !got.Detach || !got.Down || got.IdleMinutes != 5 ||
		strings.Join(got.SSHCIDRs.Value(), ",") != "10.0.0.0/8" || got.Task.GPUs != "A100:8" || !got.Task.UseSpotSet ||
		len(got.Task.Envs.values) != 1 || got.Task.Envs.values[0] != "A=1,2" || got.ProvisionOnly {
		t.Errorf("options: %+v", got)
	}
}
