package compiler

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/cloud"
	_ "github.com/skyplan/skyplan/cloud/registry" // the clouds compiled for
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
	"github.com/skyplan/skyplan/templates"
)

// CatalogResolver maps what the catalog priced to the cloud's own IDs: a
// SkyPilot image tag to an AMI in a region (aws/images.csv) and a priced
// zone name to its availability zone ID (aws/az_mappings.csv). The
// catalog implements it.
type CatalogResolver interface {
	AWSImage(tag, region string) (string, bool)
	AWSZoneID(zone string) (string, bool)
}

// Input is everything one compilation needs.
type Input struct {
	ClusterName string
	Task        *task.Task
	Placement   optimizer.Placement
	// SSHPublicKey is the authorized_keys line written into the tfvars
	// (compile --ssh-public-key FILE: a key the team chose, the same for
	// everyone who compiles). Empty leaves ssh_public_key a required input
	// of the root, so the files do not depend on who compiled them.
	SSHPublicKey string
	// RunSSHPublicKey is skyplan's own key for the roots it applies
	// itself: written only to skyplan.run.tfvars.json, which skyplan passes
	// with -var-file (a plain terraform run never loads it).
	RunSSHPublicKey string
	SSHCIDRs        []string // who may SSH in; never silently 0.0.0.0/0
	// PortsCIDRs may reach the task's resources.ports; empty opens them
	// to 0.0.0.0/0 (SkyPilot's behaviour) with a warning naming the ports.
	PortsCIDRs []string
	// VPCName and SubnetName select an existing network (optional). On
	// Azure VPCName is RESOURCE_GROUP/VNET.
	VPCName, SubnetName string
	Images              CatalogResolver
	Backend             *config.Backend // remote state; nil = local state
	// ProjectID (GCP) and SubscriptionID (Azure) are account ids, not secrets.
	ProjectID, SubscriptionID string
	// UsePrivateIP gives nodes no public address (proxy/VPN access).
	UsePrivateIP bool
	// SSHUser overrides the cloud's default login user.
	SSHUser string

	// SkyplanVersion and Command go into the generated header.
	SkyplanVersion string
	// Command regenerates the module when run in its directory: paths
	// relative to it, every flag that shaped it, no secret.
	Command string // e.g. "skyplan compile ../task.yaml --out-dir . --ssh-cidr 203.0.113.7/32"
	// AWSSkipAccountChecks adds skip_credentials_validation,
	// skip_requesting_account_id and skip_metadata_api_check to the AWS
	// provider: for emulators such as moto only, never by default.
	AWSSkipAccountChecks bool
	// DisablePlacementGroup drops the AWS cluster placement group / Azure
	// proximity placement group of multi-node clusters (instance types that
	// do not support them; emulators such as moto lack the API).
	DisablePlacementGroup bool
	// NodePermissionsBoundary caps the AWS node role (config
	// aws.node_permissions_boundary).
	NodePermissionsBoundary string
	// ProviderHashes (optional) hashes the pinned providers for the lock
	// file (MirrorHashes over the local filesystem mirrors); without it,
	// or when a provider is not mirrored, no lock file is generated.
	ProviderHashes ProviderHashes
}

// Module is a generated root module: relative path → content.
type Module struct {
	Files map[string][]byte
}

