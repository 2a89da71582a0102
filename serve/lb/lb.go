// Package lb is SkyServe's load balancer: a reverse proxy
// (net/http/httputil) in front of a service's ready replicas.
//
//   - Responses stream: for chunked and text/event-stream responses every
//     write from a replica is flushed at once, so LLM token streams are
//     never buffered.
//   - least_load sends a request to the replica with the fewest requests in
//     flight; round_robin rotates.
//   - When a replica refuses or resets the connection before answering, the
//     request is retried on another replica, never the same failed one twice,
//     at most Options.MaxRetries attempts (SkyServe's LB_MAX_RETRY = 3).
//   - The controller pushes replica changes (AddReplica, RemoveReplica,
//     SetReplicas); a removed replica gets no new request from that moment.
//   - With no replica in rotation a request waits up to QueueTimeout for one
//     (scale from zero) instead of failing at once with 503.
//   - Stats gives the autoscaler the request rate and in-flight counts.
package lb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Policy names (task.LoadBalancingPolicies).
const (
	LeastLoad  = "least_load"
	RoundRobin = "round_robin"
	// InstanceAwareLeastLoad is accepted and balanced as least_load.
	InstanceAwareLeastLoad = "instance_aware_least_load"
)

// Defaults.
const (
	DefaultMaxRetries   = 3
	DefaultQueueTimeout = 120 * time.Second
	DefaultWindow       = 60 * time.Second
	// maxReplayBody is the largest request body kept in memory so the
	// request can be retried on another replica; larger bodies stream
	// through and are not retried once sent.
	maxReplayBody = 1 << 20
)

// Options configure a LoadBalancer.
type Options struct {
	// Policy is least_load (default), round_robin or instance_aware_least_load.
	Policy string
	// MaxRetries bounds the replicas one request is tried on (default 3).
	MaxRetries int
	// QueueTimeout bounds how long a request waits while no replica is in
	// rotation (default 120 s); then it gets 503.
	QueueTimeout time.Duration
	// CertFile and KeyFile (service.tls) make Serve speak HTTPS.
	CertFile, KeyFile string
	// Transport to the replicas (a tuned clone of http.DefaultTransport if nil).
	Transport http.RoundTripper
	// Proxy, when set, is the proxy the default transport reaches replicas
	// through (serve.replica_proxy: socks5:// or http://); a refused
	// connection behind it is a transport error, retried like one.
	Proxy *url.URL
	// StreamTimeout bounds one proxied request from its arrival to the end
	// of its response, streaming included (service.load_balancer.
	// stream_timeout_seconds; 0 = no bound). A request past it is cut off
	// (504 if nothing was sent yet).
	StreamTimeout time.Duration
	// Window is the request-rate window of Stats (default 60 s).
	Window time.Duration
	// Now is the clock for Stats (time.Now if nil).
	Now func() time.Time
	// ErrorLog receives proxy errors (log.Default() if nil); never request
	// bodies or headers.
	ErrorLog *log.Logger
}

// LoadBalancer is an http.Handler; safe for concurrent use.
type LoadBalancer struct {
	opts      Options
	proxy     *httputil.ReverseProxy
	transport http.RoundTripper

	mu       sync.Mutex
	replicas []*replica // in rotation, in the order added
	byURL    map[string]*replica
	rr       int
	changed  chan struct{} // closed and replaced on every rotation change

	rate     *rateWindow
	inFlight atomic.Int64
	served   atomic.Uint64
	failed   atomic.Uint64

	server *http.Server
}

type replica struct {
	url      *url.URL
	key      string
	inFlight atomic.Int64
}

// New returns a load balancer with no replicas.
func New(opts Options) (*LoadBalancer, error) {
	switch opts.Policy {
	case "":
		opts.Policy = LeastLoad
	case LeastLoad, RoundRobin, InstanceAwareLeastLoad:
	default:
		return nil, fmt.Errorf("unknown load balancing policy %q: use least_load or round_robin", opts.Policy)
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.QueueTimeout <= 0 {
		opts.QueueTimeout = DefaultQueueTimeout
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.Default()
	}
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("tls needs both a certificate file and a key file")
	}
	t := opts.Transport
	if t == nil {
		dt := http.DefaultTransport.(*http.Transport).Clone()
		if opts.Proxy != nil {
			dt.Proxy = http.ProxyURL(opts.Proxy)
		}
		dt.MaxIdleConns = 1024
		dt.MaxIdleConnsPerHost = 256
		// A refused or unreachable replica must fail fast so the retry on
		// another replica is quick.
		dt.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t = dt
	}
	lb := &LoadBalancer{opts: opts, transport: t, byURL: map[string]*replica{}, changed: make(chan struct{}),
		rate: newRateWindow(opts.Window)}
	lb.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		Transport: (*retryTransport)(lb),
		// 0 is ReverseProxy's "flush at once for streams": a response
		// without Content-Length (chunked token streams) or of type
		// text/event-stream is flushed after every write, as with -1; only
		// responses of known length are written in buffered blocks, which
		// saves a write syscall per response (measured by
		// BenchmarkLBOverhead).
		FlushInterval: 0,
		ErrorLog:      opts.ErrorLog,
		ErrorHandler:  lb.errorHandler,
	}
	return lb, nil
}

