package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/controller/remote"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/state"
)

// Forwarded commands against a controller "VM" that is a private HOME on
// this machine: the cli's controllerShell seam runs each remote command
// with bash there (what sshd would run) and records its command line, and
// the VM's skyplan is this test binary (TestMain below). The e2e test
// does the same over a real sshd.

const asCLIEnv = "SKYPLAN_CLI_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// fakeVM is the controller VM: its HOME, the daemon's SKYPLAN_HOME, and
// every command line the client sent it.
type fakeVM struct {
	t       *testing.T
	home    string
	skyHome string
	mu      sync.Mutex
	cmds    []string
	stdins  []string
}

type fakeVMShell struct{ vm *fakeVM }

func (s fakeVMShell) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	v := s.vm
	var in []byte
	if stdin != nil {
		in, _ = io.ReadAll(stdin)
	}
	v.mu.Lock()
	v.cmds, v.stdins = append(v.cmds, cmd), append(v.stdins, string(in))
	v.mu.Unlock()
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Env = []string{"HOME=" + v.home, "PATH=" + os.Getenv("PATH")}
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(string(in)), stdout, stderr
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}

func (fakeVMShell) Close() {}

// newFakeVM sets up this client (SKYPLAN_HOME with a controller VM
// configured and recorded up) and the VM (this binary as its skyplan).
// The test holds the VM daemon's lock, so nothing launches the job: what
// is checked is what reached the VM.
func newFakeVM(t *testing.T) *fakeVM {
	client := t.TempDir()
	t.Setenv("SKYPLAN_HOME", client)
	t.Setenv("SKYPLAN_SSH_DETECT_URL", "off")
	if err := os.WriteFile(filepath.Join(client, "config.yaml"), []byte("jobs:\n  controller:\n    infra: aws/us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &remote.Record{Name: remote.DefaultName(), Cloud: "aws", Region: "us-east-1", InstanceType: "c6i.large",
		Phase: "up", InstanceID: "i-0ctl", PublicIP: "198.51.100.7", SSHUser: "ubuntu"}
	if err := rec.Save(client); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	v := &fakeVM{t: t, home: home, skyHome: filepath.Join(home, "state")}
	d := filepath.Join(home, remote.Dir)
	if err := os.MkdirAll(filepath.Join(d, "bin"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(os.Args[0], filepath.Join(d, "bin", "skyplan")); err != nil {
		t.Fatal(err)
	}
	env := fmt.Sprintf("export %s=1 SKYPLAN_HOME=%q SKYPLAN_SSH_DETECT_URL=off\n", asCLIEnv, v.skyHome)
	if err := os.WriteFile(filepath.Join(d, "env.sh"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(v.skyHome, 0o700); err != nil {
		t.Fatal(err)
	}
	in, err := controller.Acquire(controller.FilesIn(v.skyHome))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Release)
	prev := controllerShell
	controllerShell = func(context.Context, *cluster.Manager, string, string, cluster.ControllerVM, time.Duration) (remote.Shell, error) {
		return fakeVMShell{vm: v}, nil
	}
	t.Cleanup(func() { controllerShell = prev })
	return v
}

// jobs reads the VM's job records.
func (v *fakeVM) jobs() []*jobs.Job {
	v.t.Helper()
	st, err := state.Open(filepath.Join(v.skyHome, "state.db"))
	if err != nil {
		v.t.Fatal(err)
	}
	defer st.Close()
	js, err := jobs.OpenStore(st)
	if err != nil {
		v.t.Fatal(err)
	}
	list, err := js.List()
	if err != nil {
		v.t.Fatal(err)
	}
	return list
}

// filesContaining lists the files under dir whose content holds s.
func filesContaining(t *testing.T, dir, s string) []string {
	var hits []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || fi.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), s) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}

// A forwarded launch never puts a secret on the VM's command line (ps,
// shell history, audit logs), nor in its job records: the values reach
// the VM on the SSH channel's stdin and are kept only in the job's 0600
// secrets file, which the daemon hands to each attempt.
func TestForwardedLaunchKeepsSecretsOffTheCommandLine(t *testing.T) {
	v := newFakeVM(t)
	dir := t.TempDir()
	taskFile := filepath.Join(dir, "task.yaml")
	body := "name: sec\nresources:\n  infra: aws/us-east-1\n  cpus: 2\nsecrets:\n  FROM_FILE: file-secret-4711\nrun: echo \"token has ${#TOKEN} chars\"\n"
	if err := os.WriteFile(taskFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOCAL_ONLY_SECRET", "env-secret-0815")
	code, out, errOut := runSky(t, "jobs", "launch", taskFile, "-y", "-d", "--ssh-cidr", "203.0.113.9/32",
		"--secret", "TOKEN=flag-secret-1234", "--secret", "LOCAL_ONLY_SECRET")
	if code != 0 || !strings.Contains(out, "Managed job ID: 1") {
		t.Fatalf("jobs launch: exit %d\n%s\n%s", code, out, errOut)
	}
	secrets := map[string]string{"TOKEN": "flag-secret-1234", "LOCAL_ONLY_SECRET": "env-secret-0815", "FROM_FILE": "file-secret-4711"}
	for _, cmd := range v.cmds {
		for k, val := range secrets {
			if strings.Contains(cmd, val) {
				t.Errorf("the remote command line carries secret %s: %s", k, cmd)
			}
		}
	}
	list := v.jobs()
	if len(list) != 1 {
		t.Fatalf("jobs on the VM: %d, want 1", len(list))
	}
	j := list[0]
	got, err := jobs.LoadSecrets(v.skyHome, j.Spec.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range secrets {
		if got[k] != val {
			t.Errorf("the VM's secrets of job %s: %s = %q, want %q", j.Spec.TaskID, k, got[k], val)
		}
		if hits := filesContaining(t, v.home, val); len(hits) != 1 {
			t.Errorf("secret %s is in %v on the VM, want only the job's secrets file", k, hits)
		}
	}
	for _, s := range j.Spec.Task.Secrets {
		if s.Value != nil {
			t.Errorf("the VM's job record holds the value of secret %s", s.Key)
		}
	}
	want := map[string]bool{"203.0.113.9/32": true, "198.51.100.7/32": true}
	for _, c := range j.Spec.SSHCIDRs {
		delete(want, c)
	}
	if len(want) != 0 {
		t.Errorf("job SSH sources %v lack %v (the client's and the VM's own)", j.Spec.SSHCIDRs, want)
	}
}

// daemonCancels plays the VM's daemon for cancellations: a job whose
// cancel was requested ends CANCELLED (its clusters "destroyed").
func (v *fakeVM) daemonCancels(stop <-chan struct{}) {
	st, err := state.Open(filepath.Join(v.skyHome, "state.db"))
	if err != nil {
		v.t.Error(err)
		return
	}
	defer st.Close()
	js, err := jobs.OpenStore(st)
	if err != nil {
		v.t.Error(err)
		return
	}
	for {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		list, _ := js.List()
		for _, j := range list {
			if j.CancelRequested && !j.Status.Terminal() {
				if _, err := js.Transition(j.ID, jobs.Cancelled, "cancelled", time.Now(), nil); err != nil {
					v.t.Error(err)
				}
			}
		}
	}
}

// controller down refuses while the VM has unfinished jobs, naming them;
// --force cancels them through the VM's daemon, waits until they are
// terminal, then destroys the VM.
func TestControllerDownRefusesWhileJobsRun(t *testing.T) {
	v := newFakeVM(t)
	taskFile := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(taskFile, []byte("name: busy\nresources:\n  infra: aws/us-east-1\n  cpus: 2\nrun: sleep 600\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runSky(t, "jobs", "launch", taskFile, "-y", "-d", "--ssh-cidr", "203.0.113.9/32"); code != 0 {
		t.Fatalf("jobs launch: exit %d\n%s\n%s", code, out, errOut)
	}
	client := os.Getenv("SKYPLAN_HOME")
	code, out, errOut := runSky(t, "controller", "down", "-y")
	if code == 0 || !strings.Contains(errOut, "managed job 1 (busy): PENDING") || !strings.Contains(errOut, "--force") {
		t.Fatalf("controller down with a PENDING job: exit %d\n%s\n%s", code, out, errOut)
	}
	if rec, _ := remote.LoadRecord(client, remote.DefaultName()); rec == nil || rec.Phase != "up" {
		t.Fatalf("a refused down changed the record: %+v", rec)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); v.daemonCancels(stop) }()
	code, out, errOut = runSky(t, "controller", "down", "-y", "--force")
	close(stop)
	<-done
	if code != 0 || !strings.Contains(out, "is down; nothing of it is left") {
		t.Fatalf("controller down --force: exit %d\n%s\n%s", code, out, errOut)
	}
	if j := v.jobs()[0]; j.Status != jobs.Cancelled {
		t.Errorf("job after down --force: %s, want CANCELLED", j.Status)
	}
	if rec, _ := remote.LoadRecord(client, remote.DefaultName()); rec != nil {
		t.Errorf("record left after down --force: %+v", rec)
	}
	var cancelled bool
	for _, c := range v.cmds {
		cancelled = cancelled || strings.Contains(c, "'jobs' 'cancel' '-a' '-y'")
	}
	if !cancelled {
		t.Errorf("down --force did not cancel on the VM: %q", v.cmds)
	}
}

// A forwarded launch copies the task's local sources to the VM (the
// workdir, a relative file mount file and a mounted directory) into the
// job's uploads directory on the state volume and rewrites the task to
// name those copies: the VM's daemon syncs them to each attempt.
func TestForwardedLaunchCopiesLocalSources(t *testing.T) {
	v := newFakeVM(t)
	dir := t.TempDir()
	for p, body := range map[string]string{
		"wd/hello.txt":         "hello from the workdir 9f3a\n",
		"wd/.skyignore":        "ignored.txt\n",
		"wd/ignored.txt":       "never copied\n",
		"data/input.txt":       "input 77\n",
		"models/a/weights.bin": "w1\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	taskFile := filepath.Join(dir, "task.yaml")
	body := "name: files\nresources:\n  infra: aws/us-east-1\n  cpus: 2\nworkdir: wd\nfile_mounts:\n  /data/input.txt: data/input.txt\n  ~/models: " +
		filepath.Join(dir, "models") + "\n  /remote: s3://some-bucket/prefix\nrun: cat hello.txt\n"
	if err := os.WriteFile(taskFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, errOut := runSky(t, "jobs", "launch", "task.yaml", "-y", "-d", "--ssh-cidr", "203.0.113.9/32")
	if code != 0 || !strings.Contains(errOut, "Copied 3 local source(s)") {
		t.Fatalf("jobs launch: exit %d\n%s\n%s", code, out, errOut)
	}
	j := v.jobs()[0]
	uploads := jobs.UploadsDir(v.skyHome, j.Spec.TaskID)
	read := func(p string) string {
		t.Helper()
		if !strings.HasPrefix(p, uploads+"/") {
			t.Errorf("%s is not under the job's uploads directory %s on the VM", p, uploads)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("on the VM: %v", err)
		}
		return string(b)
	}
	wd := j.Spec.Task.Workdir.Path
	if got := read(filepath.Join(wd, "hello.txt")); got != "hello from the workdir 9f3a\n" {
		t.Errorf("workdir copy on the VM: hello.txt = %q", got)
	}
	if _, err := os.Stat(filepath.Join(wd, "ignored.txt")); err == nil {
		t.Errorf("the .skyignore'd file was copied to the VM")
	}
	mounts := map[string]string{}
	for _, fm := range j.Spec.Task.FileMounts {
		mounts[fm.Dst] = fm.Src
	}
	if got := read(mounts["/data/input.txt"]); got != "input 77\n" {
		t.Errorf("file mount copy on the VM: %q", got)
	}
	if got := read(filepath.Join(mounts["~/models"], "a", "weights.bin")); got != "w1\n" {
		t.Errorf("directory mount copy on the VM: %q", got)
	}
	if mounts["/remote"] != "s3://some-bucket/prefix" {
		t.Errorf("a bucket source was rewritten: %q", mounts["/remote"])
	}
	// The job's end removes its uploads with its secrets.
	jobs.DropSecrets(v.skyHome, j.Spec.TaskID)
	if _, err := os.Stat(uploads); err == nil {
		t.Errorf("uploads left after the job ended: %s", uploads)
	}
}
