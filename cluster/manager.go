package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
)

// Options build a Manager. Only Store is required.
type Options struct {
	// Store is the state database every operation records into.
	Store *state.Store
	// Config is the user and project configuration (ssh_cidrs, backend,
	// per-cloud settings).
	Config config.Config
	// Log receives progress (Terraform's stream, runner logs, notes).
	// Never stdout in the CLI; io.Discard when nil. A request's own Log
	// wins for that call.
	Log io.Writer
	// LogTTY makes Terraform's progress redraw one line (a terminal).
	LogTTY bool
	// Home is $SKYPLAN_HOME (cluster directories live in Home/clusters);
	// default skyhome.Dir().
	Home string
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Toolchain finds terraform; called once, on the first operation that
	// needs it (SSH node pools never do). Default provision.NewToolchain.
	Toolchain func(ctx context.Context) (*provision.Toolchain, error)
	// Compile turns a placement into a root module (compiler.Compile).
	Compile func(compiler.Input) (*compiler.Module, diag.Diagnostics)
	// Catalog prices the optimizer's placements and resolves images
	// (catalog.Load when nil).
	Catalog *catalog.Catalog
	// SSHPools loads the SSH node pools (sshpool.Load when nil).
	SSHPools func() (map[string]*sshpool.Pool, diag.Diagnostics)
	// Version is written into generated headers.
	Version string
	// HTTPClient asks the SSH source detection service (ssh_detect_url);
	// http.DefaultClient when nil. Tests give an httptest TLS client.
	HTTPClient *http.Client
	// KeepConnections keeps one SSH connection per node open between
	// queries (Queue, JobStatus, Logs, Cancel): for a long-lived caller
	// that polls, the jobs controller. Release a torn-down cluster's
	// with CloseConnections.
	KeepConnections bool
}

// Manager runs cluster operations. It holds no process-wide state: several
// Managers (or one Manager from many goroutines) may work at once; two
// operations on one cluster never overlap (an in-process lock plus the
// store's cross-process lock).
type Manager struct {
	store   *state.Store
	cfg     config.Config
	log     io.Writer
	tty     bool
	home    string
	getenv  func(string) string
	version string
	catalog *catalog.Catalog
	compile func(compiler.Input) (*compiler.Module, diag.Diagnostics)
	pools   func() (map[string]*sshpool.Pool, diag.Diagnostics)
	http    *http.Client

	findTC func(ctx context.Context) (*provision.Toolchain, error)
	tcMu   sync.Mutex
	tc     *provision.Toolchain

	busyMu sync.Mutex
	busy   map[string]string // cluster → operation holding it in this process

	conns *runner.ConnPool // KeepConnections; nil otherwise
}

// poolPickMu serialises choosing SSH node pool hosts in this process, for
// every Manager in it (the jobs and serve controllers each have one): the
// store's pool lock is per process, so it cannot keep two goroutines of
// one process apart.
var poolPickMu sync.Mutex

// New returns a Manager.
func New(opts Options) (*Manager, error) {
	if opts.Store == nil {
		return nil, errors.New("cluster.New: Options.Store is required")
	}
	m := &Manager{store: opts.Store, cfg: opts.Config, log: opts.Log, tty: opts.LogTTY, home: opts.Home,
		getenv: opts.Getenv, version: opts.Version, catalog: opts.Catalog, compile: opts.Compile,
		pools: opts.SSHPools, findTC: opts.Toolchain, http: opts.HTTPClient, busy: map[string]string{}}
	if opts.KeepConnections {
		m.conns = runner.NewConnPool()
	}
	if m.log == nil {
		m.log = io.Discard
	}
	if m.home == "" {
		m.home = skyhome.Dir()
	}
	if m.getenv == nil {
		m.getenv = os.Getenv
	}
	if m.compile == nil {
		m.compile = compiler.Compile
	}
	if m.pools == nil {
		m.pools = sshpool.Load
	}
	if m.findTC == nil {
		home, getenv := m.home, m.getenv
		m.findTC = func(ctx context.Context) (*provision.Toolchain, error) {
			return provision.NewToolchain(ctx, toolchainOptions(home, getenv, nil))
		}
	}
	return m, nil
}

// Store is the state database the Manager records into.
func (m *Manager) Store() *state.Store { return m.store }

