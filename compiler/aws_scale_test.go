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
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// tfFunctions are the Terraform functions the checked expressions use.
var tfFunctions = map[string]function.Function{
	"pow": stdlib.PowFunc, "split": stdlib.SplitFunc, "max": stdlib.MaxFunc,
	"tonumber": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Number),
		Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return convert.Convert(args[0], cty.Number) },
	}),
}

// TestAWSSubnetSizedForEFA: the subnet is sized from num_nodes × EFA
// interfaces (tfvars subnet_cidr), the module checks it at plan time (a
// precondition, so a num_nodes raised in the tfvars cannot run out of
// addresses halfway through an apply), and a cluster no subnet of the VPC
// holds is refused at the task's num_nodes line.
func TestAWSSubnetSizedForEFA(t *testing.T) {
	compileP5 := func(nodes int) (*Module, diag.Diagnostics) {
		src := "num_nodes: " + fmt.Sprint(nodes) + "\nresources:\n  accelerators: H100:8\n  network_tier: best\nrun: echo\n"
		pl, ds := task.Parse("task.yaml", []byte(src), task.LoadOptions{})
		if ds.HasErrors() {
			t.Fatal(ds.Error())
		}
		in := input("p5", pl.Tasks[0], optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p5.48xlarge", Accelerators: map[string]float64{"H100": 8}})
		in.UsePrivateIP = true
		return Compile(in)
	}
	m, ds := compileP5(128)
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	if got := tfvars(t, m)["subnet_cidr"]; got != "10.0.0.0/19" {
		t.Errorf("128 p5 nodes (4096 addresses): subnet_cidr %v, want 10.0.0.0/19", got)
	}
	if _, ds = compileP5(2048); !ds.HasErrors() {
		t.Fatal("2048 p5 nodes compiled")
	}
	if d := find(ds, "Cluster too large for one subnet"); d == nil || d.Subject == nil || d.Subject.Start.Line != 1 {
		t.Errorf("refusal not located at task.yaml:1 num_nodes: %+v", d)
	}

	m = compileCase(t, "aws-trn1-efa", goldenCases()["aws-trn1-efa"])
	src := string(m.Files["modules/aws/main.tf"])
	if strings.Contains(src, "1000-node") {
		t.Error("modules/aws/main.tf still claims room for 1000-node clusters")
	}
	sub := moduleResource(t, m, "aws", "main.tf", "aws_subnet", "cluster")
	if got := exprText(m, "aws", "main.tf", sub, "cidr_block"); got != "var.subnet_cidr" {
		t.Fatalf("aws_subnet.cluster cidr_block = %s, want var.subnet_cidr", got)
	}
	var addresses hclsyntax.Expression
	for _, b := range moduleBlocks(t, m, "aws", "main.tf") {
		if b.Type == "locals" && b.Body.Attributes["addresses"] != nil {
			addresses = b.Body.Attributes["addresses"].Expr
		}
	}
	var cond hclsyntax.Expression
	for _, b := range sub.Blocks {
		if b.Type == "lifecycle" {
			for _, pb := range b.Body.Blocks {
				if pb.Type == "precondition" {
					cond = pb.Body.Attributes["condition"].Expr
				}
			}
		}
	}
	if addresses == nil || cond == nil {
		t.Fatal("aws_subnet.cluster has no precondition on local.addresses")
	}
	holds := func(cidr string, nodes, efa int) bool {
		t.Helper()
		vars := cty.ObjectVal(map[string]cty.Value{"subnet_cidr": cty.StringVal(cidr), "num_nodes": cty.NumberIntVal(int64(nodes)), "efa_interfaces": cty.NumberIntVal(int64(efa))})
		ctx := &hcl.EvalContext{Functions: tfFunctions, Variables: map[string]cty.Value{"var": vars}}
		n, diags := addresses.Value(ctx)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		ctx.Variables["local"] = cty.ObjectVal(map[string]cty.Value{"addresses": n})
		v, diags := cond.Value(ctx)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return v.True()
	}
	for _, c := range []struct {
		cidr       string
		nodes, efa int
		want       bool
	}{
		{"10.0.0.0/20", 127, 32, true},
		{"10.0.0.0/20", 128, 32, false},
		{"10.0.0.0/19", 128, 32, true},
		{"10.0.0.0/20", 4091, 0, true},
		{"10.0.0.0/20", 4092, 0, false},
	} {
		if got := holds(c.cidr, c.nodes, c.efa); got != c.want {
			t.Errorf("precondition with %s, %d nodes × %d EFA = %v, want %v", c.cidr, c.nodes, c.efa, got, c.want)
		}
	}
}
