package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Options configure a Controller.
type Options struct {
	Store      *state.Store
	Clusters   replica.Clusters
	Components Components
	// Now is the clock (default time.Now); tests pass a virtual one.
	Now func() time.Time
	// LoadSpec parses one service version's task.
	LoadSpec func(v state.ServiceVersion) (*Spec, error)
	// Host the load balancers listen on (default 127.0.0.1); a
	// controller VM's daemon listens on 0.0.0.0 (serve.listen_host).
	Host string
	// EndpointHost is the host in a service's endpoint (default Host):
	// a controller VM's public address (serve.endpoint_host).
	EndpointHost string
	// Ports, when set, are the only ports a new load balancer takes (the
	// first free one): a controller VM's serve_ports, the ones its
	// security group opens to serve.allowed_cidrs. nil: any free port.
	Ports []task.PortRange
	// DrainTimeout bounds waiting for a replica's in-flight requests on
	// scale-down and updates (SkyServe: 120 s).
	DrainTimeout time.Duration
	// MaxConcurrentLaunches per service (SkyServe: 4).
	MaxConcurrentLaunches int
	// MaxUserFailures: after this many replicas of the newest version end
	// FAILED_PROBING without ever becoming ready (or their run fails),
	// and none was ever ready, the service is FAILED instead of
	// relaunching forever.
	MaxUserFailures int
	// ProbeClient is the readiness probes' HTTP client.
	ProbeClient *http.Client
	// LogDir returns a service's log directory (default
	// $SKYPLAN_HOME/serve/<name>).
	LogDir func(service string) string
}

// Controller reconciles every service in state.
type Controller struct {
	o   Options
	mgr *replica.Manager

	mu       sync.Mutex
	services map[string]*runtime
}

// runtime is one service's in-process parts, rebuilt after a restart.
type runtime struct {
	name    string
	lb      Balancer
	ln      net.Listener
	scaler  Scaler
	placer  Placer
	version int // the version scaler and placer were built from
	specs   map[int]*Spec
	// reported: replicas whose lost spot location the placer was told.
	reported map[int]bool
	// scalerVersion: the version the scaler was built for (0: none yet;
	// the saved state is restored only into the first one).
	scalerVersion int
	// failMsg explains why the newest version stopped launching.
	failMsg string
	// probed: when each replica was last probed (ProbeInterval);
	// upChecked: when its cluster was last refreshed after a failure.
	probed  map[int]time.Time
	probeMu sync.Mutex
	probing map[int]bool                // probes in flight
	results map[int]replica.Observation // arrived, not yet applied
	// pulled: READY replicas a failed probe took out of rotation whose
	// result is not applied yet (syncRotation must not put them back);
	// gone: replicas whose cluster a background refresh found gone.
	pulled, gone map[int]bool
	upMu         sync.Mutex
	upChecked    map[int]time.Time
	upRunning    map[int]bool // refreshes in flight
	log          *os.File
	logMu        sync.Mutex
}

