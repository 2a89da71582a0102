package compiler

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// rootBlocks parses a generated root file and returns its top-level blocks.
func rootBlocks(t *testing.T, m *Module, file string) hclsyntax.Blocks {
	t.Helper()
	src, ok := m.Files[file]
	if !ok {
		t.Fatalf("module has no %s", file)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return f.Body.(*hclsyntax.Body).Blocks
}

// rootBlock is the top-level block typ "label" of file (nil when absent).
func rootBlock(t *testing.T, m *Module, file, typ, label string) *hclsyntax.Body {
	t.Helper()
	for _, b := range rootBlocks(t, m, file) {
		if b.Type == typ && len(b.Labels) > 0 && b.Labels[0] == label {
			return b.Body
		}
	}
	return nil
}

// rootText is the source of expression e in file.
func rootText(m *Module, file string, e hclsyntax.Expression) string {
	r := e.Range()
	return string(m.Files[file][r.Start.Byte:r.End.Byte])
}

// TestProviderRetriesAreAVariable: a plain `terraform apply` of a generated
// AWS root gets the provider's default retry budget (throttling on a large
// cluster); only skyplan's own runs pass the fast value, from a vars file
// Terraform does not auto-load.
func TestProviderRetriesAreAVariable(t *testing.T) {
	m := compileCase(t, "aws-buckets", goldenCases()["aws-buckets"])
	for _, root := range []string{"", "buckets/"} {
		pb := rootBlock(t, m, root+MainFile, "provider", "aws")
		if pb == nil {
			t.Fatalf("%smain.tf has no aws provider", root)
		}
		if got := rootText(m, root+MainFile, pb.Attributes["max_retries"].Expr); got != "var.aws_max_retries" {
			t.Errorf("%smain.tf max_retries = %s, want var.aws_max_retries", root, got)
		}
		vb := rootBlock(t, m, root+MainFile, "variable", "aws_max_retries")
		if vb == nil || vb.Attributes["default"] == nil {
			t.Fatalf("%smain.tf declares no aws_max_retries with a default", root)
		}
		if got := rootText(m, root+MainFile, vb.Attributes["default"].Expr); got != "25" {
			t.Errorf("%smain.tf aws_max_retries default = %s, want the provider's 25", root, got)
		}
		var auto, run map[string]any
		json.Unmarshal(m.Files[root+VarsFile], &auto)
		if _, ok := auto["aws_max_retries"]; ok {
			t.Errorf("%s%s sets aws_max_retries: plain terraform apply would auto-load it", root, VarsFile)
		}
		if err := json.Unmarshal(m.Files[root+RunVarsFile], &run); err != nil || run["aws_max_retries"] != float64(2) {
			t.Errorf("%s%s = %s (%v), want aws_max_retries 2 for skyplan's runs", root, RunVarsFile, m.Files[root+RunVarsFile], err)
		}
	}
	if strings.HasSuffix(RunVarsFile, ".auto.tfvars.json") || strings.HasSuffix(RunVarsFile, ".auto.tfvars") || RunVarsFile == "terraform.tfvars.json" {
		t.Errorf("%s would be auto-loaded by terraform", RunVarsFile)
	}
	// GCP and Azure have no run-only values.
	if gm := compileCase(t, "gcp-buckets", goldenCases()["gcp-buckets"]); gm.Files[RunVarsFile] != nil {
		t.Errorf("gcp root has %s", RunVarsFile)
	}
}

// TestDefaultTagsFollowClusterName: the provider-level tag/label every
// resource carries (the leak sweep's skyplan-cluster) reads var.cluster_name,
// in the cluster root and in the buckets root, so editing the tfvars
// cannot leave the tags naming another cluster.
func TestDefaultTagsFollowClusterName(t *testing.T) {
	for _, tc := range []struct{ name, provider, block, attr string }{
		{"aws-buckets", "aws", "default_tags", "tags"},
		{"gcp-buckets", "google", "", "default_labels"},
		{"gcp-buckets", "google-beta", "", "default_labels"},
	} {
		in := goldenCases()[tc.name]
		m := compileCase(t, tc.name, in)
		for _, root := range []string{"", "buckets/"} {
			pb := rootBlock(t, m, root+MainFile, "provider", tc.provider)
			if pb == nil {
				t.Fatalf("%s: %smain.tf has no provider %s", tc.name, root, tc.provider)
			}
			body := pb
			if tc.block != "" {
				body = nil
				for _, b := range pb.Blocks {
					if b.Type == tc.block {
						body = b.Body
					}
				}
				if body == nil {
					t.Fatalf("%s: provider %s has no %s", tc.name, tc.provider, tc.block)
				}
			}
			a := body.Attributes[tc.attr]
			if a == nil {
				t.Fatalf("%s: provider %s has no %s", tc.name, tc.provider, tc.attr)
			}
			refs := map[string]bool{}
			for _, tr := range a.Expr.Variables() {
				refs[tr.RootName()+"."+tr[1].(hcl.TraverseAttr).Name] = true
			}
			if !refs["var.cluster_name"] || strings.Contains(rootText(m, root+MainFile, a.Expr), `"`+in.ClusterName+`"`) {
				t.Errorf("%s: %smain.tf provider %s %s = %s, want it derived from var.cluster_name", tc.name, root, tc.provider, tc.attr, rootText(m, root+MainFile, a.Expr))
			}
			var vars map[string]any
			json.Unmarshal(m.Files[root+VarsFile], &vars)
			if vars["cluster_name"] != in.ClusterName || rootBlock(t, m, root+MainFile, "variable", "cluster_name") == nil {
				t.Errorf("%s: %s declares/values no cluster_name (%v)", tc.name, root+MainFile, vars["cluster_name"])
			}
		}
	}
}

// TestSSHKeyIsAnInput: without a team key (compile --ssh-public-key) no
// file of the module names a key, so every member of a team compiles the
// same bytes; ssh_public_key is declared without a default (Terraform asks
// for it). skyplan's own key for its runs is only in the run vars file of
// the cluster root (the buckets root has no such variable).
func TestSSHKeyIsAnInput(t *testing.T) {
	for _, name := range []string{"aws-buckets", "gcp-buckets", "azure-buckets"} {
		in := goldenCases()[name]
		in.SSHPublicKey, in.RunSSHPublicKey = "", testKey
		m := compileCase(t, name, in)
		for _, p := range m.Paths() {
			if strings.Contains(string(m.Files[p]), testKey) && p != RunVarsFile {
				t.Errorf("%s: %s holds skyplan's key", name, p)
			}
		}
		vb := rootBlock(t, m, MainFile, "variable", "ssh_public_key")
		if vb == nil || vb.Attributes["default"] != nil {
			t.Errorf("%s: ssh_public_key must be declared without a default", name)
		}
		if d := vb.Attributes["description"]; d == nil || !strings.Contains(rootText(m, MainFile, d.Expr), "--ssh-public-key") {
			t.Errorf("%s: ssh_public_key's description does not say where the key comes from", name)
		}
		if _, ok := tfvars(t, m)["ssh_public_key"]; ok {
			t.Errorf("%s: %s sets ssh_public_key", name, VarsFile)
		}
		var run map[string]any
		if err := json.Unmarshal(m.Files[RunVarsFile], &run); err != nil || run["ssh_public_key"] != testKey {
			t.Errorf("%s: %s = %s, want skyplan's key for its own runs", name, RunVarsFile, m.Files[RunVarsFile])
		}
		if strings.Contains(string(m.Files["buckets/"+RunVarsFile]), "ssh_public_key") {
			t.Errorf("%s: the buckets root declares no ssh_public_key", name)
		}
		// A team key goes into the tfvars, the same for everyone.
		in.SSHPublicKey, in.RunSSHPublicKey = testKey, ""
		m = compileCase(t, name, in)
		if tfvars(t, m)["ssh_public_key"] != testKey {
			t.Errorf("%s: the team key is not in %s", name, VarsFile)
		}
	}
	in := goldenCases()["aws-buckets"]
	in.SSHPublicKey = "-----BEGIN OPENSSH PRIVATE KEY-----"
	if _, ds := Compile(in); !ds.HasErrors() || ds[0].Field != "--ssh-public-key" {
		t.Errorf("a private key line compiled: %v", ds)
	}
}
