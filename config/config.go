// Package config reads skyplan's layered configuration: the user file
// $SKYPLAN_HOME/config.yaml, then the project file .skyplan.yaml in the
// working directory (project values override user values key by key).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"go.yaml.in/yaml/v3"
)

// Config is the merged configuration.
type Config struct {
	AWS   Cloud `yaml:"aws"`
	GCP   Cloud `yaml:"gcp"`
	Azure Cloud `yaml:"azure"`
	SSH   Cloud `yaml:"ssh"` // ssh node pools: ssh_proxy_command etc.
	// SSHCIDRs are the source ranges allowed to reach port 22 on cloud nodes.
	SSHCIDRs []string `yaml:"ssh_cidrs"`
	// SSHDetectURL is the HTTPS what-is-my-IP service asked for the
	// caller's public address when no SSH source range is given ("" =
	// the default, "off" = never ask); env SKYPLAN_SSH_DETECT_URL wins.
	SSHDetectURL string `yaml:"ssh_detect_url"`
	// PortsCIDRs are the source ranges allowed to reach the task's
	// resources.ports (default: 0.0.0.0/0, with a warning naming them).
	PortsCIDRs []string `yaml:"ports_cidrs"`
	// Backend makes each cluster's Terraform state remote (team/CI use).
	Backend *Backend `yaml:"backend"`
	// Jobs tunes the managed-jobs controller.
	Jobs Jobs `yaml:"jobs"`
	// Serve configures the service controller and its endpoint's exposure.
	Serve Serve `yaml:"serve"`
	// Files lists the files that were read, lowest precedence first.
	Files []string `yaml:"-"`
}

// Jobs are the managed-jobs controller's intervals (0 = default).
type Jobs struct {
	// PollSeconds between polls of each job's head (default 15; 1 in tests).
	PollSeconds int `yaml:"poll_seconds"`
	// UnreachableSeconds a head may stay silent while the cloud reports
	// its instances running before the attempt is given up (default 300).
	UnreachableSeconds int `yaml:"unreachable_seconds"`
	// RetryGapSeconds is the first wait between launch retries during a
	// recovery (default 60, growing ×1.6 up to 5×).
	RetryGapSeconds int `yaml:"retry_gap_seconds"`
	// Controller: local (default) or a VM ({infra: aws/REGION, ...}).
	Controller ControllerConfig `yaml:"controller"`
}

// Serve holds the service settings that are not per service.
type Serve struct {
	// Controller: local (default) or a VM; the same daemon as jobs.controller.
	Controller ControllerConfig `yaml:"controller"`
	// AllowedCIDRs may reach a remote controller's serve endpoints
	// (default: ssh_cidrs; never 0.0.0.0/0 silently).
	AllowedCIDRs []string `yaml:"allowed_cidrs"`
	// FallbackHoldSeconds: how long fallback on-demand replicas stay after
	// the last spot replica was lost (default 2700 = 45 min, skyplan's
	// policy in serve/sim; 0 = drain them as soon as spot is ready, as
	// SkyServe does).
	FallbackHoldSeconds Seconds `yaml:"fallback_hold_seconds"`
	// QueueTimeoutSeconds: how long a request waits at the load balancer
	// while no replica is ready (default 120) before a 503.
	QueueTimeoutSeconds Seconds `yaml:"queue_timeout_seconds"`
	// StreamTimeoutSeconds bounds one proxied request, stream included
	// (default none; a service's load_balancer.stream_timeout_seconds wins).
	StreamTimeoutSeconds Seconds `yaml:"stream_timeout_seconds"`
	// ReplicaProxy: reach replicas' ports through this proxy.
	ReplicaProxy ProxyURL `yaml:"replica_proxy"`
	// Ports are a controller VM's load-balancer ports ("30001-30100"
	// form; default 30001-30100): its module's serve_ports, opened to
	// AllowedCIDRs, and the only ports its balancers take.
	Ports []string `yaml:"ports"`
	// ListenHost and EndpointHost are written by `controller up` into
	// the VM's own config: its balancers listen on ListenHost (0.0.0.0)
	// and report EndpointHost (the VM's public address) as the endpoint.
	ListenHost   string `yaml:"listen_host"`
	EndpointHost string `yaml:"endpoint_host"`
}

