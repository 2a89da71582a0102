package task

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

func loadWith(t *testing.T, src string, o Overrides, env map[string]string) (*Pipeline, diag.Diagnostics) {
	t.Helper()
	pl, ds := parseYAML(t, src)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return pl, pl.ApplyOverrides(o, func(k string) string { return env[k] })
}

func TestOverridesApplyToEveryCandidate(t *testing.T) {
	spot := true
	src := `resources:
  cpus: 4
  any_of:
    - infra: aws
      accelerators: V100
    - infra: gcp
      accelerators: T4
`
	pl, ds := loadWith(t, src, Overrides{CPUs: "16+", Memory: "64", UseSpot: &spot, DiskSize: "1TB", DiskTier: "high",
		Ports: []string{"8080", "8081", "9000-9001"}, ImageID: "docker:img", InstanceType: "p3.2xlarge", NumNodes: 4, Name: "renamed"}, nil)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	tk := pl.Tasks[0]
	want := "aws, V100:1, p3.2xlarge, cpus=16+, mem=64, spot, disk=1024GB, ports=8080-8081,9000-9001 | gcp, T4:1, p3.2xlarge, cpus=16+, mem=64, spot, disk=1024GB, ports=8080-8081,9000-9001"
	if got := items(tk); got != want {
		t.Errorf("items:\n got %s\nwant %s", got, want)
	}
	for _, r := range tk.Resources.Items {
		if r.DiskTier != "high" || r.ImageID.Default != "docker:img" || !r.UseSpotSet || r.Fields["cpus"] != "--cpus" {
			t.Errorf("item %+v", r)
		}
	}
	if tk.NumNodes != 4 || tk.Name != "renamed" {
		t.Errorf("num_nodes %d name %q", tk.NumNodes, tk.Name)
	}

	// --gpus and --infra make the candidates identical: they collapse.
	pl, ds = loadWith(t, src, Overrides{GPUs: "a100:8", Infra: "gcp/us-central1"}, nil)
	if ds.HasErrors() || items(pl.Tasks[0]) != "gcp/us-central1, A100:8, cpus=4" || pl.Tasks[0].Resources.Items[0].Fields["accelerators"] != "--gpus" {
		t.Errorf("--gpus: %s %v", items(pl.Tasks[0]), ds)
	}
	pl, _ = loadWith(t, src, Overrides{GPUs: "none", InstanceType: "none", DiskTier: "none"}, nil)
	if got := items(pl.Tasks[0]); got != "aws, cpus=4 | gcp, cpus=4" {
		t.Errorf("--gpus none: %s", got)
	}
	pl, _ = loadWith(t, "resources: {use_spot: true}\n", Overrides{UseSpot: new(bool)}, nil)
	if r := pl.Tasks[0].Resources.Items[0]; r.UseSpot || !r.UseSpotSet {
		t.Errorf("--no-use-spot: %+v", r)
	}
	pl, _ = loadWith(t, "resources: {accelerators: V100}\n", Overrides{GPUs: "tpu-v5litepod-8"}, nil)
	if r := pl.Tasks[0].Resources.Items[0]; r.Infra.Cloud != "gcp" || r.AcceleratorArgs == nil || r.AcceleratorArgs.RuntimeVersion != "v2-alpha-tpuv5" {
		t.Errorf("--gpus tpu: %+v %+v", r, r.AcceleratorArgs)
	}
}

func TestOverrideErrorsNameTheFlag(t *testing.T) {
	cases := []struct {
		o       Overrides
		field   string
		summary string
	}{
		{Overrides{GPUs: "A1000:8"}, "--gpus", `Unknown accelerator "A1000"`},
		{Overrides{GPUs: "V100:x"}, "--gpus", "Invalid accelerators"},
		{Overrides{CPUs: "lots"}, "--cpus", "Invalid cpus"},
		{Overrides{Memory: "-1"}, "--memory", "Invalid memory"},
		{Overrides{DiskSize: "huge"}, "--disk-size", "Invalid disk_size"},
		{Overrides{DiskTier: "turbo"}, "--disk-tier", "Invalid disk_tier"},
		{Overrides{Ports: []string{"0"}}, "--ports", "Invalid port"},
		{Overrides{Infra: "aws//x"}, "--infra", "Invalid infra"},
		{Overrides{Name: "bad name"}, "--name", "Invalid task name"},
		{Overrides{NumNodes: -1}, "--num-nodes", "Invalid num_nodes"},
		{Overrides{Envs: []string{"1BAD=x"}}, "--env", "Invalid variable name"},
		{Overrides{Envs: []string{"UNSET"}}, "--env", "Variable not set locally"},
	}
	for _, c := range cases {
		_, ds := loadWith(t, "run: x\n", c.o, nil)
		d := firstError(t, ds)
		if d.Field != c.field || d.Summary != c.summary || d.Subject != nil {
			t.Errorf("%+v: got %q field %q subject %v, want %q %q", c.o, d.Summary, d.Field, d.Subject, c.summary, c.field)
		}
	}
}

