package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// plan --dryrun and compile stay offline: with no SSH source configured
// and a detection service that would answer, neither asks it (plan
// --dryrun compiles nothing; compile's module is applied elsewhere, so it
// needs --ssh-cidr or ssh_cidrs). That plan and apply do ask it is
// cluster's TestSSHSources and TestManagerTerraformLaunch….
func TestSSHDetectionNotForDryrunOrCompile(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("203.0.113.7\n"))
	}))
	defer srv.Close()
	home := t.TempDir()
	p := filepath.Join(home, "task.yaml")
	if err := os.WriteFile(p, []byte("name: t\nresources: {infra: aws, cpus: 2}\nrun: echo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SKYPLAN_HOME": home, "HOME": home, "SKYPLAN_SSH_DETECT_URL": srv.URL}
	t.Setenv("SKYPLAN_HOME", home)
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		io := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Environ: func(k string) string { return env[k] }, HTTPClient: srv.Client()}
		return Run(io, append([]string{"skyplan"}, args...)), errb.String()
	}
	if code, errOut := run("plan", "--dryrun", p); code != 0 || hits.Load() != 0 {
		t.Errorf("plan --dryrun: code %d, %d detection request(s)\n%s", code, hits.Load(), errOut)
	}
	if code, errOut := run("compile", p, "--out-dir", filepath.Join(home, "out")); code == 0 || hits.Load() != 0 || !strings.Contains(errOut, "--ssh-cidr") {
		t.Errorf("compile: code %d, %d detection request(s)\n%s", code, hits.Load(), errOut)
	}
}
