package task

import (
	"fmt"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		summary    string // exact
		detail     string // substring
		field      string
		line, col  int
	}{
		{"unknown top-level", "nmae: x\n", `Unknown field "nmae"`, `Did you mean "name"?`, "nmae", 1, 1},
		{"unknown resources", "resources:\n  acelerators: V100\n", `Unknown field "acelerators"`, `Did you mean "accelerators"?`, "resources.acelerators", 2, 3},
		{"unknown any_of item", "resources:\n  any_of:\n    - infra: aws\n    - cpu: 4\n", `Unknown field "cpu"`, `Did you mean "cpus"?`, "resources.any_of[1].cpu", 4, 7},
		{"unknown storage", "file_mounts:\n  /d:\n    name: b\n    moed: COPY\n", `Unknown field "moed"`, `Did you mean "mode"?`, "file_mounts./d.moed", 4, 5},
		{"unknown autostop", "resources:\n  autostop: {idle_minute: 5}\n", `Unknown field "idle_minute"`, `Did you mean "idle_minutes"?`, "resources.autostop.idle_minute", 2, 14},
		{"unknown no suggestion", "zzzzzz: 1\n", `Unknown field "zzzzzz"`, "Found unsupported field", "zzzzzz", 1, 1},
		{"duplicate", "name: a\nname: b\n", `Duplicate field "name"`, "more than once", "name", 2, 1},
		// YAML syntax: the offending token's line and column, not yaml.v3's
		// context line (one early for parser errors) at column 1.
		{"yaml syntax", "name: a\n  run: b\n", "Invalid YAML", "not valid YAML", "", 2, 6},
		{"yaml syntax without line from yaml", "name: a\nrun: b: c\n", "Invalid YAML", "mapping values are not allowed", "", 2, 7},
		{"yaml unclosed brace", "name: x\nresources:\n  accelerators: {A100: 1\nrun: echo\n", "Invalid YAML", "This `{` is not closed", "", 3, 17},
		{"yaml unclosed bracket", "name: x\nresources:\n  ports: [80, 443\n", "Invalid YAML", "This `[` is not closed", "", 3, 10},
		{"yaml unclosed quote", "name: x\nrun: \"echo\n", "Invalid YAML", "quote opened here", "", 2, 6},
		{"yaml bad indentation", "a:\n  - b\n c: d\n", "Invalid YAML", "did not find expected key", "", 3, 2},
		{"yaml earlier flow mapping is fine", "envs: {A: '1',\n  B: '2'}\nrun: [\n", "Invalid YAML", "did not find expected node content", "", 3, 6},
		{"tab indentation", "name: x\nresources:\n\tcpus: 4\n", "Invalid YAML: tab in indentation", "Tabs are not allowed for indentation", "", 3, 1},
		{"tab after spaces", "name: x\nresources:\n  cpus: 4\n\tmemory: 8\n", "Invalid YAML: tab in indentation", "Indent this line with spaces", "", 4, 1},
		{"tab in block scalar", "name: x\nsetup: |\n  echo hi\n\tpip install x\n", "Invalid YAML: tab in indentation", "Tabs are not allowed for indentation", "", 4, 1},
		{"empty file", "", "Empty task file", "has no task in it", "", 1, 1},
		{"comments only", "# TODO\n\n", "Empty task file", "at least a `run:` command", "", 1, 1},
		{"empty documents", "---\n---\n", "Empty task file", "has no task in it", "", 1, 1},
		{"image without cloud", "resources:\n  image_id: ami-123\n", "Cloud must be specified when image_id is provided", "docker:", "resources.image_id", 2, 13},
		{"image region missing", "resources:\n  infra: aws/us-west-2\n  image_id: {us-east-1: ami-1}\n", "No image for the pinned region", "us-west-2", "resources.image_id", 3, 13},
		{"gcp labels", "resources:\n  infra: gcp\n  labels: {Team: ML}\n", "Invalid labels", "Team: ML", "resources.labels", 3, 11},
		{"aws tag prefix", "resources:\n  infra: aws\n  labels: {'aws:x': y}\n", "Invalid labels", "aws:x: y", "resources.labels", 3, 11},
		{"mount on workdir", "workdir: .\nfile_mounts:\n  ~/sky_workdir: ./x\n", "File mount onto the workdir", "workdir is set", "file_mounts.~/sky_workdir", 3, 18},
		{"not a mapping", "- a\n- b\n", "Task document is not a mapping", "got a list", "", 1, 1},
		{"name type", "name: [a]\n", "Wrong type for name", "Expected a string, got a list", "name", 1, 7},
		{"bad name", "name: -bad-\n", "Invalid task name", "Must start and end with alphanumeric", "name", 1, 7},
		{"num_nodes zero", "num_nodes: 0\n", "Invalid num_nodes", "positive int. Got: 0", "num_nodes", 1, 12},
		{"num_nodes negative", "num_nodes: -2\n", "Invalid num_nodes", "Got: -2", "num_nodes", 1, 12},
		{"num_nodes string", "num_nodes: two\n", "Invalid num_nodes", "Got: two", "num_nodes", 1, 12},
		{"run type", "run: {a: b}\n", "Wrong type for run", "must be a shell script", "run", 1, 6},
		{"resources type", "resources: V100\n", "Wrong type for resources", "Expected a mapping", "resources", 1, 12},
		{"env key", "envs:\n  OK: 1\n  hello world: x\n  123: y\n", "Invalid envs keys", "'hello world', '123' do not match", "envs", 3, 3},
		{"env value type", "envs:\n  A: [1]\n", "Wrong type for envs value", "must be a string", "envs.A", 2, 6},
		{"bad infra", "resources:\n  infra: aws//us-east-1a\n", "Invalid infra", `should not contain empty parts`, "resources.infra", 2, 10},
		{"infra too long", "resources:\n  infra: aws/a/b/c\n", "Invalid infra", `Expected format is "cloud"`, "resources.infra", 2, 10},
		{"bad cloud", "resources:\n  infra: awz\n", "Invalid cloud", "Did you mean aws", "resources.infra", 2, 10},
		{"bad cloud suggests a planned one", "resources:\n  infra: gcpp\n", "Invalid cloud", "Invalid cloud 'gcpp'. Did you mean gcp?", "resources.infra", 2, 10},
		{"bad cloud close to a SkyPilot-only one", "resources:\n  infra: lambd\n", "Invalid cloud", "Did you mean lambda? (skyplan plans on aws, gcp, azure, ssh only.)", "resources.infra", 2, 10},
		{"infra and cloud", "resources:\n  infra: aws\n  region: us-east-1\n", "Cannot specify both infra and cloud, region, or zone", "infra=aws, cloud=None, region=us-east-1", "resources.region", 3, 3},
		{"gpus and accelerators", "resources:\n  gpus: V100\n  accelerators: T4\n", "Cannot specify both gpus and accelerators", "gpus is an alias", "resources.accelerators", 3, 3},
		{"unknown accelerator", "resources:\n  accelerators: A1000:8\n", `Unknown accelerator "A1000"`, "Did you mean: A100, A10", "resources.accelerators", 2, 17},
		{"unknown accelerator v10", "resources:\n  accelerators: {V10: 2}\n", `Unknown accelerator "V10"`, "Did you mean: V100", "resources.accelerators.V10", 2, 23},
		{"all set candidates unknown", "resources:\n  accelerators: {X1: 1, X2: 1}\n", "No known accelerator among the candidates", "None of X1, X2", "resources.accelerators.X1", 2, 22},
		{"bad accelerator count", "resources:\n  accelerators: V100:many\n", "Invalid accelerators", "<name> or <name>:<cnt>. Found: 'V100:many'", "resources.accelerators", 2, 17},
		{"zero accelerator count", "resources:\n  accelerators: V100:0\n", "Invalid accelerator count", "must be positive", "resources.accelerators", 2, 17},
		{"memory spec no match", "resources:\n  accelerators: 20GB\n", "No accelerator matches the memory spec", "exactly 20 GB memory. Known sizes: 8GB, 16GB", "resources.accelerators", 2, 17},
		{"memory spec manufacturer no match", "resources:\n  accelerators: amd:80GB\n", "No accelerator matches the memory spec", "No AMD GPU", "resources.accelerators", 2, 17},
		{"memory spec manufacturer no memory", "resources:\n  accelerators: nvidia:A100:8\n", "Invalid accelerators", "If specifying a GPU manufacturer, you must also specify the memory size", "resources.accelerators", 2, 17},
		{"memory spec unknown manufacturer", "resources:\n  accelerators: intel:80GB+\n", "Unknown GPU manufacturer", "Known manufacturers: AMD, NVIDIA", "resources.accelerators", 2, 17},
		{"memory spec bad count", "resources:\n  accelerators: 80GB+:x\n", "Invalid accelerators", "positive number", "resources.accelerators", 2, 17},
		{"memory spec in list", "resources:\n  accelerators: [80GB+, V100]\n", "Memory spec in an ordered accelerator list", "no position", "resources.accelerators[0]", 2, 18},
		{"memory spec in ordered", "resources:\n  ordered:\n    - accelerators: 80GB+\n", "Memory spec in an ordered item", "Move it to any_of", "resources.ordered[0].accelerators", 3, 21},
		{"accelerator type", "resources:\n  accelerators: 4\n", "Wrong type for accelerators", "got an integer", "resources.accelerators", 2, 17},
		{"tpu on aws", "resources:\n  infra: aws\n  accelerators: tpu-v2-8\n", "TPUs need GCP", "Cloud must be GCP or Kubernetes", "resources.accelerators", 3, 17},
		{"tpu instance type", "resources:\n  accelerators: tpu-v2-8\n  instance_type: n1-standard-8\n", "Cannot specify instance type for TPU VM", "got 'n1-standard-8'", "resources.instance_type", 3, 18},
		{"cpus bad", "resources:\n  cpus: eight\n", "Invalid cpus", `The "cpus" field should be either a number or a string "<number>+". Found: 'eight'`, "resources.cpus", 2, 9},
		{"cpus zero", "resources:\n  cpus: 0\n", "Invalid cpus", `should be positive`, "resources.cpus", 2, 9},
		{"memory bad unit", "resources:\n  memory: 16QB\n", "Invalid memory", `where unit is one of KB/MB/GB/TB/PB`, "resources.memory", 2, 11},
		{"memory type", "resources:\n  memory: [16]\n", "Wrong type for memory", "got a list", "resources.memory", 2, 11},
		{"disk size bad", "resources:\n  disk_size: big\n", "Invalid disk_size", `Got: "big"`, "resources.disk_size", 2, 14},
		{"disk size zero", "resources:\n  disk_size: 0\n", "Invalid disk_size", "at least 1 GB", "resources.disk_size", 2, 14},
		{"disk size unit", "resources:\n  disk_size: 10XB\n", "Invalid disk_size", `Got: "10XB"`, "resources.disk_size", 2, 14},
		{"disk tier", "resources:\n  disk_tier: fast\n", "Invalid disk_tier", "Invalid disk_tier 'fast'. disk_tier must be one of low, medium, high, ultra, best.", "resources.disk_tier", 2, 14},
		{"network tier", "resources:\n  network_tier: bestt\n", "Invalid network_tier", `Did you mean "best"?`, "resources.network_tier", 2, 17},
		{"port too big", "resources:\n  ports: 70000\n", "Invalid port", "Invalid port 70000. Please use a port number between 1 and 65535.", "resources.ports", 2, 10},
		{"port range reversed", "resources:\n  ports: [80, 9000-8000]\n", "Invalid port range", `Invalid port range 9000-8000`, "resources.ports[1]", 2, 15},
		{"port word", "resources:\n  ports: http\n", "Invalid port", "Invalid port http", "resources.ports", 2, 10},
		{"use_spot type", "resources:\n  use_spot: yes please\n", "Wrong type for use_spot", "Expected true or false", "resources.use_spot", 2, 13},
		{"max cost", "resources:\n  max_hourly_cost: -1\n", "Invalid max_hourly_cost", "positive number", "resources.max_hourly_cost", 2, 20},
		{"autostop bad", "resources:\n  autostop: soon\n", "Invalid autostop", `Got: "soon"`, "resources.autostop", 2, 13},
		{"autostop wait_for", "resources:\n  autostop: {wait_for: never}\n", "Invalid wait_for", "must be one of jobs_and_ssh, jobs, none", "resources.autostop.wait_for", 2, 24},
		{"any_of and ordered", "resources:\n  any_of: [{cpus: 2}]\n  ordered: [{cpus: 4}]\n", `Cannot specify both "any_of" and "ordered" in resources`, "not both", "resources.ordered", 3, 3},
		{"list with any_of", "resources:\n  accelerators: [A100, V100]\n  any_of: [{infra: aws}]\n", "Cannot combine an accelerator list with any_of", "preferred order", "resources.accelerators", 2, 17},
		{"set with ordered", "resources:\n  accelerators: {A100: 1, V100: 1}\n  ordered: [{infra: aws}]\n", "Cannot specify multiple accelerators with ordered", `with "ordered"`, "resources.accelerators", 2, 17},
		{"autostop differs", "resources:\n  any_of:\n    - autostop: 10\n    - autostop: 20\n", "Autostop differs between candidate resources", "same autostop", "resources.any_of[1].autostop", 4, 17},
		{"secret list", "secrets: [secrets:TOKEN]\n", "Server-managed secrets are not supported", "--secret", "secrets", 1, 10},
		{"mount trailing slash", "file_mounts:\n  /data/: ./data\n", "Mount paths cannot end with a slash", "target=/data/", "file_mounts./data/", 2, 3},
		{"mount dst uri", "file_mounts:\n  s3://b: /data\n", "File mount destination is a cloud URI", "must be a path on the node", "file_mounts.s3://b", 2, 3},
		{"storage empty", "file_mounts:\n  /c:\n    name:\n    mode: MOUNT\n", "Storage spec needs a name or a source", "Storage source or storage name must be specified", "file_mounts./c", 3, 5},
		{"storage store", "file_mounts:\n  /c:\n    name: b\n    store: s4\n", "Invalid store", `Did you mean "s3"?`, "file_mounts./c.store", 4, 12},
		{"storage mode", "file_mounts:\n  /c:\n    name: b\n    mode: LINK\n", "Invalid storage mode", `got "LINK"`, "file_mounts./c.mode", 4, 11},
		{"storage persistent", "file_mounts:\n  /c: {name: b, persistent: maybe}\n", "Wrong type for persistent", "true or false", "file_mounts./c.persistent", 2, 29},
		{"workdir git no url", "workdir: {ref: main}\n", "Missing workdir url", "needs url", "workdir.url", 1, 10},
		{"inputs two entries", "inputs: {s3://a: 1, s3://b: 2}\n", "Invalid inputs", "exactly one entry", "inputs", 1, 9},
		{"depends_on unknown", "name: a\nrun: x\n---\nname: b\ndepends_on: [aa]\n", "Unknown task in depends_on", `Did you mean "a"?`, "depends_on[0]", 5, 14},
		{"depends_on self", "name: a\ndepends_on: a\n", "Task depends on itself", "lists itself", "depends_on[0]", 2, 13},
		{"header execution", "name: p\nexecution: sideways\n---\nname: a\n", "Invalid execution", "serial, parallel", "execution", 2, 12},
		{"service and pool", "service: {replicas: 1}\npool: {workers: 1}\n", "Cannot set both service and pool", "same task", "pool", 2, 7},
		{"time_estimate", "resources:\n  time_estimate: {A100: -1}\n", "Invalid A100", "positive number", "resources.time_estimate.A100", 2, 25},
		{"local disk", "resources:\n  local_disk: floppy\n", "Invalid local_disk", "nvme|ssd", "resources.local_disk", 2, 15},
		{"accelerator_args unknown", "resources:\n  accelerators: tpu-v2-8\n  accelerator_args: {tpu_vmm: true}\n", `Unknown field "tpu_vmm"`, `Did you mean "tpu_vm"?`, "resources.accelerator_args.tpu_vmm", 3, 22},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ds := parseYAML(t, c.yaml)
			d := firstError(t, ds)
			if d.Summary != c.summary {
				t.Errorf("summary = %q, want %q (detail %q)", d.Summary, c.summary, d.Detail)
			}
			if !strings.Contains(d.Detail, c.detail) {
				t.Errorf("detail = %q, want it to contain %q", d.Detail, c.detail)
			}
			if d.Field != c.field {
				t.Errorf("field = %q, want %q", d.Field, c.field)
			}
			if d.Subject == nil || d.Subject.Filename != "task.yaml" || d.Subject.Start.Line != c.line || d.Subject.Start.Column != c.col {
				t.Errorf("subject = %v, want task.yaml:%d:%d", d.Subject, c.line, c.col)
			}
		})
	}
}

