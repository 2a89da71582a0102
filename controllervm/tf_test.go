package controllervm

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

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

func runTF(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := tf(dir, env, args...)
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

func tf(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("terraform", append(args, "-no-color")...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
