// Package e2e is skyplan's acceptance test: the whole loop with real
// components on loopback — moto_server (EC2, S3) behind the fault-injecting
// proxy, terraform with the AWS provider, and real sshd "nodes" reached
// through aws.ssh_proxy_command. The test binary re-executes itself as
// `skyplan` (SKYPLAN_E2E_AS_CLI=1) and as the proxy helper
// (SKYPLAN_E2E_AS_PROXY=1, see proxy_test.go).
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cli"
	"github.com/skyplan/skyplan/provision/provisiontest"
	"github.com/skyplan/skyplan/runner/sshdtest"
	"golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) {
	switch {
	// The proxy helper runs under skyplan, so it inherits AS_CLI too.
	case os.Getenv("SKYPLAN_E2E_AS_PROXY") == "1":
		os.Exit(proxyMain(os.Args[1:]))
	case os.Getenv(provisiontest.CLIEnvVar) == "1":
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

type env struct {
	t     testing.TB
	home  string // SKYPLAN_HOME (also HOME of the skyplan process)
	work  string // the user's project directory
	moto  *provisiontest.Moto
	proxy *provisiontest.FaultProxy
	sshd  *sshdtest.Cluster
	vars  []string
	// tfLog collects one line per terraform run: "<op> <nanoseconds>".
	tfLog string
}

// newEnv starts moto, the fault proxy and nodes sshd nodes, and writes the
// user's skyplan config: AWS nodes are reached through the proxy helper
// as the sshd user, with skyplan's key authorised on every node.
func newEnv(t testing.TB, nodes int) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("acceptance test (terraform + moto + sshd) skipped in -short mode")
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatalf("terraform not on PATH: %v", err)
	}
	e := &env{t: t, home: t.TempDir(), work: t.TempDir()}
	e.moto = provisiontest.StartMoto(t)
	e.proxy = provisiontest.NewFaultProxy(t, e.moto.URL)
	e.sshd = sshdtest.Start(t, nodes)

	// skyplan's own key is the one sshdtest authorised.
	key, err := os.ReadFile(e.sshd.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(e.home, "ssh", "skyplan-key"), string(key), 0o600)
	mustWrite(t, filepath.Join(e.home, "ssh", "skyplan-key.pub"), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))+" skyplan\n", 0o644)

	exe, _ := os.Executable()
	mustWrite(t, filepath.Join(e.home, "config.yaml"), fmt.Sprintf(`ssh_cidrs: ["203.0.113.7/32"]
aws:
  ssh_user: %s
  disable_placement_group: true # moto has no CreatePlacementGroup
  ssh_proxy_command: "SKYPLAN_E2E_AS_PROXY=1 %s %%h %%p"
`, e.sshd.User, exe), 0o644)

	// The nodes' aws CLI talks to moto directly (no faults) with dummy keys.
	writeNodeRC(t, e, "export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")

	var eps []string
	for _, n := range e.sshd.Nodes {
		eps = append(eps, fmt.Sprintf("%s:%d", n.IP, n.Port))
	}
	e.tfLog = filepath.Join(e.home, "terraform-times.log")
	e.vars = []string{"SKYPLAN_HOME=" + e.home, "TF_PLUGIN_CACHE_DIR=" + provisiontest.SharedPluginCache(),
		"TF_CLI_CONFIG_FILE=" + filepath.Join(e.home, "missing.tfrc"), "HOME=" + e.home,
		"SKYPLAN_TERRAFORM=" + timedTerraform(t, e.home, e.tfLog),
		"SKYPLAN_E2E_MOTO=" + e.moto.URL, "SKYPLAN_E2E_SSHD=" + strings.Join(eps, ","),
		"SKYPLAN_E2E_PROXY_LOG=" + filepath.Join(e.home, "proxy.log")}
	for k, v := range provisiontest.Env(e.proxy.URL) {
		e.vars = append(e.vars, k+"="+v)
	}
	return e
}

// writeNodeRC gives every node's shell the aws CLI on PATH, moto as its
// endpoint and the credential lines creds.
func writeNodeRC(t testing.TB, e *env, creds string) {
	t.Helper()
	awsDir := filepath.Dir(mustLookPath(t, "aws"))
	for _, n := range e.sshd.Nodes {
		mustWrite(t, filepath.Join(n.Home, ".bashrc"), fmt.Sprintf("export PATH=%s:$PATH\nexport AWS_ENDPOINT_URL=%s AWS_DEFAULT_REGION=us-east-1\n%s\n", awsDir, e.moto.URL, creds), 0o644)
	}
}

// timedTerraform writes a wrapper around the real terraform that appends
// each run's duration to logPath, so the benchmark can subtract
// Terraform's time from skyplan's without instrumenting skyplan.
func timedTerraform(t testing.TB, dir, logPath string) string {
	real := mustLookPath(t, "terraform")
	p := filepath.Join(dir, "bin", "terraform-timed")
	mustWrite(t, p, fmt.Sprintf(`#!/bin/sh
s=$(date +%%s%%N)
%s "$@"
rc=$?
echo "$1 $(( $(date +%%s%%N) - s ))" >> %s
exit $rc
`, real, logPath), 0o755)
	return p
}

type result struct {
	code           int
	stdout, stderr string
}

func (e *env) run(args ...string) result {
	e.t.Helper()
	r := provisiontest.RunCLI(e.t, 5*time.Minute, e.work, e.vars, args...)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

// live counts pending/running instances per region in moto.
func (e *env) live() map[string]int {
	out := map[string]int{}
	for _, r := range awsRegions {
		if n := e.moto.Live(e.t, r); n > 0 {
			out[r] = n
		}
	}
	return out
}

func mustWrite(t testing.TB, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

func mustLookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not on PATH: %v", name, err)
	}
	return p
}
