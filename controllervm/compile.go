package controllervm

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	awscloud "github.com/skyplan/skyplan/cloud/aws"
	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
	"github.com/skyplan/skyplan/templates"
	"github.com/zclconf/go-cty/cty"
)

const (
	// VolumeDir is the sub-root holding the state volume (its own state).
	VolumeDir = "volume"
	// StateMount is where user-data mounts the state volume on the VM.
	StateMount = "/var/lib/skyplan"
	// DefaultVolumeGB is the state volume's size when Input leaves it 0.
	DefaultVolumeGB = 10
	// moduleDir is where the embedded module is copied in the root.
	moduleDir = "modules/controller"
)

// ApplyOrder is the order to apply the roots ("." is the main root);
// DestroyOrder the order to destroy them (omit VolumeDir to keep the state).
var (
	ApplyOrder   = []string{VolumeDir, "."}
	DestroyOrder = []string{".", VolumeDir}
)

// DefaultServePorts are SkyServe's load-balancer ports (config.DefaultServePorts).
var DefaultServePorts = config.DefaultServePorts

// Input is everything one controller compilation needs.
type Input struct {
	// Name is the cloud-safe controller name (1-32 lowercase letters,
	// digits, hyphens; no "-node-"): prefix of every resource name.
	Name string
	Spec Spec
	// AMI overrides the image; "" resolves skypilot:custom-cpu-ubuntu
	// (-arm64 for Graviton) in the region through Images.
	AMI    string
	Images compiler.CatalogResolver
	// SSHPublicKey is skyplan's authorized_keys line.
	SSHPublicKey string
	// SSHUser is the image's login user ("" = the cloud's default user);
	// config aws.ssh_user sets it (ApplyConfig).
	SSHUser string
	// SSHCIDRs may reach port 22 (required, never 0.0.0.0/0 silently).
	SSHCIDRs []string
	// ServeAllowedCIDRs may reach ServePorts; empty means SSHCIDRs.
	ServeAllowedCIDRs []string
	// ServePorts are the load balancers' ports; nil = DefaultServePorts.
	ServePorts []task.PortRange
	// BucketARNs narrows the S3 buckets the controller may manage
	// (default arn:aws:s3:::*: task bucket names are free-form).
	BucketARNs []string
	// StateVolumeGB sizes the state volume (0 = DefaultVolumeGB).
	StateVolumeGB int
	// Zone pins the state volume's (and so the instance's) zone.
	Zone   string
	Labels map[string]string

	SkyplanVersion, Command string
	// AWSSkipAccountChecks: emulators such as moto only.
	AWSSkipAccountChecks bool
}

// ApplyConfig copies ssh_cidrs, serve.allowed_cidrs, serve.ports and
// aws.ssh_user (each unless set).
func (in *Input) ApplyConfig(cfg config.Config) {
	if len(in.SSHCIDRs) == 0 {
		in.SSHCIDRs = append([]string{}, cfg.SSHCIDRs...)
	}
	if len(in.ServeAllowedCIDRs) == 0 {
		in.ServeAllowedCIDRs = append([]string{}, cfg.Serve.AllowedCIDRs...)
	}
	if in.SSHUser == "" {
		in.SSHUser = cfg.Cloud(in.Spec.Cloud).SSHUser
	}
	if in.ServePorts == nil && len(cfg.Serve.Ports) > 0 {
		// config.Load validated serve.ports; an error leaves the default.
		in.ServePorts, _ = cfg.Serve.PortRanges()
	}
}

