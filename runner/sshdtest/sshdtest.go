// Package sshdtest starts real OpenSSH servers on loopback addresses for
// the runner's acceptance tests: node i listens on 127.0.0.(i+2) on a free
// port, with its own generated host key and an authorized_keys file holding
// a generated client key.
//
// Each node gets its own HOME through `SetEnv HOME=<dir>/nodeN` in its
// sshd_config (sshd applies SetEnv after setting HOME), so ~/sky_workdir,
// ~/.skyplan/jobs and the logs are distinct per node even though every node
// logs in as the same local user.
package sshdtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Node is one running sshd.
type Node struct {
	IP   string
	Port int
	Home string // the node's HOME
	dir  string
	cmd  *exec.Cmd
}

// Cluster is a set of sshd nodes sharing one client key.
type Cluster struct {
	Nodes     []*Node
	ClientKey string // private key path
	User      string
	dir       string
	t         testing.TB
}

// SSHD returns the sshd binary path or "" when OpenSSH server is missing.
func SSHD() string {
	for _, p := range []string{"/usr/sbin/sshd", "/usr/bin/sshd"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("sshd"); err == nil {
		return p
	}
	return ""
}

// Start starts n sshd nodes and stops them (and everything they started)
// at cleanup. It skips the test when sshd is not installed.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	if SSHD() == "" {
		t.Skip("OpenSSH server (sshd) is not installed: apt-get install -y openssh-server to run the SSH acceptance tests")
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation dir; needed when root
	dir := t.TempDir()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{dir: dir, User: u.Username, t: t}
	c.ClientKey = filepath.Join(dir, "client-key")
	pub := writeKey(t, c.ClientKey)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.StopAll)
	for i := 0; i < n; i++ {
		nd := &Node{IP: "127.0.0." + strconv.Itoa(i+2), dir: filepath.Join(dir, "sshd"+strconv.Itoa(i))}
		nd.Home = filepath.Join(dir, "node"+strconv.Itoa(i))
		for _, d := range []string{nd.dir, nd.Home} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		nd.Port = freePort(t, nd.IP)
		writeKey(t, filepath.Join(nd.dir, "host-key"))
		c.Nodes = append(c.Nodes, nd)
	}
	for _, nd := range c.Nodes {
		c.start(nd)
	}
	return c
}

