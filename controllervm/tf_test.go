package controllervm

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

// tfEnv is the environment of terraform in these tests: providers from
// the machine's filesystem mirror through the shared plugin cache, dummy
// credentials, and endpoint (moto, a recorder, or an unroutable address).
func tfEnv(t *testing.T, endpoint string) []string {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform not on PATH")
	}
	cli, err := provision.CLIConfigEnv(provision.CLIConfigOptions{Mirrors: provision.DefaultMirrors(os.Getenv),
		PluginCacheDir: provisiontest.SharedPluginCache(), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	env := os.Environ()
	for k, v := range cli {
		env = append(env, k+"="+v)
	}
	for k, v := range provisiontest.Env(endpoint) {
		env = append(env, k+"="+v)
	}
	return append(env, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
}

// runTF runs one terraform command, logging how long it took, and fails
// the test when it fails or does not finish before the test's deadline.
func runTF(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := testContext(t)
	defer cancel()
	start := time.Now()
	out, err := tfContext(ctx, dir, env, args...)
	t.Logf("terraform %s in %s: %s", args[0], filepath.Base(dir), time.Since(start).Round(100*time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("terraform %s in %s had not finished %s before the test's deadline (each terraform run against moto takes tens of seconds on a loaded machine: give go test a longer -timeout)\n%s", strings.Join(args, " "), dir, deadlineMargin, out)
	}
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// deadlineMargin is kept free before the test binary's -timeout, so a
// slow step fails the test (naming the step, running its cleanups, which
// destroy what moto holds) instead of panicking the whole binary.
const deadlineMargin = 45 * time.Second

// testContext ends deadlineMargin before the test's deadline (-timeout).
func testContext(t *testing.T) (context.Context, context.CancelFunc) {
	if d, ok := t.Deadline(); ok {
		return context.WithDeadline(context.Background(), d.Add(-deadlineMargin))
	}
	return context.WithCancel(context.Background())
}

// tf runs terraform without a deadline (cleanups).
func tf(dir string, env []string, args ...string) (string, error) {
	return tfContext(context.Background(), dir, env, args...)
}

func tfContext(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "terraform", append(args, "-no-color")...)
	cmd.Dir, cmd.Env = dir, env
	// Terraform stops cleanly (and releases its providers) on an interrupt.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
