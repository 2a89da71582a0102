package lb

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var quiet = log.New(io.Discard, "", 0)

// backend is a real loopback replica that names itself in each answer.
type backend struct {
	*httptest.Server
	hits atomic.Int64
}

func newBackend(t *testing.T, name string, h http.HandlerFunc) *backend {
	b := &backend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", name, r.URL.Path, body)
	}))
	t.Cleanup(b.Close)
	return b
}

func newLB(t *testing.T, opts Options) (*LoadBalancer, *httptest.Server) {
	t.Helper()
	if opts.ErrorLog == nil {
		opts.ErrorLog = quiet
	}
	lb, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(lb)
	t.Cleanup(front.Close)
	return lb, front
}

// waitIdle waits (bounded) until the LB's handlers have returned: a client
// has its response a moment before the handler's deferred accounting runs.
func waitIdle(t *testing.T, lb *LoadBalancer) { t.Helper(); waitInFlight(t, lb, 0) }

func waitInFlight(t *testing.T, lb *LoadBalancer, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); lb.Stats().InFlight != n; {
		if time.Now().After(deadline) {
			t.Fatalf("requests still in flight: %+v", lb.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// refusedURL is a loopback address nothing listens on.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestRoundRobinAlternates(t *testing.T) {
	a, b := newBackend(t, "a", nil), newBackend(t, "b", nil)
	lb, front := newLB(t, Options{Policy: RoundRobin})
	if err := lb.SetReplicas([]string{a.URL, b.URL}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if code, body := get(t, front.URL+"/x"); code != 200 || !strings.HasSuffix(body, " /x ") {
			t.Fatalf("got %d %q", code, body)
		}
	}
	if a.hits.Load() != 5 || b.hits.Load() != 5 {
		t.Errorf("hits a=%d b=%d, want 5/5", a.hits.Load(), b.hits.Load())
	}
}

// TestLeastLoad: while one replica holds a long request, new requests go
// to the idle one.
func TestLeastLoad(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	slow := newBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, "slow")
	})
	fast := newBackend(t, "fast", nil)
	lb, front := newLB(t, Options{})
	lb.AddReplica(slow.URL)
	done := make(chan struct{})
	go func() {
		defer close(done)
		http.Get(front.URL + "/hold")
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("hold request never reached the slow replica")
	}
	lb.AddReplica(fast.URL)
	for i := 0; i < 8; i++ {
		if _, body := get(t, front.URL+"/q"); !strings.HasPrefix(body, "fast") {
			t.Errorf("request %d went to %q while slow had a request in flight", i, body)
		}
	}
	waitInFlight(t, lb, 1)
	if s := lb.Stats(); s.PerReplica[slow.URL] != 1 || s.PerReplica[fast.URL] != 0 {
		t.Errorf("stats = %+v", s)
	}
	close(release)
	<-done
	waitIdle(t, lb)
	if s := lb.Stats(); s.InFlight != 0 || s.PerReplica[slow.URL] != 0 || s.Requests != 9 || s.Served != 9 {
		t.Errorf("stats after = %+v", s)
	}
}

// TestStreamingNotBuffered: the client reads each token before the
// replica writes the next one, for SSE and for a plain chunked stream.
func TestStreamingNotBuffered(t *testing.T) {
	for _, ct := range []string{"text/event-stream", "application/x-ndjson"} {
		t.Run(ct, func(t *testing.T) {
			next := make(chan struct{})
			be := newBackend(t, "s", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				for i := 0; i < 3; i++ {
					fmt.Fprintf(w, "data: token%d\n\n", i)
					w.(http.Flusher).Flush()
					select {
					case <-next:
					case <-time.After(5 * time.Second):
						return
					}
				}
			})
			lb, front := newLB(t, Options{})
			lb.AddReplica(be.URL)
			resp, err := http.Get(front.URL + "/stream")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.TransferEncoding == nil || resp.TransferEncoding[0] != "chunked" {
				t.Errorf("transfer encoding = %v", resp.TransferEncoding)
			}
			rd := bufio.NewReader(resp.Body)
			for i := 0; i < 3; i++ {
				line, err := rd.ReadString('\n')
				if err != nil || line != fmt.Sprintf("data: token%d\n", i) {
					t.Fatalf("token %d: %q %v (the LB buffered the stream?)", i, line, err)
				}
				rd.ReadString('\n')
				next <- struct{}{}
			}
		})
	}
}