// Config is the configuration the Manager was built with.
func (m *Manager) Config() config.Config { return m.cfg }

// Dir is the Terraform directory of a new cluster.
func (m *Manager) Dir(name string) string { return filepath.Join(m.home, "clusters", name) }

func (m *Manager) logTo(w io.Writer) io.Writer {
	if w != nil {
		return w
	}
	return m.log
}

func (m *Manager) catalogOrLoad() (*catalog.Catalog, error) {
	if m.catalog != nil {
		return m.catalog, nil
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	m.tcMu.Lock()
	m.catalog = cat
	m.tcMu.Unlock()
	return cat, nil
}

// toolchain finds terraform once per Manager.
func (m *Manager) toolchain(ctx context.Context) (*provision.Toolchain, error) {
	m.tcMu.Lock()
	defer m.tcMu.Unlock()
	if m.tc != nil {
		return m.tc, nil
	}
	tc, err := m.findTC(ctx)
	if err != nil {
		return nil, err
	}
	m.tc = tc
	return tc, nil
}

func (m *Manager) workspace(ctx context.Context, dir string, log io.Writer) (*provision.Workspace, error) {
	tc, err := m.toolchain(ctx)
	if err != nil {
		return nil, err
	}
	return tc.Workspace(dir, log, m.tty && log == m.log)
}

// lock takes cluster name for op: first in this process, then across
// processes through the store. A held lock is a "Cluster is busy" error.
func (m *Manager) lock(name, op string) (func(), diag.Diagnostics) {
	busy := func(holder string) diag.Diagnostics {
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster is busy",
			Detail: fmt.Sprintf("Another skyplan process is changing cluster %q (%s). Wait for it to finish, then run the command again.", name, holder)}}
	}
	m.busyMu.Lock()
	if holder, ok := m.busy[name]; ok {
		m.busyMu.Unlock()
		return nil, busy(holder + " in this process")
	}
	m.busy[name] = op
	m.busyMu.Unlock()
	unbusy := func() {
		m.busyMu.Lock()
		delete(m.busy, name)
		m.busyMu.Unlock()
	}
	release, stale, err := m.store.LockReport("cluster/"+name, op)
	if stale != "" {
		fmt.Fprintln(m.log, stale) // e.g. left by a kill -9 of an apply
	}
	if errors.Is(err, state.ErrLocked) {
		unbusy()
		return nil, busy(err.Error())
	}
	if err != nil {
		unbusy()
		return nil, diag.Diagnostics{}.Append(err)
	}
	return func() { _ = release(); unbusy() }, nil
}

// Get returns a cluster's record.
func (m *Manager) Get(name string) (*state.Cluster, diag.Diagnostics) {
	sc, err := m.store.GetCluster(name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, diag.Diagnostics{notFound(name)}
	}
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	return sc, nil
}

// List returns the records of the named clusters (all when none is named),
// sorted by name. Names without a record are left out.
func (m *Manager) List(names ...string) ([]*state.Cluster, diag.Diagnostics) {
	all, err := m.store.ListClusters()
	if err != nil {
		return nil, diag.Diagnostics{}.Append(err)
	}
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []*state.Cluster
	for _, sc := range all {
		if want[sc.Name] {
			out = append(out, sc)
		}
	}
	return out, nil
}

func notFound(name string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No cluster named %q", name),
		Detail: "See `skyplan status` for the clusters skyplan knows."}
}

// runnerFor prepares the SSH runner and its view of cluster sc.
func (m *Manager) runnerFor(sc *state.Cluster, log io.Writer) (*runner.Runner, *runner.Cluster, error) {
	cl, err := runner.ClusterFromState(sc, m.cfg)
	if err != nil {
		return nil, nil, err
	}
	return &runner.Runner{Stderr: log, Store: m.store, Pool: m.conns}, cl, nil
}

// CloseConnections closes the kept SSH connections to cluster (it was torn
// down, or its nodes replaced). A no-op without KeepConnections.
func (m *Manager) CloseConnections(cluster string) {
	if m.conns != nil {
		m.conns.Forget(cluster)
	}
}

// SSHDials counts the SSH handshakes of kept connections (benchmarks).
func (m *Manager) SSHDials() int64 {
	if m.conns == nil {
		return 0
	}
	return m.conns.Dials()
}
