package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/serve/service"
	"github.com/skyplan/skyplan/state"
)

const forwardServeYAML = `name: web
resources:
  infra: aws/us-east-1
  cpus: 2
envs:
  VERSION: 1
service:
  readiness_probe: /
  replicas: 1
  ports: 8080
run: python3 -m http.server 8080
`

// daemonServes plays the VM's daemon for services: it gives each new
// service the endpoint its balancer would report, and removes a service
// whose down was requested.
func (v *fakeVM) daemonServes(stop <-chan struct{}, endpoint string) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		st, err := state.Open(filepath.Join(v.skyHome, "state.db"))
		if err != nil {
			continue // not created yet
		}
		svcs, _ := st.ListServices()
		for _, s := range svcs {
			if s.DownRequested {
				if err := st.DeleteService(s.Name); err != nil {
					v.t.Logf("fake daemon: %v", err)
				}
			} else if s.Endpoint == "" {
				st.UpdateService(s.Name, func(s *state.Service) error { s.Endpoint = endpoint; return nil })
			}
		}
		st.Close()
	}
}

// serve up, update, status and down against a controller VM: the service
// is recorded in the VM's state.db (not here) from JSON on the SSH
// channel's stdin, with the client's env file and --env resolved here and
// the --secret values never on a remote command line; the endpoint printed
// is the one the VM's balancer reports.
func TestForwardedServeUpUpdateDown(t *testing.T) {
	v := newFakeVM(t)
	dir := t.TempDir()
	t.Chdir(dir)
	for p, body := range map[string]string{
		"service.yaml":  forwardServeYAML,
		"service2.yaml": strings.Replace(forwardServeYAML, "VERSION: 1", "VERSION: 2", 1),
		"vars.env":      "FROM_FILE=file-value-31\nexport BOTH=from-file\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); v.daemonServes(stop, "http://198.51.100.7:30001") }()
	defer func() { close(stop); <-done }()

	code, out, errOut := runSky(t, "serve", "up", "service.yaml", "-n", "web", "-y", "--wait", "30s",
		"--env-file", "vars.env", "--env", "BOTH=from-flag", "--secret", "TOKEN=svc-secret-5150")
	if code != 0 || !strings.Contains(out, "Service web endpoint: http://198.51.100.7:30001") {
		t.Fatalf("serve up: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("SKYPLAN_HOME"), "state.db")); err == nil {
		if st, err := state.Open(filepath.Join(os.Getenv("SKYPLAN_HOME"), "state.db")); err == nil {
			svcs, _ := st.ListServices()
			st.Close()
			if len(svcs) != 0 {
				t.Errorf("the service was recorded on the client too: %+v", svcs)
			}
		}
	}
	st, err := state.Open(filepath.Join(v.skyHome, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := st.GetServiceVersion("web", 1)
	st.Close()
	if err != nil {
		t.Fatalf("version 1 on the VM: %v", err)
	}
	if strings.Join(ver.Envs, " ") != "FROM_FILE=file-value-31 BOTH=from-file BOTH=from-flag" || len(ver.EnvFiles) != 0 {
		t.Errorf("version on the VM: envs %q env files %q (the env file is read on the client, the flag last)", ver.Envs, ver.EnvFiles)
	}
	if ver.TaskYAML != forwardServeYAML {
		t.Errorf("task YAML on the VM: %q", ver.TaskYAML)
	}
	for _, cmd := range v.cmds {
		if strings.Contains(cmd, "svc-secret-5150") {
			t.Errorf("the remote command line carries the secret: %s", cmd)
		}
	}
	if hits := filesContaining(t, v.home, "svc-secret-5150"); len(hits) != 1 || !strings.HasSuffix(hits[0], "secrets-v1.env") {
		t.Errorf("the secret is in %v on the VM, want only the version's secrets file", hits)
	}

	code, out, errOut = runSky(t, "serve", "update", "web", "service2.yaml", "--mode", "blue_green", "-y")
	if code != 0 || !strings.Contains(out, "Service web is updating to version 2 (blue_green).") {
		t.Fatalf("serve update: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runSky(t, "serve", "update", "nosuch", "service2.yaml", "-y")
	if code == 0 || !strings.Contains(errOut, `No service named "nosuch"`) {
		t.Fatalf("serve update of an unknown service: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runSky(t, "serve", "status")
	if code != 0 || !strings.Contains(out, "web") || !strings.Contains(out, "http://198.51.100.7:30001") {
		t.Fatalf("serve status: exit %d\n%s\n%s", code, out, errOut)
	}
	// down asks here (the VM has no terminal), then runs there with --yes.
	if code, _, errOut = runSky(t, "serve", "down", "web"); code == 0 {
		t.Fatalf("serve down without -y and without a terminal must refuse:\n%s", errOut)
	}
	code, out, errOut = runSky(t, "serve", "down", "web", "-y", "--wait", "30s")
	if code != 0 || !strings.Contains(out, "Service web torn down.") {
		t.Fatalf("serve down: exit %d\n%s\n%s", code, out, errOut)
	}
	last := v.cmds[len(v.cmds)-1]
	if !strings.Contains(last, "'serve' 'down' '--yes' '--wait' '30s' 'web'") {
		t.Errorf("forwarded down: %s", last)
	}
}

// A service's local sources (workdir, a file mount) are copied to the
// VM under the service's uploads directory; the VM's loader points the
// task at the copies, and serve down removes them.
func TestForwardedServeCopiesLocalSources(t *testing.T) {
	v := newFakeVM(t)
	dir := t.TempDir()
	t.Chdir(dir)
	for p, body := range map[string]string{
		"wd/index.html": "page 8812\n",
		"conf/app.toml": "mode = 1\n",
		"service.yaml":  "workdir: wd\nfile_mounts:\n  /etc/app.toml: conf/app.toml\n  /remote: s3://some-bucket/x\n" + forwardServeYAML,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); v.daemonServes(stop, "http://198.51.100.7:30001") }()
	defer func() { close(stop); <-done }()
	code, out, errOut := runSky(t, "serve", "up", "service.yaml", "-n", "web", "-y", "--wait", "30s")
	if code != 0 || !strings.Contains(errOut, "Copied 2 local source(s) of the service") {
		t.Fatalf("serve up with local sources: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := state.Open(filepath.Join(v.skyHome, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := st.GetServiceVersion("web", 1)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := service.SpecLoader{}.Load(ver)
	if err != nil {
		t.Fatal(err)
	}
	uploads := filepath.Join(v.skyHome, "serve", "web", "uploads") + "/"
	if w := spec.Task.Workdir.Path; !strings.HasPrefix(w, uploads) {
		t.Errorf("workdir on the VM %s, want under %s", w, uploads)
	} else if b, _ := os.ReadFile(filepath.Join(w, "index.html")); string(b) != "page 8812\n" {
		t.Errorf("workdir copy: index.html = %q", b)
	}
	mounts := map[string]string{}
	for _, fm := range spec.Task.FileMounts {
		mounts[fm.Dst] = fm.Src
	}
	if b, _ := os.ReadFile(mounts["/etc/app.toml"]); !strings.HasPrefix(mounts["/etc/app.toml"], uploads) || string(b) != "mode = 1\n" {
		t.Errorf("file mount on the VM: %s = %q", mounts["/etc/app.toml"], b)
	}
	if mounts["/remote"] != "s3://some-bucket/x" {
		t.Errorf("a bucket source was rewritten: %q", mounts["/remote"])
	}
}
