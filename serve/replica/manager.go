package replica

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/skyplan/skyplan/cluster"

	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Location pins where a replica is launched (the spot placer's choice or
// an on-demand fallback); nil lets the optimizer choose from the task.
type Location struct {
	Cloud, Region, Zone string
	UseSpot             bool
}

func (l Location) String() string {
	s := l.Cloud
	for _, p := range []string{l.Region, l.Zone} {
		if p != "" {
			s += "/" + p
		}
	}
	if l.UseSpot {
		s += " [Spot]"
	}
	return s
}

// Clusters is what the replica manager needs of cluster.Manager: the only
// way replicas' resources are created and destroyed.
type Clusters interface {
	// Launch brings cluster name up for t (at loc when non-nil) and
	// starts the task's setup and run detached; it returns the cluster
	// record. On error nothing of the cluster may be left running: the
	// manager calls Down anyway.
	Launch(ctx context.Context, name string, t *task.Task, loc *Location) (*state.Cluster, error)
	// Down destroys the cluster; a cluster that does not exist is not an error.
	Down(ctx context.Context, name string) error
	// Up reports whether the cluster's nodes are still there (a refresh:
	// the cloud's view, or for SSH node pools whether the host answers).
	Up(ctx context.Context, name string) (bool, error)
}

// LogSaver is a Clusters that can fetch a replica's run logs (the latest
// job on the cluster's head), so they are kept after the cluster is gone.
type LogSaver interface {
	Logs(ctx context.Context, name string, w io.Writer) error
}

// Manager runs replicas' slow operations (launch, teardown) in the
// background. While an operation runs the replica is busy: only the
// operation's goroutine writes its record, and it writes the result before
// the replica stops being busy, so a reconcile that snapshots Busy first
// and then reads state never sees a stale record of an idle replica.
type Manager struct {
	Store    *state.Store
	Clusters Clusters
	Now      func() time.Time
	// Logf writes to the service's controller log.
	Logf func(service, format string, args ...any)
	// Gone is called the moment a replica stops being able to serve
	// (teardown starts), so the load balancer drops it at once.
	Gone func(service string, r *state.Replica)
	// Timeouts for one launch and one teardown (defaults 30 min, 15 min).
	LaunchTimeout, DownTimeout time.Duration
	// LogFile, when set, is where a replica's run logs are saved before
	// its cluster is destroyed (when Clusters is a LogSaver), for `serve
	// logs NAME ID` after the replica is gone. A replica whose machine is
	// already gone (preempted) keeps only what earlier saves got.
	LogFile func(service string, id int) string

	mu   sync.Mutex
	busy map[string]map[int]bool // service → replica ids
	// retryAt: a failed teardown is not retried before this (service → id).
	retryAt map[string]map[int]time.Time
	// logsSaved: clusters whose logs were saved (once per teardown).
	logsSaved map[string]bool
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

func (m *Manager) init() {
	if m.busy == nil {
		m.busy = map[string]map[int]bool{}
		m.ctx, m.cancel = context.WithCancel(context.Background())
	}
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) logf(service, format string, args ...any) {
	if m.Logf != nil {
		m.Logf(service, format, args...)
	}
}

// Busy returns the ids of service's replicas with an operation running.
func (m *Manager) Busy(service string) map[int]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	out := map[int]bool{}
	for id := range m.busy[service] {
		out[id] = true
	}
	return out
}

// Launching counts replicas of service being launched or torn down.
func (m *Manager) Launching(service string) int { return len(m.Busy(service)) }

func (m *Manager) start(r *state.Replica, f func(ctx context.Context)) bool {
	m.mu.Lock()
	m.init()
	svc, id := r.Service, r.ID
	if m.busy[svc][id] || m.ctx.Err() != nil {
		m.mu.Unlock()
		return false
	}
	if m.busy[svc] == nil {
		m.busy[svc] = map[int]bool{}
	}
	m.busy[svc][id] = true
	m.wg.Add(1)
	ctx := m.ctx
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		defer func() {
			m.mu.Lock()
			delete(m.busy[svc], id)
			m.mu.Unlock()
		}()
		f(ctx)
	}()
	return true
}

// Launch moves a PENDING replica to PROVISIONING (written first) and
// launches its cluster in the background: STARTING with its URL on
// success; on failure its cluster is torn down and it ends
// FAILED_PROVISION. port is the replica's service port.
func (m *Manager) Launch(r *state.Replica, t *task.Task, loc *Location, port int) error {
	r.Status, r.LaunchedAt, r.ChangedAt = state.ReplicaProvisioning, m.now(), m.now()
	if loc != nil {
		r.Cloud, r.Region, r.Zone, r.UseSpot = loc.Cloud, loc.Region, loc.Zone, loc.UseSpot
	}
	if err := m.Store.PutReplica(r); err != nil {
		return err
	}
	rc := *r
	m.start(&rc, func(ctx context.Context) {
		timeout := m.LaunchTimeout
		if timeout <= 0 {
			timeout = 30 * time.Minute
		}
		lctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		m.logf(rc.Service, "replica %d: launching cluster %s (%s)", rc.ID, rc.Cluster, describe(loc))
		cl, err := m.Clusters.Launch(lctx, rc.Cluster, t, loc)
		if err == nil && (cl == nil || len(cl.Nodes) == 0) {
			err = fmt.Errorf("cluster %s came up without nodes", rc.Cluster)
		}
		if err != nil {
			m.logf(rc.Service, "replica %d: launch failed: %v", rc.ID, err)
			rc.Reason = "launch failed: " + err.Error()
			rc.Status, rc.ChangedAt = state.ReplicaShuttingDown, m.now()
			rc.Terminate, rc.FinalStatus = true, state.ReplicaFailedProvision
			_ = m.Store.PutReplica(&rc)
			m.down(ctx, &rc)
			return
		}
		head := cl.Nodes[0]
		ip := head.PublicIP
		if ip == "" {
			ip = head.PrivateIP
		}
		rc.IP = ip
		rc.URL = "http://" + net.JoinHostPort(ip, strconv.Itoa(port))
		rc.Cloud, rc.Region, rc.Zone, rc.UseSpot = cl.Cloud, cl.Region, firstNonEmpty(cl.Zone, head.Zone), cl.UseSpot
		rc.Resources = cluster.ResourcesLabel(cl.NumNodes, firstNonEmpty(cl.InstanceType, "-"), cl.Accelerators, cl.UseSpot)
		rc.Status, rc.StartingAt, rc.ChangedAt = state.ReplicaStarting, m.now(), m.now()
		if err := m.Store.PutReplica(&rc); err != nil {
			m.logf(rc.Service, "replica %d: recording STARTING: %v", rc.ID, err)
			return
		}
		m.logf(rc.Service, "replica %d: cluster up at %s, STARTING", rc.ID, rc.URL)
	})
	return nil
}

