package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/skyhome"
)

// As `sky launch`: apply of a task with a service section warns that the
// section is ignored, points to `skyplan serve up`, and runs the task.
func TestApplyRunsTaskWithServiceSection(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	sc := sshdtest.Start(t, 1)
	if err := os.WriteFile(filepath.Join(skyhome.Dir(), "ssh_node_pools.yaml"), []byte(sc.PoolYAML("lab")), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "svc.yaml")
	os.WriteFile(path, []byte(`service:
  readiness_probe: /
  replicas: 2
resources:
  infra: ssh/lab
run: echo "the task itself ran"
`), 0o644)
	code, _, errOut := runSkyplan(t, "apply", path, "-c", "svc", "-y")
	if code != 0 {
		t.Fatalf("apply exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{`Warning: The "service" section is ignored`, "skyplan serve up " + path, "the task itself ran"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, _, errOut := runSkyplan(t, "down", "svc", "-y"); code != 0 {
		t.Fatalf("down: %d\n%s", code, errOut)
	}
}