func TestUnknownAcceleratorInSetIsSkippedWithWarning(t *testing.T) {
	pl, ds := parseYAML(t, "resources:\n  accelerators: {L40: 1, L4: 1}\n")
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if len(ds) != 1 || ds[0].Severity != "warning" || !strings.Contains(ds[0].Summary, `"L40"`) || ds[0].Subject.Start.Line != 2 {
		t.Errorf("diagnostics = %v", ds)
	}
	if got := items(pl.Tasks[0]); got != "*, L4:1" {
		t.Errorf("items = %s", got)
	}
}

func TestNoAcceleratorListAcceptsAnyName(t *testing.T) {
	pl, ds := Parse("t.yaml", []byte("resources: {accelerators: Whatever-GPU:2}\n"), LoadOptions{})
	if ds.HasErrors() || pl.Tasks[0].Resources.Items[0].Accelerator.Name != "Whatever-GPU" {
		t.Errorf("%v %v", ds, pl)
	}
}

func TestNeverPanicsOnOddYAML(t *testing.T) {
	for _, src := range []string{
		"a: &x [*x]\n", "? [a]\n: b\n", "!!binary aGk=\n", "resources: &r {any_of: [*r]}\n",
		"<<: {name: a}\nrun: x\n", "resources:\n  <<: {cpus: 4}\n", "file_mounts: {/a: {source: []}}\n",
		"envs: !!map {}\n", "num_nodes: 1e400\n", "resources: {ports: [[1]]}\n", "---\n- 1\n---\nname: a\n",
		"resources: {accelerators: {A100: [1]}}\n", "name: \x00\n", "resources: {cpus: .inf}\n",
	} {
		_, _ = parseYAML(t, src)
	}
	tk := mustTask(t, "<<: {name: merged}\nrun: x\n")
	if tk.Name != "merged" {
		t.Errorf("merge key: name = %q", tk.Name)
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	src := "config:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		src += "  " + name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	_, ds := parseYAML(t, src)
	if d := firstError(t, ds); d.Summary != "Value too large" || d.Field == "" {
		t.Errorf("got %v", d)
	}
}

func TestMergeKeyBombIsBounded(t *testing.T) {
	src := "x0: &x0 {a: 1}\n"
	for i := 1; i < 8; i++ {
		src += fmt.Sprintf("x%d: &x%d {<<: [", i, i)
		for j := 0; j < 30; j++ {
			if j > 0 {
				src += ", "
			}
			src += fmt.Sprintf("*x%d", i-1)
		}
		src += "]}\n"
	}
	src += "resources:\n  <<: *x7\n"
	_, ds := parseYAML(t, src)
	if len(ds) == 0 {
		t.Fatal("expected diagnostics")
	}
}

// api_server_access is a SkyPilot task field (API-server credential
// injection); it is accepted, type-checked, and has no effect here.
func TestAPIServerAccessIsKnown(t *testing.T) {
	if _, ds := parseYAML(t, "api_server_access: false\nrun: echo hi\n"); ds.HasErrors() || len(ds) != 0 {
		t.Errorf("api_server_access: %v", ds)
	}
	_, ds := parseYAML(t, "api_server_access: sometimes\nrun: echo hi\n")
	if d := firstError(t, ds); d.Field != "api_server_access" || !strings.Contains(d.Detail, "true or false") {
		t.Errorf("bad api_server_access: %+v", d)
	}
}
