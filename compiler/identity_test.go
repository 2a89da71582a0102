package compiler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/skyplan/skyplan/task"
)

// moduleResource parses the embedded module file of cloud and returns the
// body of resource typ.name (nil when absent).
func moduleResource(t *testing.T, m *Module, cloud, file, typ, name string) *hclsyntax.Body {
	t.Helper()
	src, ok := m.Files["modules/"+cloud+"/"+file]
	if !ok {
		t.Fatalf("module has no %s", file)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typ && b.Labels[1] == name {
			return b.Body
		}
	}
	return nil
}

func tfvars(t *testing.T, m *Module) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Files[VarsFile], &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// exprText is the source text of attribute name of body.
func exprText(m *Module, cloud, file string, body *hclsyntax.Body, name string) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	r := a.Expr.Range()
	return string(m.Files["modules/"+cloud+"/"+file][r.Start.Byte:r.End.Byte])
}

// TestAWSNodeIdentity: every node runs as the cluster's own role through an
// instance profile; the role and the profile carry the cluster tag; its
// policy names this cluster's buckets (read-write for created and
// persistent ones, read-only for copied existing ones) and grants EC2
// stop/terminate only when autostop asks for it.
func TestAWSNodeIdentity(t *testing.T) {
	in := goldenCases()["aws-buckets"]
	m := compileCase(t, "aws-buckets", in)
	node := moduleResource(t, m, "aws", "main.tf", "aws_instance", "node")
	if got := exprText(m, "aws", "main.tf", node, "iam_instance_profile"); got != "aws_iam_instance_profile.node.name" {
		t.Errorf("aws_instance.node iam_instance_profile = %q", got)
	}
	for _, r := range []string{"aws_iam_role", "aws_iam_instance_profile"} {
		b := moduleResource(t, m, "aws", "iam.tf", r, "node")
		if b == nil {
			t.Fatalf("no %s.node in the module", r)
		}
		if got := exprText(m, "aws", "iam.tf", b, "tags"); got != "local.tags" {
			t.Errorf("%s.node tags = %q, want local.tags (skyplan-cluster)", r, got)
		}
	}
	v := tfvars(t, m)
	if fmt.Sprint(v["readwrite_buckets"]) != "[skyplan-test-ckpt]" || fmt.Sprint(v["readonly_buckets"]) != "[someone-elses-bucket]" || fmt.Sprint(v["buckets"]) != "[skyplan-test-scratch]" {
		t.Errorf("bucket grants: rw %v ro %v ephemeral %v", v["readwrite_buckets"], v["readonly_buckets"], v["buckets"])
	}
	if v["autostop_action"] != "" {
		t.Errorf("autostop off: autostop_action = %v, want empty (no EC2 permission)", v["autostop_action"])
	}
	for _, tc := range []struct {
		a    *task.Autostop
		want string
	}{{&task.Autostop{Enabled: true, IdleMinutes: 10}, "stop"}, {&task.Autostop{Enabled: true, Down: true}, "terminate"}, {&task.Autostop{Enabled: false}, ""}} {
		in := goldenCases()["aws-cpu-default"]
		in.Placement.Request.Autostop = tc.a
		if got := tfvars(t, compileCase(t, "aws-cpu-default", in))["autostop_action"]; got != tc.want {
			t.Errorf("autostop %+v: autostop_action = %v, want %q", *tc.a, got, tc.want)
		}
	}
	// A plain URI file mount and a MOUNT-mode existing bucket.
	in = goldenCases()["aws-cpu-default"]
	in.Task.FileMounts = []task.FileMount{
		{Dst: "/data", Src: "s3://datasets/imagenet"},
		{Dst: "/out", Storage: &task.Storage{Source: []string{"s3://results/run1"}, Mode: "MOUNT"}},
		{Dst: "/gcs", Src: "gs://not-on-aws"},
	}
	v = tfvars(t, compileCase(t, "aws-cpu-default", in))
	if fmt.Sprint(v["readwrite_buckets"]) != "[results]" || fmt.Sprint(v["readonly_buckets"]) != "[datasets]" {
		t.Errorf("existing buckets: rw %v ro %v", v["readwrite_buckets"], v["readonly_buckets"])
	}
	iam := string(m.Files["modules/aws/iam.tf"])
	for _, want := range []string{`"aws:ResourceTag/skyplan-cluster"`, `"kms:ViaService"`, `ec2:StopInstances`, `ec2:TerminateInstances`} {
		if !strings.Contains(iam, want) {
			t.Errorf("iam.tf lacks %s", want)
		}
	}
}

// blockAttr returns the source of attribute attr in the first nested block
// typ of body ("" when absent).
func blockAttr(m *Module, cloud, file string, body *hclsyntax.Body, typ, attr string) string {
	for _, b := range body.Blocks {
		if b.Type == typ {
			return exprText(m, cloud, file, b.Body, attr)
		}
	}
	return ""
}

