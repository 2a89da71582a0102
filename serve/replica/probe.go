// Package replica is the serve replica manager: it launches each replica of
// a service as a cluster (through the Clusters seam, cluster.Manager in
// production), probes replicas' readiness, decides their transitions
// (STARTING → READY ⇄ NOT_READY → FAILED_PROBING/PREEMPTED), drains them
// on scale-down and tears their clusters down so nothing leaks.
//
// The decisions are pure functions of the replica record, the probe result
// and the time (Transition), so tests drive them with a virtual clock; the
// Manager runs the slow operations (launch, down) in the background and
// writes each transition to state before acting on it.
package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Probe is a service's readiness probe (SkyServe's readiness_probe).
type Probe struct {
	Path string
	// PostData, when set, makes the probe a POST with this JSON body.
	PostData any
	Headers  map[string]string
	// Timeout bounds one probe (SkyServe default 15 s).
	Timeout time.Duration
	// InitialDelay is how long a starting replica may fail probes before
	// it is FAILED_PROBING (SkyServe default 1200 s).
	InitialDelay time.Duration
}

// Defaults as SkyServe.
const (
	DefaultProbeTimeout = 15 * time.Second
	DefaultInitialDelay = 1200 * time.Second
)

// Do probes the replica at base (http://ip:port) once. A probe succeeds on
// any 2xx response; otherwise the error says what happened, as shown in
// `serve status` for a replica that never became ready.
func (p Probe) Do(ctx context.Context, client *http.Client, base string) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	path := p.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	method, body := http.MethodGet, io.Reader(nil)
	if p.PostData != nil {
		var b []byte
		switch v := p.PostData.(type) {
		case string:
			b = []byte(v)
		default:
			var err error
			if b, err = json.Marshal(v); err != nil {
				return fmt.Errorf("readiness probe post_data: %v", err)
			}
		}
		method, body = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, body)
	if err != nil {
		return err
	}
	if p.PostData != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("%s %s: no response within %s (readiness_probe.timeout_seconds)", method, path, timeout)
		}
		return fmt.Errorf("%s %s: %v", method, path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: HTTP %s", method, path, resp.Status)
	}
	return nil
}

func unwrapURLError(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
