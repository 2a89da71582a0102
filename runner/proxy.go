package runner

import (
	"context"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ExpandProxyCommand substitutes OpenSSH's tokens in an ssh_proxy_command:
// %h host, %p port, %r remote user, %% a literal percent. Unknown tokens are
// kept as written so the user sees them in the error from their command.
func ExpandProxyCommand(tmpl, host string, port int, user string) string {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '%' || i+1 == len(tmpl) {
			b.WriteByte(c)
			continue
		}
		i++
		switch tmpl[i] {
		case 'h':
			b.WriteString(host)
		case 'p':
			b.WriteString(strconv.Itoa(port))
		case 'r':
			b.WriteString(user)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(tmpl[i])
		}
	}
	return b.String()
}

// proxyCommand builds the `sh -c` command for a proxy; separated so tests
// can check argv without running it.
func proxyCommand(ctx context.Context, tmpl string, n Node) *exec.Cmd {
	return exec.CommandContext(ctx, "sh", "-c", ExpandProxyCommand(tmpl, n.Host, n.Port, n.User))
}

// dialProxy runs the proxy command and uses its stdin/stdout as the
// transport, as OpenSSH's ProxyCommand does.
func dialProxy(tmpl string, n Node) (net.Conn, error) {
	// The command must outlive the dial: it is the connection. It is killed
	// when the connection is closed.
	cmd := proxyCommand(context.Background(), tmpl, n)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &proxyConn{cmd: cmd, r: stdout, w: stdin,
		remote: proxyAddr(net.JoinHostPort(n.Host, strconv.Itoa(n.Port)))}, nil
}

type proxyConn struct {
	cmd    *exec.Cmd
	r      io.ReadCloser
	w      io.WriteCloser
	remote proxyAddr
}

func (c *proxyConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *proxyConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *proxyConn) Close() error {
	c.w.Close()
	if c.cmd.Process != nil {
		c.cmd.Process.Kill()
	}
	c.cmd.Wait()
	return nil
}
func (c *proxyConn) LocalAddr() net.Addr              { return proxyAddr("proxy:0") }
func (c *proxyConn) RemoteAddr() net.Addr             { return c.remote }
func (c *proxyConn) SetDeadline(time.Time) error      { return nil }
func (c *proxyConn) SetReadDeadline(time.Time) error  { return nil }
func (c *proxyConn) SetWriteDeadline(time.Time) error { return nil }

// proxyAddr renders as "host:port" so known_hosts checks can split it.
type proxyAddr string

func (a proxyAddr) Network() string { return "proxy" }
func (a proxyAddr) String() string  { return string(a) }