func describe(loc *Location) string {
	switch {
	case loc == nil:
		return "optimizer's choice"
	case loc.Cloud == "" && loc.UseSpot:
		return "optimizer's choice [Spot]"
	case loc.Cloud == "":
		return "optimizer's choice, on-demand"
	}
	return loc.String()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Teardown tears a SHUTTING_DOWN replica's cluster down in the background.
// Afterwards the record is deleted (Purge) or left in FinalStatus; if the
// teardown fails the replica stays SHUTTING_DOWN with the error in Reason
// and the next reconcile tries again, so no cluster is forgotten.
func (m *Manager) Teardown(r *state.Replica) bool {
	m.mu.Lock()
	wait := m.retryAt[r.Service][r.ID]
	m.mu.Unlock()
	if m.now().Before(wait) {
		return false
	}
	rc := *r
	return m.start(&rc, func(ctx context.Context) { m.down(ctx, &rc) })
}

func (m *Manager) down(ctx context.Context, r *state.Replica) {
	if m.Gone != nil {
		m.Gone(r.Service, r)
	}
	m.saveLogs(ctx, r)
	timeout := m.DownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Minute
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := m.Clusters.Down(dctx, r.Cluster); err != nil {
		m.logf(r.Service, "replica %d: tearing down cluster %s failed (will retry in %s): %v", r.ID, r.Cluster, teardownRetry, err)
		m.mu.Lock()
		if m.retryAt == nil {
			m.retryAt = map[string]map[int]time.Time{}
		}
		if m.retryAt[r.Service] == nil {
			m.retryAt[r.Service] = map[int]time.Time{}
		}
		m.retryAt[r.Service][r.ID] = m.now().Add(teardownRetry)
		m.mu.Unlock()
		r.Reason = "teardown failed (retrying): " + err.Error()
		_ = m.Store.PutReplica(r)
		return
	}
	m.logf(r.Service, "replica %d: cluster %s down", r.ID, r.Cluster)
	if r.Purge {
		_ = m.Store.DeleteReplica(r.Service, r.ID)
		return
	}
	final := r.FinalStatus
	if final == "" {
		final = state.ReplicaFailed
	}
	r.Status, r.ChangedAt, r.URL = final, m.now(), ""
	_ = m.Store.PutReplica(r)
}

// Stop cancels running operations and waits for them (controller exit). A
// cancelled launch leaves its replica PROVISIONING; the next controller
// tears that cluster down (see the controller's recovery).
func (m *Manager) Stop() {
	m.mu.Lock()
	m.init()
	m.cancel()
	m.mu.Unlock()
	m.wg.Wait()
}

// Wait waits for running operations (tests).
func (m *Manager) Wait() { m.wg.Wait() }

// Running counts operations in flight across services.
func (m *Manager) Running() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ids := range m.busy {
		n += len(ids)
	}
	return n
}

// teardownRetry is the pause before a failed teardown is tried again.
const teardownRetry = 5 * time.Second

// saveLogsTimeout bounds fetching a replica's logs before its teardown (a
// dead head answers nothing; the teardown must not wait long for it).
const saveLogsTimeout = 20 * time.Second

// saveLogs keeps the run logs of a replica whose run was started (it got
// past PROVISIONING) in LogFile, replacing an earlier copy only with a
// longer one.
func (m *Manager) saveLogs(ctx context.Context, r *state.Replica) {
	ls, ok := m.Clusters.(LogSaver)
	// A preempted replica's machine is gone: asking it would only wait.
	if !ok || m.LogFile == nil || r.StartingAt.IsZero() || r.FinalStatus == state.ReplicaPreempted {
		return
	}
	m.mu.Lock()
	done := m.logsSaved[r.Cluster]
	if m.logsSaved == nil {
		m.logsSaved = map[string]bool{}
	}
	m.logsSaved[r.Cluster] = true
	m.mu.Unlock()
	if done { // a teardown being retried
		return
	}
	final := m.LogFile(r.Service, r.ID)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return
	}
	part := final + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, saveLogsTimeout)
	err = ls.Logs(lctx, r.Cluster, f)
	cancel()
	f.Close()
	if err != nil {
		m.logf(r.Service, "replica %d: saving its logs: %v", r.ID, err)
	}
	if p, err := os.Stat(part); err == nil && p.Size() > 0 {
		if old, err := os.Stat(final); err != nil || old.Size() < p.Size() {
			_ = os.Rename(part, final)
			return
		}
	}
	os.Remove(part)
}
