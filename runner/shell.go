package runner

import (
	"context"
	"io"
	"time"
)

// Shell is an SSH connection to one machine for commands that are not a
// task's setup or run: installing and supervising skyplan's controller on
// its VM, and forwarding CLI commands to it. It uses the same connection
// code as tasks (skyplan's key, pinned host keys, ssh_proxy_command,
// keepalives, one reconnect window).
type Shell struct {
	s *session
}

// OpenShell connects to the head node of cl, waiting up to timeout for SSH.
func (r *Runner) OpenShell(ctx context.Context, cl *Cluster, timeout time.Duration) (*Shell, error) {
	head := *cl
	head.Nodes = cl.Nodes[:1]
	s, err := r.connect(ctx, &head, timeout)
	if err != nil {
		return nil, err
	}
	return &Shell{s: s}, nil
}

// Run runs cmd with bash on the machine and returns its exit code; an error
// means the connection failed before the command reported one.
func (sh *Shell) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	return sh.s.conns[0].run(ctx, cmd, stdin, stdout, stderr)
}

// Close closes the connection.
func (sh *Shell) Close() { sh.s.close() }
