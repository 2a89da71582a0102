package cloud

import (
	"fmt"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/diag"
)

// Module is a cloud skyplan compiles Terraform for: its hand-written
// module (embedded), the providers a root pins, and the root variables a
// placement becomes. The compiler writes the root (header, terraform
// block, backend, variable declarations, module call, outputs) the same
// way for every cloud; only what Module returns differs.
type Module interface {
	// ModuleFiles is the cloud's embedded module (README and .tf files;
	// a buckets/ submodule when the cloud creates persistent buckets).
	ModuleFiles() (fs.FS, error)
	// MaxNameLength caps the cloud-safe cluster name (resource name limits).
	MaxNameLength() int
	// Root turns one placement into the root's providers and variables.
	// Diagnostics with a Field (e.g. "resources.image_id") get the task's
	// source position from the compiler.
	Root(req ModuleRequest) (ModuleRoot, diag.Diagnostics)
	// ProviderBlocks writes the root's provider configuration blocks.
	ProviderBlocks(b *hclwrite.Body, req ModuleRequest) error
}

// Var is one root variable: declared in main.tf, passed to the module
// (unless ProviderOnly) and valued in skyplan.auto.tfvars.json.
type Var struct {
	Name, Type   string
	Value        any
	ProviderOnly bool
	// Description documents the variable for reviewers ("" = the
	// compiler's description of the common variables).
	Description string
	// Required: with a nil Value the root declares the variable without a
	// default and the tfvars leave it out, so Terraform asks for it (-var,
	// TF_VAR_*, a team's own tfvars) instead of receiving null.
	Required bool
}

// Provider is a provider the root pins in required_providers.
type Provider struct {
	Name, Source, Version string
}

// ModuleRoot is what a cloud contributes to a root module.
type ModuleRoot struct {
	Providers []Provider
	Vars      []Var
	// BucketVars are the variables of the separate persistent-buckets
	// root (nil when the task has no persistent buckets); it pins
	// Providers[0] only.
	BucketVars []Var
	// Outputs are module outputs the cluster root forwards besides nodes,
	// ssh_user and buckets (IDs a reviewer or a wrapping module needs).
	Outputs []Output
}

// Output is a module output the root forwards under the same name.
type Output struct {
	Name, Description string
}

// ModuleRequest is the compiler's cloud-neutral view of one placement.
type ModuleRequest struct {
	ClusterName string // cloud-safe (MaxNameLength applied)
	// ClusterNameVar is the root variable holding ClusterName, which
	// ProviderBlocks' default tags/labels read ("" = "cluster_name").
	ClusterNameVar string
	// Common are the module inputs every cloud takes (cluster_name,
	// num_nodes, use_spot, ssh_user, ssh_public_key, ssh_cidrs, ports, ports_cidrs,
	// vpc_name, subnet_name, use_private_ip, labels), in this order.
	Common []Var

	Region, Zone string
	Zones        []string // zones to try of a region-level placement
	InstanceType string
	VCPUs        float64
	// Accelerator and AcceleratorCount are the placement's (single) accelerator.
	Accelerator      string
	AcceleratorCount float64
	// TPUNode: accelerator_args.tpu_vm is false; RuntimeVersion its
	// runtime_version ("" = the default).
	TPUNode        bool
	RuntimeVersion string
	// QueuedResource: accelerator_args.gcp_queued_resource is true.
	QueuedResource bool
	NumNodes       int
	UseSpot        bool

	Image       string // the task's image_id for Region ("" = the cloud's default)
	DiskSizeGB  int
	DiskTier    string
	NetworkTier string

	Labels            map[string]string
	SSHCIDRs          []string
	VPCName           string
	Buckets           []string // created and destroyed with the cluster
	PersistentBuckets []string // kept in the separate buckets root
	// ReadWriteBuckets and ReadOnlyBuckets are the other buckets of the
	// cloud's own store the node identity may use (persistent and MOUNT
	// mounts of existing buckets; COPY mounts of existing ones).
	ReadWriteBuckets, ReadOnlyBuckets []string
	// AutostopAction is the one permission on its own machines the node
	// identity needs: "" (no autostop), "stop" or "terminate".
	AutostopAction string
	// NodePermissionsBoundary: ARN of the policy that caps the node
	// identity (AWS; "" = none).
	NodePermissionsBoundary string
	SubnetName              string

	ProjectID, SubscriptionID string
	// UsePrivateIP: the nodes get no public address (config use_internal_ips).
	UsePrivateIP          bool
	DisablePlacementGroup bool
	// SkipAccountChecks: emulators such as moto only, never by default.
	SkipAccountChecks bool
	// ResolveImage maps an image tag to the cloud's image id in a region
	// (the catalog's images table); nil when no catalog is available.
	ResolveImage func(tag, region string) (string, bool)
	// ResolveZoneID maps a priced zone name to the zone ID it was priced
	// under (AWS: names differ per account, IDs do not); nil or not found:
	// the module places by name.
	ResolveZoneID func(zone string) (string, bool)
}

// NameVar is the root variable ProviderBlocks' default tags read.
func (r ModuleRequest) NameVar() string {
	if r.ClusterNameVar == "" {
		return "cluster_name"
	}
	return r.ClusterNameVar
}

// VarRef is the expression var.NAME.
func VarRef(name string) hclwrite.Tokens {
	return hclwrite.TokensForTraversal(hcl.Traversal{hcl.TraverseRoot{Name: "var"}, hcl.TraverseAttr{Name: name}})
}

// RawExpr parses an HCL expression written by skyplan itself (a type
// constraint or a small literal expression) into tokens.
func RawExpr(src string) (hclwrite.Tokens, error) {
	f, diags := hclwrite.ParseConfig([]byte("x = "+src+"\n"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("internal: bad expression %q: %s", src, diags.Error())
	}
	return f.Body().GetAttribute("x").Expr().BuildTokens(nil), nil
}

// FieldError is an error diagnostic about a task field (the compiler adds
// the field's source position).
func FieldError(field, summary, detail string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: fmt.Sprintf(detail, args...), Field: field}
}

// Warning is a warning diagnostic.
func Warning(summary, detail string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Warning, Summary: summary, Detail: fmt.Sprintf(detail, args...)}
}

// RunVars is an optional Module capability: root variables skyplan sets
// only when it runs terraform itself (-var-file of the compiler's
// skyplan.run.tfvars.json, which Terraform does not auto-load),
// so a plain `terraform apply` of the same root keeps the declared,
// provider-safe defaults. AWS uses it for the provider's retry budget:
// skyplan's fallback loop retries capacity errors itself and wants them
// fast; a team applying a 1000-node root wants the provider's throttling
// retries.
type RunVars interface {
	RunVars() map[string]any
}

// AttemptVars is an optional Module capability: RunVars overrides for the
// first apply of a fallback attempt (passed as -var, only for variables the
// root's run-vars file declares). AWS makes every API call once there
// (max_retries = 1, which the provider counts as attempts): its EC2 client
// retries InsufficientInstanceCapacity like a throttle, with backoff,
// seconds per failed zone that the fallback loop spends better on the
// next zone. Throttling keeps its retries: a throttled
// attempt is classified transient and retried in place with RunVars' budget.
type AttemptVars interface {
	AttemptVars() map[string]any
}