// ServeHTTP proxies one request to a replica.
func (lb *LoadBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := lb.rate.start(lb.opts.Now())
	lb.inFlight.Add(1)
	defer func() {
		lb.inFlight.Add(-1)
		lb.rate.end(id)
	}()
	if lb.opts.StreamTimeout > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), lb.opts.StreamTimeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	lb.proxy.ServeHTTP(w, r)
}

// AddReplica puts the replica at rawURL ("http://10.0.0.5:8080") into
// rotation (no-op if it is there).
func (lb *LoadBalancer) AddReplica(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("invalid replica URL %q: want scheme://host:port", rawURL)
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if _, ok := lb.byURL[rawURL]; ok {
		return nil
	}
	r := &replica{url: u, key: rawURL}
	lb.byURL[rawURL] = r
	lb.replicas = append(lb.replicas, r)
	lb.notifyLocked()
	return nil
}

// RemoveReplica takes the replica out of rotation at once: no new request
// goes to it; requests already there finish (or fail) on their own.
func (lb *LoadBalancer) RemoveReplica(rawURL string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	r, ok := lb.byURL[rawURL]
	if !ok {
		return
	}
	delete(lb.byURL, rawURL)
	for i, x := range lb.replicas {
		if x == r {
			lb.replicas = append(lb.replicas[:i:i], lb.replicas[i+1:]...)
			break
		}
	}
	lb.notifyLocked()
}

// SetReplicas makes the rotation exactly urls (the controller's periodic,
// level-triggered sync; the push calls above make changes immediate).
func (lb *LoadBalancer) SetReplicas(urls []string) error {
	want := map[string]bool{}
	for _, u := range urls {
		want[u] = true
	}
	for _, u := range lb.Replicas() {
		if !want[u] {
			lb.RemoveReplica(u)
		}
	}
	var errs []error
	for _, u := range urls {
		errs = append(errs, lb.AddReplica(u))
	}
	return errors.Join(errs...)
}

// Replicas lists the replica URLs in rotation.
func (lb *LoadBalancer) Replicas() []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	out := make([]string, len(lb.replicas))
	for i, r := range lb.replicas {
		out[i] = r.key
	}
	return out
}

func (lb *LoadBalancer) notifyLocked() {
	close(lb.changed)
	lb.changed = make(chan struct{})
}

// Stats is what the autoscaler and `serve status` read.
type Stats struct {
	// Requests counts requests that arrived in the last Window plus those
	// still in flight that arrived earlier (a long stream keeps counting).
	Requests int
	Window   time.Duration
	// InFlight is requests being served or queued now; PerReplica the
	// in-flight requests per replica URL in rotation.
	InFlight   int
	PerReplica map[string]int
	// Served and Failed count finished requests since start (Failed: the
	// LB answered 502/503 itself).
	Served, Failed uint64
}

// Stats returns the current counts.
func (lb *LoadBalancer) Stats() Stats {
	s := Stats{Requests: lb.rate.count(lb.opts.Now()), Window: lb.opts.Window, InFlight: int(lb.inFlight.Load()),
		PerReplica: map[string]int{}, Served: lb.served.Load(), Failed: lb.failed.Load()}
	lb.mu.Lock()
	for _, r := range lb.replicas {
		s.PerReplica[r.key] = int(r.inFlight.Load())
	}
	lb.mu.Unlock()
	return s
}

// Serve accepts connections on ln until Shutdown (HTTPS when TLS files
// are configured).
func (lb *LoadBalancer) Serve(ln net.Listener) error {
	lb.mu.Lock()
	if lb.server == nil {
		lb.server = &http.Server{Handler: lb, ReadHeaderTimeout: 30 * time.Second, ErrorLog: lb.opts.ErrorLog,
			TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	}
	srv := lb.server
	lb.mu.Unlock()
	var err error
	if lb.opts.CertFile != "" {
		err = srv.ServeTLS(ln, lb.opts.CertFile, lb.opts.KeyFile)
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for open ones (bounded by ctx).
func (lb *LoadBalancer) Shutdown(ctx context.Context) error {
	lb.mu.Lock()
	srv := lb.server
	lb.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// errNoReplica and errAllFailed become 503 and 502.
var (
	errNoReplica = errors.New("no ready replica")
	errAllFailed = errors.New("every replica tried failed")
)

func (lb *LoadBalancer) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	lb.failed.Add(1)
	switch {
	case errors.Is(err, errNoReplica):
		http.Error(w, "No ready replicas. Use `skyplan serve status` to check the service.", http.StatusServiceUnavailable)
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		http.Error(w, "Gateway timeout: the replica did not answer within the stream timeout.", http.StatusGatewayTimeout)
	case errors.Is(r.Context().Err(), context.Canceled):
		// The client went away; nobody reads this answer.
		w.WriteHeader(499)
	default:
		lb.opts.ErrorLog.Printf("lb: %s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "Bad gateway: the replica failed to answer.", http.StatusBadGateway)
	}
}

// io.Closer check keeps the body wrapper honest.
var _ io.ReadCloser = (*countedBody)(nil)