// Paths returns the module's file paths, sorted.
func (m *Module) Paths() []string {
	ps := make([]string, 0, len(m.Files))
	for p := range m.Files {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

const (
	requiredTerraform = ">= 1.5.0"
	// MainFile and VarsFile are the root files the provisioner reads.
	MainFile = "main.tf"
	VarsFile = "skyplan.auto.tfvars.json"
	// RunVarsFile holds the values skyplan passes (-var-file) only when it
	// runs terraform itself (cloud.RunVars); not auto-loaded, so a plain
	// `terraform apply` keeps the variables' declared defaults.
	RunVarsFile = "skyplan.run.tfvars.json"
)

// tfVar is one root variable: declared in main.tf, passed to the module
// (unless ProviderOnly) and valued in the tfvars JSON.
type tfVar = cloud.Var

// Compile turns in into a root module. Diagnostics carry warnings even on
// success; on errors the module is nil.
func Compile(in Input) (*Module, diag.Diagnostics) {
	var ds diag.Diagnostics
	p := in.Placement
	req := p.Request
	if req == nil && in.Task != nil && len(in.Task.Resources.Items) > 0 {
		req = &in.Task.Resources.Items[0]
	}
	if req == nil {
		req = &task.Resources{}
	}
	numNodes := p.NumNodes
	if numNodes == 0 && in.Task != nil {
		numNodes = in.Task.NumNodes
	}
	if numNodes < 1 {
		numNodes = 1
	}
	if in.ClusterName == "" {
		ds.Errorf("Cluster name is empty", "Give the cluster a name with -c NAME.")
	}
	if k := strings.TrimSpace(in.SSHPublicKey); k != "" && !looksLikePublicKey(k) {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Not an SSH public key",
			Detail: "The SSH public key must be one OpenSSH public key line (ssh-ed25519 AAAA..., ssh-rsa AAAA... or ecdsa-sha2-nistp256 AAAA...), e.g. the .pub file of the team's deploy key.",
			Field:  "--ssh-public-key"})
	}
	ds = append(ds, checkCIDRs(in.SSHCIDRs)...)
	mod, ok := cloud.As[cloud.Module](p.Cloud)
	if !ok {
		ds.Errorf("Cloud not supported by the compiler", "skyplan compiles Terraform for %s; the placement is on %q.", cloud.JoinNames(cloud.With[cloud.Module]()), p.Cloud)
	}
	if ds.HasErrors() {
		return nil, ds
	}
	c := &compilation{in: in, req: req, numNodes: numNodes, name: safeName(mod, in.ClusterName)}
	c.sshUser = in.SSHUser
	if c.sshUser == "" {
		c.sshUser = cloud.DefaultSSHUser(p.Cloud)
	}
	c.ports = portsValue(req.Ports)
	var pds diag.Diagnostics
	c.portsCIDRs, pds = c.checkPorts()
	ds = append(ds, pds...)
	if ds.HasErrors() {
		return nil, ds
	}
	c.labels = map[string]string{}
	for k, v := range req.Labels {
		c.labels[k] = v
	}
	eph, pers, bds := c.buckets()
	ds = append(ds, bds...)
	mreq := c.moduleRequest(eph, pers)
	root, cds := mod.Root(mreq)
	for i := range cds {
		if cds[i].Field != "" && cds[i].Subject == nil && in.Task != nil {
			cds[i].Subject = in.Task.Source.Range(cds[i].Field)
		}
	}
	ds = append(ds, cds...)
	if ds.HasErrors() {
		return nil, ds
	}
	m := &Module{Files: map[string][]byte{}}
	main, err := c.rootMain(mod, mreq, root)
	if err != nil {
		ds = ds.Append(err)
		return nil, ds
	}
	m.Files[MainFile] = main
	m.Files[VarsFile] = VarsJSON(root.Vars)
	runVars := RunVarsJSON(mod)
	if clusterRun := c.clusterRunVars(mod); clusterRun != nil {
		m.Files[RunVarsFile] = clusterRun
	}
	files, err := templates.FilesOf(mod.ModuleFiles())
	if err != nil {
		ds = ds.Append(fmt.Errorf("embedded %s module: %w", p.Cloud, err))
		return nil, ds
	}
	for rel, b := range files {
		m.Files["modules/"+p.Cloud+"/"+rel] = b
	}
	if lock := lockFile(root.Providers, c.in.ProviderHashes); lock != nil {
		m.Files[LockFile] = lock
	}
	if len(root.BucketVars) > 0 {
		bm, err := c.bucketsMain(mod, mreq, root)
		if err != nil {
			ds = ds.Append(err)
			return nil, ds
		}
		m.Files["buckets/"+MainFile] = bm
		m.Files["buckets/"+VarsFile] = VarsJSON(root.BucketVars)
		if runVars != nil {
			m.Files["buckets/"+RunVarsFile] = runVars
		}
		if lock := lockFile(root.Providers[:1], c.in.ProviderHashes); lock != nil {
			m.Files["buckets/"+LockFile] = lock
		}
	}
	return m, ds
}

// compilation carries the derived values shared by the per-cloud builders.
type compilation struct {
	in         Input
	req        *task.Resources
	numNodes   int
	name       string // cloud-safe cluster name
	sshUser    string
	ports      []map[string]int
	portsCIDRs []string
	labels     map[string]string
}

