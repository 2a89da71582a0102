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
	Serve struct {
		AllowedCIDRs []string `yaml:"allowed_cidrs,omitempty"`
	} `yaml:"serve"`
}

// RemoteConfig renders the daemon's config.yaml from the client's config;
// selfCIDR (the VM's address as a /32) is added to ssh_cidrs.
func RemoteConfig(cfg config.Config, selfCIDR string) ([]byte, error) {
	var rc remoteConfig
	rc.AWS, rc.GCP, rc.Azure = cfg.AWS, cfg.GCP, cfg.Azure
	rc.SSHCIDRs = append([]string{}, cfg.SSHCIDRs...)
	if selfCIDR != "" {
		rc.SSHCIDRs = append(rc.SSHCIDRs, selfCIDR)
	}
	rc.SSHDetectURL = cfg.SSHDetectURL
	rc.PortsCIDRs = cfg.PortsCIDRs
	rc.Backend = cfg.Backend
	rc.Jobs.PollSeconds, rc.Jobs.UnreachableSeconds, rc.Jobs.RetryGapSeconds = cfg.Jobs.PollSeconds, cfg.Jobs.UnreachableSeconds, cfg.Jobs.RetryGapSeconds
	rc.Serve.AllowedCIDRs = cfg.Serve.AllowedCIDRs
	b, err := yaml.Marshal(rc)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Written by skyplan controller up from the client's configuration.\n"), b...), nil
}
