package runner

import (
	"context"
	"errors"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skyplan/skyplan/skyhome"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// conn is the runner's connection to one node. It reconnects on a transient
// drop: jobs on the node run under setsid, so losing the SSH session loses
// nothing but the stream, which is resumed from the last byte received.
type conn struct {
	node   Node
	r      *Runner
	cfg    *ssh.ClientConfig
	proxy  string
	mu     sync.Mutex
	client *ssh.Client
	// waitErr is the last failed dial of waitReady (progress reports).
	waitErr string
	// onDial is called after each successful (re)connect (ConnPool's count).
	onDial func()
}

// errTransport marks failures of the connection itself (not of a command).
type transportError struct {
	node Node
	err  error
	// reconnectFailed: the node stayed unreachable for the reconnect window.
	reconnectFailed bool
}

func (e *transportError) Error() string {
	return fmt.Sprintf("lost connection to %s: %v", e.node.Label(), e.err)
}
func (e *transportError) Unwrap() error { return e.err }

func (r *Runner) newConn(cl *Cluster, n Node, hk *hostKeys) (*conn, error) {
	signers, err := r.signers(n.IdentityFile)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{
		User:            n.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback: hk.callback(n),
		Timeout:         15 * time.Second,
	}
	return &conn{node: n, r: r, cfg: cfg, proxy: cl.ProxyCommand}, nil
}

// signers returns the keys to offer: the node's identity file (or skyplan's
// own key), then any keys in ssh-agent.
func (r *Runner) signers(identity string) ([]ssh.Signer, error) {
	r.keyMu.Lock()
	defer r.keyMu.Unlock()
	if identity == "" {
		identity = skyhome.SSHKeyPath()
		if _, err := os.Stat(identity); err != nil {
			p, _, err := skyhome.EnsureSSHKey()
			if err != nil {
				return nil, fmt.Errorf("creating skyplan's SSH key: %w", err)
			}
			identity = p
		}
	}
	if s, ok := r.keys[identity]; ok {
		return s, nil
	}
	var out []ssh.Signer
	pem, err := os.ReadFile(identity)
	if err != nil {
		return nil, fmt.Errorf("reading SSH identity file: %w", err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var ppe *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &ppe):
		// Encrypted keys are used through ssh-agent (below).
	case err != nil:
		return nil, fmt.Errorf("parsing SSH identity file %s: %w", identity, err)
	default:
		out = append(out, s)
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if ac, err := net.Dial("unix", sock); err == nil {
			if as, err := agent.NewClient(ac).Signers(); err == nil {
				out = append(out, as...)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("SSH identity file %s is passphrase-protected and ssh-agent has no keys: run `ssh-add %s`", identity, identity)
	}
	if r.keys == nil {
		r.keys = map[string][]ssh.Signer{}
	}
	r.keys[identity] = out
	return out, nil
}

func (c *conn) addr() string { return net.JoinHostPort(c.node.Host, strconv.Itoa(c.node.Port)) }

func (c *conn) dialOnce(ctx context.Context) (*ssh.Client, error) {
	var nc net.Conn
	var err error
	if c.proxy != "" {
		nc, err = dialProxy(c.proxy, c.node)
	} else {
		d := net.Dialer{Timeout: c.cfg.Timeout, KeepAlive: 15 * time.Second}
		nc, err = d.DialContext(ctx, "tcp", c.addr())
	}
	if err != nil {
		return nil, err
	}
	// Bound the handshake: a half-open TCP connection must not hang us.
	_ = nc.SetDeadline(time.Now().Add(c.cfg.Timeout))
	sc, chans, reqs, err := ssh.NewClientConn(nc, c.addr(), c.cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	cl := ssh.NewClient(sc, chans, reqs)
	go c.keepalive(cl)
	return cl, nil
}

// keepalive closes the client when the node stops answering, so blocked
// reads return and the caller can reconnect or report the node lost.
func (c *conn) keepalive(cl *ssh.Client) {
	iv := c.r.keepaliveInterval()
	done := make(chan struct{})
	go func() { cl.Wait(); close(done) }()
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		ok := make(chan error, 1)
		go func() { _, _, err := cl.SendRequest("keepalive@openssh.com", true, nil); ok <- err }()
		select {
		case err := <-ok:
			if err != nil {
				cl.Close()
				return
			}
		case <-time.After(3 * iv):
			cl.Close()
			return
		case <-done:
			return
		}
	}
}

// waitReady dials with exponential backoff until the deadline. A changed
// host key is never retried.
func (c *conn) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	backoff := 200 * time.Millisecond
	var last error
	for {
		cl, err := c.dialOnce(ctx)
		if err == nil {
			c.mu.Lock()
			if c.client != nil {
				c.client.Close()
			}
			c.client = cl
			c.mu.Unlock()
			if c.onDial != nil {
				c.onDial()
			}
			return nil
		}
		last = err
		c.mu.Lock()
		c.waitErr = shortDialError(err)
		c.mu.Unlock()
		var hk *HostKeyChangedError
		if errors.As(err, &hk) {
			return hk
		}
		if time.Now().Add(backoff).After(deadline) {
			return fmt.Errorf("%s (%s) not reachable over SSH after %s: %v", c.node.Label(), c.addr(), timeout.Round(time.Second), last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > 5*time.Second {
			backoff = 5 * time.Second
		}
	}
}

// get returns a live client, reconnecting within the reconnect window.
func (c *conn) get(ctx context.Context) (*ssh.Client, error) {
	c.mu.Lock()
	cl := c.client
	c.mu.Unlock()
	if cl != nil {
		return cl, nil
	}
	if err := c.waitReady(ctx, c.r.reconnectWindow()); err != nil {
		return nil, &transportError{node: c.node, err: err, reconnectFailed: true}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client, nil
}

// drop forgets a client that failed so the next get reconnects.
func (c *conn) drop(cl *ssh.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == cl {
		c.client.Close()
		c.client = nil
	}
}

func (c *conn) lastWaitError() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waitErr
}

// shortDialError is the end of a dial error ("connection refused",
// "i/o timeout"), without the repeated address.
func shortDialError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		s = s[i+2:]
	}
	return s
}

func (c *conn) connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client != nil
}

func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		c.client.Close()
		c.client = nil
	}
}

