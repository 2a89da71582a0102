package compiler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
	"github.com/zclconf/go-cty/cty"
)

// TestGCPQueuedResourceRefused: gcp_queued_resource: true is refused at
// its line instead of being dropped (skyplan creates TPU VMs directly).
func TestGCPQueuedResourceRefused(t *testing.T) {
	src := "resources:\n  accelerators: tpu-v5litepod-8\n  accelerator_args:\n    tpu_vm: true\n    gcp_queued_resource: true\nrun: echo\n"
	pl, ds := task.Parse("task.yaml", []byte(src), task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	in := input("tpu", pl.Tasks[0], optimizer.Placement{Cloud: "gcp", Region: "us-west4", Zone: "us-west4-a", InstanceType: "TPU-VM", Accelerators: map[string]float64{"tpu-v5litepod-8": 1}})
	m, ds := Compile(in)
	d := find(ds, "gcp_queued_resource is not supported")
	if m != nil || d == nil || d.Severity != diag.Error {
		t.Fatalf("module %v, diagnostics %v", m != nil, ds)
	}
	if d.Subject == nil || d.Subject.Filename != "task.yaml" || d.Subject.Start.Line != 5 || d.Field != "resources.accelerator_args.gcp_queued_resource" {
		t.Errorf("not located at task.yaml:5 gcp_queued_resource: %+v", d)
	}
	// Without it the same task compiles.
	pl, _ = task.Parse("task.yaml", []byte(strings.Replace(src, "true\nrun", "false\nrun", 1)), task.LoadOptions{})
	in.Task, in.Placement.Request = pl.Tasks[0], &pl.Tasks[0].Resources.Items[0]
	if _, ds := Compile(in); ds.HasErrors() {
		t.Errorf("gcp_queued_resource: false: %v", ds)
	}
}

// TestGCPDiskTierOnHyperdisk: machine families that take only hyperdisk
// (n4) get disk_tier as provisioned IOPS and throughput instead of the same
// baseline disk for every tier; pd-* disks provision none.
func TestGCPDiskTierOnHyperdisk(t *testing.T) {
	type want struct {
		disk             string
		iops, throughput any
	}
	for _, c := range []struct {
		machine, tier string
		size          int
		want          want
		warn          bool
	}{
		{"n4-standard-8", "ultra", 256, want{"hyperdisk-balanced", 20000.0, 1250.0}, false},
		{"n4-standard-8", "best", 256, want{"hyperdisk-balanced", 20000.0, 1250.0}, false},
		{"n4-standard-8", "high", 256, want{"hyperdisk-balanced", 7000.0, 437.0}, false},
		{"n4-standard-8", "medium", 256, want{"hyperdisk-balanced", nil, nil}, false},
		{"n4-standard-8", "ultra", 10, want{"hyperdisk-balanced", 5000.0, 312.0}, true},
		{"n2-standard-8", "ultra", 256, want{"pd-ssd", nil, nil}, false},
		{"n2-standard-64", "ultra", 256, want{"pd-extreme", nil, nil}, false},
	} {
		tk := newTask("disk", 1, task.Resources{DiskTier: c.tier, DiskSizeGB: c.size})
		var vcpus float64
		fmt.Sscanf(c.machine[strings.LastIndex(c.machine, "-")+1:], "%g", &vcpus)
		m, ds := Compile(input("disk", tk, optimizer.Placement{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: c.machine, VCPUs: vcpus}))
		if ds.HasErrors() {
			t.Fatalf("%s %s: %v", c.machine, c.tier, ds)
		}
		v := tfvars(t, m)
		if got := (want{v["disk_type"].(string), v["disk_iops"], v["disk_throughput"]}); got != c.want {
			t.Errorf("%s disk_tier %s (%d GB): %+v, want %+v", c.machine, c.tier, c.size, got, c.want)
		}
		if w := find(ds, "Boot disk too small for its disk_tier"); (w != nil) != c.warn {
			t.Errorf("%s %s %d GB: size warning %v, want %v", c.machine, c.tier, c.size, w != nil, c.warn)
		}
	}
	m := compileCase(t, "gcp-buckets", goldenCases()["gcp-buckets"])
	node := moduleResource(t, m, "gcp", "main.tf", "google_compute_instance", "node")
	var params *hclsyntax.Body
	for _, b := range node.Blocks {
		if b.Type == "boot_disk" {
			for _, ib := range b.Body.Blocks {
				if ib.Type == "initialize_params" {
					params = ib.Body
				}
			}
		}
	}
	if params == nil {
		t.Fatal("no boot_disk.initialize_params")
	}
	for attr, ref := range map[string]string{"provisioned_iops": "var.disk_iops", "provisioned_throughput": "var.disk_throughput"} {
		if a := params.Attributes[attr]; a == nil || string(m.Files["modules/gcp/main.tf"][a.Expr.Range().Start.Byte:a.Expr.Range().End.Byte]) != ref {
			t.Errorf("boot disk %s is not %s", attr, ref)
		}
	}
}

// TestGCPFlowLogsOffByDefault: VPC flow logs are a variable, off unless
// set (the AWS and Azure modules create none), not a fixed 0.5 sampling.
func TestGCPFlowLogsOffByDefault(t *testing.T) {
	m := compileCase(t, "gcp-buckets", goldenCases()["gcp-buckets"])
	if v, ok := tfvars(t, m)["flow_log_sampling"]; !ok || v != 0.0 {
		t.Errorf("tfvars flow_log_sampling = %v (set %v), want 0", v, ok)
	}
	sub := moduleResource(t, m, "gcp", "main.tf", "google_compute_subnetwork", "cluster")
	if sub == nil {
		t.Fatal("no google_compute_subnetwork.cluster")
	}
	logBlocks := func(sampling float64) int {
		n := 0
		for _, b := range sub.Blocks {
			switch {
			case b.Type == "log_config":
				n++
			case b.Type == "dynamic" && b.Labels[0] == "log_config":
				ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"flow_log_sampling": cty.NumberFloatVal(sampling)})}}
				v, diags := b.Body.Attributes["for_each"].Expr.Value(ctx)
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				n += v.LengthInt()
			}
		}
		return n
	}
	if n := logBlocks(0); n != 0 {
		t.Errorf("flow_log_sampling = 0 still writes %d log_config block(s)", n)
	}
	if n := logBlocks(0.5); n != 1 {
		t.Errorf("flow_log_sampling = 0.5 writes %d log_config blocks, want 1", n)
	}
}
