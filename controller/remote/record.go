package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/skyhome"
	"go.yaml.in/yaml/v3"
)

// Record is what the client knows of its controller VM, kept in
// $SKYPLAN_HOME/controllers/<name>/record.json next to the compiled
// Terraform roots. Written before each phase of `controller up` acts
// (Phase), so an interrupted up is seen and resumed, never forgotten.
type Record struct {
	Name         string  `json:"name"`
	Cloud        string  `json:"cloud"`
	Region       string  `json:"region"`
	Zone         string  `json:"zone,omitempty"`
	InstanceType string  `json:"instance_type"`
	HourlyPrice  float64 `json:"hourly_price"`
	IdleMinutes  int     `json:"idle_minutes"`
	// Phase: "applying" (Terraform running), "installing" (binary and
	// daemon), "up", "destroying".
	Phase      string    `json:"phase"`
	InstanceID string    `json:"instance_id,omitempty"`
	PublicIP   string    `json:"public_ip,omitempty"`
	PrivateIP  string    `json:"private_ip,omitempty"`
	SSHUser    string    `json:"ssh_user,omitempty"`
	Home       string    `json:"home,omitempty"` // the daemon's SKYPLAN_HOME default
	SHA        string    `json:"binary_sha,omitempty"`
	Supervisor string    `json:"supervisor,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// DefaultName is this client's controller name: skyplan-ctl- and a hash
// of user, host and SKYPLAN_HOME (SkyPilot's per-user controller), so two
// users of one account never share a controller by accident.
func DefaultName() string {
	u := "unknown"
	if cu, err := user.Current(); err == nil {
		u = cu.Username
	}
	host, _ := os.Hostname()
	h := sha256.Sum256([]byte(u + "@" + host + ":" + skyhome.Dir()))
	return "skyplan-ctl-" + hex.EncodeToString(h[:])[:8]
}

// RecordDir is the directory of controller name's roots and record.
func RecordDir(home, name string) string { return filepath.Join(home, "controllers", name) }

func recordPath(home, name string) string { return filepath.Join(RecordDir(home, name), "record.json") }

// LoadRecord reads the record; (nil, nil) when there is none.
func LoadRecord(home, name string) (*Record, error) {
	b, err := os.ReadFile(recordPath(home, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Save writes the record atomically.
func (r *Record) Save(home string) error {
	r.UpdatedAt = time.Now().UTC()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(RecordDir(home, r.Name), 0o700); err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(recordPath(home, r.Name), append(b, '\n'), 0o600)
}

// Remove deletes the record (after a complete down).
func RemoveRecord(home, name string) error {
	err := os.Remove(recordPath(home, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// remoteConfig is the part of the client's configuration the daemon
// needs. The controller settings are left out (the daemon is local to its
// VM, so it never forwards again); ssh_cidrs gains the VM's own address
// so the clusters it launches accept its SSH.
type remoteConfig struct {
	AWS          config.Cloud    `yaml:"aws"`
	GCP          config.Cloud    `yaml:"gcp"`
	Azure        config.Cloud    `yaml:"azure"`
	SSHCIDRs     []string        `yaml:"ssh_cidrs,omitempty"`
	SSHDetectURL string          `yaml:"ssh_detect_url,omitempty"`
	PortsCIDRs   []string        `yaml:"ports_cidrs,omitempty"`
	Backend      *config.Backend `yaml:"backend,omitempty"`
	Jobs         struct {
		PollSeconds        int `yaml:"poll_seconds,omitempty"`
		UnreachableSeconds int `yaml:"unreachable_seconds,omitempty"`
		RetryGapSeconds    int `yaml:"retry_gap_seconds,omitempty"`
	} `yaml:"jobs"`
	Serve remoteServe `yaml:"serve"`
}

// remoteServe is the serve section the VM's daemon runs services with:
// the client's settings, and where its load balancers listen and what
// endpoint they report (ListenHost, the VM's public address).
type remoteServe struct {
	AllowedCIDRs         []string `yaml:"allowed_cidrs,omitempty"`
	Ports                []string `yaml:"ports"`
	ListenHost           string   `yaml:"listen_host"`
	EndpointHost         string   `yaml:"endpoint_host,omitempty"`
	ReplicaProxy         string   `yaml:"replica_proxy,omitempty"`
	FallbackHoldSeconds  *float64 `yaml:"fallback_hold_seconds,omitempty"`
	QueueTimeoutSeconds  *float64 `yaml:"queue_timeout_seconds,omitempty"`
	StreamTimeoutSeconds *float64 `yaml:"stream_timeout_seconds,omitempty"`
}

// ListenHost is where a controller VM's load balancers listen: every
// interface, reachable only as its security group allows (serve_ports
// from serve.allowed_cidrs).
const ListenHost = "0.0.0.0"

func secondsPtr(s config.Seconds) *float64 {
	if !s.Set {
		return nil
	}
	v := s.Value
	return &v
}

// RemoteConfig renders the daemon's config.yaml from the client's config;
// publicIP (the VM's address) joins ssh_cidrs as a /32 and is the host of
// its services' endpoints (privateIP when it has no public address).
func RemoteConfig(cfg config.Config, publicIP, privateIP string) ([]byte, error) {
	var rc remoteConfig
	rc.AWS, rc.GCP, rc.Azure = cfg.AWS, cfg.GCP, cfg.Azure
	rc.SSHCIDRs = append([]string{}, cfg.SSHCIDRs...)
	if publicIP != "" {
		rc.SSHCIDRs = append(rc.SSHCIDRs, publicIP+"/32")
	}
	rc.SSHDetectURL = cfg.SSHDetectURL
	rc.PortsCIDRs = cfg.PortsCIDRs
	rc.Backend = cfg.Backend
	rc.Jobs.PollSeconds, rc.Jobs.UnreachableSeconds, rc.Jobs.RetryGapSeconds = cfg.Jobs.PollSeconds, cfg.Jobs.UnreachableSeconds, cfg.Jobs.RetryGapSeconds
	ports, err := cfg.Serve.PortRanges()
	if err != nil {
		return nil, err
	}
	endpoint := publicIP
	if endpoint == "" {
		endpoint = privateIP
	}
	sv := remoteServe{AllowedCIDRs: cfg.Serve.AllowedCIDRs, ListenHost: ListenHost, EndpointHost: endpoint,
		ReplicaProxy: cfg.Serve.ReplicaProxy.URL, FallbackHoldSeconds: secondsPtr(cfg.Serve.FallbackHoldSeconds),
		QueueTimeoutSeconds: secondsPtr(cfg.Serve.QueueTimeoutSeconds), StreamTimeoutSeconds: secondsPtr(cfg.Serve.StreamTimeoutSeconds)}
	for _, p := range ports {
		sv.Ports = append(sv.Ports, p.String())
	}
	rc.Serve = sv
	b, err := yaml.Marshal(rc)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Written by skyplan controller up from the client's configuration.\n"), b...), nil
}