func checkCIDRs(cidrs []string) diag.Diagnostics {
	var ds diag.Diagnostics
	if len(cidrs) == 0 {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No SSH source address",
			Detail: "skyplan never opens SSH to the whole Internet by default. Give the range that may SSH to the nodes with --ssh-cidr 203.0.113.7/32 (your public address), or set ssh_cidrs in ~/.skyplan/config.yaml or .skyplan.yaml.",
			Field:  "--ssh-cidr"})
		return ds
	}
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			ds.Errorf("Invalid SSH CIDR", "%q is not a CIDR block such as 203.0.113.7/32.", c)
			continue
		}
		if ones, _ := n.Mask.Size(); ones == 0 {
			ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Summary: "SSH is open to the whole Internet",
				Detail: fmt.Sprintf("ssh_cidrs contains %s, so port 22 of every node accepts connections from anywhere. Narrow it to your own address range unless this is intended.", c)})
		}
	}
	return ds
}

func portsValue(ports []task.PortRange) []map[string]int {
	out := make([]map[string]int, 0, len(ports))
	for _, p := range ports {
		out = append(out, map[string]int{"from": p.From, "to": p.To})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["from"] < out[j]["from"] })
	return out
}

// accelerator returns the placement's (single) accelerator name and count.
func (c *compilation) accelerator() (string, float64) {
	names := make([]string, 0, len(c.in.Placement.Accelerators))
	for n := range c.in.Placement.Accelerators {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names[0], c.in.Placement.Accelerators[names[0]]
	}
	if c.req.Accelerator != nil {
		return c.req.Accelerator.Name, c.req.Accelerator.Count
	}
	return "", 0
}

// imageFor returns the task's image_id for region ("" when unset).
func (c *compilation) imageFor(region string) string {
	im := c.req.ImageID
	if im == nil {
		return ""
	}
	if v, ok := im.PerRegion[region]; ok {
		return v
	}
	return im.Default
}

func (c *compilation) warn(summary, detail string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Warning, Summary: summary, Detail: fmt.Sprintf(detail, args...)}
}

// warnAt is a warning located at the task's field.
func (c *compilation) warnAt(field, summary, detail string, args ...any) diag.Diagnostic {
	d := c.warn(summary, detail, args...)
	d.Field = field
	if c.in.Task != nil {
		d.Subject = c.in.Task.Source.Range(field)
	}
	return d
}

func (c *compilation) errf(field, summary, detail string, args ...any) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: fmt.Sprintf(detail, args...), Field: field}
	if c.in.Task != nil {
		d.Subject = c.in.Task.Source.Range(field)
	}
	return d
}

// commonVars are the module inputs every cloud takes.
func (c *compilation) commonVars() []tfVar {
	cidrs := append([]string{}, c.in.SSHCIDRs...)
	return []tfVar{
		{Name: "cluster_name", Type: "string", Value: c.name},
		{Name: "num_nodes", Type: "number", Value: c.numNodes},
		{Name: "use_spot", Type: "bool", Value: c.in.Placement.UseSpot},
		{Name: "ssh_user", Type: "string", Value: c.sshUser},
		c.sshPublicKeyVar(),
		{Name: "ssh_cidrs", Type: "list(string)", Value: cidrs},
		{Name: "ports", Type: "list(object({ from = number, to = number }))", Value: c.ports},
		{Name: "ports_cidrs", Type: "list(string)", Value: c.portsCIDRs},
		{Name: "vpc_name", Type: "string", Value: c.in.VPCName},
		{Name: "subnet_name", Type: "string", Value: c.in.SubnetName},
		{Name: "use_private_ip", Type: "bool", Value: c.in.UsePrivateIP},
		{Name: "labels", Type: "map(string)", Value: c.labels},
	}
}

