package e2ecli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// leakTask is a one-node AWS task with an ephemeral bucket, so a killed
// apply can leave every kind of resource skyplan creates behind.
const leakTask = `name: leak
resources:
  infra: aws/us-east-1
  instance_type: m6i.large
  image_id: ami-12c6146b
file_mounts:
  /scratch:
    name: skyplan-leak-scratch
    mode: MOUNT
    persistent: false
run: echo hi
`

// interruptedApply starts `skyplan apply` in its own process group, waits
// for a stderr line matching at, then either sends SIGINT to the group
// (what a terminal's Ctrl-C does) or SIGKILLs the group and every process
// below it (terraform and the provider run in their own process group, so
// they are found through /proc), like a kill -9 of the whole tree.
func (e *env) interruptedApply(t *testing.T, cluster string, at *regexp.Regexp, sig syscall.Signal) string {
	t.Helper()
	return e.interrupted(t, at, sig, "apply", "leak.yaml", "-c", cluster, "-y", "--provision-only")
}

// interruptedApplyAfter is interruptedApply that lets the apply run for
// delay after the line matched before the signal.
func (e *env) interruptedApplyAfter(t *testing.T, cluster string, at *regexp.Regexp, delay time.Duration, sig syscall.Signal) string {
	t.Helper()
	return e.interruptedAfter(t, at, delay, sig, "apply", "leak.yaml", "-c", cluster, "-y", "--provision-only")
}

// interrupted runs skyplan args and stops it as interruptedApply does.
func (e *env) interrupted(t *testing.T, at *regexp.Regexp, sig syscall.Signal, args ...string) string {
	t.Helper()
	return e.interruptedAfter(t, at, 0, sig, args...)
}

// interruptedAfter is interrupted, the signal sent delay after the line.
func (e *env) interruptedAfter(t *testing.T, at *regexp.Regexp, delay time.Duration, sig syscall.Signal, args ...string) string {
	t.Helper()
	exe, _ := os.Executable()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), provisiontest.CLIEnvVar+"=1"), e.vars...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var mu sync.Mutex
	hit := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		fired := false
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if !fired && at.MatchString(sc.Text()) {
				fired = true
				close(hit)
			}
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); pw.Close() }()
	select {
	case <-hit:
	case err := <-waited:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("apply ended (%v) before %q:\n%s", err, at, log.String())
	}
	time.Sleep(delay)
	pgid := cmd.Process.Pid
	if sig == syscall.SIGKILL {
		for _, pid := range append(descendants(cmd.Process.Pid), pgid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	} else {
		_ = syscall.Kill(-pgid, sig)
		// A second Ctrl-C, as impatient users press it: it must not make
		// Terraform drop its state.
		time.Sleep(500 * time.Millisecond)
		_ = syscall.Kill(-pgid, sig)
	}
	<-waited
	mu.Lock()
	defer mu.Unlock()
	t.Logf("apply stopped by %v at %q → %v\nstderr:\n%s", sig, at, cmd.ProcessState, log.String())
	return log.String()
}

