package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/controller/remote"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

// The controller on a VM, end to end: `controller up` applies the
// controller module on moto, the instance's address is mapped (through
// aws.ssh_proxy_command and its skyplan-controller tag) to a real sshd
// node, skyplan copies this very binary there and starts it supervised
// (the node has no systemd: skyplan's restart loop). Jobs are submitted
// through it and run on a second moto cluster whose machine is another
// sshd node. The controller node reaches moto with the credentials this
// harness writes into its environment file, as an instance profile would
// give them on AWS; skyplan copies no keys.

const controllerJob = `name: ctljob
resources:
  infra: aws
  cpus: 2
  image_id: ami-12c6146b
workdir: wd
run: |
  echo "started task=$SKYPILOT_TASK_ID"
  cat note.txt
  echo "token sha $(printf %s "$CTL_TOKEN" | sha256sum | cut -c1-12)"
  for i in $(seq 1 20); do echo "tick $i"; sleep 1; done
  echo "controller job done"
`

// controllerIdle is the controller's idle time before it stops in the
// test: longer than controller up → first job accepted on a loaded
// machine, short enough to wait for once the job has ended.
const controllerIdle = 45 * time.Second

// controllerEnv is an env whose sshd node 1 is the controller VM.
type controllerEnv struct {
	*env
	node     string // the controller node's HOME
	nodeHome string // SKYPLAN_HOME of the daemon on it
}