var nameRe = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$`)

// Compile renders the controller's two roots and the module copy.
// Diagnostics carry warnings even on success; on errors the module is nil.
func Compile(in Input) (*compiler.Module, diag.Diagnostics) {
	var ds diag.Diagnostics
	if !nameRe.MatchString(in.Name) || strings.Contains(in.Name, "-node-") {
		ds.Errorf("Invalid controller name", "%q must be 1-32 lowercase letters, digits or hyphens, start with a letter and not contain -node- (the name pattern the controller's IAM policy reserves for cluster node roles).", in.Name)
	}
	if _, ok := templates.Controller(in.Spec.Cloud); !ok {
		ds.Errorf("Controller cloud not supported", "A controller VM runs on a cloud with a templates/<cloud>/controller module (%s); the spec names %q.", strings.Join(config.ControllerClouds, ", "), in.Spec.Cloud)
	}
	if in.Spec.Region == "" || in.Spec.InstanceType == "" {
		ds.Errorf("Controller spec incomplete", "The spec needs a region and an instance type (controllervm.Resolve fills them from config and the catalog).")
	}
	if strings.TrimSpace(in.SSHPublicKey) == "" {
		ds.Errorf("No SSH public key", "The controller needs skyplan's SSH public key (skyhome.EnsureSSHKey) to authorize logins.")
	}
	ds = append(ds, checkCIDRs("ssh_cidrs", in.SSHCIDRs, true)...)
	ds = append(ds, checkCIDRs("serve.allowed_cidrs", in.ServeAllowedCIDRs, false)...)
	if len(in.ServeAllowedCIDRs) == 0 && openToAll(in.SSHCIDRs) {
		// The default would open every service to the Internet without
		// anyone having asked for it.
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Serve ports would be open to the whole Internet", Field: "serve.allowed_cidrs",
			Detail: "serve.allowed_cidrs is unset, so the services' ports would take ssh_cidrs, which contains a /0 range. Fix: set serve.allowed_cidrs explicitly (e.g. [0.0.0.0/0] for a public endpoint, or your clients' ranges)."})
	}
	ports := in.ServePorts
	if ports == nil {
		ports = DefaultServePorts
	}
	for _, p := range ports {
		if p.From < 1 || p.To > 65535 || p.From > p.To || (p.From <= 22 && 22 <= p.To) {
			ds.Errorf("Invalid serve port range", "%d-%d: service ports must lie within 1-65535 and never include 22 (SSH is governed by ssh_cidrs).", p.From, p.To)
		}
	}
	if ds.HasErrors() {
		return nil, ds
	}
	ami := in.AMI
	if ami == "" {
		ami = in.Spec.ImageID
	}
	if ami == "" {
		tag := "skypilot:custom-cpu-ubuntu"
		if in.Spec.Arch == "arm64" {
			tag += "-arm64"
		}
		id, ok := "", false
		if in.Images != nil {
			id, ok = in.Images.AWSImage(tag, in.Spec.Region)
		}
		if !ok {
			ds.Errorf("No controller image", "Image tag %s has no AMI in %s in the catalog; pass an AMI explicitly.", tag, in.Spec.Region)
			return nil, ds
		}
		ami = id
	}
	size := in.StateVolumeGB
	if size == 0 {
		size = DefaultVolumeGB
	}
	labels := map[string]string{}
	for k, v := range in.Labels {
		labels[k] = v
	}
	serveCIDRs := append([]string{}, in.ServeAllowedCIDRs...)
	if len(serveCIDRs) == 0 {
		serveCIDRs = append(serveCIDRs, in.SSHCIDRs...)
	}
	buckets := in.BucketARNs
	if len(buckets) == 0 {
		buckets = []string{"arn:aws:s3:::*"}
	}
	sshUser := in.SSHUser
	if sshUser == "" {
		sshUser = cloud.DefaultSSHUser(in.Spec.Cloud)
	}
	region := cloud.Var{Name: "region", Type: "string", Value: in.Spec.Region, ProviderOnly: true, Description: "Region of the controller."}
	mainVars := []cloud.Var{region,
		{Name: "name", Type: "string", Value: in.Name, Description: "Controller name, prefix of every resource name."},
		{Name: "instance_type", Type: "string", Value: in.Spec.InstanceType, Description: "Instance type of the controller."},
		{Name: "ami_id", Type: "string", Value: ami, Description: "Image of the controller in this region."},
		{Name: "ssh_user", Type: "string", Value: sshUser, Description: "Login user of the image."},
		{Name: "ssh_public_key", Type: "string", Value: strings.TrimSpace(in.SSHPublicKey), Description: "skyplan's SSH public key."},
		{Name: "ssh_cidrs", Type: "list(string)", Value: append([]string{}, in.SSHCIDRs...), Description: "Source ranges allowed to reach SSH."},
		{Name: "serve_ports", Type: "list(object({ from = number, to = number }))", Value: portsValue(ports), Description: "Service load-balancer ports."},
		{Name: "serve_allowed_cidrs", Type: "list(string)", Value: serveCIDRs, Description: "Source ranges allowed to reach the service ports."},
		{Name: "bucket_arns", Type: "list(string)", Value: buckets, Description: "S3 buckets the controller may manage."},
		{Name: "labels", Type: "map(string)", Value: labels, Description: "Extra tags."},
	}
	volVars := []cloud.Var{region,
		{Name: "name", Type: "string", Value: in.Name, Description: "Controller name (the volume's skyplan-controller tag)."},
		{Name: "zone", Type: "string", Value: in.Zone, Description: "Zone of the volume and the instance (empty: first available)."},
		{Name: "size_gb", Type: "number", Value: size, Description: "State volume size (GB)."},
		{Name: "labels", Type: "map(string)", Value: labels, Description: "Extra tags."},
	}
	g := gen{in: in}
	m := &compiler.Module{Files: map[string][]byte{}}
	var err error
	if m.Files[compiler.MainFile], err = g.root(fmt.Sprintf("Controller %q on aws/%s (%s). Apply %s/ first; values live in %s.", in.Name, in.Spec.Region, in.Spec.InstanceType, VolumeDir, compiler.VarsFile),
		"controller", "./"+moduleDir, mainVars, []output{
			{"nodes", "The controller as a one-node cluster: rank, instance_id, private_ip, public_ip, zone, ssh_user."},
			{"ssh_user", "Login user of the controller."},
			{"state_volume_id", "The attached state volume."},
			{"state_mount", "Mount point of the state volume (SKYPLAN_HOME = state_mount/home)."},
			{"serve_ports", "Port ranges open to serve_allowed_cidrs."},
			{"instance_profile", "Instance profile giving the controller its permissions."},
			{"node_permissions_boundary", "Permissions boundary every node role the controller creates must carry."},
		}); err != nil {
		return nil, ds.Append(err)
	}
	m.Files[compiler.VarsFile] = compiler.VarsJSON(mainVars)
	if m.Files[VolumeDir+"/"+compiler.MainFile], err = g.root(fmt.Sprintf("State volume of controller %q: a separate root and state, so replacing or destroying the controller keeps it.", in.Name),
		"volume", "../"+moduleDir+"/"+VolumeDir, volVars, []output{
			{"volume_id", "ID of the state volume."},
			{"zone", "Availability zone of the volume and the controller."},
		}); err != nil {
		return nil, ds.Append(err)
	}
	m.Files[VolumeDir+"/"+compiler.VarsFile] = compiler.VarsJSON(volVars)
	// skyplan's own runs keep the provider's fast retries (cloud.RunVars);
	// a plain terraform apply of these roots gets the provider's default.
	run := compiler.RunVarsJSON(awscloud.Cloud{})
	m.Files[compiler.RunVarsFile] = run
	m.Files[VolumeDir+"/"+compiler.RunVarsFile] = run
	sub, ok := templates.Controller(in.Spec.Cloud)
	if !ok {
		return nil, ds.Append(fmt.Errorf("internal: no embedded aws controller module"))
	}
	files, err := templates.FilesOf(sub, nil)
	if err != nil {
		return nil, ds.Append(err)
	}
	for rel, b := range files {
		m.Files[moduleDir+"/"+rel] = b
	}
	return m, ds
}

func checkCIDRs(field string, cidrs []string, required bool) diag.Diagnostics {
	var ds diag.Diagnostics
	if required && len(cidrs) == 0 {
		ds.Errorf("No SSH source address", "skyplan never opens the controller's SSH to the whole Internet by default. Set ssh_cidrs in ~/.skyplan/config.yaml or .skyplan.yaml (for example your public address as 203.0.113.7/32).")
	}
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid CIDR", Field: field,
				Detail: fmt.Sprintf("%s: %q is not a CIDR block such as 203.0.113.7/32.", field, c)})
			continue
		}
		if ones, _ := n.Mask.Size(); ones == 0 {
			ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Summary: "Controller open to the whole Internet", Field: field,
				Detail: fmt.Sprintf("%s contains %s, so the controller accepts connections from anywhere on those ports. Narrow it unless this is intended.", field, c)})
		}
	}
	return ds
}

// openToAll: some CIDR is a /0 (the whole Internet).
func openToAll(cidrs []string) bool {
	for _, c := range cidrs {
		if _, n, err := net.ParseCIDR(c); err == nil {
			if ones, _ := n.Mask.Size(); ones == 0 {
				return true
			}
		}
	}
	return false
}

func portsValue(ports []task.PortRange) []map[string]int {
	out := make([]map[string]int, 0, len(ports))
	for _, p := range ports {
		out = append(out, map[string]int{"from": p.From, "to": p.To})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["from"] < out[j]["from"] })
	return out
}

type output struct{ name, desc string }

type gen struct{ in Input }

// root renders one root: header, pinned provider, backendless terraform
// block, the AWS provider (the cloud's own ProviderBlocks), variables,
// the module call and outputs.
func (g gen) root(what, module, source string, vars []cloud.Var, outs []output) ([]byte, error) {
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	version, cmd := g.in.SkyplanVersion, g.in.Command
	if version == "" {
		version = "dev"
	}
	if cmd == "" {
		cmd = "skyplan controller up"
	}
	b.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment,
		Bytes: []byte(fmt.Sprintf("# Generated by skyplan %s — do not edit; regenerate with: %s\n# %s\n", version, cmd, what))}})
	b.AppendNewline()
	tb := b.AppendNewBlock("terraform", nil).Body()
	tb.SetAttributeValue("required_version", cty.StringVal(">= 1.5.0"))
	tb.AppendNewBlock("required_providers", nil).Body().SetAttributeValue("aws", cty.ObjectVal(map[string]cty.Value{
		"source": cty.StringVal("hashicorp/aws"), "version": cty.StringVal(awscloud.ProviderVersion)}))
	if err := (awscloud.Cloud{}).ProviderBlocks(b, cloud.ModuleRequest{ClusterName: g.in.Name, ClusterNameVar: "name", SkipAccountChecks: g.in.AWSSkipAccountChecks}); err != nil {
		return nil, err
	}
	for _, v := range vars {
		b.AppendNewline()
		vb := b.AppendNewBlock("variable", []string{v.Name}).Body()
		vb.SetAttributeValue("description", cty.StringVal(v.Description))
		t, err := cloud.RawExpr(v.Type)
		if err != nil {
			return nil, err
		}
		vb.SetAttributeRaw("type", t)
	}
	compiler.ModuleCall(b, module, source, vars)
	for _, o := range outs {
		compiler.Output(b, o.name, o.desc, module, o.name)
	}
	return compiler.FormatRoot(f)
}
