package compiler

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// moduleBlocks parses modules/<cloud>/<file> of m.
func moduleBlocks(t *testing.T, m *Module, cloud, file string) hclsyntax.Blocks {
	t.Helper()
	src, ok := m.Files["modules/"+cloud+"/"+file]
	if !ok {
		t.Fatalf("module has no %s", file)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return f.Body.(*hclsyntax.Body).Blocks
}

// TestAzureStorageWithoutDataPlane: the storage accounts deny by default,
// so a plan from outside allowed_ips (a CI runner) gets 403 from anything
// azurerm reads through the data plane. The module configures no data-plane
// property (queue_properties, static_website) and both roots' providers
// manage storage through Azure Resource Manager only.
func TestAzureStorageWithoutDataPlane(t *testing.T) {
	m := compileCase(t, "azure-buckets", goldenCases()["azure-buckets"])
	for _, b := range moduleBlocks(t, m, "azure", "buckets/main.tf") {
		if b.Type != "resource" || b.Labels[0] != "azurerm_storage_account" {
			continue
		}
		for _, nb := range b.Body.Blocks {
			if nb.Type == "queue_properties" || nb.Type == "static_website" || (nb.Type == "dynamic" && len(nb.Labels) == 1 && (nb.Labels[0] == "queue_properties" || nb.Labels[0] == "static_website")) {
				t.Errorf("buckets/main.tf:%d: storage account %s configures %s, read through the data plane a Deny-by-default account refuses", nb.TypeRange.Start.Line, b.Labels[1], nb.Type)
			}
		}
	}
	for _, root := range []string{"", "buckets/"} {
		pb := rootBlock(t, m, root+MainFile, "provider", "azurerm")
		if pb == nil {
			t.Fatalf("%smain.tf has no azurerm provider", root)
		}
		found := false
		for _, fb := range pb.Blocks {
			if fb.Type != "features" {
				continue
			}
			for _, sb := range fb.Body.Blocks {
				if a, ok := sb.Body.Attributes["data_plane_available"]; sb.Type == "storage" && ok {
					v, diags := a.Expr.Value(nil)
					found = !diags.HasErrors() && v.RawEquals(cty.False)
				}
			}
		}
		if !found {
			t.Errorf("%smain.tf: provider azurerm lacks features { storage { data_plane_available = false } }", root)
		}
	}
}

// TestAzureExistingVNet: in existing-VNet mode the module reads the subnet
// (a data source: Azure's own ID, and a plan that fails when it does not
// exist) instead of joining an ID from names, and the cluster's NSG guards
// the nodes, so ssh_cidrs and ports_cidrs govern them there too.
func TestAzureExistingVNet(t *testing.T) {
	in := goldenCases()["azure-gpu"]
	in.VPCName, in.SubnetName = "netrg/shared-vnet", "ml"
	m := compileCase(t, "azure-gpu", in)
	vars := tfvars(t, m)
	varObj := map[string]cty.Value{
		"vpc_name":    cty.StringVal(vars["vpc_name"].(string)),
		"subnet_name": cty.StringVal(vars["subnet_name"].(string)),
		"num_nodes":   cty.NumberIntVal(int64(vars["num_nodes"].(float64))),
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var":   cty.ObjectVal(varObj),
		"local": cty.ObjectVal(map[string]cty.Value{"create_network": cty.False}),
	}}
	ctx.Functions = map[string]function.Function{"split": stdlib.SplitFunc}
	eval := func(where string, e hclsyntax.Expression) cty.Value {
		t.Helper()
		v, diags := e.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", where, diags.Error())
		}
		return v
	}
	blocks := moduleBlocks(t, m, "azure", "main.tf")
	var subnetData *hclsyntax.Body
	associations := 0
	for _, b := range blocks {
		switch {
		case b.Type == "locals":
			a := b.Body.Attributes["subnet_id"]
			if a == nil {
				continue
			}
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() == "var" {
					t.Errorf("local.subnet_id is built from var.%s; read the subnet with data \"azurerm_subnet\"", tr[1].(hcl.TraverseAttr).Name)
				}
			}
			hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
				if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && (fc.Name == "join" || fc.Name == "format") {
					t.Errorf("local.subnet_id assembles an ID with %s()", fc.Name)
				}
				return nil
			})
		case b.Type == "data" && b.Labels[0] == "azurerm_subnet":
			subnetData = b.Body
		case b.Type == "resource" && strings.HasSuffix(b.Labels[0], "_security_group_association"):
			if !strings.Contains(exprText(m, "azure", "main.tf", b.Body, "network_security_group_id"), "azurerm_network_security_group.cluster.id") {
				continue
			}
			if c := b.Body.Attributes["count"]; c != nil {
				n, _ := eval(b.Labels[0]+".count", c.Expr).AsBigFloat().Int64()
				associations += int(n)
			} else {
				associations++
			}
		}
	}
	if subnetData == nil {
		t.Fatal(`no data "azurerm_subnet" for the existing subnet`)
	}
	if n, _ := eval("data.azurerm_subnet.count", subnetData.Attributes["count"].Expr).AsBigFloat().Int64(); n != 1 {
		t.Errorf("data azurerm_subnet count = %d in existing-VNet mode, want 1", n)
	}
	for attr, want := range map[string]string{"name": "ml", "virtual_network_name": "shared-vnet", "resource_group_name": "netrg"} {
		if got := eval("data.azurerm_subnet."+attr, subnetData.Attributes[attr].Expr); got.AsString() != want {
			t.Errorf("data azurerm_subnet %s = %q, want %q", attr, got.AsString(), want)
		}
	}
	if associations < 1 {
		t.Error("existing-VNet mode associates the cluster NSG with nothing: its SSH and ports rules guard no node")
	}
	// The same evaluation on the module's own network: the subnet is created,
	// not read, and the NSG still guards it.
	ctx.Variables["local"] = cty.ObjectVal(map[string]cty.Value{"create_network": cty.True})
	if n, _ := eval("data.azurerm_subnet.count", subnetData.Attributes["count"].Expr).AsBigFloat().Int64(); n != 0 {
		t.Errorf("data azurerm_subnet count = %d with the module's own network, want 0", n)
	}
}