// descendants lists every process below pid (children first found by
// walking /proc's parent links).
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, en := range ents {
		p, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", en.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so cut after ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			parent[p] = pp
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func (e *env) requireNothingTagged(t *testing.T, tag string) {
	t.Helper()
	if left := e.moto.Tagged(t, "us-east-1", tag); len(left) > 0 {
		t.Fatalf("resources tagged skyplan-cluster=%s left in moto: %v", tag, left)
	}
}

// A kill -9 of skyplan, terraform and the provider at three points of an
// apply, or a double Ctrl-C to the process group at the same three points:
// `down` then removes everything tagged with the cluster, including what
// no state recorded, and exits 0 only then.
func TestKilledApplyThenDownLeavesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   string
		sig  syscall.Signal
		// duringApply: terraform is still applying when the signal comes
		// (after "Apply complete!" skyplan may already have recorded UP).
		duringApply bool
	}{
		{"kill9-first-create", `: Creating\.\.\.`, syscall.SIGKILL, true},
		{"kill9-instance-create", `aws_instance\.node\[0\]: Creating\.\.\.`, syscall.SIGKILL, true},
		{"kill9-after-apply", `Apply complete!`, syscall.SIGKILL, false},
		{"sigint-first-create", `: Creating\.\.\.`, syscall.SIGINT, true},
		{"sigint-instance-create", `aws_instance\.node\[0\]: Creating\.\.\.`, syscall.SIGINT, true},
		{"sigint-after-apply", `Apply complete!`, syscall.SIGINT, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			os.WriteFile(filepath.Join(e.work, "leak.yaml"), []byte(leakTask), 0o644)
			name := strings.ReplaceAll(tc.name, "-", "")
			out := e.interruptedApply(t, name, regexp.MustCompile(tc.at), tc.sig)
			if tc.sig == syscall.SIGINT && tc.duringApply {
				for _, want := range []string{"Interrupt: stopping", "still waiting for Terraform to save its state", "skyplan down " + name + " -y"} {
					if !strings.Contains(out, want) {
						t.Errorf("interrupted apply's stderr lacks %q", want)
					}
				}
			}
			st := e.run("status")
			if !strings.Contains(st.stdout, "INIT") && (tc.duringApply || !strings.Contains(st.stdout, "UP")) {
				t.Errorf("status after the interrupted apply does not show the cluster INIT:\n%s", st.stdout)
			}
			d := e.run("down", name, "-y")
			if d.code != 0 {
				t.Fatalf("down exit %d", d.code)
			}
			e.requireNothingTagged(t, name)
			if !strings.Contains(strings.ToLower(d.stderr), "no resource tagged skyplan-cluster="+name+" is left") {
				t.Errorf("down does not report the tag check")
			}
			// The killed apply's own lock in state.db (its pid is dead) is
			// taken over, saying so.
			if tc.sig == syscall.SIGKILL && !strings.Contains(d.stderr, "Cleared a stale lock on cluster/"+name+": its holder (apply, pid ") {
				t.Errorf("down does not say it cleared the killed apply's lock")
			}
			if _, err := os.Stat(filepath.Join(e.home, "clusters", name)); err == nil {
				t.Errorf("clusters/%s still exists after down", name)
			}
		})
	}
}

// A rerun of an apply killed while its instance was being created comes UP
// without manual cleanup (no InvalidKeyPair.Duplicate from its own
// leftovers), and the leftovers the state did not record are swept.
func TestRerunAfterKilledApplyComesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	os.WriteFile(filepath.Join(e.work, "leak.yaml"), []byte(leakTask), 0o644)
	e.interruptedApply(t, "rerun", regexp.MustCompile(`aws_instance\.node\[0\]: Creating\.\.\.`), syscall.SIGKILL)
	// What a kill during a state write leaves: a 0-byte state.
	os.WriteFile(filepath.Join(e.home, "clusters", "rerun", "terraform.tfstate"), nil, 0o644)
	r := e.run("apply", "leak.yaml", "-c", "rerun", "-y", "--provision-only")
	if r.code != 0 {
		t.Fatalf("rerun of the killed apply: exit %d", r.code)
	}
	for _, want := range []string{"is empty (0 bytes)", "leftover resource(s) of an earlier apply", "is UP"} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("rerun output lacks %q", want)
		}
	}
	if got := e.moto.Live(t, "us-east-1"); got != 1 {
		t.Errorf("%d live instances after the rerun, want 1", got)
	}
	if d := e.run("down", "rerun", "-y"); d.code != 0 {
		t.Fatalf("down exit %d", d.code)
	}
	e.requireNothingTagged(t, "rerun")
}

// A saved plan (CI's `apply PLANFILE`) killed -9 while its instance is
// being created: the plan is applied as reviewed (no pre-apply sweep), and
// `down` still removes everything tagged, also what no state recorded.
func TestKilledSavedPlanApplyThenDownLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	os.WriteFile(filepath.Join(e.work, "leak.yaml"), []byte(leakTask), 0o644)
	plan := filepath.Join(e.work, "leak.tfplan")
	if r := e.run("plan", "leak.yaml", "-c", "savedplan", "--out", plan); r.code != 0 {
		t.Fatalf("plan exit %d", r.code)
	}
	e.interrupted(t, regexp.MustCompile(`aws_instance\.node\[0\]: Creating\.\.\.`), syscall.SIGKILL, "apply", plan, "--provision-only")
	if len(e.moto.Tagged(t, "us-east-1", "savedplan")) == 0 {
		t.Fatal("nothing tagged in moto after the killed apply: the test checks nothing")
	}
	if st := e.run("status"); !strings.Contains(st.stdout, "INIT") {
		t.Errorf("status after the killed saved-plan apply does not show the cluster INIT:\n%s", st.stdout)
	}
	d := e.run("down", "savedplan", "-y")
	if d.code != 0 {
		t.Fatalf("down exit %d", d.code)
	}
	e.requireNothingTagged(t, "savedplan")
	if !strings.Contains(strings.ToLower(d.stderr), "no resource tagged skyplan-cluster=savedplan is left") {
		t.Errorf("down does not report the tag check")
	}
}
