package e2ecli

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// kill -9 of skyplan alone (not its children), or a double Ctrl-C to its
// process group, while a failed-over attempt applies through the provider
// process the loop shares: that provider and terraform end with skyplan
// (after a Ctrl-C, once Terraform saved its state), nothing of the launch
// keeps running, and `down` removes everything tagged.
func TestInterruptedFailoverApplyTakesItsProviderAlong(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			interruptFailoverApply(t, sig)
		})
	}
}

func interruptFailoverApply(t *testing.T, sig syscall.Signal) {
	e := newEnv(t)
	e.proxy.Fail(e.moto.ZoneFor(t, "us-east-1", "us-east-1a"), provisiontest.InsufficientInstanceCapacity, -1)
	os.WriteFile(filepath.Join(e.work, "leak.yaml"), []byte(leakTask), 0o644)
	exe, _ := os.Executable()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "apply", "leak.yaml", "-c", "pd", "-y", "--provision-only")
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), provisiontest.CLIEnvVar+"=1"), e.vars...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); pw.Close() }()
	// The second zone's instance create: that apply runs on the daemon.
	var log strings.Builder
	sc := bufio.NewScanner(pr)
	failedOver := false
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "→ trying AWS (us-east-1b)") {
			failedOver = true
		}
		if failedOver && strings.Contains(sc.Text(), "aws_instance.node[0]: Creating...") {
			break
		}
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(pr); rest <- string(b) }()
	if !failedOver {
		t.Fatalf("apply ended before it failed over:\n%s", log.String())
	}
	var daemons, all []int
	for _, p := range descendants(cmd.Process.Pid) {
		all = append(all, p)
		if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline")); err == nil && strings.Contains(string(b), "terraform-provider-aws") && strings.Contains(string(b), "\x00-debug") {
			daemons = append(daemons, p)
		}
	}
	if len(daemons) != 1 {
		t.Fatalf("want one provider daemon under skyplan while the second zone applies, got %v (descendants %v)", daemons, all)
	}
	if sig == syscall.SIGKILL {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	} else {
		_ = syscall.Kill(-cmd.Process.Pid, sig)
		time.Sleep(500 * time.Millisecond)
		_ = syscall.Kill(-cmd.Process.Pid, sig)
	}
	<-waited
	out := log.String() + <-rest
	if sig == syscall.SIGINT && !strings.Contains(out, "skyplan down pd -y") {
		t.Errorf("interrupted apply does not say how to clean up:\n%s", out)
	}
	deadline := time.Now().Add(time.Minute)
	for _, p := range all {
		for syscall.Kill(p, 0) == nil && !zombie(p) {
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
				t.Fatalf("process %d (%q) outlived the killed skyplan", p, strings.ReplaceAll(string(b), "\x00", " "))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	d := e.run("down", "pd", "-y")
	if d.code != 0 {
		t.Fatalf("down exit %d\n%s", d.code, d.stderr)
	}
	e.requireNothingTagged(t, "pd")
}

// zombie: the process has exited and waits for a parent that is gone
// (init reaps it soon).
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] == "Z"
}