// run executes cmd with bash on the node. It returns the command's exit
// code, or a *transportError when the connection failed before the command
// reported one. Cancelling ctx closes the session.
func (c *conn) run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cl, err := c.get(ctx)
	if err != nil {
		return -1, err
	}
	sess, err := c.newSession(ctx, cl)
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		// The client is dead; reconnect once (a fresh client can open sessions).
		c.drop(cl)
		if cl, err = c.get(ctx); err != nil {
			return -1, err
		}
		if sess, err = c.newSession(ctx, cl); err != nil {
			c.drop(cl)
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return -1, &transportError{node: c.node, err: err}
		}
	}
	defer sess.Close()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
	if err := c.bounded(ctx, cl, func() error { return sess.Start(bashCommand(cmd)) }); err != nil {
		c.drop(cl)
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, &transportError{node: c.node, err: err}
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return -1, ctx.Err()
	}
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ee.Signal() != "" && ee.ExitStatus() == 0 {
			return 128 + 9, nil
		}
		return ee.ExitStatus(), nil
	}
	c.drop(cl)
	return -1, &transportError{node: c.node, err: err}
}

// newSession opens a session on cl within ctx.
func (c *conn) newSession(ctx context.Context, cl *ssh.Client) (*ssh.Session, error) {
	var sess *ssh.Session
	err := c.bounded(ctx, cl, func() (err error) { sess, err = cl.NewSession(); return err })
	return sess, err
}

// bounded runs f, a request on cl that waits for the node's reply (opening
// a session, starting a command), within ctx. x/crypto/ssh takes no
// context there, and a reused connection to a node that stopped answering
// would block until keepalives give up (30 s): when ctx ends first the
// connection is dropped, which also makes f return.
func (c *conn) bounded(ctx context.Context, cl *ssh.Client, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		c.drop(cl)
		cl.Close() // dropped already by someone else: still ours to unblock
		<-done
		return ctx.Err()
	}
}

// bashCommand runs cmd with bash whatever the login shell is. When the
// login shell is bash already (the usual case) it evals in place, saving a
// bash start per session, which adds up over many nodes.
func bashCommand(cmd string) string {
	q := shellQuote(cmd)
	return `if [ -n "$BASH_VERSION" ]; then eval ` + q + `; else exec bash -c ` + q + `; fi`
}

// output runs cmd and returns its stdout; a non-zero exit is an error
// carrying stderr.
func (c *conn) output(ctx context.Context, cmd string, stdin io.Reader) (string, error) {
	var out, errb strings.Builder
	code, err := c.run(ctx, cmd, stdin, &out, &errb)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return out.String(), fmt.Errorf("%s: command failed with exit code %d: %s", c.node.Label(), code, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// shellQuote quotes s for POSIX shells (single quotes, ' as '\”).
func shellQuote(s string) string { return cloud.ShellQuote(s) }
