package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func loadUser(t *testing.T, yaml string) (Config, []string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ds := Load(t.TempDir())
	var out []string
	for _, d := range ds {
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
			if d.Subject.Filename != filepath.Join(home, "config.yaml") {
				t.Errorf("diagnostic names %q, want the user file", d.Subject.Filename)
			}
		}
		out = append(out, strings.Join([]string{d.Field, strconv.Itoa(line), d.Summary, d.Detail}, "|"))
	}
	return cfg, out
}

func TestControllerDefaultIsLocal(t *testing.T) {
	for _, y := range []string{"", "jobs:\n  poll_seconds: 2\n", "jobs:\n  controller: local\n", "jobs:\n  controller:\n"} {
		cfg, ds := loadUser(t, y)
		if len(ds) > 0 {
			t.Fatalf("%q: %v", y, ds)
		}
		c, cds := cfg.Controller()
		if c.Remote || len(cds) > 0 {
			t.Errorf("%q: want local, got %+v %v", y, c, cds)
		}
	}
}

func TestControllerRemoteForms(t *testing.T) {
	cfg, ds := loadUser(t, "serve:\n  allowed_cidrs: [198.51.100.0/24]\n  controller:\n    infra: aws/eu-west-1\n    instance_type: t3.small\n    idle_minutes: 30\n")
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	c, cds := cfg.Controller()
	if len(cds) > 0 || !c.Remote || c.Cloud != "aws" || c.Region != "eu-west-1" || c.InstanceType != "t3.small" || c.IdleMinutes != 30 || c.Field != "serve.controller" || c.Line != 4 {
		t.Errorf("got %+v %v", c, cds)
	}
	if len(cfg.Serve.AllowedCIDRs) != 1 {
		t.Errorf("allowed_cidrs: %v", cfg.Serve.AllowedCIDRs)
	}
	cfg, ds = loadUser(t, "jobs:\n  controller: {infra: AWS}\n")
	c, _ = cfg.Controller()
	if len(ds) > 0 || !c.Remote || c.Cloud != "aws" || c.Region != "" || c.InstanceType != "" {
		t.Errorf("infra: aws: %+v %v", c, ds)
	}
}

// The project file's controller replaces the user file's; a project file
// without one keeps it.
func TestControllerMergesByFile(t *testing.T) {
	home, proj := t.TempDir(), t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	os.WriteFile(filepath.Join(home, "config.yaml"), []byte("jobs:\n  controller: {infra: aws/us-west-2}\n"), 0o644)
	os.WriteFile(filepath.Join(proj, ProjectFile), []byte("jobs:\n  poll_seconds: 3\n"), 0o644)
	cfg, ds := Load(proj)
	if c, _ := cfg.Controller(); len(ds) > 0 || c.Region != "us-west-2" || c.File != filepath.Join(home, "config.yaml") {
		t.Errorf("user controller lost: %+v %v", c, ds)
	}
	os.WriteFile(filepath.Join(proj, ProjectFile), []byte("jobs:\n  controller: local\n"), 0o644)
	cfg, ds = Load(proj)
	if c, _ := cfg.Controller(); len(ds) > 0 || c.Remote {
		t.Errorf("project local should win: %+v %v", c, ds)
	}
}

func TestControllerBadValuesAreLocated(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"jobs:\n  controller: remote\n", `jobs.controller|2|Invalid controller setting|jobs.controller is "remote"`},
		{"jobs:\n  controller: [aws]\n", "jobs.controller|2|Invalid controller setting"},
		{"jobs:\n  controller:\n    infra: gcp/us-central1\n", "jobs.controller.infra|3|Controller cloud not supported"},
		{"jobs:\n  controller:\n    infra: aws/us-east-1a\n", "jobs.controller.infra|3|Invalid controller region"},
		{"serve:\n  controller:\n    infra: aws\n    instance_type: large\n", "serve.controller.instance_type|4|Invalid controller instance type"},
		{"jobs:\n  controller:\n    infra: aws\n    idle_minutes: -5\n", "jobs.controller.idle_minutes|4|Invalid controller idle_minutes"},
		{"jobs:\n  controller:\n    infra: aws\n    image_id: ubuntu-22.04\n", "jobs.controller.image_id|4|Invalid controller image_id"},
		{"jobs:\n  controller:\n    infra: aws\n    idle_minute: 5\n", `jobs.controller.idle_minute|4|Unknown controller key|jobs.controller has no key "idle_minute"; the keys are infra, instance_type, idle_minutes, image_id. Did you mean "idle_minutes"?`},
		{"jobs:\n  controller:\n    instance_type: c6i.large\n", "jobs.controller.infra|3|Controller infra missing"},
	}
	for _, c := range cases {
		cfg, ds := loadUser(t, c.yaml)
		if len(ds) != 1 || !strings.HasPrefix(ds[0], c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, ds, c.want)
		}
		if cc, _ := cfg.Controller(); cc.Remote {
			t.Errorf("%q: a bad setting must not select a remote controller", c.yaml)
		}
	}
}

func TestControllerJobsAndServeMustAgree(t *testing.T) {
	cfg, ds := loadUser(t, "jobs:\n  controller: {infra: aws}\nserve:\n  controller: {infra: aws, instance_type: t3.small}\n")
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if _, cds := cfg.Controller(); len(cds) != 1 || cds[0].Field != "serve.controller" || cds[0].Subject.Start.Line != 4 {
		t.Errorf("want one located conflict, got %v", cds)
	}
	cfg, _ = loadUser(t, "jobs:\n  controller: {infra: aws}\nserve:\n  controller: {infra: aws}\n")
	if c, cds := cfg.Controller(); len(cds) > 0 || !c.Remote {
		t.Errorf("equal settings: %+v %v", c, cds)
	}
}
