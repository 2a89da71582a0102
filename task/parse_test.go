package task

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseTopLevelFields(t *testing.T) {
	tk := mustTask(t, `
name: my-task.v2
num_nodes: 3
workdir: {url: https://github.com/org/repo, ref: main}
setup:
  - pip install torch
  - echo done
run: |
  python train.py
envs:
  A: x
  N: 123
  B: true
  EMPTY: ""
secrets:
  TOKEN: s3cr3t
event_callback: echo hi
config:
  docker:
    run_options: [--privileged]
service:
  readiness_probe: /health
  replicas: 2
volumes:
  /mnt/vol: my-volume
inputs:
  s3://bucket/data: 100
outputs:
  gs://out/x: 1.5
`)
	if tk.Name != "my-task.v2" || tk.NumNodes != 3 {
		t.Errorf("name/num_nodes = %q/%d", tk.Name, tk.NumNodes)
	}
	if tk.Workdir == nil || tk.Workdir.URL != "https://github.com/org/repo" || tk.Workdir.Ref != "main" {
		t.Errorf("workdir = %+v", tk.Workdir)
	}
	if tk.Setup != "pip install torch\necho done" {
		t.Errorf("setup = %q", tk.Setup)
	}
	if tk.Run != "python train.py\n" {
		t.Errorf("run = %q", tk.Run)
	}
	wantEnvs := map[string]string{"A": "x", "N": "123", "B": "True", "EMPTY": ""}
	if len(tk.Envs) != 4 {
		t.Fatalf("envs = %v", tk.Envs)
	}
	for i, k := range []string{"A", "N", "B", "EMPTY"} {
		if tk.Envs[i].Key != k || tk.Envs[i].Value == nil || *tk.Envs[i].Value != wantEnvs[k] {
			t.Errorf("envs[%d] = %s=%v, want %s=%q", i, tk.Envs[i].Key, tk.Envs[i].Value, k, wantEnvs[k])
		}
	}
	if len(tk.Secrets) != 1 || *tk.Secrets[0].Value != "s3cr3t" {
		t.Errorf("secrets = %v", tk.Secrets)
	}
	if tk.EventCallback != "echo hi" {
		t.Errorf("event_callback = %q", tk.EventCallback)
	}
	if tk.Config["docker"].(map[string]any)["run_options"].([]any)[0] != "--privileged" {
		t.Errorf("config = %v", tk.Config)
	}
	if pool := mustTask(t, "pool:\n  workers: 2\n").Pool; pool["workers"] != 2 {
		t.Errorf("pool = %v", pool)
	}
	if tk.Service == nil || tk.Service.Replicas.MinReplicas != 2 || tk.Service.Readiness.Path != "/health" || tk.Volumes["/mnt/vol"] != "my-volume" {
		t.Errorf("service/pool/volumes = %v %v %v", tk.Service, tk.Pool, tk.Volumes)
	}
	if tk.Inputs["s3://bucket/data"] != 100 || tk.Outputs["gs://out/x"] != 1.5 {
		t.Errorf("inputs/outputs = %v %v", tk.Inputs, tk.Outputs)
	}
}

func TestDefaults(t *testing.T) {
	// An empty file is refused (TestErrors); a task with only defaults is not.
	for _, src := range []string{"run: echo hi\n", "resources:\n", "resources: {}\n", "---\nrun: x\n---\n"} {
		tk := mustTask(t, src)
		if tk.NumNodes != 1 || len(tk.Resources.Items) != 1 || tk.Resources.Ordered {
			t.Fatalf("%q: num_nodes %d, items %d", src, tk.NumNodes, len(tk.Resources.Items))
		}
		r := tk.Resources.Items[0]
		if r.DiskSizeGB != 256 || r.CPUs != nil || r.Memory != nil || r.Accelerator != nil || r.UseSpot || r.Infra != (Infra{}) {
			t.Errorf("%q: default resources = %+v", src, r)
		}
	}
}

func TestWorkdirPathIsAbsolute(t *testing.T) {
	dir := t.TempDir()
	tk := mustTask(t, "workdir: "+dir+"/./sub/..\n")
	if tk.Workdir.Path != dir {
		t.Errorf("workdir = %q, want %q", tk.Workdir.Path, dir)
	}
	tk = mustTask(t, "workdir: .\n")
	if !filepath.IsAbs(tk.Workdir.Path) {
		t.Errorf("workdir %q is not absolute", tk.Workdir.Path)
	}
}

