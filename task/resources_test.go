package task

import (
	"reflect"
	"testing"
)

func TestResourceForms(t *testing.T) {
	cases := []struct {
		name, yaml, want string
		ordered          bool
	}{
		{"infra cloud", "infra: aws", "aws", false},
		{"infra region", "infra: gcp/us-central1", "gcp/us-central1", false},
		{"infra zone", "infra: aws/us-east-1/us-east-1a", "aws/us-east-1/us-east-1a", false},
		{"infra wildcard region", "infra: '*/us-east-1'", "*/us-east-1", false},
		{"infra wildcard zone", "infra: aws/*/us-east-1a", "aws/*/us-east-1a", false},
		{"infra star", "infra: '*'", "*", false},
		{"infra k8s", "infra: k8s", "kubernetes", false},
		{"infra k8s context", "infra: k8s/my/ctx", "kubernetes/my/ctx", false},
		{"infra ssh pool", "infra: ssh/my-pool", "ssh/my-pool", false},
		{"infra case", "infra: AWS/us-east-1", "aws/us-east-1", false},
		{"deprecated cloud", "cloud: GCP\nregion: us-central1\nzone: us-central1-a", "gcp/us-central1/us-central1-a", false},
		{"cpus int", "cpus: 8", "*, cpus=8", false},
		{"cpus plus", "cpus: 8+", "*, cpus=8+", false},
		{"cpus float", "cpus: 0.5", "*, cpus=0.5", false},
		{"memory int", "memory: 32", "*, mem=32", false},
		{"memory plus", "memory: 32+", "*, mem=32+", false},
		{"memory unit", "memory: 1TB", "*, mem=1024", false},
		{"memory MB", "memory: 512MB+", "*, mem=0.5+", false},
		{"memory per cpu", "memory: 4x", "*, mem=4x", false},
		{"acc name", "accelerators: V100", "*, V100:1", false},
		{"acc lower", "accelerators: v100:4", "*, V100:4", false},
		{"acc a10g", "accelerators: a10g", "*, A10G:1", false},
		{"acc fraction", "accelerators: T4:0.5", "*, T4:0.5", false},
		{"acc dict", "accelerators: {V100: 4}", "*, V100:4", false},
		{"acc dict float", "accelerators: {A100: 0.5}", "*, A100:0.5", false},
		{"acc set", "accelerators: {A100:1, V100:1}", "*, A100:1 | *, V100:1", false},
		{"acc set counts", "accelerators: {A100: 8, v100: 4}", "*, A100:8 | *, V100:4", false},
		{"acc list", "accelerators: [A100:1, V100:1]", "*, A100:1 > *, V100:1", true},
		{"acc list one", "accelerators: [L4:2]", "*, L4:2", false},
		{"acc inferentia", "accelerators: inferentia2:1", "*, Inferentia2:1", false},
		{"acc trainium", "accelerators: {trainium: 16}", "*, Trainium:16", false},
		{"gpus alias", "gpus: H100:8", "*, H100:8", false},
		{"tpu", "accelerators: TPU-V2-8", "gcp, tpu-v2-8:1", false},
		{"k8s unknown accelerator kept", "infra: k8s\naccelerators: MI300:2", "kubernetes, MI300:2", false},
		{"instance type", "instance_type: p3.2xlarge", "*, p3.2xlarge", false},
		{"spot", "use_spot: true", "*, spot", false},
		{"disk int", "disk_size: 100", "*, disk=100GB", false},
		{"disk GB", "disk_size: 512GB", "*, disk=512GB", false},
		{"disk TB", "disk_size: 1TB", "*, disk=1024GB", false},
		{"ports int", "ports: 8080", "*, ports=8080", false},
		{"ports str", "ports: '8080'", "*, ports=8080", false},
		{"ports range", "ports: 10052-10100", "*, ports=10052-10100", false},
		{"ports merged", "ports: [8082, 8080, '8081', 9000-9010, 9005]", "*, ports=8080-8082,9000-9010", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := mustTask(t, "resources:\n"+indent(c.yaml))
			if got := items(tk); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if tk.Resources.Ordered != c.ordered {
				t.Errorf("ordered = %v", tk.Resources.Ordered)
			}
		})
	}
}

