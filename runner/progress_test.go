package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

// While a node's SSH is not up yet, the launch says every interval which
// nodes answer, which do not (and why), and how long it has waited; once
// the last node answers it says so and the job runs.
func TestSSHWaitReportsReachableNodes(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 2, "waitprog")
	r.ProgressInterval = 200 * time.Millisecond
	sc.Kill(1)
	done := make(chan error, 1)
	go func() {
		res, err := r.Launch(context.Background(), cl, &task.Task{NumNodes: 2, Run: "echo ran"}, LaunchOptions{})
		if err == nil && res.Status != JobSucceeded {
			err = fmt.Errorf("job %s: %s", res.Status, res.Message)
		}
		done <- err
	}()
	want := fmt.Sprintf("Waiting for SSH on cluster waitprog: 1 of 2 node(s) reachable (head); not yet: worker1 (%s:%d: connection refused).",
		sc.Nodes[1].IP, sc.Nodes[1].Port)
	waitFor(t, "a progress line naming the unreachable worker", func() bool { return strings.Contains(buf.String(), want) })
	if !strings.Contains(buf.String(), " elapsed.\n") {
		t.Errorf("progress line without the elapsed time:\n%s", buf)
	}
	sc.RestartWithNewHostKey(1) // first contact: accepted and pinned
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("launch after the worker came up: %v\n%s", err, buf)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("launch did not finish after the worker came up:\n%s", buf)
	}
	out := buf.String()
	if !strings.Contains(out, "SSH is up on all 2 node(s) of cluster waitprog after ") {
		t.Errorf("no line saying the wait is over:\n%s", out)
	}
	if strings.Index(out, "SSH is up on all") > strings.Index(out, "ran") {
		t.Errorf("the wait's end is reported after the job's output:\n%s", out)
	}
}

// A wait shorter than one interval prints nothing.
func TestQuickSSHWaitIsQuiet(t *testing.T) {
	_, cl, r, buf := testSetup(t, 1, "quiet")
	r.ProgressInterval = time.Minute
	if _, err := r.Launch(context.Background(), cl, &task.Task{NumNodes: 1, Run: "true"}, LaunchOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Waiting for SSH") || strings.Contains(buf.String(), "SSH is up") {
		t.Errorf("a quick connect reported a wait:\n%s", buf)
	}
}

// exec of an accelerator job on a node whose accelerators an earlier job
// holds waits (FIFO); meanwhile it says which job it waits for and for how
// long, and stops saying so once the job runs.
func TestExecBehindAcceleratorJobReportsWait(t *testing.T) {
	_, cl, r, buf := testSetup(t, 1, "busy")
	cl.Accelerators = map[string]float64{"A100": 1}
	r.ProgressInterval = 200 * time.Millisecond
	ctx := context.Background()
	if _, err := r.Launch(ctx, cl, &task.Task{Name: "first", NumNodes: 1, Run: "sleep 120"}, LaunchOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job 1 RUNNING", func() bool {
		j, err := r.JobStatus(ctx, cl, 1)
		return err == nil && j.Status == JobRunning
	})
	done := make(chan error, 1)
	go func() {
		res, err := r.Exec(ctx, cl, &task.Task{Name: "second", NumNodes: 1, Run: "echo second-ran"}, LaunchOptions{})
		if err == nil && res.Status != JobSucceeded {
			err = fmt.Errorf("job %s: %s", res.Status, res.Message)
		}
		done <- err
	}()
	want := "Job 2 is PENDING on head: waiting for job 1, which holds the node's accelerators, to finish (`skyplan queue busy`; `skyplan cancel busy 1` stops it)."
	waitFor(t, "job 2's wait reported", func() bool { return strings.Contains(buf.String(), want) })
	if _, err := r.Cancel(ctx, cl, []int{1}, false); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exec after job 1 was cancelled: %v\n%s", err, buf)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("exec did not finish after job 1 was cancelled:\n%s", buf)
	}
	out := buf.String()
	if i := strings.Index(out, "second-ran"); i < 0 || strings.Contains(out[i:], "is PENDING") {
		t.Errorf("job 2's output missing, or its wait reported after it ran:\n%s", out)
	}
}
