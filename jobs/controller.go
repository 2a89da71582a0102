package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/skyplan/skyplan/controller"
)

// Options configure the jobs controller.
type Options struct {
	Store    *Store
	Clusters Clusters
	Clock    controller.Clock
	Log      *slog.Logger
	// Home is $SKYPLAN_HOME: per-job files live in managed_jobs/<id>/.
	Home string
	// Poll is the head poll interval (config jobs.poll_seconds; 15 s).
	Poll time.Duration
	// StatusTimeout bounds one poll of the head (default max(3 s, 2×Poll)):
	// a head that does not answer within it counts as a failed poll, which
	// only makes the controller ask the cloud.
	StatusTimeout time.Duration
	// UnreachableGrace: a head that does not answer while the cloud says
	// its instances run is given this long before the attempt is given up
	// as hung (default 5 min). Shorter outages never cause a recovery.
	UnreachableGrace time.Duration
	// RetryGap is the first wait between launch retries (SkyPilot's 60 s),
	// growing ×1.6 up to MaxRetryGap (default 5×RetryGap).
	RetryGap    time.Duration
	MaxRetryGap time.Duration
	// SpotPolicy decides spot vs on-demand for each attempt of a job with
	// a deadline; nil keeps the task's use_spot.
	SpotPolicy SpotPolicy
	// Secrets returns a job's secret values by task id (see secrets.go);
	// nil = none.
	Secrets func(taskID string) (map[string]string, error)
	// MaxLaunches bounds concurrent launches and submits (terraform
	// applies and setups) across jobs (default 8, SkyPilot's
	// LAUNCHES_PER_WORKER); polls are not bounded.
	MaxLaunches int
	// Wake asks the daemon for an early pass.
	Wake func()
}

// SpotPolicy decides whether the next attempt of j runs on spot.
type SpotPolicy interface {
	UseSpot(j *Job, attempts []*Attempt, now time.Time) bool
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = controller.RealClock{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 15 * time.Second
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = max(3*time.Second, 2*o.Poll)
	}
	if o.UnreachableGrace <= 0 {
		o.UnreachableGrace = 5 * time.Minute
	}
	if o.RetryGap <= 0 {
		o.RetryGap = 60 * time.Second
	}
	if o.MaxRetryGap <= 0 {
		o.MaxRetryGap = 5 * o.RetryGap
	}
	if o.MaxLaunches <= 0 {
		o.MaxLaunches = 8
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
}

// Controller is the managed-jobs reconciler hosted by the daemon: one
// worker goroutine per active job, each running the level-triggered Step.
type Controller struct {
	o       Options
	started time.Time
	launch  chan struct{} // semaphore of MaxLaunches
	mu      sync.Mutex
	workers map[int64]context.CancelFunc
	wg      sync.WaitGroup
}

var _ controller.Reconciler = (*Controller)(nil)

// New returns the jobs controller.
func New(o Options) *Controller {
	o.defaults()
	return &Controller{o: o, started: o.Clock.Now(), launch: make(chan struct{}, o.MaxLaunches),
		workers: map[int64]context.CancelFunc{}}
}

func (c *Controller) Name() string { return "jobs" }

// Reconcile starts a worker for every active job that has none.
func (c *Controller) Reconcile(ctx context.Context) error {
	ids, err := c.o.Store.ActiveIDs()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if _, ok := c.workers[id]; ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		c.workers[id] = cancel
		w := c.newWorker(id)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			w.run(wctx)
			cancel()
			c.mu.Lock()
			delete(c.workers, id)
			c.mu.Unlock()
			c.o.Wake()
		}()
	}
	return nil
}

// Active: a job not terminal, an attempt not cleaned, or a worker alive.
func (c *Controller) Active(ctx context.Context) (bool, error) {
	c.mu.Lock()
	n := len(c.workers)
	c.mu.Unlock()
	if n > 0 {
		return true, nil
	}
	ids, err := c.o.Store.ActiveIDs()
	return len(ids) > 0, err
}

// Close waits for the workers (their ctx is the daemon's, cancelled first).
func (c *Controller) Close() error {
	c.wg.Wait()
	return nil
}

// JobDir is where a job's logs are kept: attempt-<n>.log per attempt and
// controller.log (what the controller did, with Terraform's progress).
func JobDir(home string, id int64) string {
	return filepath.Join(home, "managed_jobs", strconv.FormatInt(id, 10))
}

// AttemptLog is the saved log of attempt n.
func AttemptLog(home string, id int64, n int) string {
	return filepath.Join(JobDir(home, id), "attempt-"+strconv.Itoa(n)+".log")
}

// ControllerLog is the per-job controller log.
func ControllerLog(home string, id int64) string {
	return filepath.Join(JobDir(home, id), "controller.log")
}

// ClusterName is attempt n's cluster: one per attempt, so tearing down a
// dead attempt never touches the next one.
func ClusterName(id int64, n int) string { return fmt.Sprintf("job%d-a%d", id, n) }

// HeadJobName is the name of attempt n's job on its head (FindJob key).
func HeadJobName(j *Job, n int) string { return fmt.Sprintf("%s-job%d-a%d", j.Name, j.ID, n) }

func (c *Controller) newWorker(id int64) *worker {
	return &worker{c: c, o: &c.o, id: id, resumed: true, bg: map[int]chan struct{}{}}
}

// jobLog appends to the per-job controller log and the daemon log.
type jobLog struct {
	o  *Options
	id int64
	mu sync.Mutex
}

func (l *jobLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	dir := JobDir(l.o.Home, l.id)
	_ = os.MkdirAll(dir, 0o700)
	f, err := os.OpenFile(ControllerLog(l.o.Home, l.id), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return len(p), nil
	}
	defer f.Close()
	return f.Write(p)
}

func (l *jobLog) printf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	l.o.Log.Info(msg, "job", l.id)
	fmt.Fprintf(l, "%s %s\n", l.o.Clock.Now().UTC().Format(time.RFC3339), msg)
}

var _ io.Writer = (*jobLog)(nil)

// slot takes a launch slot (false when ctx ended first); release with unslot.
func (c *Controller) slot(ctx context.Context) bool {
	select {
	case c.launch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Controller) unslot() { <-c.launch }