// moduleRequest is the cloud-neutral request the cloud's Module compiles.
func (c *compilation) moduleRequest(ephemeral, persistent []string) cloud.ModuleRequest {
	p := c.in.Placement
	acc, count := c.accelerator()
	r := cloud.ModuleRequest{
		ClusterName: c.name, Common: c.commonVars(),
		Region: p.Region, Zone: p.Zone, Zones: p.Zones, InstanceType: p.InstanceType, VCPUs: p.VCPUs,
		Accelerator: acc, AcceleratorCount: count,
		NumNodes: c.numNodes, UseSpot: p.UseSpot,
		Image: c.imageFor(p.Region), DiskSizeGB: diskSize(c.req), DiskTier: c.req.DiskTier, NetworkTier: c.req.NetworkTier,
		Labels: c.labels, SSHCIDRs: c.in.SSHCIDRs, VPCName: c.in.VPCName,
		Buckets: ephemeral, PersistentBuckets: persistent,
		AutostopAction: c.autostopAction(), SubnetName: c.in.SubnetName,
		ProjectID: c.in.ProjectID, SubscriptionID: c.in.SubscriptionID,
		DisablePlacementGroup: c.in.DisablePlacementGroup, SkipAccountChecks: c.in.AWSSkipAccountChecks,
		NodePermissionsBoundary: c.in.NodePermissionsBoundary,
		UsePrivateIP:            c.in.UsePrivateIP,
	}
	if args := c.req.AcceleratorArgs; args != nil {
		r.TPUNode, r.RuntimeVersion, r.QueuedResource = !args.TPUVM, args.RuntimeVersion, args.QueuedResource
	}
	if c.in.Images != nil {
		r.ResolveImage = c.in.Images.AWSImage
		r.ResolveZoneID = c.in.Images.AWSZoneID
	}
	r.ReadWriteBuckets, r.ReadOnlyBuckets = c.nodeBucketAccess()
	return r
}

func diskSize(req *task.Resources) int {
	if req.DiskSizeGB > 0 {
		return req.DiskSizeGB
	}
	return 256
}

// ApplyConfig copies skyplan's configuration for the placement's cloud into
// in: existing network, login user, private IPs, account ids, SSH source
// ranges (unless already set) and the state backend.
func (in *Input) ApplyConfig(cfg config.Config) {
	cc := cfg.Cloud(in.Placement.Cloud)
	in.VPCName, in.SubnetName = cc.VPCName, cc.SubnetName
	in.UsePrivateIP = cc.UsePrivateIP
	in.DisablePlacementGroup = in.DisablePlacementGroup || cc.DisablePlacementGroup
	if in.NodePermissionsBoundary == "" {
		in.NodePermissionsBoundary = cc.NodePermissionsBoundary
	}
	in.SSHUser = cc.SSHUser
	in.ProjectID = cfg.GCP.ProjectID
	in.SubscriptionID = cfg.Azure.SubscriptionID
	if len(in.SSHCIDRs) == 0 {
		in.SSHCIDRs = append([]string{}, cfg.SSHCIDRs...)
	}
	if len(in.PortsCIDRs) == 0 {
		in.PortsCIDRs = append([]string{}, cfg.PortsCIDRs...)
	}
	in.Backend = cfg.Backend
}

// sshPublicKeyVar is the nodes' authorized key: the team's key from
// compile --ssh-public-key when given, else a required input with no value
// in the tfvars (skyplan's own runs pass theirs in skyplan.run.tfvars.json).
func (c *compilation) sshPublicKeyVar() tfVar {
	v := tfVar{Name: "ssh_public_key", Type: "string", Required: true,
		Description: "OpenSSH public key authorized for ssh_user on every node. Set by skyplan compile --ssh-public-key FILE; otherwise give it with -var ssh_public_key=\"$(cat KEY.pub)\" or TF_VAR_ssh_public_key (skyplan's own runs pass skyplan's key in " + RunVarsFile + ")."}
	if k := strings.TrimSpace(c.in.SSHPublicKey); k != "" {
		v.Value = k
	}
	return v
}

// clusterRunVars renders the cluster root's skyplan.run.tfvars.json: the
// cloud's run values plus skyplan's own SSH key (nil when there are none).
func (c *compilation) clusterRunVars(mod cloud.Module) []byte {
	vars := map[string]any{}
	if rv, ok := mod.(cloud.RunVars); ok {
		for k, v := range rv.RunVars() {
			vars[k] = v
		}
	}
	if k := strings.TrimSpace(c.in.RunSSHPublicKey); k != "" {
		vars["ssh_public_key"] = k
	}
	if len(vars) == 0 {
		return nil
	}
	var tv []tfVar
	for k, v := range vars {
		tv = append(tv, tfVar{Name: k, Value: v})
	}
	return VarsJSON(tv)
}

// looksLikePublicKey: an OpenSSH public key line (the module's
// ssh_public_key validation, checked before Terraform runs).
func looksLikePublicKey(k string) bool {
	f := strings.Fields(k)
	if len(f) < 2 || strings.Contains(k, "\n") {
		return false
	}
	switch f[0] {
	case "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		return strings.HasPrefix(f[1], "AAAA")
	}
	return false
}