// New returns a controller; call Reconcile periodically and Close at exit.
func New(o Options) *Controller {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.EndpointHost == "" {
		o.EndpointHost = o.Host
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 120 * time.Second
	}
	if o.MaxConcurrentLaunches <= 0 {
		o.MaxConcurrentLaunches = 4
	}
	if o.MaxUserFailures <= 0 {
		o.MaxUserFailures = 3
	}
	if o.ProbeClient == nil {
		o.ProbeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	if o.LogDir == nil {
		o.LogDir = LogDir
	}
	c := &Controller{o: o, services: map[string]*runtime{}}
	c.mgr = &replica.Manager{Store: o.Store, Clusters: o.Clusters, Now: o.Now, Logf: c.logf,
		LogFile: func(service string, id int) string {
			return filepath.Join(o.LogDir(service), ReplicaLogName(id))
		},
		Gone: func(service string, r *state.Replica) { c.removeFromRotation(service, r.URL) }}
	return c
}

// LogDir is a service's log directory: controller.log, load_balancer.log.
func LogDir(service string) string { return skyhome.Path("serve", service) }

// ReplicaLogName is the file in a service's log directory that keeps
// replica id's run logs once its cluster is torn down.
func ReplicaLogName(id int) string { return fmt.Sprintf("replica-%d.log", id) }

// ReplicaLog is that file under $SKYPLAN_HOME.
func ReplicaLog(service string, id int) string {
	return filepath.Join(LogDir(service), ReplicaLogName(id))
}

// ControllerLog and LoadBalancerLog are the files `serve logs` reads.
func ControllerLog(service string) string { return filepath.Join(LogDir(service), "controller.log") }
func LoadBalancerLog(service string) string {
	return filepath.Join(LogDir(service), "load_balancer.log")
}

func (c *Controller) logf(service, format string, args ...any) {
	c.mu.Lock()
	rt := c.services[service]
	c.mu.Unlock()
	line := c.o.Now().UTC().Format("2006-01-02 15:04:05.000") + " " + fmt.Sprintf(format, args...) + "\n"
	if rt == nil || rt.log == nil {
		if err := os.MkdirAll(c.o.LogDir(service), 0o700); err == nil {
			if f, err := os.OpenFile(filepath.Join(c.o.LogDir(service), "controller.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
				f.WriteString(line)
				f.Close()
			}
		}
		return
	}
	rt.logMu.Lock()
	rt.log.WriteString(line)
	rt.logMu.Unlock()
}

func (c *Controller) removeFromRotation(service, url string) {
	if url == "" {
		return
	}
	c.mu.Lock()
	rt := c.services[service]
	c.mu.Unlock()
	if rt != nil && rt.lb != nil {
		rt.lb.Remove(url)
	}
}

// Rotation is the replicas service's load balancer sends requests to now.
func (c *Controller) Rotation(service string) []string {
	c.mu.Lock()
	rt := c.services[service]
	c.mu.Unlock()
	if rt == nil || rt.lb == nil {
		return nil
	}
	return rt.lb.Replicas()
}

// Endpoint is a running service's load balancer URL ("" if not running).
func (c *Controller) Endpoint(service string) string {
	svc, err := c.o.Store.GetService(service)
	if err != nil {
		return ""
	}
	return svc.Endpoint
}

// Reconcile runs one pass over every service. Errors of one service do not
// stop the others; they are logged and returned joined.
func (c *Controller) Reconcile(ctx context.Context) error {
	services, err := c.o.Store.ListServices()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var errs []error
	for _, svc := range services {
		seen[svc.Name] = true
		if err := c.reconcileService(ctx, svc); err != nil {
			c.logf(svc.Name, "reconcile: %v", err)
			errs = append(errs, fmt.Errorf("service %s: %w", svc.Name, err))
		}
	}
	c.mu.Lock()
	var gone []*runtime
	for name, rt := range c.services {
		if !seen[name] {
			gone = append(gone, rt)
			delete(c.services, name)
		}
	}
	c.mu.Unlock()
	for _, rt := range gone {
		rt.close()
	}
	return errors.Join(errs...)
}

// Close stops the load balancers and waits for running launches and
// teardowns to be cancelled. Replicas keep running: the next controller
// adopts them.
func (c *Controller) Close() error {
	c.mgr.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, rt := range c.services {
		rt.close()
		delete(c.services, name)
	}
	return nil
}

// Wait waits for background launches and teardowns (tests).
func (c *Controller) Wait() { c.mgr.Wait() }

func (rt *runtime) close() {
	if rt.lb != nil {
		rt.lb.Close()
	}
	if rt.ln != nil {
		rt.ln.Close()
	}
	if rt.log != nil {
		rt.log.Close()
	}
}

// spec returns the parsed spec of one version, cached.
func (c *Controller) spec(rt *runtime, svc *state.Service, version int) (*Spec, error) {
	if s, ok := rt.specs[version]; ok {
		return s, nil
	}
	v, err := c.o.Store.GetServiceVersion(svc.Name, version)
	if err != nil {
		return nil, err
	}
	s, err := c.o.LoadSpec(v)
	if err != nil {
		return nil, err
	}
	rt.specs[version] = s
	return s, nil
}

// runtimeFor returns the service's runtime, starting its load balancer on
// the recorded port (or a new one, recorded before serving).
func (c *Controller) runtimeFor(svc *state.Service) (*runtime, error) {
	c.mu.Lock()
	rt := c.services[svc.Name]
	c.mu.Unlock()
	if rt == nil {
		rt = &runtime{name: svc.Name, specs: map[int]*Spec{}}
		if err := os.MkdirAll(c.o.LogDir(svc.Name), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(c.o.LogDir(svc.Name), "controller.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		rt.log = f
		c.mu.Lock()
		c.services[svc.Name] = rt
		c.mu.Unlock()
	}
	newest, err := c.spec(rt, svc, svc.Version)
	if err != nil {
		return rt, err
	}
	if rt.version != svc.Version {
		rt.placer = c.o.Components.Placer(newest)
		if pp, ok := rt.placer.(PersistentPlacer); ok && len(svc.PlacerState) > 0 {
			if err := pp.Restore(svc.PlacerState); err != nil {
				c.logf(svc.Name, "restoring the spot placer's state: %v", err)
			}
		}
		rt.scaler = nil
		rt.version = svc.Version
	}
	if rt.lb == nil && !svc.DownRequested {
		if err := c.startBalancer(rt, svc, newest); err != nil {
			return rt, err
		}
	}
	if rt.scaler == nil && rt.lb != nil {
		rt.scaler = c.o.Components.Scaler(newest, rt.lb)
		if ps, ok := rt.scaler.(PersistentScaler); ok && len(svc.ScalerState) > 0 && rt.scalerVersion == 0 {
			if err := ps.Restore(svc.ScalerState); err != nil {
				c.logf(svc.Name, "restoring the autoscaler's state: %v", err)
			}
		}
		rt.scalerVersion = svc.Version
	}
	return rt, nil
}

func (c *Controller) startBalancer(rt *runtime, svc *state.Service, s *Spec) error {
	ln, err := listenBalancer(c.o.Host, svc.LBPort, c.o.Ports)
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	scheme := "http"
	if s.TLSCertFile != "" {
		scheme = "https"
	}
	endpoint := scheme + "://" + net.JoinHostPort(c.o.EndpointHost, strconv.Itoa(port))
	if svc.LBPort != port || svc.Endpoint != endpoint {
		// Record the port before serving so a restarted controller (and
		// clients) keep the same endpoint.
		if _, err := c.o.Store.UpdateService(svc.Name, func(s *state.Service) error {
			s.LBPort, s.Endpoint = port, endpoint
			return nil
		}); err != nil {
			ln.Close()
			return err
		}
		svc.LBPort, svc.Endpoint = port, endpoint
	}
	lbLog := func(format string, args ...any) {
		if f, err := os.OpenFile(filepath.Join(c.o.LogDir(svc.Name), "load_balancer.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintf(f, "%s %s\n", c.o.Now().UTC().Format("2006-01-02 15:04:05.000"), fmt.Sprintf(format, args...))
			f.Close()
		}
	}
	lb, err := c.o.Components.Balancer(s, lbLog)
	if err != nil {
		ln.Close()
		return err
	}
	rt.lb, rt.ln = lb, ln
	go lb.Serve(ln)
	c.logf(svc.Name, "load balancer listening on %s", endpoint)
	return nil
}

// byID sorts replicas by id.
func byID(rs []*state.Replica) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
}
