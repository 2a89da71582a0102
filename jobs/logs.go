package jobs

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// Logs of an attempt are kept in AttemptLog: while the attempt runs, a
// follower streams the head's logs into a .part file; when the attempt
// ends (preempted, failed, done) whatever the head still serves is fetched
// once more, and the longer copy wins. So a preempted attempt keeps what
// was streamed before its node died, and a failed one keeps everything.

type follower struct {
	attempt int
	cancel  context.CancelFunc
	done    chan struct{}
}

func (w *worker) ensureFollow(ctx context.Context, j *Job, a *Attempt) {
	if w.follow != nil && w.follow.attempt == a.N {
		return
	}
	w.stopFollow()
	fctx, cancel := context.WithCancel(ctx)
	f := &follower{attempt: a.N, cancel: cancel, done: make(chan struct{})}
	w.follow = f
	part := AttemptLog(w.o.Home, j.ID, a.N) + ".stream"
	go func() {
		defer close(f.done)
		// Reconnect while the attempt lives: a stream that drops on a
		// blip resumes (the head serves the whole log again).
		for fctx.Err() == nil {
			if err := os.MkdirAll(filepath.Dir(part), 0o700); err != nil {
				return
			}
			out, err := os.Create(part)
			if err != nil {
				return
			}
			_ = w.o.Clusters.Logs(fctx, a.Cluster, a.HeadJob, true, out)
			out.Close()
			keepLonger(part, AttemptLog(w.o.Home, j.ID, a.N))
			select {
			case <-fctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}

func (w *worker) stopFollow() {
	if w.follow == nil {
		return
	}
	w.follow.cancel()
	<-w.follow.done
	w.follow = nil
}

// saveLogs fetches what the head still serves of a's job (bounded wait:
// a dead head answers nothing) and keeps it if longer than the streamed copy.
func (w *worker) saveLogs(ctx context.Context, a *Attempt) {
	w.stopFollow()
	if a.HeadJob == 0 {
		return
	}
	final := AttemptLog(w.o.Home, a.JobID, a.N)
	part := final + ".final"
	if err := os.MkdirAll(filepath.Dir(part), 0o700); err != nil {
		return
	}
	out, err := os.Create(part)
	if err != nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, w.o.StatusTimeout)
	_ = w.o.Clusters.Logs(lctx, a.Cluster, a.HeadJob, false, out)
	cancel()
	out.Close()
	keepLonger(part, final)
}

// keepLonger renames src over dst when it holds more, else removes it.
func keepLonger(src, dst string) {
	s, err := os.Stat(src)
	if err != nil {
		return
	}
	if d, err := os.Stat(dst); err == nil && d.Size() >= s.Size() {
		os.Remove(src)
		return
	}
	_ = os.Rename(src, dst)
}