func (c *Cluster) start(nd *Node) {
	t := c.t
	cfg := fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
AuthorizedKeysFile %s
PidFile none
UsePAM no
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 200
MaxSessions 100
LogLevel ERROR
SetEnv HOME=%s
`, nd.IP, nd.Port, filepath.Join(nd.dir, "host-key"), filepath.Join(c.dir, "authorized_keys"), nd.Home)
	cfgPath := filepath.Join(nd.dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(nd.dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	// -r (no re-exec per connection): every node of the test bed shares
	// this machine's CPUs, so sshd's per-connection re-exec, which real
	// nodes pay in parallel on their own CPUs, would serialise here.
	// SKYPLAN_SSHD_REEXEC=1 keeps OpenSSH's default.
	args := []string{"-D", "-r", "-e", "-f", cfgPath}
	if os.Getenv("SKYPLAN_SSHD_REEXEC") == "1" {
		args = []string{"-D", "-e", "-f", cfgPath}
	}
	cmd := exec.Command(SSHD(), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	nd.cmd = cmd
	go cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(nd.IP, strconv.Itoa(nd.Port)), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(nd.dir, "sshd.log"))
			t.Fatalf("sshd on %s:%d did not start: %v\n%s", nd.IP, nd.Port, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops node i hard, with every process it started (its sessions and
// the jobs running in them), as if the machine died.
func (c *Cluster) Kill(i int) {
	nd := c.Nodes[i]
	if nd.cmd == nil || nd.cmd.Process == nil {
		return
	}
	killTree(nd.cmd.Process.Pid, nd.Home)
	nd.cmd = nil
	// SIGKILL is asynchronous: wait (bounded) until the port refuses, so
	// the caller sees a dead machine, not one still accepting.
	addr := net.JoinHostPort(nd.IP, strconv.Itoa(nd.Port))
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		conn.Close()
	}
}

// DropConnections kills node i's per-connection sshd processes but keeps
// the listener and the processes sessions started: a transient network
// drop, after which clients can reconnect.
func (c *Cluster) DropConnections(i int) {
	nd := c.Nodes[i]
	if nd.cmd == nil || nd.cmd.Process == nil {
		return
	}
	listener := nd.cmd.Process.Pid
	children := processChildren()
	var walk func(int)
	walk = func(p int) {
		for _, ch := range children[p] {
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(ch) + "/comm"); strings.TrimSpace(string(comm)) == "sshd" {
				walk(ch)
				syscall.Kill(ch, syscall.SIGKILL)
			}
		}
	}
	walk(listener)
}

// Hang freezes node i's sshd (SIGSTOP of the listener and of every
// per-connection sshd under it) while the processes its sessions started
// keep running: a node whose SSH stops answering but whose job and machine
// are fine. Established connections stay open but get no reply, new ones
// connect at the TCP level and then wait. The returned func resumes it.
func (c *Cluster) Hang(i int) (resume func()) {
	nd := c.Nodes[i]
	if nd.cmd == nil || nd.cmd.Process == nil {
		return func() {}
	}
	var stopped []int
	children := processChildren()
	var walk func(int)
	walk = func(p int) {
		stopped = append(stopped, p)
		for _, ch := range children[p] {
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(ch) + "/comm"); strings.TrimSpace(string(comm)) == "sshd" {
				walk(ch)
			}
		}
	}
	walk(nd.cmd.Process.Pid)
	for _, p := range stopped {
		syscall.Kill(p, syscall.SIGSTOP)
	}
	return func() {
		for _, p := range stopped {
			syscall.Kill(p, syscall.SIGCONT)
		}
	}
}

func processChildren() map[int][]int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			s := string(st)
			if j := strings.LastIndexByte(s, ')'); j > 0 {
				if f := strings.Fields(s[j+1:]); len(f) > 2 {
					pp, _ := strconv.Atoi(f[1])
					children[pp] = append(children[pp], p)
				}
			}
		}
	}
	return children
}

// RestartWithNewHostKey restarts node i on the same address with a fresh
// host key (a replaced machine, or an attacker).
func (c *Cluster) RestartWithNewHostKey(i int) {
	c.Kill(i)
	nd := c.Nodes[i]
	writeKey(c.t, filepath.Join(nd.dir, "host-key"))
	c.start(nd)
}

// StopAll stops every node.
func (c *Cluster) StopAll() {
	for i := range c.Nodes {
		c.Kill(i)
	}
}

// PoolYAML renders the nodes as an ssh_node_pools.yaml pool.
func (c *Cluster) PoolYAML(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  user: %s\n  identity_file: %s\n  hosts:\n", name, c.User, c.ClientKey)
	for _, nd := range c.Nodes {
		fmt.Fprintf(&b, "    - %s:%d\n", nd.IP, nd.Port)
	}
	return b.String()
}

// killTree kills pid, its descendants, and any process whose HOME is home
// (detached jobs re-parented away from sshd).
func killTree(pid int, home string) {
	children := processChildren()
	var homeProcs []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || home == "" {
			continue
		}
		if env, err := os.ReadFile("/proc/" + e.Name() + "/environ"); err == nil {
			for _, kv := range strings.Split(string(env), "\x00") {
				if kv == "HOME="+home {
					homeProcs = append(homeProcs, p)
				}
			}
		}
	}
	var all []int
	var walk func(int)
	walk = func(p int) {
		all = append(all, p)
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	for _, p := range homeProcs {
		walk(p)
	}
	for _, p := range all {
		if p != os.Getpid() {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

func writeKey(t testing.TB, path string) string {
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(sk, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

func freePort(t testing.TB, ip string) int {
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listening on %s: %v (loopback aliases 127.0.0.2+ are needed)", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// PID is the listener's process id (tests measuring node CPU).
func PID(nd *Node) int {
	if nd.cmd == nil || nd.cmd.Process == nil {
		return 0
	}
	return nd.cmd.Process.Pid
}
