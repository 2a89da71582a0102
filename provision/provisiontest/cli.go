package provisiontest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CLIEnvVar makes a test binary act as skyplan: the TestMain of a package
// that uses StartCLI/RunCLI must call os.Exit(cli.Main()) when it is "1".
// Re-executing the test binary keeps concurrent commands real, separate
// processes (the cluster lock is per process).
const CLIEnvVar = "SKYPLAN_E2E_AS_CLI"

// SharedPluginCache is one Terraform plugin cache for every end-to-end
// suite, so the AWS provider is unpacked once per machine, not per test.
func SharedPluginCache() string {
	d := filepath.Join(os.TempDir(), "skyplan-e2e-plugin-cache")
	_ = os.MkdirAll(d, 0o755)
	return d
}

// CLIResult is one skyplan run's exit code and output.
type CLIResult struct {
	Code           int
	Stdout, Stderr string
}

// StartCLI starts the test binary as skyplan args in dir, with env added
// to the process environment and stdin not a terminal. Cancelling ctx
// sends an interrupt (as Ctrl-C would) and kills after a grace period.
func StartCLI(t testing.TB, ctx context.Context, dir string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return startExe(t, ctx, exe, dir, env, args...)
}

func startExe(t testing.TB, ctx context.Context, exe, dir string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), CLIEnvVar+"=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 3 * time.Minute
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

// RunCLI runs skyplan args to completion (bounded by timeout) and logs
// what it printed.
func RunCLI(t testing.TB, timeout time.Duration, dir string, env []string, args ...string) CLIResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return RunBinary(t, exe, timeout, dir, env, args...)
}

// RunBinary is RunCLI with another skyplan binary (a benchmark's baseline
// built from an older commit).
func RunBinary(t testing.TB, exe string, timeout time.Duration, dir string, env []string, args ...string) CLIResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd, out, errb := startExe(t, ctx, exe, dir, env, args...)
	_ = cmd.Wait()
	r := CLIResult{Code: cmd.ProcessState.ExitCode(), Stdout: out.String(), Stderr: errb.String()}
	t.Logf("skyplan %s → exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	return r
}