func TestEnvOverridesAndNullEnvs(t *testing.T) {
	src := `envs:
  BUCKET:
  MODE: a
secrets:
  TOKEN: null
file_mounts:
  /data: s3://$BUCKET
`
	_, ds := loadWith(t, src, Overrides{}, nil)
	if len(ds) != 2 {
		t.Fatalf("want 2 errors, got %v", ds)
	}
	d := ds[0]
	if d.Summary != "Environment variable 'BUCKET' is None" || d.Field != "envs.BUCKET" || d.Subject.Start.Line != 2 ||
		d.Detail != `Environment variable 'BUCKET' is None. Please set a value for it in task YAML or with --env flag. To set it to be empty, use an empty string (BUCKET: "" in task YAML or --env BUCKET="" in CLI).` {
		t.Errorf("envs error = %+v", d)
	}
	if d := ds[1]; d.Summary != "Secret variable 'TOKEN' is None" || d.Field != "secrets.TOKEN" || !strings.Contains(d.Detail, "--secret flag") {
		t.Errorf("secrets error = %+v", d)
	}

	envFile := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(envFile, []byte("# comment\nexport BUCKET=from-file\nMODE=\"quoted b\"\nEXTRA='x y'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, ds := loadWith(t, src, Overrides{EnvFiles: []string{envFile}, Envs: []string{"MODE=c", "HOME_DIR"}, Secrets: []string{"TOKEN=t0k"}},
		map[string]string{"HOME_DIR": "/home/me"})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	tk := pl.Tasks[0]
	got := map[string]string{}
	for _, e := range tk.Envs {
		got[e.Key] = *e.Value
	}
	want := map[string]string{"BUCKET": "from-file", "MODE": "c", "EXTRA": "x y", "HOME_DIR": "/home/me"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("envs = %v, want %v", got, want)
	}
	if tk.FileMounts[0].Src != "s3://from-file" {
		t.Errorf("substitution after overrides: %q", tk.FileMounts[0].Src)
	}
	if *tk.Secrets[0].Value != "t0k" {
		t.Errorf("secret = %q", *tk.Secrets[0].Value)
	}
}

func TestWorkdirOverride(t *testing.T) {
	dir := t.TempDir()
	pl, ds := loadWith(t, "envs: {D: "+dir+"}\nworkdir: /elsewhere\n", Overrides{Workdir: "$D"}, nil)
	if ds.HasErrors() || pl.Tasks[0].Workdir.Path != dir {
		t.Errorf("workdir = %+v %v", pl.Tasks[0].Workdir, ds)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const secret = "hunter2-very-secret"
	_, ds := parseYAML(t, "name: s\nenvs: {PLAIN: visible}\nsecrets:\n  API_KEY: "+secret+"\n  OTHER: [not, a, string]\n")
	if !ds.HasErrors() {
		t.Fatal("expected the list-valued secret to be refused")
	}
	for _, d := range ds {
		if strings.Contains(d.Error(), secret) || strings.Contains(d.Detail, "not, a") {
			t.Errorf("diagnostic leaks a secret: %v", d)
		}
	}
	pl, ds := loadWith(t, "name: s\nenvs: {PLAIN: visible}\nsecrets:\n  API_KEY: "+secret+"\n", Overrides{Secrets: []string{"CLI_KEY=cli-" + secret}}, nil)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	tk := pl.Tasks[0]
	if *tk.Secrets[0].Value != secret {
		t.Fatalf("secret value not kept: %v", tk.Secrets)
	}
	for _, s := range []string{tk.String(), pl.String(), fmt.Sprintf("%v", tk), fmt.Sprintf("%+v", tk), fmt.Sprintf("%#v", tk), fmt.Sprint(pl)} {
		if strings.Contains(s, secret) {
			t.Errorf("printed form leaks the secret: %s", s)
		}
	}
	if !strings.Contains(tk.String(), "API_KEY="+Redacted) || !strings.Contains(tk.String(), `PLAIN="visible"`) {
		t.Errorf("String() = %s", tk.String())
	}
	if got := pl.SecretValues(); len(got) != 2 {
		t.Errorf("SecretValues = %d values", len(got))
	}
}

func TestOverridesOnTaskBuiltInCode(t *testing.T) {
	v := "b"
	tk := &Task{Name: "t", NumNodes: 1, Envs: []EnvVar{{Key: "B", Value: &v}},
		FileMounts: []FileMount{{Dst: "/d", Src: "s3://$B"}}, Service: &Service{Readiness: ReadinessProbe{Path: "/$B"}},
		Resources: ResourceSet{Items: []Resources{{DiskSizeGB: 256}}}}
	pl := &Pipeline{Tasks: []*Task{tk}}
	if ds := pl.ApplyOverrides(Overrides{CPUs: "4"}, nil); ds.HasErrors() {
		t.Fatal(ds)
	}
	if len(tk.FileMounts) != 1 || tk.FileMounts[0].Src != "s3://b" || tk.Service.Readiness.Path != "/b" || tk.Resources.Items[0].CPUs.Value != 4 {
		t.Errorf("task = %+v %v", tk.FileMounts, tk.Service)
	}
}
