package lb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// retryTransport is the proxy's RoundTripper: it picks the replica, and on
// a transport error before any response (refused, reset, EOF) tries
// another replica that has not failed this request.
type retryTransport LoadBalancer

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	lb := (*LoadBalancer)(t)
	replayable, err := makeReplayable(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	deadline := time.Now().Add(lb.opts.QueueTimeout)
	tried := map[*replica]bool{}
	var lastErr error
	for attempt := 0; attempt < lb.opts.MaxRetries; attempt++ {
		r := lb.pick(ctx, tried, deadline)
		if r == nil {
			if lastErr != nil {
				return nil, fmt.Errorf("%w: %w", errAllFailed, lastErr)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, errNoReplica
		}
		tried[r] = true
		out := req.Clone(ctx)
		out.URL.Scheme, out.URL.Host = r.url.Scheme, r.url.Host
		if lb.opts.Proxy != nil {
			// Through an HTTP proxy the request line's absolute URI is
			// built from Host: it must name the replica, not the endpoint.
			out.Host = r.url.Host
		}
		if p := r.url.Path; p != "" && p != "/" {
			out.URL.Path = singleJoin(p, out.URL.Path)
			out.URL.RawPath = ""
		}
		if attempt > 0 && req.GetBody != nil {
			if out.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		r.inFlight.Add(1)
		resp, err := lb.transport.RoundTrip(out)
		if err == nil {
			resp.Body = &countedBody{ReadCloser: resp.Body, r: r}
			lb.served.Add(1)
			return resp, nil
		}
		r.inFlight.Add(-1)
		lastErr = err
		if ctx.Err() != nil || (!replayable && req.Body != nil && req.Body != http.NoBody) {
			return nil, err
		}
		lb.opts.ErrorLog.Printf("lb: replica %s failed (%v); retrying on another replica", r.key, err)
	}
	return nil, fmt.Errorf("%w: %w", errAllFailed, lastErr)
}

// pick chooses an untried replica by policy, waiting (until deadline or
// the request ends) while the rotation holds none.
func (lb *LoadBalancer) pick(ctx context.Context, tried map[*replica]bool, deadline time.Time) *replica {
	for {
		lb.mu.Lock()
		r := lb.chooseLocked(tried)
		changed := lb.changed
		lb.mu.Unlock()
		if r != nil {
			return r
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
			timer.Stop()
		case <-timer.C:
			return nil
		case <-ctx.Done():
			timer.Stop()
			return nil
		}
	}
}

func (lb *LoadBalancer) chooseLocked(tried map[*replica]bool) *replica {
	n := len(lb.replicas)
	if n == 0 {
		return nil
	}
	start := lb.rr % n
	lb.rr++
	var best *replica
	for i := 0; i < n; i++ {
		r := lb.replicas[(start+i)%n]
		if tried[r] {
			continue
		}
		if lb.opts.Policy == RoundRobin {
			return r
		}
		if best == nil || r.inFlight.Load() < best.inFlight.Load() {
			best = r
		}
	}
	return best
}

// makeReplayable buffers a small request body so a retry can resend it;
// it reports false when the body is too large to keep (then only a
// request whose body was never sent could be retried, and we do not).
func makeReplayable(req *http.Request) (bool, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return true, nil
	}
	if req.GetBody != nil {
		return true, nil
	}
	if req.ContentLength > maxReplayBody {
		return false, nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, maxReplayBody+1))
	if err != nil {
		return false, err
	}
	if len(buf) > maxReplayBody {
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
		return false, nil
	}
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(buf))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	return true, nil
}

// countedBody decrements the replica's in-flight count when the proxy has
// streamed the whole response (or the client went away).
type countedBody struct {
	io.ReadCloser
	r    *replica
	done bool
}

func (b *countedBody) Close() error {
	if !b.done {
		b.done = true
		b.r.inFlight.Add(-1)
	}
	return b.ReadCloser.Close()
}

func singleJoin(a, b string) string {
	switch {
	case len(a) > 0 && a[len(a)-1] == '/' && len(b) > 0 && b[0] == '/':
		return a + b[1:]
	case (len(a) == 0 || a[len(a)-1] != '/') && (len(b) == 0 || b[0] != '/'):
		return a + "/" + b
	}
	return a + b
}
