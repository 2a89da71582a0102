package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Machines for many clusters at once. The rank mapping of proxy_test.go
// sends every single-node cluster to node 0; a service has several
// replicas, each its own cluster, alive together. With
// SKYPLAN_E2E_NODE_CLAIMS=DIR each instance instead claims a free sshd
// node the first time anyone connects to it (DIR/node-K holds the
// instance's id), and the node is its machine until the instance stops
// running in moto: then the test's watcher kills the node with every
// process on it (the machine is gone, as on a cloud) and frees it.
//
// The load balancer and the readiness probes reach the replicas' ports
// through serve.replica_proxy: a SOCKS5 server in the test that maps an
// instance's address to its node by the same claims.

const claimsEnv = "SKYPLAN_E2E_NODE_CLAIMS"

// claimRegions are the regions a claim looks for the instance in
// (SKYPLAN_E2E_REGIONS, default every region).
func claimRegions() []string {
	if r := os.Getenv("SKYPLAN_E2E_REGIONS"); r != "" {
		return strings.Split(r, ",")
	}
	return awsRegions
}

// liveInstances maps address (private and public) → instance id, and
// lists the live ids and the ended ones (moto keeps terminated instances
// listed), over regions.
func liveInstances(moto string, regions []string) (byIP map[string]string, live, ended map[string]bool, err error) {
	byIP, live, ended = map[string]string{}, map[string]bool{}, map[string]bool{}
	for _, region := range regions {
		insts, err := describeInstances(moto, region)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, in := range insts {
			if in.State != "running" && in.State != "pending" {
				ended[in.ID] = true
				continue
			}
			live[in.ID] = true
			for _, ip := range []string{in.PrivateIP, in.PublicIP} {
				if ip != "" {
					byIP[ip] = in.ID
				}
			}
		}
	}
	return byIP, live, ended, nil
}

// withClaims runs f holding DIR's lock (claims and the watcher exclude
// each other across the proxy helper processes and the test).
func withClaims(dir string, f func() error) error {
	lf, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	return f()
}

// readClaims returns node index → instance id.
func readClaims(dir string, nodes int) map[int]string {
	out := map[int]string{}
	for k := 0; k < nodes; k++ {
		if b, err := os.ReadFile(filepath.Join(dir, "node-"+strconv.Itoa(k))); err == nil {
			out[k] = strings.TrimSpace(string(b))
		}
	}
	return out
}

// claimNode returns the node of the live instance with address host,
// claiming a free one the first time.
func claimNode(moto, dir, host string, nodes int) (int, error) {
	byIP, _, _, err := liveInstances(moto, claimRegions())
	if err != nil {
		return -1, err
	}
	id := byIP[host]
	if id == "" {
		return -1, fmt.Errorf("no running instance has address %s", host)
	}
	node := -1
	err = withClaims(dir, func() error {
		claims := readClaims(dir, nodes)
		for k, owner := range claims {
			if owner == id {
				node = k
				return nil
			}
		}
		for k := 0; k < nodes; k++ {
			if _, taken := claims[k]; !taken {
				node = k
				return os.WriteFile(filepath.Join(dir, "node-"+strconv.Itoa(k)), []byte(id+"\n"), 0o644)
			}
		}
		return fmt.Errorf("all %d nodes are machines of live instances; none for %s", nodes, id)
	})
	return node, err
}

// watchMachines kills the node of every instance moto lists as no longer
// running (checked every 300 ms until the test ends) and frees its claim.
// Only an instance seen ended counts: a moto answer that lacks it (a
// hiccup under load) must not kill a healthy machine.
// onGone is told (instance id, node) after the kill.
func (e *env) watchMachines(dir string, regions []string, onGone func(id string, node int)) {
	stop := make(chan struct{})
	done := make(chan struct{})
	e.t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			_, _, ended, err := liveInstances(e.moto.URL, regions)
			if err != nil {
				continue
			}
			_ = withClaims(dir, func() error {
				for k, id := range readClaims(dir, len(e.sshd.Nodes)) {
					if !ended[id] {
						continue
					}
					e.sshd.RestartWithNewHostKey(k)
					os.RemoveAll(filepath.Join(e.sshd.Nodes[k].Home, ".skyplan"))
					os.Remove(filepath.Join(dir, "node-"+strconv.Itoa(k)))
					if onGone != nil {
						onGone(id, k)
					}
				}
				return nil
			})
		}
	}()
}

// startReplicaProxy serves SOCKS5 (no auth, CONNECT) on loopback: a
// connection to an instance's address and a port goes to its node's
// address and that port. It returns the socks5:// URL.
func (e *env) startReplicaProxy(dir string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	cache := map[string]int{} // instance address → its node, while the claim stands
	resolve := func(host string) (string, error) {
		mu.Lock()
		k, ok := cache[host]
		mu.Unlock()
		if ok {
			if _, err := os.Stat(filepath.Join(dir, "node-"+strconv.Itoa(k))); err == nil {
				return e.sshd.Nodes[k].IP, nil
			}
		}
		k, err := claimNode(e.moto.URL, dir, host, len(e.sshd.Nodes))
		if err != nil {
			return "", err
		}
		mu.Lock()
		cache[host] = k
		mu.Unlock()
		return e.sshd.Nodes[k].IP, nil
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go socksConn(c, resolve)
		}
	}()
	return "socks5://" + l.Addr().String()
}

// socksConn is one SOCKS5 CONNECT (RFC 1928): reply 0 and splice, or the
// RFC's failure code (5: refused, 4: host unreachable) and close, so the
// client sees a dial error as it would dialling the replica itself.
func socksConn(c net.Conn, resolve func(string) (string, error)) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 5 {
		return
	}
	if _, err := io.ReadFull(c, make([]byte, hdr[1])); err != nil {
		return
	}
	c.Write([]byte{5, 0})
	req := make([]byte, 4)
	if _, err := io.ReadFull(c, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1:
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		host = net.IP(b).String()
	case 3:
		n := make([]byte, 1)
		if _, err := io.ReadFull(c, n); err != nil {
			return
		}
		b := make([]byte, n[0])
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		host = string(b)
	default:
		c.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	pb := make([]byte, 2)
	if _, err := io.ReadFull(c, pb); err != nil {
		return
	}
	port := binary.BigEndian.Uint16(pb)
	reply := func(code byte) { c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0}) }
	ip, err := resolve(host)
	if err != nil {
		reply(4)
		return
	}
	up, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(int(port))), 5*time.Second)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			reply(5)
		} else {
			reply(4)
		}
		return
	}
	defer up.Close()
	reply(0)
	c.SetDeadline(time.Time{})
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
	io.Copy(c, up)
}
