package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

// A pooled runner polls a head over one SSH connection; a connection
// that breaks (its sshd processes killed) is dialled again on the next
// query; a hung sshd makes a bounded query fail instead of blocking, and
// answers again once it resumes; Forget closes the cluster's connections.
func TestConnPoolReusesAndRecovers(t *testing.T) {
	sc, cl, r, _ := testSetup(t, 2, "pooltest")
	ctx := context.Background()
	if res, err := r.Launch(ctx, cl, &task.Task{Name: "sleeper", NumNodes: 2, Run: "sleep 120"}, LaunchOptions{Detach: true}); err != nil || res.JobID != 1 {
		t.Fatalf("launch: %+v %v", res, err)
	}
	pool := NewConnPool()
	t.Cleanup(pool.Close)
	r.Pool = pool
	poll := func(timeout time.Duration) (JobInfo, error) {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return r.JobStatus(pctx, cl, 1)
	}
	for i := 0; i < 10; i++ {
		if j, err := poll(10 * time.Second); err != nil || j.Status != JobRunning {
			t.Fatalf("poll %d: %+v %v", i, j, err)
		}
	}
	if d := pool.Dials(); d != 2 {
		t.Fatalf("10 polls of a 2-node cluster dialled %d times, want 2 (one per node)", d)
	}

	// The connection breaks (sshd's per-connection processes die): the
	// next poll dials the head again and answers.
	sc.DropConnections(0)
	var err error
	waitFor(t, "a poll after the drop", func() bool {
		_, err = poll(10 * time.Second)
		return err == nil
	})
	if d := pool.Dials(); d < 3 {
		t.Errorf("no new dial after the drop: %d", d)
	}

	// A hung sshd: the poll returns by its deadline (an error), never
	// waits for the keepalive; after the node resumes, polls answer.
	resume := sc.Hang(0)
	done := make(chan error, 1)
	go func() { _, err := poll(2 * time.Second); done <- err }()
	select {
	case err = <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("poll of a hung head: %v, want the deadline", err)
		}
	case <-time.After(30 * time.Second):
		resume()
		t.Fatal("a poll of a hung head did not return by its deadline")
	}
	resume()
	waitFor(t, "a poll after the node resumed", func() bool {
		j, err := poll(10 * time.Second)
		return err == nil && j.Status == JobRunning
	})

	before := pool.Dials()
	pool.Forget(cl.Name)
	if _, err := poll(10 * time.Second); err != nil || pool.Dials() != before+2 {
		t.Errorf("after Forget: %v, dials %d → %d (want a fresh dial per node)", err, before, pool.Dials())
	}
}
