// Package e2ecli runs the skyplan command end to end against moto: the test
// binary re-executes itself as `skyplan` so concurrent commands are real,
// separate processes (the cluster lock is per process).
package e2ecli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cli"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

func TestMain(m *testing.M) {
	if os.Getenv(provisiontest.CLIEnvVar) == "1" {
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

type env struct {
	t     testing.TB
	home  string
	work  string
	moto  *provisiontest.Moto
	proxy *provisiontest.FaultProxy
	vars  []string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test (terraform + moto) skipped in -short mode")
	}
	e := &env{t: t, home: t.TempDir(), work: t.TempDir()}
	e.moto = provisiontest.StartMoto(t)
	e.proxy = provisiontest.NewFaultProxy(t, e.moto.URL)
	os.WriteFile(filepath.Join(e.home, "config.yaml"), []byte("ssh_cidrs: [\"203.0.113.7/32\"]\n"), 0o644)
	e.vars = []string{"SKYPLAN_HOME=" + e.home, "TF_PLUGIN_CACHE_DIR=" + provisiontest.SharedPluginCache(),
		"TF_CLI_CONFIG_FILE=" + filepath.Join(e.home, "missing.tfrc"), "HOME=" + e.home}
	for k, v := range provisiontest.Env(e.proxy.URL) {
		e.vars = append(e.vars, k+"="+v)
	}
	os.WriteFile(filepath.Join(e.work, "task.yaml"), []byte("name: demo\nresources:\n  infra: aws\n  instance_type: m6i.large\n  image_id: ami-12c6146b\nrun: echo hi\n"), 0o644)
	return e
}

type result struct {
	code           int
	stdout, stderr string
}

// start runs skyplan args in the work dir (stdin not a terminal).
func (e *env) start(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	return provisiontest.StartCLI(e.t, ctx, e.work, e.vars, args...)
}

func (e *env) run(args ...string) result {
	e.t.Helper()
	r := provisiontest.RunCLI(e.t, 15*time.Minute, e.work, e.vars, args...)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

var regions = []string{"us-east-1", "us-east-2", "us-west-2", "ap-south-1", "ca-central-1", "eu-west-1"}

func (e *env) live() map[string]int {
	out := map[string]int{}
	for _, r := range regions {
		if n := e.moto.Live(e.t, r); n > 0 {
			out[r] = n
		}
	}
	return out
}
