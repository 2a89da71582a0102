package runner

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
)

// Redactor replaces secret values with *** in log lines. Multi-line secrets
// are split into lines because logs are redacted line by line.
type Redactor struct{ secrets []string }

// NewRedactor collects the non-empty values of secrets.
func NewRedactor(secrets []task.EnvVar) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if s.Value == nil {
			continue
		}
		for _, part := range strings.Split(*s.Value, "\n") {
			if part = strings.TrimRight(part, "\r"); part != "" {
				r.secrets = append(r.secrets, part)
			}
		}
	}
	// Longest first so a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// Redact returns s with every secret replaced by ***.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	return s
}

// lines returns the secrets file content for the node-side filter.
func (r *Redactor) lines() string {
	if r == nil || len(r.secrets) == 0 {
		return ""
	}
	return strings.Join(r.secrets, "\n") + "\n"
}

// LocalLogPath is where skyplan keeps a node's log of a job on this machine:
// $SKYPLAN_HOME/logs/<cluster>/<job>/rank<N>-<head|workerN>.log.
func LocalLogPath(dir string, n Node) string {
	return filepath.Join(dir, "rank"+strconv.Itoa(n.Rank)+"-"+n.Name()+".log")
}

func (r *Runner) logsDir(cluster string, jobID int) string {
	if r.LogsDir != nil {
		return r.LogsDir(cluster, jobID)
	}
	return skyhome.LogsDir(cluster, strconv.Itoa(jobID))
}

// lockedWriter serialises whole lines from several nodes onto one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// nodeLog splits one node's output into lines, redacts them, prints them
// with the node prefix and appends them to the local log file.
type nodeLog struct {
	prefix string
	out    io.Writer // shared, line-atomic
	file   *os.File
	red    *Redactor
	buf    []byte
	n      int64 // raw bytes received (resume offset on the node's log)
	mu     sync.Mutex
}

func newNodeLog(out io.Writer, dir string, n Node, red *Redactor) (*nodeLog, error) {
	l := &nodeLog{prefix: "(" + n.Label() + ") ", out: out, red: red}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(LocalLogPath(dir, n), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		l.file = f
	}
	return l, nil
}

func (l *nodeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += int64(len(p))
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *nodeLog) emit(line string) {
	line = l.red.Redact(strings.TrimRight(line, "\r"))
	io.WriteString(l.out, l.prefix+line+"\n")
	if l.file != nil {
		l.file.WriteString(line + "\n")
	}
}

// markerSkipper drops everything up to and including the first line equal
// to marker, then passes bytes through.
type markerSkipper struct {
	w      io.Writer
	marker []byte
	seen   bool
	buf    []byte
}

func (m *markerSkipper) Write(p []byte) (int, error) {
	if m.seen {
		return m.w.Write(p)
	}
	m.buf = append(m.buf, p...)
	for {
		i := bytes.IndexByte(m.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := m.buf[:i]
		m.buf = m.buf[i+1:]
		if bytes.Equal(bytes.TrimRight(line, "\r"), m.marker) {
			m.seen = true
			rest := m.buf
			m.buf = nil
			if len(rest) > 0 {
				if _, err := m.w.Write(rest); err != nil {
					return len(p), err
				}
			}
			return len(p), nil
		}
	}
}

// offset is how many bytes of the node's log were received.
func (l *nodeLog) offset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Println writes a skyplan message (not node output) to the node's stream.
func (l *nodeLog) note(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit(msg)
}

func (l *nodeLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(string(l.buf))
		l.buf = nil
	}
	if l.file != nil {
		l.file.Close()
	}
}