func TestCheckLocalPaths(t *testing.T) {
	dir := t.TempDir()
	src := "workdir: " + dir + "\nfile_mounts:\n  /data: " + filepath.Join(dir, "missing") + "\n"
	_, ds := Parse("task.yaml", []byte(src), LoadOptions{CheckLocalPaths: true})
	d := firstError(t, ds)
	if d.Summary != "File mount source not found" || d.Field != "file_mounts./data" || d.Subject.Start.Line != 3 {
		t.Errorf("got %v", d)
	}
	if err := os.WriteFile(filepath.Join(dir, "missing"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ds = Parse("task.yaml", []byte(src), LoadOptions{CheckLocalPaths: true}); ds.HasErrors() {
		t.Errorf("existing paths refused: %v", ds)
	}
}

func TestFileMounts(t *testing.T) {
	tk := mustTask(t, `
file_mounts:
  /remote/code: ./code
  ~/.netrc: ~/.netrc
  /data: s3://my-bucket/data
  /ckpt:
    name: my-ckpt
    store: GCS
    mode: mount_cached
  /in:
    source: [./a, ./b]
    persistent: false
  /copy:
    source: gs://bucket
    mode: COPY
    config:
      mount_cached: {transfers: 4}
`)
	got := map[string]FileMount{}
	var order []string
	for _, fm := range tk.FileMounts {
		got[fm.Dst] = fm
		order = append(order, fm.Dst)
	}
	if !reflect.DeepEqual(order, []string{"/ckpt", "/copy", "/data", "/in", "/remote/code", "~/.netrc"}) {
		t.Errorf("order = %v", order)
	}
	if got["/data"].Src != "s3://my-bucket/data" || got["/remote/code"].Src != "./code" {
		t.Errorf("plain mounts = %+v", got)
	}
	ck := got["/ckpt"].Storage
	if ck == nil || ck.Name != "my-ckpt" || ck.Store != "gcs" || ck.Mode != "MOUNT_CACHED" || !ck.Persistent {
		t.Errorf("/ckpt = %+v", ck)
	}
	in := got["/in"].Storage
	if in == nil || !reflect.DeepEqual(in.Source, []string{"./a", "./b"}) || in.Persistent || in.Mode != "MOUNT" {
		t.Errorf("/in = %+v", in)
	}
	if c := got["/copy"].Storage; c == nil || c.Mode != "COPY" || c.Extra["config"] == nil {
		t.Errorf("/copy = %+v", c)
	}
}

func TestSubstitutionOnlyWhereSkyPilotDoesIt(t *testing.T) {
	tk := mustTask(t, `
envs:
  BUCKET: my-bucket
  DIR: /data
  PORT: "8080"
secrets:
  TOKEN: tok
workdir: /tmp/$BUCKET
file_mounts:
  ${DIR}/x: s3://$BUCKET/x
  /st:
    name: $BUCKET-st
    source: [/local/$UNKNOWN]
service:
  readiness_probe:
    path: /health?t=$TOKEN
    headers: {X-Port: $PORT}
volumes:
  /v: vol-$BUCKET
resources:
  image_id: docker:img:$BUCKET
setup: echo $BUCKET
run: echo ${BUCKET}
`)
	if tk.Workdir.Path != "/tmp/my-bucket" {
		t.Errorf("workdir = %q", tk.Workdir.Path)
	}
	if tk.FileMounts[0].Dst != "/data/x" || tk.FileMounts[0].Src != "s3://my-bucket/x" {
		t.Errorf("file mount = %+v", tk.FileMounts[0])
	}
	st := tk.FileMounts[1].Storage
	if st.Name != "my-bucket-st" || st.Source[0] != "/local/$UNKNOWN" {
		t.Errorf("storage = %+v", st)
	}
	if tk.Service.Readiness.Path != "/health?t=tok" || tk.Service.Readiness.Headers["X-Port"] != "8080" {
		t.Errorf("service = %v", tk.Service)
	}
	if tk.Volumes["/v"] != "vol-my-bucket" {
		t.Errorf("volumes = %v", tk.Volumes)
	}
	if tk.Resources.Items[0].ImageID.Default != "docker:img:$BUCKET" || tk.Setup != "echo $BUCKET" || tk.Run != "echo ${BUCKET}" {
		t.Errorf("substituted outside file_mounts/workdir/service/volumes: %q %q %q", tk.Resources.Items[0].ImageID.Default, tk.Setup, tk.Run)
	}
}

func TestStoreFromEnv(t *testing.T) {
	tk := mustTask(t, "envs:\n  STORE: S3\nfile_mounts:\n  /d:\n    name: b\n    store: $STORE\n")
	if tk.FileMounts[0].Storage.Store != "s3" {
		t.Errorf("store = %q", tk.FileMounts[0].Storage.Store)
	}
}

func TestMultiDocument(t *testing.T) {
	pl, ds := parseYAML(t, `name: my-pipeline
---
name: train
resources: {accelerators: V100}
run: train
---
name: eval
depends_on: [train]
run: eval
`)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if pl.Name != "my-pipeline" || len(pl.Tasks) != 2 || pl.Tasks[0].Name != "train" || pl.Tasks[1].Name != "eval" {
		t.Fatalf("pipeline = %s", pl)
	}
	if pl.Tasks[1].Source.Doc != 2 || !reflect.DeepEqual(pl.Tasks[1].DependsOn, []string{"train"}) {
		t.Errorf("doc = %d, depends_on = %v", pl.Tasks[1].Source.Doc, pl.Tasks[1].DependsOn)
	}
	if r := pl.Tasks[1].Source.Range("run"); r.Start.Line != 9 {
		t.Errorf("run position = %v", r)
	}

	pl, ds = parseYAML(t, "name: group\nexecution: parallel\nprimary_tasks: [a]\n---\nname: a\n---\nname: b\n")
	if ds.HasErrors() || pl.Execution != "parallel" || pl.Header["primary_tasks"] == nil || len(pl.Tasks) != 2 {
		t.Errorf("job group = %s %v %v", pl, pl.Header, ds)
	}

	// Without a header, every document is a task.
	pl, _ = parseYAML(t, "name: a\nrun: x\n---\nname: b\n")
	if pl.Name != "" || len(pl.Tasks) != 2 {
		t.Errorf("chain = %s", pl)
	}
}

func TestPositionsRecorded(t *testing.T) {
	tk := mustTask(t, `resources:
  accelerators: V100:4
  any_of:
    - infra: aws
    - infra: gcp
      cpus: 8+
file_mounts:
  /data: s3://b
envs:
  K: v
`)
	for field, want := range map[string][2]int{
		"resources.accelerators":    {2, 17},
		"resources.any_of[1].cpus":  {6, 13},
		"resources.any_of[0].infra": {4, 14},
		"file_mounts./data":         {8, 10},
		"envs.K":                    {10, 6},
	} {
		r := tk.Source.Range(field)
		if r == nil || r.Start.Line != want[0] || r.Start.Column != want[1] || r.Filename != "task.yaml" {
			t.Errorf("%s at %v, want %d:%d", field, r, want[0], want[1])
		}
	}
	if f := tk.Resources.Items[1].Fields["cpus"]; f != "resources.any_of[1].cpus" {
		t.Errorf("Fields[cpus] = %q", f)
	}
	if f := tk.Resources.Items[0].Fields["accelerators"]; f != "resources.accelerators" {
		t.Errorf("Fields[accelerators] = %q", f)
	}
}

func TestTemplatedFile(t *testing.T) {
	for _, src := range []string{
		"resources:\n  accelerators: {{ gpu }}\n",
		"name: \"{{ name }}\"\n",
		"{% if x %}\nname: a\n{% endif %}\n",
	} {
		_, ds := parseYAML(t, src)
		d := firstError(t, ds)
		if d.Summary != "Templated task file, render it first" || d.Subject == nil || d.Subject.Start.Line == 0 {
			t.Errorf("%q: got %v", src, d)
		}
	}
	// "{{" inside run is bash (docker --format), not a template.
	mustTask(t, "run: docker ps --format '{{.ID}}'\n")
}

func TestLoadMissingFile(t *testing.T) {
	_, ds := Load(filepath.Join(t.TempDir(), "nope.yaml"), LoadOptions{})
	d := firstError(t, ds)
	if d.Summary != "Cannot read task file" || !strings.Contains(d.Subject.Filename, "nope.yaml") {
		t.Errorf("got %v", d)
	}
}
