package compiler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
)

// portsInput compiles a task loaded from YAML (so diagnostics carry
// positions) on cloud.
func portsInput(t *testing.T, cloud, yaml string) Input {
	t.Helper()
	pl, ds := task.Parse("task.yaml", []byte(yaml), task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	tk := pl.Tasks[0]
	p := map[string]optimizer.Placement{
		"aws":   {Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.2xlarge"},
		"gcp":   {Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n2-standard-8"},
		"azure": {Cloud: "azure", Region: "eastus", InstanceType: "Standard_D8s_v5"},
	}[cloud]
	return input("ports", tk, p)
}

func find(ds diag.Diagnostics, summary string) *diag.Diagnostic {
	for i := range ds {
		if ds[i].Summary == summary {
			return &ds[i]
		}
	}
	return nil
}

// TestPortsRefuseSSH: port 22 in resources.ports (alone or inside a range)
// is refused on every cloud with an error at the task's line; SSH is
// governed by ssh_cidrs.
func TestPortsRefuseSSH(t *testing.T) {
	for _, cloud := range []string{"aws", "gcp", "azure"} {
		for _, ports := range []string{"[22]", `["1-65535"]`, `[8080, "20-30"]`} {
			in := portsInput(t, cloud, "resources:\n  cpus: 2\n  ports: "+ports+"\nrun: echo\n")
			m, ds := Compile(in)
			d := find(ds, "Port 22 in ports")
			if m != nil || d == nil || d.Severity != diag.Error {
				t.Fatalf("%s ports %s: module %v, diagnostics %v", cloud, ports, m != nil, ds)
			}
			if d.Subject == nil || d.Subject.Start.Line != 3 || !strings.Contains(d.Detail, "ssh_cidrs") {
				t.Errorf("%s ports %s: %+v (want task.yaml line 3, naming ssh_cidrs)", cloud, ports, d)
			}
		}
	}
}

// TestPortsCIDRs: without ports_cidrs the task's ports open to 0.0.0.0/0
// with a warning naming them; with ports_cidrs only those ranges reach
// them; wide ranges are warned about.
func TestPortsCIDRs(t *testing.T) {
	for _, cloud := range []string{"aws", "gcp", "azure"} {
		in := portsInput(t, cloud, "resources:\n  cpus: 2\n  ports: [8888, \"6006-6010\"]\nrun: echo\n")
		m, ds := Compile(in)
		if ds.HasErrors() {
			t.Fatal(ds.Error())
		}
		w := find(ds, "Task ports open to the Internet")
		if w == nil || !strings.Contains(w.Detail, "6006-6010, 8888") && !strings.Contains(w.Detail, "8888, 6006-6010") || w.Subject == nil {
			t.Errorf("%s: warning %+v", cloud, w)
		}
		if got := fmt.Sprint(tfvars(t, m)["ports_cidrs"]); got != "[0.0.0.0/0]" {
			t.Errorf("%s: ports_cidrs %s", cloud, got)
		}
		if find(ds, "Wide port range") != nil {
			t.Errorf("%s: 5 ports warned as wide", cloud)
		}
		in.PortsCIDRs = []string{"10.1.0.0/16"}
		m, ds = Compile(in)
		if find(ds, "Task ports open to the Internet") != nil || fmt.Sprint(tfvars(t, m)["ports_cidrs"]) != "[10.1.0.0/16]" {
			t.Errorf("%s with ports_cidrs: %v %v", cloud, ds, tfvars(t, m)["ports_cidrs"])
		}
		// The module opens the ports to var.ports_cidrs, never a literal.
		mainTF := string(m.Files["modules/"+cloud+"/main.tf"])
		if strings.Contains(mainTF, `["0.0.0.0/0"]`) || strings.Contains(mainTF, `"Internet"`) || !strings.Contains(mainTF, "var.ports_cidrs") {
			t.Errorf("%s module does not open ports to var.ports_cidrs", cloud)
		}
	}
	in := portsInput(t, "aws", "resources:\n  cpus: 2\n  ports: [\"8000-9000\"]\nrun: echo\n")
	in.PortsCIDRs = []string{"10.1.0.0/16"}
	_, ds := Compile(in)
	if w := find(ds, "Wide port range"); w == nil || !strings.Contains(w.Detail, "1001 ports") || w.Subject == nil || w.Subject.Start.Line != 3 {
		t.Errorf("wide range: %+v", w)
	}
	in.PortsCIDRs = []string{"10.1.0.0/33"}
	if _, ds := Compile(in); find(ds, "Invalid ports CIDR") == nil {
		t.Errorf("bad CIDR accepted: %v", ds)
	}
	// No ports: nothing opened, no warning.
	m, ds := Compile(portsInput(t, "gcp", "resources:\n  cpus: 2\nrun: echo\n"))
	if find(ds, "Task ports open to the Internet") != nil || fmt.Sprint(tfvars(t, m)["ports_cidrs"]) != "[]" {
		t.Errorf("no ports: %v %v", ds, tfvars(t, m)["ports_cidrs"])
	}
}

// TestTfsecIgnoresNameTheirVariable: every inline tfsec ignore in the
// modules says which variable controls the exposure it accepts.
func TestTfsecIgnoresNameTheirVariable(t *testing.T) {
	for _, cloud := range []string{"aws", "gcp", "azure"} {
		files, err := moduleFiles(cloud)
		if err != nil {
			t.Fatal(err)
		}
		for rel, b := range files {
			for i, line := range strings.Split(string(b), "\n") {
				if !strings.Contains(line, "tfsec:ignore") {
					continue
				}
				if !strings.Contains(line, "Exposure is var.") {
					t.Errorf("%s/%s:%d: ignore names no variable: %s", cloud, rel, i+1, strings.TrimSpace(line))
				}
			}
		}
	}
}
