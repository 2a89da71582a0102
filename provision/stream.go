package provision

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
)

// uiMessage is one line of Terraform's machine-readable UI (-json). The
// hook/changes fields cover the plan and apply message types skyplan reads;
// terraform-json's log types cover init and generic messages only.
type uiMessage struct {
	Level      string             `json:"@level"`
	Message    string             `json:"@message"`
	Type       string             `json:"type"`
	Diagnostic *tfjson.Diagnostic `json:"diagnostic"`
	Hook       *struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action  string `json:"action"`
		Elapsed int    `json:"elapsed_seconds"`
		IDValue string `json:"id_value"`
	} `json:"hook"`
	Change *struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"change"`
	Changes *ChangeSummary `json:"changes"`
}

// ChangeSummary is Terraform's change_summary (plan or apply totals).
type ChangeSummary struct {
	Add       int    `json:"add"`
	Change    int    `json:"change"`
	Remove    int    `json:"remove"`
	Import    int    `json:"import"`
	Operation string `json:"operation"`
}

// Total is the number of changes of any kind.
func (c ChangeSummary) Total() int { return c.Add + c.Change + c.Remove + c.Import }

// RunResult is what skyplan learned from one terraform run's stream.
type RunResult struct {
	// Diagnostics with their resource address, errors and warnings.
	Diagnostics []tfjson.Diagnostic
	// Created lists resource addresses whose creation completed; a failed
	// attempt with none needs no destroy.
	Created []string
	// Errored lists resources whose operation failed; a failed create may
	// still have left a (tainted) object in the state.
	Errored []string
	// Drift lists resources changed outside Terraform (refresh-only plans).
	Drift   []string
	Summary *ChangeSummary
}

// Errors returns the error diagnostics.
func (r *RunResult) Errors() []tfjson.Diagnostic {
	var out []tfjson.Diagnostic
	for _, d := range r.Diagnostics {
		if d.Severity == tfjson.DiagnosticSeverityError {
			out = append(out, d)
		}
	}
	return out
}

// streamReader turns a -json stream into progress lines on ui and a
// RunResult. When no line arrives for heartbeat, it prints its own
// "Still running… [Ns elapsed]" so CI logs show the process is alive
// during long refreshes (Terraform's own apply_progress covers creates).
type streamReader struct {
	ui        io.Writer
	tty       bool
	op        string
	heartbeat time.Duration

	mu       sync.Mutex
	res      RunResult
	summary  string // Terraform's change_summary line, printed by run on success
	lastLine time.Time
	start    time.Time
	inPlace  bool // a TTY progress line is waiting to be overwritten
}

func newStreamReader(ui io.Writer, tty bool, op string) *streamReader {
	if ui == nil {
		ui = io.Discard
	}
	now := time.Now()
	return &streamReader{ui: ui, tty: tty, op: op, heartbeat: 10 * time.Second, start: now, lastLine: now}
}

// run reads r to EOF; it returns when the writer side is closed.
func (s *streamReader) run(r io.Reader) {
	done := make(chan struct{})
	defer close(done)
	go s.beat(done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	_, _ = io.Copy(io.Discard, r)
}

func (s *streamReader) beat(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			s.mu.Lock()
			if now.Sub(s.lastLine) >= s.heartbeat {
				s.lastLine = now
				s.print(fmt.Sprintf("terraform %s: still running... [%ds elapsed]", s.op, int(now.Sub(s.start).Seconds())), true)
			}
			s.mu.Unlock()
		}
	}
}

func (s *streamReader) line(b []byte) {
	var m uiMessage
	if err := json.Unmarshal(b, &m); err != nil {
		// Not JSON (e.g. a crash banner): show it as is.
		s.mu.Lock()
		s.print(strings.TrimSpace(string(b)), false)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastLine = time.Now()
	switch m.Type {
	case "diagnostic":
		if m.Diagnostic != nil {
			s.res.Diagnostics = append(s.res.Diagnostics, *m.Diagnostic)
		}
	case "apply_errored":
		if m.Hook != nil {
			s.res.Errored = append(s.res.Errored, m.Hook.Resource.Addr)
		}
		s.print(m.Message, false)
	case "apply_start", "refresh_start":
		s.print(m.Message, false)
	case "apply_progress":
		s.print(m.Message, true)
	case "apply_complete":
		if m.Hook != nil && m.Hook.Action == "create" {
			s.res.Created = append(s.res.Created, m.Hook.Resource.Addr)
		}
		s.print(m.Message, false)
	case "resource_drift":
		if m.Change != nil {
			s.res.Drift = append(s.res.Drift, m.Change.Resource.Addr+" ("+m.Change.Action+")")
		}
	case "change_summary":
		// Terraform sends "Plan: 0 to add…" before the error that failed
		// the plan (a credential error comes after it), so the line is
		// held until the run is known to have succeeded (printSummary).
		s.res.Summary = m.Changes
		s.summary = m.Message
	}
}

// print writes one progress line; on a TTY, transient lines (progress,
// heartbeat) are overwritten by the next line instead of piling up.
func (s *streamReader) print(msg string, transient bool) {
	if msg == "" {
		return
	}
	if s.tty {
		if s.inPlace {
			fmt.Fprint(s.ui, "\r\033[K")
		}
		if transient {
			fmt.Fprint(s.ui, msg)
			s.inPlace = true
			return
		}
		s.inPlace = false
	}
	fmt.Fprintln(s.ui, msg)
}

// printSummary prints the held change_summary line (after a successful run).
func (s *streamReader) printSummary() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.print(s.summary, false)
}

func (s *streamReader) result() RunResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty && s.inPlace {
		fmt.Fprintln(s.ui)
		s.inPlace = false
	}
	return s.res
}
