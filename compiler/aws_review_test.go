package compiler

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// awsModuleBlock is resource/data/output block typ "labels..." of the
// embedded AWS module file (nil when absent).
func awsModuleBlock(t *testing.T, file, typ string, labels ...string) (*hclsyntax.Body, []byte) {
	t.Helper()
	files, err := moduleFiles("aws")
	if err != nil {
		t.Fatal(err)
	}
	src, ok := files[file]
	if !ok {
		t.Fatalf("AWS module has no %s", file)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
outer:
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != typ || len(b.Labels) != len(labels) {
			continue
		}
		for i, l := range labels {
			if b.Labels[i] != l {
				continue outer
			}
		}
		return b.Body, src
	}
	return nil, src
}

// lifecycleFlag is the literal text of a lifecycle argument of body ("" when unset).
func lifecycleFlag(body *hclsyntax.Body, src []byte, name string) string {
	for _, b := range body.Blocks {
		if b.Type == "lifecycle" {
			if a := b.Body.Attributes[name]; a != nil {
				r := a.Expr.Range()
				return string(src[r.Start.Byte:r.End.Byte])
			}
		}
	}
	return ""
}

// TestAWSSecurityGroupCreateBeforeDestroy: a replaced security group is
// created (under a fresh name from its prefix) before the old one, still
// attached to the nodes, is deleted.
func TestAWSSecurityGroupCreateBeforeDestroy(t *testing.T) {
	sg, src := awsModuleBlock(t, "main.tf", "resource", "aws_security_group", "cluster")
	if sg == nil {
		t.Fatal("no aws_security_group.cluster")
	}
	if got := lifecycleFlag(sg, src, "create_before_destroy"); got != "true" {
		t.Errorf("security group create_before_destroy = %q, want true", got)
	}
	if sg.Attributes["name"] != nil || sg.Attributes["name_prefix"] == nil {
		t.Errorf("security group needs name_prefix, not a fixed name (a create-before-destroy replacement would clash)")
	}
}

// TestAWSRootOutputsNetworkIDs: the cluster root forwards the network,
// security group and key pair IDs from the module (moto's apply checks the
// values: TestAWSApplyOnMoto).
func TestAWSRootOutputsNetworkIDs(t *testing.T) {
	m := compileCase(t, "aws-cpu-default", goldenCases()["aws-cpu-default"])
	for _, name := range []string{"network", "security_group_id", "key_pair_id"} {
		ob := rootBlock(t, m, MainFile, "output", name)
		if ob == nil {
			t.Errorf("root has no output %q", name)
			continue
		}
		if got := rootText(m, MainFile, ob.Attributes["value"].Expr); got != "module.cluster."+name {
			t.Errorf("output %s = %s, want module.cluster.%s", name, got, name)
		}
		if mb, _ := awsModuleBlock(t, "outputs.tf", "output", name); mb == nil {
			t.Errorf("AWS module has no output %q", name)
		}
	}
}

// TestAWSPersistentBucketsPreventDestroy: the persistent buckets and the
// key encrypting them refuse destruction; the cluster's own buckets do not
// (they go with the cluster), and the cluster module asks for those.
func TestAWSPersistentBucketsPreventDestroy(t *testing.T) {
	for _, tc := range []struct {
		typ, name string
		protected bool
	}{
		{"aws_s3_bucket", "persistent", true},
		{"aws_kms_key", "persistent", true},
		{"aws_s3_bucket", "bucket", false},
		{"aws_kms_key", "buckets", false},
	} {
		b, src := awsModuleBlock(t, "buckets/main.tf", "resource", tc.typ, tc.name)
		if b == nil {
			t.Errorf("buckets module has no %s.%s", tc.typ, tc.name)
			continue
		}
		if got := lifecycleFlag(b, src, "prevent_destroy") == "true"; got != tc.protected {
			t.Errorf("%s.%s prevent_destroy = %v, want %v", tc.typ, tc.name, got, tc.protected)
		}
	}
	call, src := awsModuleBlock(t, "main.tf", "module", "buckets")
	if call == nil || call.Attributes["persistent"] == nil || string(src[call.Attributes["persistent"].Expr.Range().Start.Byte:call.Attributes["persistent"].Expr.Range().End.Byte]) != "false" {
		t.Errorf("the cluster module's buckets are not marked persistent = false")
	}
}