// Cloud holds per-cloud settings (SkyPilot's aws./gcp./azure. keys).
type Cloud struct {
	VPCName         string `yaml:"vpc_name"`
	SubnetName      string `yaml:"subnet_name"`
	SSHProxyCommand string `yaml:"ssh_proxy_command"`
	SSHUser         string `yaml:"ssh_user"`
	ProjectID       string `yaml:"project_id"`
	SubscriptionID  string `yaml:"subscription_id"`
	UsePrivateIP    bool   `yaml:"use_internal_ips"`
	// DisablePlacementGroup drops the cluster placement group of
	// multi-node clusters (instance types or emulators without the API).
	DisablePlacementGroup bool `yaml:"disable_placement_group"`
	// NodePermissionsBoundary (aws only): ARN of a managed policy every
	// node role gets as its permissions boundary.
	NodePermissionsBoundary string `yaml:"node_permissions_boundary"`
}

// Backend configures remote Terraform state.
type Backend struct {
	Type   string            `yaml:"type"` // s3 | gcs | azurerm | local
	Config map[string]string `yaml:"config"`
}

// ProxyCommand returns the ssh_proxy_command configured for cloud ("" if none).
func (c Config) ProxyCommand(cloud string) string { return c.Cloud(cloud).SSHProxyCommand }

// Cloud returns the settings of one cloud by name: the Cloud section whose
// YAML key is the name (aws:, gcp:, azure:, ssh:), found by its tag so no
// list of clouds is kept here; unknown names get the zero settings.
func (c Config) Cloud(name string) Cloud {
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type != cloudSection {
			continue
		}
		if key, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); strings.EqualFold(key, name) {
			return v.Field(i).Interface().(Cloud)
		}
	}
	return Cloud{}
}

var cloudSection = reflect.TypeOf(Cloud{})

// UserFile is the user-level config path.
func UserFile() string { return skyhome.Path("config.yaml") }

// ProjectFile is the project config name looked up in the working directory.
const ProjectFile = ".skyplan.yaml"

// Load reads the user file and projectDir/.skyplan.yaml (both optional).
func Load(projectDir string) (Config, diag.Diagnostics) {
	var cfg Config
	var diags diag.Diagnostics
	for _, path := range []string{UserFile(), filepath.Join(projectDir, ProjectFile)} {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			diags = diags.Append(diag.Diagnostic{Severity: diag.Error, Summary: "Cannot read config file",
				Detail: err.Error(), Subject: &diag.Range{Filename: path}})
			continue
		}
		if ds := merge(&cfg, path, data); len(ds) > 0 {
			diags = append(diags, ds...)
			continue
		}
		cfg.Files = append(cfg.Files, path)
	}
	return cfg, diags
}

// merge decodes data strictly over cfg: unknown keys are errors, and keys
// present in data replace those already set.
func merge(cfg *Config, path string, data []byte) diag.Diagnostics {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		d := diag.Diagnostic{Severity: diag.Error, Summary: "Invalid config file",
			Detail:  fmt.Sprintf("%v. Check the key names and value types (see docs/config.md).", err),
			Subject: &diag.Range{Filename: path}}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			d.Detail = te.Errors[0] + ". Check the key names and value types (see docs/config.md)."
			if line := lineOf(te.Errors[0]); line > 0 {
				d.Subject.Start = diag.Pos{Line: line, Column: 1}
				d.Subject.End = d.Subject.Start
			}
		}
		return diag.Diagnostics{d}
	}
	var ds diag.Diagnostics
	for _, f := range []struct {
		field string
		cc    *ControllerConfig
	}{{"jobs.controller", &cfg.Jobs.Controller}, {"serve.controller", &cfg.Serve.Controller}} {
		if f.cc.node != nil { // set by this file
			ds = append(ds, f.cc.parse(path, f.field)...)
		}
	}
	return append(ds, cfg.Serve.parse(path)...)
}

// lineOf extracts N from yaml.v3's "line N: ..." messages.
func lineOf(msg string) int {
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err == nil {
		return n
	}
	return 0
}
