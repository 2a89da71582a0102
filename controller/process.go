package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/skyplan/skyplan/skyhome"
)

// Files of the daemon under $SKYPLAN_HOME/controller/.
type Files struct{ Dir string }

// FilesIn returns the daemon's files under home ($SKYPLAN_HOME).
func FilesIn(home string) Files { return Files{Dir: filepath.Join(home, "controller")} }

func (f Files) Lock() string { return filepath.Join(f.Dir, "controller.lock") }
func (f Files) PID() string  { return filepath.Join(f.Dir, "controller.pid") }
func (f Files) Log() string  { return filepath.Join(f.Dir, "controller.log") }

// ErrRunning is returned by Acquire when another daemon holds the lock.
var ErrRunning = errors.New("a controller is already running for this SKYPLAN_HOME")

// Instance is the single-instance guarantee of a running daemon: an
// exclusive flock on controller.lock (released by the kernel when the
// process dies, even by kill -9) plus the pid file.
type Instance struct {
	files Files
	lock  *os.File
}

// Acquire takes the daemon lock and writes the pid file. It retries for a
// moment because a client's Probe holds the lock for microseconds; a lock
// still held after that belongs to a running daemon (ErrRunning).
func Acquire(f Files) (*Instance, error) {
	var lf *os.File
	var err error
	for i := 0; i < 40; i++ {
		if lf, err = tryLock(f); !errors.Is(err, ErrRunning) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	in := &Instance{files: f, lock: lf}
	if err := skyhome.WriteFileAtomic(f.PID(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		in.Release()
		return nil, err
	}
	return in, nil
}

func tryLock(f Files) (*os.File, error) {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(f.Lock(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrRunning
		}
		return nil, fmt.Errorf("locking %s: %w", f.Lock(), err)
	}
	return lf, nil
}

// Release removes the pid file and drops the lock. From then on a client
// that finds no daemon starts one.
func (in *Instance) Release() {
	if in.lock == nil {
		return
	}
	if pid, _ := readPID(in.files); pid == os.Getpid() {
		os.Remove(in.files.PID())
	}
	in.lock.Close()
	in.lock = nil
}

// handover is the idle exit of a daemon holding in: release the lock,
// then look once more for work a client wrote while the daemon was deciding
// to exit. A client always writes its record before calling EnsureRunning,
// so either this last look sees the record (the daemon re-takes the lock
// and carries on, unless a new daemon already took it) or the client's
// EnsureRunning runs after the release and starts a new daemon. It reports
// whether the daemon keeps running.
func (in *Instance) handover(active func() bool) bool {
	{
		in.Release()
		if !active() {
			return false
		}
		lf, err := tryLock(in.files)
		if err != nil {
			return false // a newer daemon owns the work
		}
		in.lock = lf
		_ = skyhome.WriteFileAtomic(in.files.PID(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
		return true
	}
}

// Status describes the daemon of a SKYPLAN_HOME.
type Status struct {
	Running bool
	PID     int
	Log     string
}

// Probe reports whether a daemon holds the lock, and its pid.
func Probe(f Files) (Status, error) {
	st := Status{Log: f.Log()}
	lf, err := tryLock(f)
	switch {
	case errors.Is(err, ErrRunning):
		st.Running = true
		st.PID, _ = readPID(f)
		return st, nil
	case err != nil:
		return st, err
	}
	lf.Close()
	return st, nil
}

func readPID(f Files) (int, error) {
	b, err := os.ReadFile(f.PID())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// SpawnOptions say how to start the daemon.
type SpawnOptions struct {
	Files Files
	// Argv starts the daemon in the foreground, e.g. {exe, "controller",
	// "run"}; the child's environment is this process's (SKYPLAN_HOME,
	// cloud credentials, TF_* and AWS_* settings travel with it).
	Argv []string
	Env  []string // extra KEY=VALUE entries
	// Wait bounds waiting for the new daemon to take its lock (default 15 s).
	Wait time.Duration
}

// EnsureRunning starts a detached daemon unless one holds the lock, and
// waits until one does. It returns the daemon's pid and whether this call
// started it.
func EnsureRunning(ctx context.Context, o SpawnOptions) (pid int, started bool, err error) {
	st, err := Probe(o.Files)
	if err != nil {
		return 0, false, err
	}
	if st.Running {
		return st.PID, false, nil
	}
	if err := os.MkdirAll(o.Files.Dir, 0o700); err != nil {
		return 0, false, err
	}
	logf, err := os.OpenFile(o.Files.Log(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, false, err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, false, err
	}
	defer devnull.Close()
	cmd := exec.Command(o.Argv[0], o.Argv[1:]...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	// A new session: the daemon survives the CLI's terminal closing and
	// its Ctrl-C (which goes to the foreground process group).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, false, fmt.Errorf("starting the controller: %w", err)
	}
	child := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	wait := o.Wait
	if wait <= 0 {
		wait = 15 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		if st, err := Probe(o.Files); err == nil && st.Running && st.PID > 0 {
			// The daemon is ours or a concurrent client's; either serves.
			return st.PID, st.PID == child, nil
		}
		select {
		case err := <-exited:
			// Lost a race with another daemon (it exits at once) or failed.
			if st, perr := Probe(o.Files); perr == nil && st.Running {
				return st.PID, false, nil
			}
			return 0, false, fmt.Errorf("the controller exited at start (%v); see %s", err, o.Files.Log())
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, false, fmt.Errorf("the controller did not start within %s; see %s", wait, o.Files.Log())
		}
	}
}

// Stop sends SIGTERM to the running daemon and waits up to wait for it to
// release the lock.
func Stop(f Files, wait time.Duration) error {
	st, err := Probe(f)
	if err != nil || !st.Running {
		return err
	}
	if st.PID <= 0 {
		return fmt.Errorf("a controller holds %s but wrote no pid", f.Lock())
	}
	if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if st, _ := Probe(f); !st.Running {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("controller pid %d did not stop within %s", st.PID, wait)
}