// TestRetryOnRefusedAndReset: a refused and a resetting replica are
// skipped; each request succeeds on the good one, and no request tries a
// failed replica twice.
func TestRetryOnRefusedAndReset(t *testing.T) {
	good := newBackend(t, "good", nil)
	reset := newBackend(t, "reset", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.(*net.TCPConn).SetLinger(0) // RST, not FIN
			c.Close()
		}
	})
	refused := refusedURL(t)
	lb, front := newLB(t, Options{Policy: RoundRobin})
	lb.SetReplicas([]string{refused, reset.URL, good.URL})
	for i := 0; i < 9; i++ {
		resp, err := http.Post(front.URL+"/gen", "application/json", strings.NewReader(`{"prompt":"hi"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != `good /gen {"prompt":"hi"}` {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
	}
	if good.hits.Load() != 9 || reset.hits.Load() == 0 || reset.hits.Load() > 9 {
		t.Errorf("good=%d reset=%d", good.hits.Load(), reset.hits.Load())
	}
}

// TestRetriesBoundedAndDistinct: with only failing replicas a request
// tries MaxRetries distinct ones, then gets 502.
func TestRetriesBoundedAndDistinct(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int{}
	var urls []string
	for i := 0; i < 4; i++ {
		name := fmt.Sprint(i)
		be := newBackend(t, name, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			count[name]++
			mu.Unlock()
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		})
		urls = append(urls, be.URL)
	}
	lb, front := newLB(t, Options{QueueTimeout: 200 * time.Millisecond})
	lb.SetReplicas(urls)
	if code, _ := get(t, front.URL+"/"); code != http.StatusBadGateway {
		t.Errorf("code = %d, want 502", code)
	}
	total := 0
	mu.Lock()
	defer mu.Unlock()
	for name, n := range count {
		if n > 1 {
			t.Errorf("replica %s tried %d times by one request", name, n)
		}
		total += n
	}
	if total != DefaultMaxRetries {
		t.Errorf("%d attempts, want %d", total, DefaultMaxRetries)
	}
	if lb.Stats().Failed != 1 {
		t.Errorf("failed = %d", lb.Stats().Failed)
	}
}

// TestRemoveIsImmediate: once removed, a replica gets no request.
func TestRemoveIsImmediate(t *testing.T) {
	a, b := newBackend(t, "a", nil), newBackend(t, "b", nil)
	lb, front := newLB(t, Options{Policy: RoundRobin})
	lb.SetReplicas([]string{a.URL, b.URL})
	get(t, front.URL)
	get(t, front.URL)
	lb.RemoveReplica(a.URL)
	before := a.hits.Load()
	for i := 0; i < 5; i++ {
		if _, body := get(t, front.URL); !strings.HasPrefix(body, "b") {
			t.Errorf("got %q after removing a", body)
		}
	}
	if a.hits.Load() != before {
		t.Errorf("removed replica got %d more requests", a.hits.Load()-before)
	}
	if got := lb.Replicas(); len(got) != 1 || got[0] != b.URL {
		t.Errorf("replicas = %v", got)
	}
}

// TestQueueWhileScalingFromZero: a request waits for the first replica;
// with none in time it gets 503.
func TestQueueWhileScalingFromZero(t *testing.T) {
	be := newBackend(t, "late", nil)
	lb, front := newLB(t, Options{QueueTimeout: 5 * time.Second})
	type res struct {
		code int
		body string
	}
	ch := make(chan res, 1)
	go func() {
		resp, err := http.Get(front.URL + "/first")
		if err != nil {
			ch <- res{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ch <- res{resp.StatusCode, string(b)}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for lb.Stats().InFlight == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s := lb.Stats(); s.Requests != 1 {
		t.Errorf("queued request not counted for the autoscaler: %+v", s)
	}
	lb.AddReplica(be.URL)
	if r := <-ch; r.code != 200 || r.body != "late /first " {
		t.Errorf("queued request: %d %q", r.code, r.body)
	}

	lb2, front2 := newLB(t, Options{QueueTimeout: 50 * time.Millisecond})
	if code, body := get(t, front2.URL); code != 503 || !strings.Contains(body, "No ready replicas") {
		t.Errorf("no replica: %d %q", code, body)
	}
	if lb2.Stats().Failed != 1 {
		t.Error("503 not counted")
	}
}

func TestStatsWindowCountsOpenStreams(t *testing.T) {
	now := time.Unix(10_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	release := make(chan struct{})
	be := newBackend(t, "s", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/long" {
			<-release
		}
	})
	lb, front := newLB(t, Options{Now: clock, Window: time.Minute})
	lb.AddReplica(be.URL)
	done := make(chan struct{})
	go func() { http.Get(front.URL + "/long"); close(done) }()
	for lb.Stats().InFlight == 0 {
		time.Sleep(time.Millisecond)
	}
	get(t, front.URL+"/short")
	waitInFlight(t, lb, 1)
	if s := lb.Stats(); s.Requests != 2 {
		t.Errorf("requests = %d, want 2", s.Requests)
	}
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	if s := lb.Stats(); s.Requests != 1 || s.InFlight != 1 {
		t.Errorf("10 min later: %+v, want only the open stream", s)
	}
	close(release)
	<-done
	waitIdle(t, lb)
	if s := lb.Stats(); s.Requests != 0 {
		t.Errorf("after the stream: %+v", s)
	}
}

// TestStreamTimeout: a request is bounded by StreamTimeout; a replica
// that never answers gets 504, and the replica's in-flight count returns
// to zero.
func TestStreamTimeout(t *testing.T) {
	hang := newBackend(t, "hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	lb, front := newLB(t, Options{StreamTimeout: 100 * time.Millisecond})
	lb.AddReplica(hang.URL)
	start := time.Now()
	code, _ := get(t, front.URL)
	if code != http.StatusGatewayTimeout || time.Since(start) > 5*time.Second {
		t.Errorf("code %d after %v, want 504 soon after 100ms", code, time.Since(start))
	}
	waitIdle(t, lb)
	if s := lb.Stats(); s.PerReplica[hang.URL] != 0 || s.Failed != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	be := newBackend(t, "tls", nil)
	lb, err := New(Options{CertFile: cert, KeyFile: key, ErrorLog: quiet})
	if err != nil {
		t.Fatal(err)
	}
	lb.AddReplica(be.URL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- lb.Serve(ln) }()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/secure")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.TLS == nil || string(b) != "tls /secure " {
		t.Errorf("got %q tls=%v", b, resp.TLS != nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := lb.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := New(Options{CertFile: cert}); err == nil {
		t.Error("cert without key accepted")
	}
	if _, err := New(Options{Policy: "fastest"}); err == nil {
		t.Error("unknown policy accepted")
	}
	if err := lb.AddReplica("10.0.0.1:80"); err == nil {
		t.Error("URL without scheme accepted")
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lb"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

// TestReplicaProxy: with Proxy set the LB reaches replicas through it
// (serve.replica_proxy); the replica's address need not be reachable from
// the LB at all.
func TestReplicaProxy(t *testing.T) {
	var asked atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.URL.String()) // a forward proxy gets the absolute URL
		io.WriteString(w, "via proxy")
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	lb, front := newLB(t, Options{Proxy: pu})
	lb.AddReplica("http://198.51.100.7:8080") // TEST-NET-2: unreachable here
	if code, body := get(t, front.URL+"/v1/models"); code != 200 || body != "via proxy" {
		t.Fatalf("through the proxy: %d %q", code, body)
	}
	if got, _ := asked.Load().(string); got != "http://198.51.100.7:8080/v1/models" {
		t.Fatalf("the proxy was asked for %q", got)
	}
}
