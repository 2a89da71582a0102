package runner

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Two waits can last minutes with nothing to show: a fresh node's SSH
// coming up, and a job queued behind another that holds a node's
// accelerators. Both report on stderr every ProgressInterval, so a user
// sees which nodes answer, what the job waits for and for how long,
// instead of a silent terminal. A wait shorter than one interval prints
// nothing.

const defaultProgressInterval = 10 * time.Second

func (r *Runner) progressInterval() time.Duration {
	if r.ProgressInterval > 0 {
		return r.ProgressInterval
	}
	return defaultProgressInterval
}

// ticker calls report every interval until the returned stop is called;
// stop waits for a report in progress, so nothing prints after it.
func (r *Runner) ticker(report func(elapsed time.Duration)) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.progressInterval())
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				report(time.Since(start))
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// sshWaitProgress reports which of a cluster's nodes answer SSH while
// connect waits for all of them, and says when the wait is over if it
// reported at all.
type sshWaitProgress struct {
	out      io.Writer
	cluster  string
	conns    []*conn
	mu       sync.Mutex
	reported bool
	start    time.Time
}

func (r *Runner) watchSSHWait(cl *Cluster, conns []*conn) (stop func(ok bool)) {
	p := &sshWaitProgress{out: r.stderr(), cluster: cl.Name, conns: conns, start: time.Now()}
	stopTicker := r.ticker(p.report)
	return func(ok bool) {
		stopTicker()
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.reported && ok {
			fmt.Fprintf(p.out, "SSH is up on all %d node(s) of cluster %s after %s.\n", len(p.conns), p.cluster, roundElapsed(time.Since(p.start)))
		}
	}
}

func (p *sshWaitProgress) report(elapsed time.Duration) {
	var up, waiting []string
	for _, c := range p.conns {
		if c.connected() {
			up = append(up, c.node.Name())
			continue
		}
		w := c.node.Name() + " (" + c.addr()
		if e := c.lastWaitError(); e != "" {
			w += ": " + e
		}
		waiting = append(waiting, w+")")
	}
	if len(waiting) == 0 {
		return
	}
	reachable := "none"
	if len(up) > 0 {
		reachable = strings.Join(up, ", ")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reported = true
	fmt.Fprintf(p.out, "Waiting for SSH on cluster %s: %d of %d node(s) reachable (%s); not yet: %s. %s elapsed.\n",
		p.cluster, len(up), len(p.conns), reachable, strings.Join(waiting, ", "), roundElapsed(elapsed))
}

// watchPending reports, while node i's driver of job jobID is PENDING
// behind an earlier accelerator job on that node, which job it waits for.
// It stops once the job's output starts (the wait is over) or the status
// is no longer PENDING; stop ends it early.
func (s *session) watchPending(ctx context.Context, jobID, i int, l *nodeLog) (stop func()) {
	if !s.accel {
		return func() {} // only accelerator jobs queue (wrapScript)
	}
	c := s.conns[i]
	from := l.offset()
	var over bool
	return s.r.ticker(func(elapsed time.Duration) {
		if over || l.offset() > from || ctx.Err() != nil {
			over = true
			return
		}
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := c.output(qctx, pendingCmd(jobID), nil)
		if err != nil {
			return // the stream itself reports a lost node
		}
		status, holder, _ := strings.Cut(strings.TrimSpace(out), "|")
		if status != JobPending || l.offset() > from {
			over = true
			return
		}
		msg := fmt.Sprintf("Job %d is PENDING on %s: waiting for job %s, which holds the node's accelerators, to finish (`skyplan queue %s`; `skyplan cancel %s %s` stops it). %s elapsed.",
			jobID, c.node.Name(), holder, s.cl.Name, s.cl.Name, holder, roundElapsed(elapsed))
		if holder == "" {
			msg = fmt.Sprintf("Job %d is PENDING on %s (`skyplan queue %s`). %s elapsed.", jobID, c.node.Name(), s.cl.Name, roundElapsed(elapsed))
		}
		io.WriteString(l.out, msg+"\n")
	})
}

// pendingCmd prints "STATUS|JOB" for a job on a node: its status and the
// earlier job its driver found holding the accelerators (wrapScript).
func pendingCmd(jobID int) string {
	return fmt.Sprintf(`J=%s; printf '%%s|%%s' "$(cat "$J/status" 2>/dev/null)" "$(cat "$J/waiting_for" 2>/dev/null)"`, jobDir(jobID))
}

func roundElapsed(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Second)
}