// TestGCPNodeIdentity: Compute Engine VMs and TPU VMs run as the cluster's
// own service account (a TPU VM without the block gets the project's
// default account); the grants follow the buckets and autostop.
func TestGCPNodeIdentity(t *testing.T) {
	for _, name := range []string{"gcp-buckets", "gcp-tpu-v5e"} {
		m := compileCase(t, name, goldenCases()[name])
		vm := moduleResource(t, m, "gcp", "main.tf", "google_compute_instance", "node")
		if got := blockAttr(m, "gcp", "main.tf", vm, "service_account", "email"); got != "google_service_account.node.email" {
			t.Errorf("%s: google_compute_instance.node service_account.email = %q", name, got)
		}
		tpu := moduleResource(t, m, "gcp", "main.tf", "google_tpu_v2_vm", "node")
		if got := blockAttr(m, "gcp", "main.tf", tpu, "service_account", "email"); got != "google_service_account.node.email" {
			t.Errorf("%s: google_tpu_v2_vm.node service_account.email = %q", name, got)
		}
		if strings.Contains(string(m.Files["modules/gcp/main.tf"]), "google-compute-no-default-service-account") {
			t.Errorf("%s: the default-service-account finding is still ignored", name)
		}
	}
	v := tfvars(t, compileCase(t, "gcp-buckets", goldenCases()["gcp-buckets"]))
	// someone-elses-bucket is an s3:// URI: no GCS grant for it.
	if fmt.Sprint(v["readwrite_buckets"]) != "[skyplan-test-ckpt]" || fmt.Sprint(v["readonly_buckets"]) != "[]" {
		t.Errorf("gcp grants: rw %v ro %v", v["readwrite_buckets"], v["readonly_buckets"])
	}
	in := goldenCases()["gcp-gpu-spot"]
	in.Placement.Request.Autostop = &task.Autostop{Enabled: true, IdleMinutes: 30}
	if got := tfvars(t, compileCase(t, "gcp-gpu-spot", in))["autostop_action"]; got != "stop" {
		t.Errorf("gcp autostop_action = %v", got)
	}
}

// TestAzureNodeIdentity: VMs carry the cluster's user-assigned identity,
// with blob access on each bucket's storage account, and learn the account
// names (AZURE_STORAGE_ACCOUNT was never set on the nodes).
func TestAzureNodeIdentity(t *testing.T) {
	m := compileCase(t, "azure-buckets", goldenCases()["azure-buckets"])
	vm := moduleResource(t, m, "azure", "main.tf", "azurerm_linux_virtual_machine", "node")
	if got := blockAttr(m, "azure", "main.tf", vm, "identity", "identity_ids"); got != "[azurerm_user_assigned_identity.node.id]" {
		t.Errorf("VM identity_ids = %q", got)
	}
	if got := exprText(m, "azure", "main.tf", vm, "custom_data"); !strings.Contains(got, "node_cloud_init") {
		t.Errorf("VM custom_data = %q, want the storage accounts file", got)
	}
	main := string(m.Files["modules/azure/main.tf"])
	for _, want := range []string{"/etc/skyplan/azure-storage-accounts", `substr("sky${sha1(n)}", 0, 24)`, "AZURE_STORAGE_AUTH_TYPE=msi"} {
		if !strings.Contains(main, want) {
			t.Errorf("azure main.tf lacks %s", want)
		}
	}
	// The account name formula must be the buckets module's.
	if !strings.Contains(string(m.Files["modules/azure/buckets/main.tf"]), `substr("sky${sha1(n)}", 0, 24)`) {
		t.Error("buckets module names accounts differently from the node file")
	}
	if b := moduleResource(t, m, "azure", "identity.tf", "azurerm_user_assigned_identity", "node"); b == nil || exprText(m, "azure", "identity.tf", b, "tags") != "local.tags" {
		t.Error("no tagged azurerm_user_assigned_identity.node")
	}
	v := tfvars(t, m)
	if fmt.Sprint(v["readwrite_buckets"]) != "[skyplan-test-ckpt]" || fmt.Sprint(v["buckets"]) != "[skyplan-test-scratch]" {
		t.Errorf("azure grants: rw %v ephemeral %v", v["readwrite_buckets"], v["buckets"])
	}
}

// TestAzurePersistentBucketsAllowClusterSubnet: the persistent buckets'
// storage accounts deny by default, so they must allow the cluster subnet
// the nodes' traffic comes from (the ephemeral path passes it already).
func TestAzurePersistentBucketsAllowClusterSubnet(t *testing.T) {
	in := goldenCases()["azure-buckets"]
	m := compileCase(t, "azure-buckets", in)
	var v struct {
		Subnets []map[string]string `json:"cluster_subnets"`
	}
	if err := json.Unmarshal(m.Files["buckets/"+VarsFile], &v); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"resource_group": "buckets-westus2", "vnet": "buckets-vnet", "subnet": "buckets-subnet"}
	if len(v.Subnets) != 1 || fmt.Sprint(v.Subnets[0]) != fmt.Sprint(want) {
		t.Fatalf("persistent buckets root allows subnets %v, want %v", v.Subnets, want)
	}
	// The names are the ones the cluster module gives its network.
	main := string(m.Files["modules/azure/main.tf"])
	for _, s := range []string{`name     = "${var.cluster_name}-${var.location}"`, `"${var.cluster_name}-vnet"`, `"${var.cluster_name}-subnet"`} {
		if !strings.Contains(main, s) {
			t.Errorf("cluster module no longer names its network %s", s)
		}
	}
	if !strings.Contains(string(m.Files["modules/azure/buckets/main.tf"]), "virtual_network_subnet_ids = local.subnet_ids") {
		t.Error("buckets module ignores cluster_subnets")
	}
	in.VPCName, in.SubnetName = "netrg/shared-vnet", "ml"
	m = compileCase(t, "azure-buckets", in)
	json.Unmarshal(m.Files["buckets/"+VarsFile], &v)
	if fmt.Sprint(v.Subnets) != "[map[resource_group:netrg subnet:ml vnet:shared-vnet]]" {
		t.Errorf("existing VNet: %v", v.Subnets)
	}
}
