package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMergesUserAndProject(t *testing.T) {
	home := t.TempDir()
	proj := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	os.WriteFile(filepath.Join(home, "config.yaml"), []byte("aws:\n  vpc_name: user-vpc\n  ssh_proxy_command: ssh -W %h:%p jump\nssh_cidrs: [10.0.0.0/8]\n"), 0o644)
	os.WriteFile(filepath.Join(proj, ProjectFile), []byte("aws:\n  vpc_name: proj-vpc\nbackend:\n  type: s3\n  config: {bucket: b, key: k}\n"), 0o644)
	cfg, ds := Load(proj)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if cfg.AWS.VPCName != "proj-vpc" {
		t.Errorf("project file should win: vpc_name = %q", cfg.AWS.VPCName)
	}
	if cfg.ProxyCommand("aws") != "ssh -W %h:%p jump" {
		t.Errorf("user value lost: %q", cfg.ProxyCommand("aws"))
	}
	if len(cfg.SSHCIDRs) != 1 || cfg.Backend == nil || cfg.Backend.Config["bucket"] != "b" {
		t.Errorf("unexpected merge: %+v backend=%+v", cfg, cfg.Backend)
	}
	if len(cfg.Files) != 2 {
		t.Errorf("files = %v", cfg.Files)
	}
}

func TestLoadRejectsUnknownKeyWithLine(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	os.WriteFile(filepath.Join(home, "config.yaml"), []byte("aws:\n  vpc_nmae: x\n"), 0o644)
	_, ds := Load(t.TempDir())
	if !ds.HasErrors() {
		t.Fatal("want error for unknown key")
	}
	d := ds[0]
	if d.Subject == nil || d.Subject.Start.Line != 2 || !strings.Contains(d.Detail, "vpc_nmae") {
		t.Errorf("diagnostic should name line 2 and the key: %+v %v", d, d.Subject)
	}
}