func newControllerEnv(t *testing.T) *controllerEnv {
	e := newEnv(t, 2)
	cn := e.sshd.Nodes[1]
	c := &controllerEnv{env: e, node: cn.Home, nodeHome: filepath.Join(cn.Home, "skyplan-home")}
	e.vars = append(e.vars, fmt.Sprintf("SKYPLAN_E2E_CONTROLLER_SSHD=%s:%d", cn.IP, cn.Port))
	f := filepath.Join(e.home, "config.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, f, string(b)+`jobs:
  poll_seconds: 1
  retry_gap_seconds: 2
  unreachable_seconds: 240 # a loaded machine's SSH through the proxy helper is slow
  controller:
    infra: aws/us-east-1
    image_id: ami-12c6146b # moto's; the catalog's Ubuntu AMI is not in moto
`, 0o644)
	// What an instance profile and the image give a real controller VM:
	// cloud credentials (here moto's, in the environment file an operator
	// may also use), terraform, and the test's SSH proxy settings.
	n0 := e.sshd.Nodes[0]
	envFile := map[string]string{
		"SKYPLAN_HOME":           c.nodeHome,
		provisiontest.CLIEnvVar:  "1",
		"PATH":                   os.Getenv("PATH"),
		"TF_PLUGIN_CACHE_DIR":    provisiontest.SharedPluginCache(),
		"TF_CLI_CONFIG_FILE":     filepath.Join(c.nodeHome, "missing.tfrc"),
		"SKYPLAN_E2E_MOTO":       e.moto.URL,
		"SKYPLAN_E2E_SSHD":       fmt.Sprintf("%s:%d", n0.IP, n0.Port),
		"SKYPLAN_E2E_PROXY_LOG":  filepath.Join(cn.Home, "proxy.log"),
		"SKYPLAN_SSH_DETECT_URL": "off",
		// The daemon's idle clock: short, so the test sees an idle stop
		// once its job has ended; the power-off command leaves a mark that
		// the test answers by stopping the instance in moto, as the OS
		// shutting down does on AWS.
		"SKYPLAN_CONTROLLER_IDLE":     controllerIdle.String(),
		"SKYPLAN_CONTROLLER_POWEROFF": "touch " + filepath.Join(cn.Home, "poweroff-requested"),
	}
	for k, v := range provisiontest.Env(e.moto.URL) {
		envFile[k] = v
	}
	var lines []string
	for k, v := range envFile {
		lines = append(lines, k+"='"+v+"'")
	}
	mustWrite(t, filepath.Join(cn.Home, remote.Dir, "environment"), strings.Join(lines, "\n")+"\n", 0o600)
	// The VM's skyplan key (its clusters' key pair) is the one the sshd
	// nodes authorise, as a real cluster node authorises its key pair.
	for _, f := range []string{"skyplan-key", "skyplan-key.pub"} {
		b, err := os.ReadFile(filepath.Join(e.home, "ssh", f))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(c.nodeHome, "ssh", f), string(b), 0o600)
	}
	t.Cleanup(func() { c.stopSupervisor(t) })
	return c
}

// slow runs a command that applies or destroys two Terraform roots: on a
// loaded machine that takes longer than env.run's bound.
func (c *controllerEnv) slow(args ...string) result {
	c.t.Helper()
	r := provisiontest.RunCLI(c.t, 20*time.Minute, c.work, c.vars, args...)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

// daemonPID is the pid the supervised daemon wrote on the node (0: none).
func (c *controllerEnv) daemonPID() int {
	st, err := controller.Probe(controller.FilesIn(c.nodeHome))
	if err != nil || !st.Running {
		return 0
	}
	return st.PID
}

// stopSupervisor ends the supervise loop and its daemon on the node (the
// sshd node outlives nothing, but processes started through it would).
func (c *controllerEnv) stopSupervisor(t testing.TB) {
	b, err := os.ReadFile(filepath.Join(c.node, remote.Dir, "supervise.pid"))
	if err == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	if err := controller.Stop(controller.FilesIn(c.nodeHome), time.Minute); err != nil {
		t.Logf("stopping the node's daemon: %v", err)
	}
	if t.Failed() {
		if b, err := os.ReadFile(controller.FilesIn(c.nodeHome).Log()); err == nil {
			t.Logf("controller VM log:\n%s", tail(string(b), 8000))
		}
	}
}

func TestControllerVMRunsJobsAndSurvivesKill9(t *testing.T) {
	c := newControllerEnv(t)
	e := c.env
	mustWrite(t, filepath.Join(e.work, "job.yaml"), controllerJob, 0o644)
	// The workdir and the secret exist only here: the VM gets them from
	// the forwarded launch (tar over SSH, stdin), never the command line.
	mustWrite(t, filepath.Join(e.work, "wd", "note.txt"), "note from the laptop's workdir 5c1e\n", 0o644)
	// Made at run time: a literal would be in this binary, which is the
	// skyplan copied to the VM.
	token := fmt.Sprintf("ctl-secret-%d", time.Now().UnixNano())
	tokenSHA := fmt.Sprintf("%x", sha256.Sum256([]byte(token)))[:12]

	start := time.Now()
	up := c.slow("controller", "up")
	if up.code != 0 || !strings.Contains(up.stdout, "is up on aws/us-east-1") {
		t.Fatalf("controller up: exit %d\n%s", up.code, up.stderr)
	}
	upTook := time.Since(start)
	// The VM: one instance tagged as the controller, running in moto.
	var ctl []string
	for _, in := range e.moto.Instances(t, "us-east-1") {
		if in.State == "running" {
			ctl = append(ctl, in.ID)
		}
	}
	if len(ctl) != 1 {
		t.Fatalf("after controller up: running instances %v, want the controller alone", ctl)
	}
	// The binary on the node is this one, and it runs supervised.
	exe, _ := os.Executable()
	want, _ := remote.FileSHA(exe)
	got, err := remote.FileSHA(filepath.Join(c.node, remote.Dir, "bin", "skyplan"))
	if err != nil || got != want {
		t.Fatalf("binary on the controller node: sha %q (%v), want %q", got, err, want)
	}
	pid := c.daemonPID()
	if pid == 0 {
		t.Fatalf("no daemon holds the lock on the controller node")
	}
	st := e.run("controller", "status")
	if st.code != 0 || !strings.Contains(st.stdout, fmt.Sprintf("running, pid %d under supervisor", pid)) || !strings.Contains(st.stdout, "same as this client") {
		t.Fatalf("controller status:\n%s\n%s", st.stdout, st.stderr)
	}

	// A managed job through the VM: recorded in the VM's state.db, not here.
	id := launchJob(t, e, "job.yaml", "--secret", "CTL_TOKEN="+token)
	accepted := time.Since(start)
	if _, err := os.Stat(filepath.Join(c.nodeHome, "state.db")); err != nil {
		t.Fatalf("the job was not recorded on the controller VM: %v", err)
	}
	j := e.waitJob(id, 4*time.Minute, "RUNNING", func(j jobDoc) bool { return j.Status == "RUNNING" })
	if len(j.Attempts) != 1 || j.Cloud != "aws" {
		t.Fatalf("job on the controller: %+v", j)
	}
	// The job's node role was created under the controller's boundary
	// (its IAM policy allows no other): the VM's config names it.
	cfgOnVM, _ := os.ReadFile(filepath.Join(c.nodeHome, "config.yaml"))
	boundary := regexp.MustCompile(`node_permissions_boundary: (arn:aws:iam::\S+:policy/\S+)`).FindSubmatch(cfgOnVM)
	if boundary == nil {
		t.Fatalf("the controller VM's config.yaml names no node_permissions_boundary:\n%s", cfgOnVM)
	}
	nodeRoles := 0
	for _, r := range e.moto.IAM(t) {
		if name, ok := strings.CutPrefix(r, "iam-role "); ok && strings.Contains(name, "-node-") {
			nodeRoles++
			if got := e.moto.RoleBoundary(t, name); got != string(boundary[1]) {
				t.Errorf("node role %s has permissions boundary %q, want the controller's %s", name, got, boundary[1])
			}
		}
	}
	if nodeRoles != 1 {
		t.Errorf("%d node roles in moto while the job runs, want its cluster's one", nodeRoles)
	}

	// kill -9 of the daemon: the supervisor starts a new one, which
	// adopts the running job.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	var next int
	for time.Since(killed) < time.Minute {
		if next = c.daemonPID(); next != 0 && next != pid {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if next == 0 || next == pid {
		t.Fatalf("the daemon was not restarted after kill -9 (pid %d, now %d)", pid, next)
	}
	restartGap := time.Since(killed)
	j = e.waitJob(id, 10*time.Minute, "SUCCEEDED and cleaned up", ended)
	if j.Status != "SUCCEEDED" {
		t.Fatalf("job after the controller's kill -9: %+v", j)
	}
	logs := e.run("jobs", "logs", strconv.FormatInt(id, 10))
	if logs.code != 0 || !strings.Contains(logs.stdout, "controller job done") {
		t.Errorf("jobs logs through the controller lacks the run's output:\n%s\n%s", logs.stdout, logs.stderr)
	}
	if !strings.Contains(logs.stdout, "note from the laptop's workdir 5c1e") || !strings.Contains(logs.stdout, "token sha "+tokenSHA) {
		t.Errorf("the job did not see the client's workdir file and secret (token sha %s):\n%s", tokenSHA, logs.stdout)
	}
	if hits := grepTree(t, c.node, token); len(hits) > 0 {
		t.Errorf("the secret is left on the controller VM after the job ended: %v", hits)
	}
	cl := e.run("controller", "logs", "-n", "400")
	if cl.code != 0 || !strings.Contains(cl.stdout, "restarting") {
		t.Errorf("controller logs do not show the supervisor's restart:\n%s", cl.stdout)
	}

	// Idle stop → restart: nothing active for controllerIdle, the daemon
	// powers the VM off (the instance stops, keeping both disks); the CLI
	// finds it unreachable; `controller up` starts the same instance, the
	// state volume is found and attached again, and the job history is
	// there.
	poweroff := filepath.Join(c.node, "poweroff-requested")
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Second) {
		if _, err := os.Stat(poweroff); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle controller did not power off within 5 minutes (idle time %s)", controllerIdle)
		}
	}
	e.moto.Stop(t, "us-east-1", ctl[0])
	if q := e.run("jobs", "queue"); q.code == 0 || !strings.Contains(q.stderr, "not reachable") {
		t.Errorf("jobs queue with the controller VM stopped: exit %d\n%s", q.code, q.stderr)
	}
	up = c.slow("controller", "up")
	if up.code != 0 || !strings.Contains(up.stdout, "is up on aws/us-east-1") {
		t.Fatalf("controller up after the idle stop: exit %d\n%s", up.code, up.stderr)
	}
	var running []string
	for _, in := range e.moto.Instances(t, "us-east-1") {
		if in.State == "running" {
			running = append(running, in.ID)
		}
	}
	if len(running) != 1 || running[0] != ctl[0] {
		t.Errorf("after controller up on the stopped VM: running %v, want the same instance %s", running, ctl[0])
	}
	if j := e.waitJob(id, time.Minute, "the job's history after the restart", ended); j.Status != "SUCCEEDED" {
		t.Errorf("job history after the idle stop and restart: %+v", j)
	}

	down := c.slow("controller", "down", "-y")
	if down.code != 0 {
		t.Fatalf("controller down: exit %d\n%s", down.code, down.stderr)
	}
	if live := e.live(); len(live) != 0 {
		t.Errorf("instances left after controller down: %v", live)
	}
	if left := e.moto.IAM(t); len(left) != 0 {
		t.Errorf("IAM left after controller down: %v", left)
	}
	t.Logf("controller up %s; up → first job accepted %s; kill -9 → new daemon %s",
		upTook.Round(time.Millisecond), accepted.Round(time.Millisecond), restartGap.Round(time.Millisecond))
}

// grepTree lists the regular files under dir that contain s.
func grepTree(t *testing.T, dir, s string) []string {
	var hits []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > 64<<20 {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), s) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}
