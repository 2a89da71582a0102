package controller

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fileReconciler is active while its marker file exists: the daemon test
// double for "a non-terminal job in state.db".
type fileReconciler struct {
	marker string
	passes atomic.Int64
}

func (r *fileReconciler) Name() string { return "file" }
func (r *fileReconciler) Reconcile(ctx context.Context) error {
	r.passes.Add(1)
	return nil
}
func (r *fileReconciler) Active(ctx context.Context) (bool, error) {
	_, err := os.Stat(r.marker)
	return err == nil, nil
}
func (r *fileReconciler) Close() error { return nil }

func TestMain(m *testing.M) {
	if home := os.Getenv("CONTROLLER_TEST_DAEMON_HOME"); home != "" {
		os.Exit(testDaemon(home))
	}
	os.Exit(m.Run())
}

// testDaemon is what `skyplan controller run` does, with the file
// reconciler.
func testDaemon(home string) int {
	in, err := Acquire(FilesIn(home))
	if err != nil {
		return 3
	}
	defer in.Release()
	rec := &fileReconciler{marker: filepath.Join(home, "active")}
	err = Loop(context.Background(), Options{Home: home, Instance: in, Tick: 20 * time.Millisecond,
		IdleExit:    200 * time.Millisecond,
		Reconcilers: []NamedFactory{{"file", func(*Env) (Reconciler, error) { return rec, nil }}}})
	if err != nil {
		return 1
	}
	return 0
}

func spawnOpts(t *testing.T, home string) SpawnOptions {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return SpawnOptions{Files: FilesIn(home), Argv: []string{exe}, Env: []string{"CONTROLLER_TEST_DAEMON_HOME=" + home}}
}

func waitStopped(t *testing.T, f Files, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if st, _ := Probe(f); !st.Running {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("daemon still running after %s", within)
}

func TestEnsureRunningStartsOneDaemonThatExitsWhenIdle(t *testing.T) {
	home := t.TempDir()
	marker := filepath.Join(home, "active")
	os.WriteFile(marker, nil, 0o600)
	o := spawnOpts(t, home)
	pid, started, err := EnsureRunning(context.Background(), o)
	if err != nil || !started || pid <= 0 {
		t.Fatalf("EnsureRunning = %d, %v, %v", pid, started, err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	pid2, started2, err := EnsureRunning(context.Background(), o)
	if err != nil || started2 || pid2 != pid {
		t.Fatalf("second EnsureRunning = %d, %v, %v; want %d, false", pid2, started2, err, pid)
	}
	// A second daemon started by hand refuses to run beside the first.
	if _, err := Acquire(FilesIn(home)); !errors.Is(err, ErrRunning) {
		t.Fatalf("Acquire beside a running daemon: %v", err)
	}
	time.Sleep(400 * time.Millisecond) // longer than IdleExit: still active
	if st, _ := Probe(FilesIn(home)); !st.Running || st.PID != pid {
		t.Fatalf("daemon exited while work was active: %+v", st)
	}
	os.Remove(marker)
	waitStopped(t, FilesIn(home), 5*time.Second)
	if _, err := os.Stat(FilesIn(home).PID()); !os.IsNotExist(err) {
		t.Errorf("pid file left after idle exit: %v", err)
	}
}

func TestKilledDaemonIsReplaced(t *testing.T) {
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "active"), nil, 0o600)
	o := spawnOpts(t, home)
	pid, _, err := EnsureRunning(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	waitStopped(t, FilesIn(home), 5*time.Second) // the kernel dropped the flock
	pid2, started, err := EnsureRunning(context.Background(), o)
	if err != nil || !started || pid2 == pid {
		t.Fatalf("after kill -9: EnsureRunning = %d, %v, %v", pid2, started, err)
	}
	if err := Stop(FilesIn(home), 5*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestLoopOnFakeClockExitsAfterIdleAndWakes(t *testing.T) {
	home := t.TempDir()
	clk := NewFakeClock(time.Unix(1_700_000_000, 0))
	rec := &fileReconciler{marker: filepath.Join(home, "active")}
	os.WriteFile(rec.marker, nil, 0o600)
	var env *Env
	done := make(chan error, 1)
	go func() {
		done <- Loop(context.Background(), Options{Home: home, Clock: clk, Tick: time.Second, IdleExit: 5 * time.Second,
			Reconcilers: []NamedFactory{{"file", func(e *Env) (Reconciler, error) { env = e; return rec, nil }}}})
	}()
	waitFor(t, func() bool { return clk.Waiters() == 1 })
	before := rec.passes.Load()
	env.Wake() // an early pass without time moving
	waitFor(t, func() bool { return rec.passes.Load() > before && clk.Waiters() == 2 })
	os.Remove(rec.marker)
	for i := 0; i < 4; i++ {
		clk.Advance(time.Second)
		waitFor(t, func() bool { return clk.Waiters() == 1 })
	}
	select {
	case err := <-done:
		t.Fatalf("Loop exited after 4 s idle (IdleExit 5 s): %v", err)
	default:
	}
	clk.Advance(time.Second)
	clk.Advance(time.Second)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Loop did not exit after IdleExit")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
