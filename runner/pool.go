package runner

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ConnPool keeps one SSH connection per node between the queries of a
// long-lived caller: the jobs controller polls every head every second or
// so, and without the pool each poll paid a TCP connect, an SSH handshake
// and key exchange (and, with ssh_proxy_command, a process) per node. Set
// Runner.Pool to use it; only queries (Queue, JobStatus, Logs, Cancel) go
// through it, launches keep their own connections.
//
// A pooled connection that fails is dropped (the next query dials again),
// and keepalives close one whose node stopped answering, so the pool never
// hides a dead node: a query on it fails as a fresh dial would.
type ConnPool struct {
	mu      sync.Mutex
	entries map[poolKey]*poolEntry
	dials   atomic.Int64
}

// poolKey is everything that makes two connections interchangeable.
type poolKey struct {
	cluster, addr, user, identity, proxy, knownHosts string
}

type poolEntry struct {
	ready sync.Mutex // one dial at a time per node
	c     *conn
}

// NewConnPool returns an empty pool.
func NewConnPool() *ConnPool { return &ConnPool{entries: map[poolKey]*poolEntry{}} }

// Dials counts the SSH connections the pool made, reconnects included
// (tests, benchmarks).
func (p *ConnPool) Dials() int64 { return p.dials.Load() }

// Forget closes and forgets every connection to cluster (it was torn down).
func (p *ConnPool) Forget(cluster string) {
	p.mu.Lock()
	var gone []*poolEntry
	for k, e := range p.entries {
		if k.cluster == cluster {
			gone = append(gone, e)
			delete(p.entries, k)
		}
	}
	p.mu.Unlock()
	for _, e := range gone {
		e.ready.Lock()
		if e.c != nil {
			e.c.close()
		}
		e.ready.Unlock()
	}
}

// Close closes every pooled connection.
func (p *ConnPool) Close() {
	p.mu.Lock()
	clusters := map[string]bool{}
	for k := range p.entries {
		clusters[k.cluster] = true
	}
	p.mu.Unlock()
	for c := range clusters {
		p.Forget(c)
	}
}

// get returns node n's pooled connection, connected within timeout. On a
// failure it returns the (unconnected) conn too, as dial does, so callers
// that need only the head can carry on without a worker.
func (p *ConnPool) get(ctx context.Context, r *Runner, cl *Cluster, n Node, hk *hostKeys, timeout time.Duration) (*conn, error) {
	k := poolKey{cluster: cl.Name, addr: n.Host + ":" + strconv.Itoa(n.Port), user: n.User, identity: n.IdentityFile,
		proxy: cl.ProxyCommand, knownHosts: hk.path}
	p.mu.Lock()
	e := p.entries[k]
	if e == nil {
		e = &poolEntry{}
		p.entries[k] = e
	}
	p.mu.Unlock()
	e.ready.Lock()
	defer e.ready.Unlock()
	if e.c == nil {
		c, err := r.newConn(cl, n, hk)
		if err != nil {
			return nil, err
		}
		c.onDial = func() { p.dials.Add(1) }
		e.c = c
	}
	if e.c.connected() {
		return e.c, nil
	}
	return e.c, e.c.waitReady(ctx, timeout)
}

// pooledSession is connectHead's session from the pool: the head must
// answer, workers are best effort; closing the session keeps the
// connections.
func (p *ConnPool) session(ctx context.Context, r *Runner, cl *Cluster) (*session, error) {
	path := cl.KnownHostsFile
	if path == "" {
		path = KnownHostsPath(cl.Name)
	}
	hk := &hostKeys{path: path}
	s := &session{r: r, cl: cl, conns: make([]*conn, len(cl.Nodes)), pooled: true}
	errs := parallel(ctx, len(cl.Nodes), r.MaxParallel, func(ctx context.Context, i int) error {
		timeout := workerQueryTimeout
		if i == 0 {
			timeout = queryTimeout
		}
		c, err := p.get(ctx, r, cl, cl.Nodes[i], hk, timeout)
		s.conns[i] = c
		return err
	})
	if errs[0] != nil {
		return nil, errs[0]
	}
	for i, c := range s.conns {
		if c == nil {
			// newConn failed (no key): the node cannot be asked at all.
			return nil, errs[i]
		}
	}
	return s, nil
}
