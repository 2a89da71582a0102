package runner

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyChangedError means a node presented a different host key from the
// one pinned on first contact: possibly a man-in-the-middle, or a node that
// was replaced. skyplan never ignores it.
type HostKeyChangedError struct {
	Node        Node
	Addr        string
	File        string
	Got, Pinned string // SHA256 fingerprints
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("host key of %s (%s) changed: it presented %s but %s pins %s. "+
		"If the node was replaced on purpose, remove its line from %s and retry; otherwise someone may be intercepting the connection",
		e.Node.Label(), e.Addr, e.Got, e.File, e.Pinned, e.File)
}

// hostKeys records each node's host key on first contact (accept-new) and
// checks it afterwards, in one known_hosts file per cluster.
type hostKeys struct {
	path string
	mu   sync.Mutex
}

func (h *hostKeys) callback(node Node) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(h.path, os.O_CREATE|os.O_RDONLY, 0o600)
		if err != nil {
			return err
		}
		f.Close()
		check, err := knownhosts.New(h.path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", h.path, err)
		}
		err = check(hostname, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ke) && len(ke.Want) == 0:
			line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key)
			af, err := os.OpenFile(h.path, os.O_APPEND|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			defer af.Close()
			_, err = af.WriteString(line + "\n")
			return err
		case errors.As(err, &ke):
			return &HostKeyChangedError{Node: node, Addr: hostname, File: h.path,
				Got: ssh.FingerprintSHA256(key), Pinned: ssh.FingerprintSHA256(ke.Want[0].Key)}
		}
		return err
	}
}
