package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
)

// liveWith lists live processes whose command line contains marker.
func liveWith(marker string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), marker) && !strings.Contains(string(st), "zombie") {
			out = append(out, e.Name())
		}
	}
	return out
}

// Ctrl-C during an attached run on an SSH node pool leaves the job running
// (SkyPilot detaches from the logs); `down` then stops every process the
// job started on every host before releasing them.
func TestSSHPoolDownAfterCtrlCStopsJobs(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	sc := sshdtest.Start(t, 2)
	if err := os.WriteFile(filepath.Join(skyhome.Dir(), "ssh_node_pools.yaml"), []byte(sc.PoolYAML("lab")), 0o600); err != nil {
		t.Fatal(err)
	}
	taskPath := filepath.Join(t.TempDir(), "task.yaml")
	os.WriteFile(taskPath, []byte("name: longrun\nnum_nodes: 2\nrun: |\n  (sleep 5151 &)\n  sleep 5152\n"), 0o644)

	ctx, interrupt := context.WithCancel(context.Background())
	var errb lockedBuf
	streams := &IO{Out: &lockedBuf{}, Err: &errb, Interrupted: ctx, Environ: os.Getenv}
	pl, ds := task.Load(taskPath, task.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	m, closeM, err := openManager(streams, true)
	if err != nil {
		t.Fatal(err)
	}
	defer closeM()
	done := make(chan diag.Diagnostics, 1)
	go func() {
		_, lds := m.Launch(ctx, cluster.LaunchRequest{Cluster: "labdown", Task: pl.Tasks[0],
			Constraints: cluster.Constraints{Candidates: []optimizer.Placement{{Cloud: "ssh", Region: "lab"}}}})
		done <- lds
	}()
	deadline := time.Now().Add(60 * time.Second)
	for len(liveWith("sleep 5151")) < 2 || len(liveWith("sleep 5152")) < 2 {
		if time.Now().After(deadline) {
			interrupt()
			t.Fatalf("job processes never started on both nodes:\n%s", errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	interrupt() // Ctrl-C
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("launch did not return after the interrupt")
	}
	code, _, errOut := runSkyplan(t, "down", "labdown", "-y")
	if code != 0 {
		t.Fatalf("down exit %d:\n%s", code, errOut)
	}
	if left := append(liveWith("sleep 5151"), liveWith("sleep 5152")...); len(left) > 0 {
		t.Fatalf("job processes left after down: %v\n%s", left, errOut)
	}
	if !strings.Contains(errOut, "Stopped 1 running job(s) of labdown") {
		t.Errorf("down does not say it stopped the job:\n%s", errOut)
	}
}
