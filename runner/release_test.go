package runner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/task"
)

// processesWith lists live processes whose command line contains marker.
func processesWith(marker string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), marker) {
			continue
		}
		if st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status")); strings.Contains(string(st), "zombie") {
			continue
		}
		out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
	}
	return out
}

// Two clusters share a pool host: each queue shows only its own jobs;
// releasing one cluster (what `down` does) kills every process its jobs
// started, background children included, and leaves the other's alone;
// a dead worker does not stop queue.
func TestReleasePoolClusterAndQueuePerCluster(t *testing.T) {
	sc, a, r, buf := testSetup(t, 2, "pool-a")
	ctx := context.Background()
	b := &Cluster{Name: "pool-b", Cloud: "ssh", Region: "testpool", KnownHostsFile: a.KnownHostsFile, Nodes: a.Nodes[:1]}

	long := &task.Task{Name: "trainer", NumNodes: 2, Run: `(sleep 4242 &); sleep 4243 & wait`}
	if res, err := r.Launch(ctx, a, long, LaunchOptions{Detach: true}); err != nil {
		t.Fatalf("%+v %v\n%s", res, err, buf)
	}
	other := &task.Task{Name: "other", NumNodes: 1, Run: `sleep 4244`}
	if res, err := r.Launch(ctx, b, other, LaunchOptions{Detach: true}); err != nil {
		t.Fatalf("%+v %v\n%s", res, err, buf)
	}
	waitFor(t, "both clusters' job processes", func() bool {
		return len(processesWith("sleep 4242")) == 2 && len(processesWith("sleep 4243")) == 2 && len(processesWith("sleep 4244")) == 1
	})
	for cl, want := range map[*Cluster]string{a: "trainer", b: "other"} {
		jobs, err := r.Queue(ctx, cl, nil)
		if err != nil || len(jobs) != 1 || jobs[0].Name != want {
			t.Fatalf("queue of %s = %+v %v, want only its job %q", cl.Name, jobs, err, want)
		}
	}

	stopped, unreachable, err := r.Release(ctx, a)
	if err != nil || stopped != 1 || len(unreachable) > 0 {
		t.Fatalf("release of pool-a: %d stopped, unreachable %v, %v", stopped, unreachable, err)
	}
	if left := append(processesWith("sleep 4242"), processesWith("sleep 4243")...); len(left) > 0 {
		t.Fatalf("pool-a's job processes left after release: %v", left)
	}
	if len(processesWith("sleep 4244")) != 1 {
		t.Fatalf("release of pool-a stopped pool-b's job")
	}
	if jobs, err := r.Queue(ctx, a, nil); err != nil || len(jobs) != 0 {
		t.Errorf("pool-a's queue after release = %+v %v", jobs, err)
	}

	// A dead worker: queue answers from the head and says so.
	sc.Kill(1)
	var warned []string
	if _, err := r.Queue(ctx, a, func(m string) { warned = append(warned, m) }); err != nil || len(warned) != 1 {
		t.Errorf("queue with a dead worker: %v, warnings %v", err, warned)
	}
	if _, unreachable, err := r.Release(ctx, b); err != nil || len(unreachable) > 0 {
		t.Fatalf("release of pool-b: %v %v", unreachable, err)
	}
	// A lost machine runs nothing: release reports it and does not fail.
	if _, unreachable, err := r.Release(ctx, a); err != nil || len(unreachable) != 1 || !strings.Contains(unreachable[0], "worker1") {
		t.Fatalf("release with a dead worker: unreachable %v, %v", unreachable, err)
	}
	if left := processesWith("sleep 4244"); len(left) > 0 {
		t.Fatalf("pool-b's job left: %v", left)
	}
}