func indent(s string) string {
	out := ""
	for _, l := range splitLines(s) {
		out += "  " + l + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestResourceScalarFields(t *testing.T) {
	tk := mustTask(t, `resources:
  disk_tier: HIGH
  network_tier: best
  infra: aws
  image_id: {us-east-1: ami-1, us-west-2: ami-2}
  labels: {team: ml, cost: 42}
  max_hourly_cost: 3.5
  autostop: 10h
  job_recovery: {strategy: failover, max_restarts_on_errors: 3}
  local_disk: ssd:200+
  time_estimate: {a100: 2.5, v100: 6}
  accelerator_args: {runtime_version: tpu-vm-base, tpu_vm: true}
  priority: 10
  volumes: [{path: /mnt, name: v}]
  use_spot: false
`)
	r := tk.Resources.Items[0]
	if r.DiskTier != "high" || r.NetworkTier != "best" || r.MaxHourlyCost != 3.5 || r.LocalDisk != "ssd:200+" {
		t.Errorf("tiers/cost/local disk = %q %q %v %q", r.DiskTier, r.NetworkTier, r.MaxHourlyCost, r.LocalDisk)
	}
	if !reflect.DeepEqual(r.ImageID.PerRegion, map[string]string{"us-east-1": "ami-1", "us-west-2": "ami-2"}) {
		t.Errorf("image_id = %+v", r.ImageID)
	}
	if !reflect.DeepEqual(r.Labels, map[string]string{"team": "ml", "cost": "42"}) {
		t.Errorf("labels = %v", r.Labels)
	}
	if *r.Autostop != (Autostop{Enabled: true, IdleMinutes: 600}) {
		t.Errorf("autostop = %+v", r.Autostop)
	}
	if r.JobRecovery == nil || r.JobRecovery.Strategy != "FAILOVER" || r.JobRecovery.MaxRestartsOnErrors != 3 {
		t.Errorf("job_recovery = %v", r.JobRecovery)
	}
	if !reflect.DeepEqual(r.TimeEstimateHrs, map[string]float64{"A100": 2.5, "V100": 6}) {
		t.Errorf("time_estimate = %v", r.TimeEstimateHrs)
	}
	if r.UseSpot || !r.UseSpotSet {
		t.Errorf("use_spot = %v set %v", r.UseSpot, r.UseSpotSet)
	}
	if r.Extra["priority"] != 10 || r.Extra["volumes"] == nil {
		t.Errorf("extra = %v", r.Extra)
	}
	if r.AcceleratorArgs == nil || r.AcceleratorArgs.RuntimeVersion != "tpu-vm-base" {
		t.Errorf("accelerator_args = %+v", r.AcceleratorArgs)
	}
	if got := mustTask(t, "resources: {time_estimate: 3}").Resources.Items[0].TimeEstimateHrs; !reflect.DeepEqual(got, map[string]float64{"": 3}) {
		t.Errorf("plain time_estimate = %v", got)
	}
	if img := mustTask(t, "resources: {image_id: 'docker:ubuntu:22.04'}").Resources.Items[0].ImageID; img.Default != "docker:ubuntu:22.04" {
		t.Errorf("docker image = %+v", img)
	}
}

func TestAutostopForms(t *testing.T) {
	cases := map[string]Autostop{
		"false": {},
		"true":  {Enabled: true},
		"30":    {Enabled: true, IdleMinutes: 30},
		"'45m'": {Enabled: true, IdleMinutes: 45},
		"2d":    {Enabled: true, IdleMinutes: 2880},
		"1W":    {Enabled: true, IdleMinutes: 10080},
		"{idle_minutes: 5, down: true, wait_for: jobs, hook: 'echo x', hook_timeout: 60}": {Enabled: true, IdleMinutes: 5, Down: true, WaitFor: "jobs", Hook: "echo x", HookTimeoutSec: 60},
	}
	for src, want := range cases {
		got := mustTask(t, "resources:\n  autostop: "+src+"\n").Resources.Items[0].Autostop
		if got == nil || *got != want {
			t.Errorf("autostop %s = %+v, want %+v", src, got, want)
		}
	}
}

func TestTPUDefaults(t *testing.T) {
	cases := []struct {
		yaml    string
		runtime string
		vm      bool
	}{
		{"accelerators: tpu-v2-8", "tpu-vm-base", true},
		{"accelerators: tpu-v5litepod-8", "v2-alpha-tpuv5", true},
		{"accelerators: tpu-v6e-8", "v2-alpha-tpuv6e", true},
		{"accelerators: tpu-v3-32\n  accelerator_args: {tpu_vm: false}", "2.12.0", false},
		{"accelerators: tpu-v2-8\n  accelerator_args: {runtime_version: custom}", "custom", true},
	}
	for _, c := range cases {
		r := mustTask(t, "resources:\n  "+c.yaml+"\n").Resources.Items[0]
		if r.Infra.Cloud != "gcp" || r.AcceleratorArgs == nil || r.AcceleratorArgs.RuntimeVersion != c.runtime || r.AcceleratorArgs.TPUVM != c.vm {
			t.Errorf("%s: infra %v args %+v", c.yaml, r.Infra, r.AcceleratorArgs)
		}
	}
}

func TestAnyOfAndOrdered(t *testing.T) {
	tk := mustTask(t, `resources:
  cpus: 4+
  use_spot: true
  labels: {team: a, env: dev}
  any_of:
    - infra: aws
      accelerators: A10G
      labels: {env: prod}
    - infra: gcp
      use_spot: false
      accelerators: {L4: 1}
    - cpus: 16
`)
	if tk.Resources.Ordered || len(tk.Resources.Items) != 3 {
		t.Fatalf("any_of = %s", items(tk))
	}
	want := "aws, A10G:1, cpus=4+, spot | gcp, L4:1, cpus=4+ | *, cpus=16, spot"
	if got := items(tk); got != want {
		t.Errorf("any_of items:\n got %s\nwant %s", got, want)
	}
	if l := tk.Resources.Items[0].Labels; !reflect.DeepEqual(l, map[string]string{"team": "a", "env": "prod"}) {
		t.Errorf("merged labels = %v", l)
	}
	if l := tk.Resources.Items[1].Labels; !reflect.DeepEqual(l, map[string]string{"team": "a", "env": "dev"}) {
		t.Errorf("base labels = %v", l)
	}
	if f := tk.Resources.Items[0].Fields; f["cpus"] != "resources.cpus" || f["infra"] != "resources.any_of[0].infra" {
		t.Errorf("fields = %v", f)
	}

	tk = mustTask(t, `resources:
  accelerators: A100:8
  ordered:
    - infra: gcp/us-central1
    - infra: aws
      accelerators: H100:8
`)
	if !tk.Resources.Ordered || items(tk) != "gcp/us-central1, A100:8 > aws, H100:8" {
		t.Errorf("ordered = %v %s", tk.Resources.Ordered, items(tk))
	}
}
