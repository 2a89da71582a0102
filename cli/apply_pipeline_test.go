package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
)

// A pipeline on an SSH node pool (every sshd node is this machine, so the
// tasks hand data over through /tmp here): tasks run in order on their own
// clusters <pipeline>-<task>, each torn down after its task; a failing
// task stops the pipeline with its exit code and is named.
func TestApplyPipelineOnSSHPool(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	sc := sshdtest.Start(t, 2)
	if err := os.WriteFile(filepath.Join(skyhome.Dir(), "ssh_node_pools.yaml"), []byte(sc.PoolYAML("lab")), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe.yaml")
	os.WriteFile(pipe, []byte(`name: etl
---
name: prep
resources:
  infra: ssh/lab
run: echo "prep ran on $SKYPILOT_NODE_RANK" && echo prepared > /tmp/`+filepath.Base(dir)+`-prep
---
name: train
resources:
  infra: ssh/lab
run: echo "train sees $(cat /tmp/`+filepath.Base(dir)+`-prep)"
`), 0o644)
	defer os.Remove("/tmp/" + filepath.Base(dir) + "-prep")

	code, _, errOut := runSkyplan(t, "apply", pipe, "-y")
	if code != 0 {
		t.Fatalf("pipeline apply exit %d:\n%s", code, errOut)
	}
	iPrep, iTrain := strings.Index(errOut, "prep ran on 0"), strings.Index(errOut, "train sees prepared")
	if iPrep < 0 || iTrain < iPrep || !strings.Contains(errOut, `task 2/2 "train" on cluster etl-train`) {
		t.Fatalf("tasks did not run in order:\n%s", errOut)
	}
	store, err := state.Open(skyhome.StateDB())
	if err != nil {
		t.Fatal(err)
	}
	left, _ := store.ListClusters()
	store.Close()
	if len(left) != 0 {
		t.Fatalf("clusters left after the pipeline: %d", len(left))
	}

	// A failure stops the pipeline; --keep keeps the failed task's cluster.
	os.WriteFile(pipe, []byte(`name: etl
---
name: prep
resources:
  infra: ssh/lab
run: exit 3
---
name: train
resources:
  infra: ssh/lab
run: echo "train must not run"
`), 0o644)
	code, _, errOut = runSkyplan(t, "apply", pipe, "-y", "--keep")
	if code != 3 || !strings.Contains(errOut, `Pipeline etl stopped at task "prep" (1/2)`) || strings.Contains(errOut, "train must not run") {
		t.Fatalf("failing pipeline: exit %d:\n%s", code, errOut)
	}
	store, _ = state.Open(skyhome.StateDB())
	defer store.Close()
	if c, err := store.GetCluster("etl-prep"); err != nil || c.Status != state.StatusUp {
		t.Fatalf("--keep: cluster etl-prep not kept: %v", err)
	}
}
