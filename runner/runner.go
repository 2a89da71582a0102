package runner

import (
	"context"
	"io"
	"sync"
	"time"

	_ "github.com/skyplan/skyplan/cloud/registry" // the clouds the runner asks about
	"github.com/skyplan/skyplan/state"
	"golang.org/x/crypto/ssh"
)

// Runner runs tasks on clusters over SSH. The zero value is usable; set
// Stderr to see live logs.
type Runner struct {
	// Stderr receives live, node-prefixed, secret-redacted logs and progress.
	Stderr io.Writer
	// ConnectTimeout bounds waiting for SSH on a fresh node (default 10m).
	ConnectTimeout time.Duration
	// ReconnectWindow bounds reconnecting after a drop (default 60s);
	// after it the node is reported lost.
	ReconnectWindow time.Duration
	// KeepaliveInterval between keepalive@openssh.com probes (default 10s).
	KeepaliveInterval time.Duration
	// ProgressInterval is how often a long wait (SSH on fresh nodes, a job
	// queued behind another's accelerators) reports on stderr (default 10s).
	ProgressInterval time.Duration
	// MaxParallel bounds concurrent SSH operations (default 64).
	MaxParallel int
	// LogsDir returns the local directory for a job's logs (default
	// skyhome.LogsDir).
	LogsDir func(cluster string, jobID int) string
	// User is SKYPILOT_USER (default: the local user name).
	User string
	// Store, when set, receives a local copy of every job's state.
	Store *state.Store
	// Now is the clock (tests).
	Now func() time.Time
	// Pool, when set, keeps query connections (queue, job status, logs,
	// cancel) open between calls (see ConnPool).
	Pool *ConnPool

	keyMu sync.Mutex
	keys  map[string][]ssh.Signer
}

func (r *Runner) connectTimeout() time.Duration {
	if r.ConnectTimeout > 0 {
		return r.ConnectTimeout
	}
	return 10 * time.Minute
}

func (r *Runner) reconnectWindow() time.Duration {
	if r.ReconnectWindow > 0 {
		return r.ReconnectWindow
	}
	return time.Minute
}

func (r *Runner) keepaliveInterval() time.Duration {
	if r.KeepaliveInterval > 0 {
		return r.KeepaliveInterval
	}
	return 10 * time.Second
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) stderr() io.Writer {
	if r.Stderr != nil {
		return r.Stderr
	}
	return io.Discard
}

func (r *Runner) user() string {
	if r.User != "" {
		return r.User
	}
	return localUser()
}

// parallel runs f for every index in [0,n) with at most limit at once and
// returns the errors by index. All nodes start together (bounded), never
// one after another.
func parallel(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) []error {
	if limit <= 0 {
		limit = 64
	}
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(ctx, i)
		}(i)
	}
	wg.Wait()
	return errs
}

// session holds open connections to a cluster's nodes for one operation.
type session struct {
	r     *Runner
	cl    *Cluster
	conns []*conn
	// accel: the job being run holds accelerators, so its driver may
	// queue behind an earlier one (FIFO) and that wait is reported.
	accel bool
	// pooled: the connections belong to Runner.Pool; close keeps them.
	pooled bool
}

// connect waits for SSH on every node in parallel; any node failing fails.
// It reports on stderr which nodes answer while the wait lasts.
func (r *Runner) connect(ctx context.Context, cl *Cluster, timeout time.Duration) (*session, error) {
	s, errs, err := r.dialWatched(ctx, cl, timeout, timeout, true)
	if err != nil {
		return nil, err
	}
	if err := firstError(errs); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// dial opens a connection to every node and waits for each in parallel.
// errs holds each node's wait error, so callers decide which nodes they
// need (all for a launch, only the head for queries); err is a failure to
// set up the connections at all.
func (r *Runner) dial(ctx context.Context, cl *Cluster, headTimeout, workerTimeout time.Duration) (s *session, errs []error, err error) {
	return r.dialWatched(ctx, cl, headTimeout, workerTimeout, false)
}

// dialWatched is dial, reporting the wait's progress when watch is set
// (launch and exec; queries time out in seconds and stay quiet).
func (r *Runner) dialWatched(ctx context.Context, cl *Cluster, headTimeout, workerTimeout time.Duration, watch bool) (s *session, errs []error, err error) {
	hk := &hostKeys{path: cl.KnownHostsFile}
	if hk.path == "" {
		hk.path = KnownHostsPath(cl.Name)
	}
	s = &session{r: r, cl: cl, conns: make([]*conn, len(cl.Nodes))}
	for i, n := range cl.Nodes {
		c, err := r.newConn(cl, n, hk)
		if err != nil {
			s.close()
			return nil, nil, err
		}
		s.conns[i] = c
	}
	stop := func(bool) {}
	if watch {
		stop = r.watchSSHWait(cl, s.conns)
	}
	errs = parallel(ctx, len(s.conns), r.MaxParallel, func(ctx context.Context, i int) error {
		if i == 0 {
			return s.conns[i].waitReady(ctx, headTimeout)
		}
		return s.conns[i].waitReady(ctx, workerTimeout)
	})
	stop(firstError(errs) == nil)
	return s, errs, nil
}

func (s *session) close() {
	if s.pooled {
		return
	}
	for _, c := range s.conns {
		if c != nil {
			c.close()
		}
	}
}

func firstError(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
