package remote_test

import (
	"bytes"
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

	"github.com/skyplan/skyplan/cli"
	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/controller/remote"
)

// The test binary doubles as skyplan on the "VM" (a local directory
// reached through localShell), so the scripts, the supervisor and the
// daemon are the real ones; only SSH is left out (the e2e test has it).
const asCLI = "SKYPLAN_REMOTE_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

// localShell runs commands with bash in a private HOME: the VM.
type localShell struct{ home string }

func (s localShell) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Env = []string{"HOME=" + s.home, "PATH=" + os.Getenv("PATH")}
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}

func (localShell) Close() {}

type vm struct {
	t       *testing.T
	sh      localShell
	skyHome string
	bin     string
}

func newVM(t *testing.T, extraEnv ...string) *vm {
	home := t.TempDir()
	v := &vm{t: t, sh: localShell{home: home}, skyHome: filepath.Join(home, "state"), bin: os.Args[0]}
	env := append([]string{asCLI + "=1", "SKYPLAN_HOME=" + v.skyHome}, extraEnv...)
	if err := os.MkdirAll(filepath.Join(home, remote.Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, remote.Dir, "environment"), []byte(strings.Join(env, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.stop)
	return v
}

func (v *vm) up(bin string) remote.Installed {
	v.t.Helper()
	return v.upWith(bin, "ssh_cidrs: [203.0.113.7/32]\n")
}

func (v *vm) upWith(bin, config string) remote.Installed {
	v.t.Helper()
	var log bytes.Buffer
	res, err := remote.Up(context.Background(), v.sh, remote.Install{Binary: bin, Config: []byte(config),
		Home: "/nonexistent/overridden", User: "nobody", InstanceID: "i-test", Wait: 30 * time.Second}, &log)
	if err != nil {
		v.t.Fatalf("Up: %v\n%s", err, log.String())
	}
	return res
}

func (v *vm) pid() int {
	st, err := controller.Probe(controller.FilesIn(v.skyHome))
	if err != nil || !st.Running {
		return 0
	}
	return st.PID
}

func (v *vm) supervisorPID() int {
	b, _ := os.ReadFile(filepath.Join(v.sh.home, remote.Dir, "supervise.pid"))
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

func (v *vm) stop() {
	if p := v.supervisorPID(); p > 0 {
		syscall.Kill(p, syscall.SIGTERM)
	}
	controller.Stop(controller.FilesIn(v.skyHome), 30*time.Second)
	if v.t.Failed() {
		b, _ := os.ReadFile(controller.FilesIn(v.skyHome).Log())
		v.t.Logf("daemon log:\n%s", b)
	}
}

// variant copies bin with bytes appended: a different sha, the same program.
func variant(t testing.TB, bin, tag string) string {
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "skyplan-"+tag)
	if err := os.WriteFile(p, append(b, []byte(tag)...), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not reached within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUpSupervisesRestartsAfterKill9AndUpgradeReplaces(t *testing.T) {
	v := newVM(t)
	first := v.up(v.bin)
	if !first.Copied || first.Restarted || first.Supervisor != "supervisor" || first.Probe.PID == 0 {
		t.Fatalf("first up: %+v", first)
	}
	if first.Probe.Home != v.skyHome {
		t.Errorf("daemon home %q; the environment file's SKYPLAN_HOME %q must win", first.Probe.Home, v.skyHome)
	}
	cfg, err := os.ReadFile(filepath.Join(v.skyHome, "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "203.0.113.7/32") {
		t.Fatalf("daemon config: %q %v", cfg, err)
	}
	// The same binary again: nothing copied, nothing restarted.
	again := v.up(v.bin)
	if again.Copied || again.Restarted || again.Probe.PID != first.Probe.PID {
		t.Fatalf("second up with the same binary: %+v (first pid %d)", again, first.Probe.PID)
	}
	// kill -9: the supervisor starts another daemon.
	sup := v.supervisorPID()
	if err := syscall.Kill(first.Probe.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a new daemon after kill -9", func() bool { p := v.pid(); return p != 0 && p != first.Probe.PID })
	if v.supervisorPID() != sup {
		t.Errorf("the supervisor itself changed (%d → %d)", sup, v.supervisorPID())
	}
	restarted := v.pid()
	// A new binary replaces the daemon.
	newer := variant(t, v.bin, "v2")
	up := v.up(newer)
	wantSHA, _ := remote.FileSHA(newer)
	if !up.Copied || !up.Restarted || up.SHA != wantSHA || up.Probe.PID == restarted {
		t.Fatalf("upgrade: %+v (daemon before %d)", up, restarted)
	}
	gotSHA, _ := remote.FileSHA(filepath.Join(v.sh.home, remote.Dir, "bin", "skyplan"))
	if gotSHA != wantSHA {
		t.Errorf("bin/skyplan is %s after the upgrade, want %s", gotSHA, wantSHA)
	}
	if exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(up.Probe.PID), "exe")); err != nil || !strings.HasSuffix(exe, "skyplan-"+wantSHA) {
		t.Errorf("the new daemon runs %q (%v), not the new binary", exe, err)
	}
	p, sha, err := remote.Status(context.Background(), v.sh)
	if err != nil || !p.Running || sha != wantSHA {
		t.Errorf("Status: %+v %q %v", p, sha, err)
	}
}

// The daemon reads its config when it starts: up with a changed config
// (serve ports, allowed sources, the VM's new address) restarts it on
// the same binary; the same config again leaves it alone.
func TestUpRestartsDaemonWhenConfigChanges(t *testing.T) {
	v := newVM(t)
	first := v.up(v.bin)
	same := v.up(v.bin)
	if same.ConfigChanged || same.Restarted || same.Probe.PID != first.Probe.PID {
		t.Fatalf("up with the same config: %+v (first pid %d)", same, first.Probe.PID)
	}
	cfg := "ssh_cidrs: [203.0.113.7/32]\nserve:\n  ports: [31000-31009]\n"
	changed := v.upWith(v.bin, cfg)
	if !changed.ConfigChanged || !changed.Restarted || changed.Copied || changed.Probe.PID == first.Probe.PID {
		t.Fatalf("up with a changed config: %+v (first pid %d)", changed, first.Probe.PID)
	}
	if b, _ := os.ReadFile(filepath.Join(v.skyHome, "config.yaml")); string(b) != cfg {
		t.Errorf("config on the VM: %q", b)
	}
}

func TestIdleSupervisedDaemonPowersOffAndSupervisorEnds(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "powered-off")
	v := newVM(t, "SKYPLAN_CONTROLLER_IDLE=2s", "SKYPLAN_CONTROLLER_POWEROFF='touch "+marker+"'")
	v.up(v.bin)
	waitFor(t, time.Minute, "the idle daemon powering the VM off", func() bool { _, err := os.Stat(marker); return err == nil })
	waitFor(t, 30*time.Second, "the supervisor ending after the idle exit", func() bool {
		p := v.supervisorPID()
		return p == 0 || syscall.Kill(p, 0) != nil
	})
	if v.pid() != 0 {
		t.Errorf("a daemon still holds the lock after the idle stop")
	}
}

// BenchmarkUpgradeGap measures how long no daemon holds the lock while
// `controller up` replaces it with a new binary (jobs keep running on
// their clusters meanwhile; a serve endpoint is down for this long).
func BenchmarkUpgradeGap(b *testing.B) {
	home := b.TempDir()
	v := &vm{sh: localShell{home: home}, skyHome: filepath.Join(home, "state"), bin: os.Args[0]}
	os.MkdirAll(filepath.Join(home, remote.Dir), 0o700)
	os.WriteFile(filepath.Join(home, remote.Dir, "environment"), []byte(asCLI+"=1\nSKYPLAN_HOME="+v.skyHome+"\n"), 0o600)
	defer func() {
		if p := v.supervisorPID(); p > 0 {
			syscall.Kill(p, syscall.SIGTERM)
		}
		controller.Stop(controller.FilesIn(v.skyHome), 30*time.Second)
	}()
	bins := []string{variant(b, v.bin, "a"), variant(b, v.bin, "b")}
	install := func(bin string) {
		if _, err := remote.Up(context.Background(), v.sh, remote.Install{Binary: bin, Home: v.skyHome, Wait: 30 * time.Second}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	install(bins[0])
	var total, worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		done := make(chan struct{})
		gap := make(chan time.Duration, 1)
		go func() {
			var down time.Time
			var longest time.Duration
			for {
				select {
				case <-done:
					gap <- longest
					return
				default:
				}
				st, _ := controller.Probe(controller.FilesIn(v.skyHome))
				switch {
				case !st.Running && down.IsZero():
					down = time.Now()
				case st.Running && !down.IsZero():
					if d := time.Since(down); d > longest {
						longest = d
					}
					down = time.Time{}
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
		install(bins[(i+1)%2])
		close(done)
		g := <-gap
		total += g
		worst = max(worst, g)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "gap-s/op")
	b.ReportMetric(worst.Seconds(), "worst-gap-s")
}
